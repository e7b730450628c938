//! Login drivers: how the runner gets a user signed in at the OP under test.
//!
//! The runner itself plays the browser (a cookie-keeping HTTP client that
//! follows redirects by hand). Whenever the OP sends that browser to one of
//! its interaction pages, an [`Authenticator`] takes over for that one step.

use std::future::Future;

use url::Url;

use crate::html;

/// Drives the OP's sign-in UI for one authorization request.
///
/// The runner calls [`Authenticator::is_interaction`] for every redirect that
/// stays at the OP; when it answers `true`, [`Authenticator::sign_in`] is
/// handed that URL and must return the next URL the browser should go to
/// (usually a redirect back into the OP's authorization endpoint, or straight
/// to the client's redirect_uri).
pub trait Authenticator: Send + Sync {
    /// Whether `location` (a redirect target at the OP) is a page a person
    /// would have to act on, i.e. a login or consent page.
    ///
    /// The default recognises the usual path names; drivers for a known OP
    /// override it with the exact shape of that OP's URLs.
    fn is_interaction(&self, location: &Url) -> bool {
        location.path_segments().is_some_and(|mut segments| {
            segments.any(|segment| matches!(segment, "login" | "interaction" | "consent" | "signin" | "sign-in"))
        })
    }

    /// Signs in (and consents) at the interaction page `location`, using the
    /// browser's client `http` so that the OP's cookies land in its jar.
    /// Returns the next URL to follow.
    fn sign_in(&self, http: &reqwest::Client, location: &Url) -> impl Future<Output = Result<Url, String>> + Send;

    /// Confirms a logout at the OP's end-session page, if the page asks for a
    /// confirmation.
    ///
    /// `page` is where the browser stands and `body` is the HTML it shows.
    /// Returns the URL the OP sent the browser to after confirming, or `None`
    /// when the page asks for nothing (it already says "logged out").
    ///
    /// The default submits the first POST form on the page with its hidden
    /// fields and its default submit button, which is what a person clicking
    /// "yes, log me out" does on most OPs.
    fn confirm_logout(
        &self,
        http: &reqwest::Client,
        page: &Url,
        body: &str,
    ) -> impl Future<Output = Result<Option<Confirmed>, String>> + Send {
        let form = html::first_post_form(body);
        let http = http.clone();
        let page = page.clone();
        async move {
            let Some(form) = form else {
                return Ok(None);
            };
            let action = page.join(&form.action).map_err(|e| format!("logout form action {:?}: {e}", form.action))?;
            let response =
                http.post(action.clone()).form(&form.fields).send().await.map_err(|e| format!("POST {action}: {e}"))?;
            // An OP may finish the logout on a page of its own rather than redirect.
            if response.status().is_success() {
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let status = response.status().as_u16();
                let body = response.text().await.map_err(|e| format!("reading {action}: {e}"))?;
                return Ok(Some(Confirmed::Page { url: action, status, content_type, body }));
            }
            Ok(Some(Confirmed::Redirect(next_location(&action, &response)?)))
        }
    }
}

/// What submitting a logout confirmation led to.
#[derive(Debug, Clone)]
pub enum Confirmed {
    /// A redirect to follow.
    Redirect(Url),
    /// A final page of the OP's.
    Page {
        /// Where the form was posted.
        url: Url,
        /// HTTP status.
        status: u16,
        /// Content-Type.
        content_type: String,
        /// Body.
        body: String,
    },
}

/// The redirect target of `response`, resolved against `base`.
pub(crate) fn next_location(base: &Url, response: &reqwest::Response) -> Result<Url, String> {
    let status = response.status();
    if !status.is_redirection() {
        return Err(format!("{base} answered {status}, expected a redirect"));
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .ok_or_else(|| format!("{base} answered {status} without Location"))?
        .to_str()
        .map_err(|e| format!("Location from {base} is not text: {e}"))?;
    base.join(location).map_err(|e| format!("bad Location {location:?} from {base}: {e}"))
}

/// Drives the development interactions of panva's `oidc-provider`
/// (`devInteractions` feature): `/interaction/{uid}` shows either a login
/// form (any login and password are accepted) or a consent form; each is
/// submitted as a person would.
#[derive(Debug, Clone)]
pub struct NodeOidcProvider {
    /// The login name typed into the form.
    pub login: String,
    /// The password typed into the form (any value passes in dev mode).
    pub password: String,
}

impl Default for NodeOidcProvider {
    fn default() -> Self {
        Self { login: "conformance-user".to_owned(), password: "any-password".to_owned() }
    }
}

impl Authenticator for NodeOidcProvider {
    fn is_interaction(&self, location: &Url) -> bool {
        location.path().starts_with("/interaction/")
    }

    fn sign_in(&self, http: &reqwest::Client, location: &Url) -> impl Future<Output = Result<Url, String>> + Send {
        let http = http.clone();
        let location = location.clone();
        let login = self.login.clone();
        let password = self.password.clone();
        async move {
            let page = http.get(location.clone()).send().await.map_err(|e| format!("GET {location}: {e}"))?;
            let status = page.status();
            let body = page.text().await.map_err(|e| format!("reading {location}: {e}"))?;
            if !status.is_success() {
                return Err(format!("interaction page {location} answered {status}"));
            }
            let mut form =
                html::first_post_form(&body).ok_or_else(|| format!("no form on interaction page {location}"))?;
            // The login prompt has visible `login`/`password` inputs; the
            // consent prompt only hidden fields.
            if form.inputs.iter().any(|name| name == "login") {
                form.fields.push(("login".to_owned(), login));
                form.fields.push(("password".to_owned(), password));
            }
            let action = location.join(&form.action).map_err(|e| format!("form action {:?}: {e}", form.action))?;
            let response =
                http.post(action.clone()).form(&form.fields).send().await.map_err(|e| format!("POST {action}: {e}"))?;
            next_location(&action, &response)
        }
    }
}

/// Drives kuke-id built with its `test-support` cargo feature.
///
/// Contract: a browser without a session is redirected to
/// `{issuer}/login?request={HANDLE}`; POSTing `login={LOGIN}` and
/// `request={HANDLE}` to `{issuer}/test-support/sign-in` signs that login in
/// and answers with a 303 whose chain ends at the client's redirect_uri.
#[derive(Debug, Clone)]
pub struct KukeIdTestSupport {
    /// The issuer URL, to build `{issuer}/test-support/sign-in`.
    pub issuer: Url,
    /// The six-digit login number to sign in as.
    pub login: String,
}

impl KukeIdTestSupport {
    fn login_path(&self) -> String {
        format!("{}/login", self.issuer.path().trim_end_matches('/'))
    }
}

impl Authenticator for KukeIdTestSupport {
    fn is_interaction(&self, location: &Url) -> bool {
        location.origin() == self.issuer.origin()
            && location.path() == self.login_path()
            && location.query_pairs().any(|(k, _)| k == "request")
    }

    fn sign_in(&self, http: &reqwest::Client, location: &Url) -> impl Future<Output = Result<Url, String>> + Send {
        let http = http.clone();
        let handle = location.query_pairs().find(|(k, _)| k == "request").map(|(_, v)| v.into_owned());
        let endpoint = Url::parse(&format!("{}/test-support/sign-in", self.issuer.as_str().trim_end_matches('/')));
        let login = self.login.clone();
        let location = location.clone();
        async move {
            let handle = handle.ok_or_else(|| format!("no request handle in {location}"))?;
            let endpoint = endpoint.map_err(|e| format!("test-support endpoint: {e}"))?;
            let form = [("login", login.as_str()), ("request", handle.as_str())];
            let response =
                http.post(endpoint.clone()).form(&form).send().await.map_err(|e| format!("POST {endpoint}: {e}"))?;
            next_location(&endpoint, &response)
        }
    }
}

/// One of the built-in drivers, chosen at run time (the binary's
/// `--login-driver` flag).
#[derive(Debug, Clone)]
pub enum LoginDriver {
    /// See [`NodeOidcProvider`].
    NodeOidcProvider(NodeOidcProvider),
    /// See [`KukeIdTestSupport`].
    KukeIdTestSupport(KukeIdTestSupport),
}

impl Authenticator for LoginDriver {
    fn is_interaction(&self, location: &Url) -> bool {
        match self {
            Self::NodeOidcProvider(d) => d.is_interaction(location),
            Self::KukeIdTestSupport(d) => d.is_interaction(location),
        }
    }

    async fn sign_in(&self, http: &reqwest::Client, location: &Url) -> Result<Url, String> {
        match self {
            Self::NodeOidcProvider(d) => d.sign_in(http, location).await,
            Self::KukeIdTestSupport(d) => d.sign_in(http, location).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn driver(issuer: &str) -> KukeIdTestSupport {
        KukeIdTestSupport { issuer: Url::parse(issuer).expect("issuer"), login: "123456".into() }
    }

    #[test]
    fn kuke_login_page_is_recognised() {
        let d = driver("http://127.0.0.1:8080");
        let yes = Url::parse("http://127.0.0.1:8080/login?request=H1&lang=en").expect("url");
        let no_handle = Url::parse("http://127.0.0.1:8080/login").expect("url");
        let other = Url::parse("http://127.0.0.1:8080/authorize?request=H1").expect("url");
        assert!(d.is_interaction(&yes));
        assert!(!d.is_interaction(&no_handle));
        assert!(!d.is_interaction(&other));
    }

    #[tokio::test]
    async fn kuke_driver_posts_login_and_handle() {
        crate::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            // Read until the form body (it ends the request) has arrived.
            while !String::from_utf8_lossy(&seen).contains("request=") {
                let n = socket.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(
                    b"HTTP/1.1 303 See Other\r\nLocation: /authorize/resume?x=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await
                .expect("write");
            String::from_utf8_lossy(&seen).into_owned()
        });
        let d = driver(&format!("http://127.0.0.1:{port}"));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let login_page = Url::parse(&format!("http://127.0.0.1:{port}/login?request=H%2B1")).expect("url");
        let next = d.sign_in(&http, &login_page).await.expect("sign in");
        assert_eq!(next.path(), "/authorize/resume");
        let request = server.await.expect("server");
        assert!(request.starts_with("POST /test-support/sign-in "), "{request}");
        assert!(request.contains("login=123456"), "{request}");
        assert!(request.contains("request=H%2B1"), "{request}");
        assert!(request.to_ascii_lowercase().contains("content-type: application/x-www-form-urlencoded"), "{request}");
    }
}
