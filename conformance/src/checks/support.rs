//! Small helpers the checks share.

use super::*;

/// How the access token reaches the userinfo endpoint (RFC 6750 §2).
#[derive(Debug, Clone, Copy)]
pub(super) enum UserinfoMethod {
    Get,
    PostHeader,
    PostBody,
}

/// What is wrong with a logout request in the "must not redirect" checks.
#[derive(Debug, Clone, Copy)]
pub(super) enum LogoutVariant {
    BadRedirect,
    QueryAdded,
    ModifiedHint,
    ForeignHint,
    NoHint,
}

pub(super) fn set(flow: &mut Flow, key: &str, value: &str) {
    flow.set(key, value);
}

pub(super) fn verdict(problems: Vec<String>) -> CheckOutcome {
    if problems.is_empty() { Ok(Outcome::Pass) } else { Ok(Outcome::Fail(problems.join("; "))) }
}

pub(super) fn is_html(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().contains("text/html")
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub(super) fn discovery_url(issuer: &str) -> Result<Url, String> {
    let text = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    Url::parse(&text).map_err(|e| format!("discovery URL {text:?}: {e}"))
}

pub(super) async fn fetch_json(http: &reqwest::Client, url: &Url) -> Result<Map<String, Value>, String> {
    let response = http.get(url.clone()).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let raw = oidc::read_response(response).await?;
    if raw.status != 200 {
        return Err(format!("GET {url} answered {}", raw.status));
    }
    if !raw.content_type.to_ascii_lowercase().contains("json") {
        return Err(format!("GET {url}: Content-Type {:?} is not JSON", raw.content_type));
    }
    raw.json.ok_or_else(|| format!("GET {url}: body is not a JSON object"))
}

/// Serves `jwt` at a loopback URL for request_uri checks, for a bounded
/// number of fetches and time. The OP must be able to reach 127.0.0.1.
pub(super) async fn serve_request_object(jwt: String) -> Result<(Url, tokio::task::JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("binding a loopback port for request_uri: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("request_uri listener: {e}"))?.port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/request/{}.jwt", random_token(8)))
        .map_err(|e| format!("request_uri: {e}"))?;
    let handle = tokio::spawn(async move {
        for _ in 0..4 {
            let accepted = tokio::time::timeout(Duration::from_secs(30), listener.accept()).await;
            let Ok(Ok((mut socket, _))) = accepted else {
                break;
            };
            let mut buf = vec![0u8; 8192];
            // The request itself does not matter; read what arrives first.
            let _ = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/oauth-authz-req+jwt\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                jwt.len(),
                jwt
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    Ok((url, handle))
}
