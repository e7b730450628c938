//! HTML error pages: the one place a browser-facing failure becomes a page (the
//! catalogue message in the reader's language, a hint, and the request id to
//! quote when asking for help).

use std::error::Error;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::internal_error;
use super::render::{Page, PageContext};

impl PageContext {
    /// Logs an internal failure (with what was being done) and shows the opaque
    /// error page with the request id.
    pub fn internal(&self, error: &(dyn Error + 'static), doing: &str) -> Response {
        internal_error::log(error, doing);
        self.error(StatusCode::INTERNAL_SERVER_ERROR, "error_internal").into_response()
    }

    /// The error page with a catalogue message.
    pub fn error(&self, status: StatusCode, message_key: &str) -> Page {
        let page = self.page(
            "pages/error.html",
            context! { message => self.lang.text(message_key), hint => self.lang.text("hint_contact") },
        );
        page.with_status(status)
    }
}
