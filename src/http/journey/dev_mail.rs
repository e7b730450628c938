//! `GET /dev/mail` and `GET /dev/mail/{id}`: the development mailbox — only in
//! demo mode and only when no SMTP server is configured, so real mail never
//! shows up on a web page. The list is newest first; each mail has its own page
//! with the text part's links made clickable and the HTML part, served alone at
//! `/dev/mail/{id}/html`, in a sandboxed frame (no scripts, no forms, no
//! navigation of this page).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::flows::dev_mailbox::{self, DevMail};
use crate::http::render::PageContext;
use crate::state::AppState;

/// The newest mails.
pub async fn get(State(state): State<AppState>, page: PageContext) -> Response {
    match dev_mailbox::recent(&state).await {
        Ok(Some(mails)) => {
            let mails: Vec<_> = mails.iter().map(summary).collect();
            page.page("pages/dev_mail.html", context! { mails }).into_response()
        }
        Ok(None) => crate::http::errors::not_found_json(),
        Err(error) => page.internal(&error, "dev mailbox failed"),
    }
}

/// One mail.
pub async fn one(State(state): State<AppState>, Path(id): Path<String>, page: PageContext) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else { return crate::http::errors::not_found_json() };
    match dev_mailbox::one(&state, id).await {
        Ok(Some(mail)) => {
            let pieces = linked(&mail.body_text);
            let values = context! { mail => summary(&mail), pieces, has_html => !mail.body_html.is_empty() };
            page.page("pages/dev_mail_one.html", values).into_response()
        }
        Ok(None) => crate::http::errors::not_found_json(),
        Err(error) => page.internal(&error, "dev mailbox failed"),
    }
}

/// The HTML part of one mail, alone, for the frame on the mail's page. Its own
/// policy lets only our pages frame it and runs nothing: no scripts, no fetches,
/// inline styles and embedded images only, sandboxed even when opened directly.
pub async fn html(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else { return crate::http::errors::not_found_json() };
    match dev_mailbox::one(&state, id).await {
        Ok(Some(mail)) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox",
                ),
                (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            ],
            mail.body_html,
        )
            .into_response(),
        Ok(None) => crate::http::errors::not_found_json(),
        Err(error) => {
            crate::http::internal_error::log(&error, "dev mailbox failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn summary(mail: &DevMail) -> minijinja::Value {
    context! {
        id => mail.id.to_string(),
        subject => &mail.subject,
        recipient => &mail.recipient,
        at => readable(mail.created_at),
        at_iso => mail.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    }
}

/// `2026-12-06 08:21 UTC`; the page's script shows it in the reader's own zone.
fn readable(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

/// The text split into plain runs and links, for the template to escape and link.
fn linked(text: &str) -> Vec<minijinja::Value> {
    let mut pieces = Vec::new();
    let mut plain = String::new();
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            if !plain.is_empty() {
                pieces.push(context! { text => std::mem::take(&mut plain) });
            }
            pieces.push(context! { link => trimmed });
            plain.push_str(&word[trimmed.len()..]);
        } else {
            plain.push_str(word);
        }
    }
    if !plain.is_empty() {
        pieces.push(context! { text => plain });
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_the_text_become_pieces_of_their_own() {
        let pieces = linked("Ustaw hasło: https://id.example/activate?token=abc\n\n--\nZespół");
        let shown: Vec<String> = pieces.iter().map(|p| p.to_string()).collect();
        assert_eq!(pieces.len(), 3, "{shown:?}");
        assert_eq!(
            pieces[1].get_attr("link").map(|v| v.to_string()).ok(),
            Some("https://id.example/activate?token=abc".into())
        );
    }
}
