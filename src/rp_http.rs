//! The HTTP client the openidconnect crate uses when kuke-id itself acts as a
//! relying party (the `/demo` app; the tests): reqwest 0.13 with rustls/ring and
//! redirects off, as the crate requires to avoid SSRF through redirects.

use std::future::Future;
use std::pin::Pin;

use openidconnect::{HttpRequest, HttpResponse};

/// A reqwest client usable as openidconnect's `AsyncHttpClient`.
#[derive(Debug, Clone)]
pub struct RpHttp(reqwest::Client);

/// A failed HTTP exchange.
#[derive(Debug, thiserror::Error)]
#[error("HTTP request failed: {0}")]
pub struct RpHttpError(#[from] reqwest::Error);

impl RpHttp {
    /// A client that never follows redirects.
    pub fn new() -> Result<Self, RpHttpError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?))
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for RpHttp {
    type Error = RpHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = self.0.execute(request).await?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            // Status and headers come from a valid response, so building cannot fail;
            // fall back to an empty 502 rather than panic if it ever does.
            Ok(builder.body(body).unwrap_or_else(|_| {
                let mut fallback = openidconnect::http::Response::new(Vec::new());
                *fallback.status_mut() = openidconnect::http::StatusCode::BAD_GATEWAY;
                fallback
            }))
        })
    }
}
