//! HTML error pages: the one place a browser-facing failure becomes a page (the
//! catalogue message in the reader's language, a hint, and the request id to
//! quote when asking for help).

use std::error::Error;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::internal_error;
use super::render::{Page, PageContext};
use crate::flows::authorize::request::PageError;

impl PageContext {
    /// Logs an internal failure (with what was being done) and shows the opaque
    /// error page with the request id (503 while the database is out of reach).
    pub fn internal(&self, error: &(dyn Error + 'static), doing: &str) -> Response {
        internal_error::log(error, doing);
        self.error(internal_error::status(error), "error_internal").into_response()
    }

    /// The error page with a catalogue message.
    pub fn error(&self, status: StatusCode, message_key: &str) -> Page {
        let page = self.page(
            "pages/error.html",
            context! { message => self.lang.text(message_key), hint => self.lang.text("hint_contact") },
        );
        page.with_status(status)
    }

    /// The page for an authorization request that cannot be answered at its
    /// client's redirect URI (OIDC Core §3.1.2.6: never redirect to an unchecked URI).
    pub fn authorization_error(&self, error: PageError) -> Page {
        let key = match error {
            PageError::MissingClientId | PageError::UnknownClient => "error_unknown_client",
            PageError::MissingRedirectUri | PageError::UnregisteredRedirectUri => "error_bad_redirect",
            PageError::RequestExpired => "error_expired_request",
            PageError::Internal => "error_internal",
        };
        self.error(StatusCode::BAD_REQUEST, key)
    }
}
