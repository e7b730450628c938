//! `GET /dev/mail`: the development mailbox — only in demo mode and only when no
//! SMTP server is configured, so real mail never shows up on a web page.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::flows::dev_mailbox;
use crate::http::render::PageContext;
use crate::state::AppState;

/// The newest mails.
pub async fn get(State(state): State<AppState>, page: PageContext) -> Response {
    match dev_mailbox::recent(&state).await {
        Ok(Some(rows)) => {
            let mails: Vec<_> = rows
                .into_iter()
                .map(|m| context! { subject => m.subject, recipient => m.recipient, created_at => m.created_at.to_string(), body_text => m.body_text })
                .collect();
            page.page("pages/dev_mail.html", context! { mails }).into_response()
        }
        Ok(None) => crate::http::errors::not_found_json(),
        Err(error) => page.internal(&error, "dev mailbox failed"),
    }
}
