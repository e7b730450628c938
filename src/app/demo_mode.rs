//! `serve --demo`: the demo relying party wired in beside the web layer.
//!
//! The demo renders its pages in the provider's layout and sets cookies in the
//! provider's format, but it must not import `http` (nor `http` the demo). Here,
//! in the composition root, the web layer's page context is handed to the demo as
//! its [`Web`] port, and the demo's router is given its own state.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::Value;

use super::App;
use crate::demo::{DemoAccount, DemoRp, DemoState, NextStep, Web};
use crate::flows::{self, Internal, demo::DemoSetup};
use crate::http::cookies;
use crate::http::render::PageContext;
use crate::state::AppState;
use crate::store::StoreError;

/// Why demo mode could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoStartError {
    /// The demo client, account or terms could not be set up.
    #[error("setting up demo mode")]
    Setup(#[source] StoreError),
    /// The demo relying party could not be created.
    #[error("starting the demo relying party")]
    RelyingParty(#[source] crate::demo::DemoError),
}

impl Web for PageContext {
    fn page(&self, template: &str, values: Value, status: StatusCode) -> Response {
        PageContext::page(self, template, values).with_status(status).into_response()
    }

    fn set_cookie(name: &str, value: &str, secure: bool) -> HeaderValue {
        cookies::set(name, value, secure)
    }

    fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
        cookies::clear(name, secure)
    }
}

/// The demo account as the provider's flows see it.
struct ProviderAccount(AppState);

impl DemoAccount for ProviderAccount {
    fn next_step(&self) -> Pin<Box<dyn Future<Output = Option<NextStep>> + Send + '_>> {
        Box::pin(async move {
            match flows::demo::account(&self.0).await {
                Ok(Some((login, _, true))) => Some(NextStep::SignIn { login }),
                Ok(Some((_, email, false))) => Some(NextStep::Activate { email }),
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the demo account");
                    None
                }
            }
        })
    }

    fn mailbox(&self) -> bool {
        self.0.settings.smtp_url.is_none()
    }
}

/// The demo's routes, ready to merge into the provider's router. Outside demo
/// mode they answer 404.
pub(super) fn router(demo: DemoState) -> Router<AppState> {
    crate::demo::router::<PageContext>().with_state(demo)
}

impl App {
    /// Turns on the demo relying party at `/demo`, and with it the development
    /// mailbox (`/dev/mail`, while no SMTP server is configured).
    pub fn enable_demo(&mut self, demo: DemoRp) {
        self.state.modify(|state| state.demo_mode = true);
        self.demo.rp = Some(Arc::new(demo));
        self.demo.account = Some(Arc::new(ProviderAccount(self.state.clone())));
    }

    /// Demo mode: sets up the demo client, organisation, account and terms,
    /// turns on the demo relying party and invites the demo account while it is
    /// still only imported. Returns what was set up, to print.
    pub async fn start_demo(&mut self) -> Result<DemoSetup, DemoStartError> {
        let state = &self.state;
        let issuer = state.settings.issuer.clone();
        let setup = flows::demo::ensure(&state.store, &state.clock, &issuer).await.map_err(DemoStartError::Setup)?;
        let rp = DemoRp::new(&issuer, &setup.client_id, &setup.client_secret).map_err(DemoStartError::RelyingParty)?;
        self.enable_demo(rp);
        flows::demo::invite_if_imported(&self.state).await.map_err(|Internal(e)| DemoStartError::Setup(e))?;
        Ok(setup)
    }
}
