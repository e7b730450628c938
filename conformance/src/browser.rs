//! A scripted user agent: one cookie jar (so one SSO session at the OP),
//! redirects followed by hand so that the runner sees every hop and can stop
//! at the client's own URLs without ever contacting them.

use std::collections::HashMap;
use std::time::Duration;

use url::Url;

use crate::auth::Authenticator;

/// How many redirects one navigation may take before it is called a loop.
const MAX_HOPS: usize = 25;
/// How many login/consent pages one navigation may meet.
const MAX_INTERACTIONS: usize = 6;

/// How a navigation starts.
pub(crate) enum Start {
    /// A plain GET of the URL.
    Get(Url),
    /// A form POST (application/x-www-form-urlencoded) of the fields.
    PostForm(Url, Vec<(String, String)>),
}

/// Where a navigation ended.
#[derive(Debug)]
pub(crate) enum Landing {
    /// The OP redirected to one of the navigation's stop URLs (the client's
    /// own addresses); the URL is not fetched.
    Stop {
        /// The full redirect target.
        url: Url,
        /// Its parameters: the query, or the fragment when the query has none.
        params: HashMap<String, String>,
        /// How many interaction pages the authenticator handled on the way.
        interactions: usize,
    },
    /// The OP answered something other than a redirect: a page.
    Page {
        /// Where the page was served.
        url: Url,
        /// Its HTTP status.
        status: u16,
        /// Its Content-Type, empty when absent.
        content_type: String,
        /// Its body.
        body: String,
    },
    /// The OP redirected off its own origin to something that is not a stop.
    Elsewhere {
        /// The redirect target.
        url: Url,
    },
}

/// Parameters of a client-side URL: the query, or the fragment when the
/// query carries none (the fragment response mode).
pub(crate) fn url_params(url: &Url) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    if params.is_empty()
        && let Some(fragment) = url.fragment()
    {
        params = url::form_urlencoded::parse(fragment.as_bytes()).into_owned().collect();
    }
    params
}

/// Whether `candidate` is `target`, ignoring query and fragment (the OP adds
/// its response parameters to the query).
fn same_endpoint(candidate: &Url, target: &Url) -> bool {
    candidate.scheme() == target.scheme()
        && candidate.host_str() == target.host_str()
        && candidate.port_or_known_default() == target.port_or_known_default()
        && candidate.path() == target.path()
}

fn browser_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT,
        reqwest::header::HeaderValue::from_static("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    );
    headers
}

/// One browser: a cookie jar and an HTTP client that does not follow
/// redirects by itself.
pub(crate) struct Browser {
    http: reqwest::Client,
}

impl Browser {
    /// A new browser with an empty cookie jar.
    pub(crate) fn new(timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent("kuke-id-conformance")
            // Like a browser: OPs pick HTML or JSON error renderings by the
            // Accept header, and the logout checks need the HTML one.
            .default_headers(browser_headers())
            .build()
            .map_err(|e| format!("building HTTP client: {e}"))?;
        Ok(Self { http })
    }

    /// The underlying HTTP client (carries the cookie jar).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Goes to `start` and follows redirects while they stay at the OP
    /// (`op` origin), handing interaction pages to `auth`, until a redirect
    /// reaches one of `stops` or a page is shown.
    pub(crate) async fn navigate<A: Authenticator>(
        &self,
        start: Start,
        op: &Url,
        stops: &[Url],
        auth: &A,
    ) -> Result<Landing, String> {
        let mut interactions = 0;
        let (mut current, mut response) = match start {
            Start::Get(url) => {
                let r = self.get(&url).await?;
                (url, r)
            }
            Start::PostForm(url, fields) => {
                let r =
                    self.http.post(url.clone()).form(&fields).send().await.map_err(|e| format!("POST {url}: {e}"))?;
                (url, r)
            }
        };
        for _ in 0..MAX_HOPS {
            if !response.status().is_redirection() {
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let body = response.text().await.map_err(|e| format!("reading {current}: {e}"))?;
                return Ok(Landing::Page { url: current, status, content_type, body });
            }
            let mut next = crate::auth::next_location(&current, &response)?;
            if let Some(landing) = self.stop_at(&next, stops, interactions) {
                return Ok(landing);
            }
            if next.origin() == op.origin() && auth.is_interaction(&next) {
                interactions += 1;
                if interactions > MAX_INTERACTIONS {
                    return Err(format!("more than {MAX_INTERACTIONS} login/consent pages in one authorization"));
                }
                next =
                    auth.sign_in(&self.http, &next).await.map_err(|e| format!("login driver failed at {next}: {e}"))?;
                if let Some(landing) = self.stop_at(&next, stops, interactions) {
                    return Ok(landing);
                }
            }
            if next.origin() != op.origin() {
                return Ok(Landing::Elsewhere { url: next });
            }
            response = self.get(&next).await?;
            current = next;
        }
        Err(format!("more than {MAX_HOPS} redirects"))
    }

    fn stop_at(&self, next: &Url, stops: &[Url], interactions: usize) -> Option<Landing> {
        stops.iter().any(|stop| same_endpoint(next, stop)).then(|| Landing::Stop {
            url: next.clone(),
            params: url_params(next),
            interactions,
        })
    }

    async fn get(&self, url: &Url) -> Result<reqwest::Response, String> {
        self.http.get(url.clone()).send().await.map_err(|e| format!("GET {url}: {e}"))
    }
}
