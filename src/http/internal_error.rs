//! The one logger of internal failures. Every surface (OAuth JSON, admin
//! problems, HTML pages, the panic fallback) calls [`log`] before it answers
//! its opaque 500, so each failure is logged exactly once, with its whole cause
//! chain and the id of the request it broke (the `x-request-id` the caller also
//! sees, on the response and on error pages).

use std::error::Error;
use std::fmt::Write;

tokio::task_local! {
    /// The request id of the request being served on this task.
    static REQUEST_ID: String;
}

/// Runs `serving` (a request's handling) with its request id readable by [`log`].
pub async fn scoped<F: std::future::Future>(id: String, serving: F) -> F::Output {
    REQUEST_ID.scope(id, serving).await
}

/// The id of the request being served, `-` outside one.
pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| "-".to_string())
}

/// Logs an internal failure: what was being done, the error and every `source()`
/// below it, and the request id.
pub fn log(error: &(dyn Error + 'static), doing: &str) {
    if unavailable(error) {
        tracing::warn!(request_id = %request_id(), error = %chain(error), doing, "database unavailable");
        return;
    }
    tracing::error!(request_id = %request_id(), error = %chain(error), doing, "internal error");
}

/// Whether the failure is the database being out of reach: answered with 503
/// (try again later) instead of 500, on every surface.
pub fn unavailable(error: &(dyn Error + 'static)) -> bool {
    crate::domain::unavailable::caused(error)
}

/// 500, or 503 when the database is out of reach.
pub fn status(error: &(dyn Error + 'static)) -> axum::http::StatusCode {
    if unavailable(error) {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    } else {
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// Logs a handler's panic (the panic hook has already printed where it happened).
pub fn log_panic(payload: &(dyn std::any::Any + Send)) {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(request_id = %request_id(), panic = %message, "a request handler panicked");
}

/// `error: cause: cause of the cause …`.
fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        // Wrappers often repeat their source in their own message; say it once.
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            let _ = write!(text, ": {cause_text}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_names_every_cause() {
        let error = Outer(std::io::Error::other("disk full"));
        assert_eq!(chain(&error), "outer: disk full");
    }

    #[test]
    fn a_cause_repeated_by_its_wrapper_is_said_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("internal error: {0}")]
        struct Wrapper(#[source] std::io::Error);
        let error = Wrapper(std::io::Error::other("disk full"));
        assert_eq!(chain(&error), "internal error: disk full");
    }

    #[tokio::test]
    async fn the_request_id_is_read_inside_its_scope_only() {
        assert_eq!(request_id(), "-");
        let inside = REQUEST_ID.scope("abc".to_string(), async { request_id() }).await;
        assert_eq!(inside, "abc");
    }
}
