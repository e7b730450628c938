//! `GET /dev/mail`: the development mailbox — only in demo mode and only when no
//! SMTP server is configured, so real mail never shows up on a web page.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::http::render::PageContext;
use crate::state::AppState;
use crate::store;

/// The newest mails.
pub async fn get(State(state): State<AppState>, page: PageContext) -> Response {
    if state.demo.is_none() || state.settings.smtp_url.is_some() {
        return crate::http::errors::not_found().await.into_response();
    }
    match store::mail_outbox::recent(state.store.conn(), 50).await {
        Ok(rows) => {
            let mails: Vec<_> = rows
                .into_iter()
                .map(|m| context! { subject => m.subject, recipient => m.recipient, created_at => m.created_at.to_string(), body_text => m.body_text })
                .collect();
            page.page("pages/dev_mail.html", context! { mails }).into_response()
        }
        Err(error) => page.internal(&error, "dev mailbox failed"),
    }
}
