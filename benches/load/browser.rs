//! One simulated person's browser: the sign-in pages (login + password, then
//! the e-mailed code, read from the outbox the provider keeps when it has no
//! SMTP relay), and authorization requests once signed in.

use kuke_id::store::Store;

/// The RFC 7636 appendix B example verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// Every bench account's password.
pub const PASSWORD: &str = "Zielony#Las7";
/// The bench client's redirect URI (nobody listens: the code is read from `Location`).
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// A browser with its own cookie jar, redirects not followed.
pub fn new() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn csrf_of(html: &str) -> Result<String, String> {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_string)
        .ok_or_else(|| "no CSRF field on the page".to_string())
}

/// The full sign-in as a person makes it: the "Logowanie" page, login +
/// password, the code page, the e-mailed code. Four requests (six when the
/// terms are asked for: their page and the answer).
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    store: &Store,
    login: &str,
    email: &str,
) -> Result<(), String> {
    let csrf = page(http, base, "/login").await?;
    let since = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    post_password(http, base, &csrf, login).await?;
    let csrf = page(http, base, "/login/code").await?;
    let code = mailed_code(store, email, since).await?;
    if post_code(http, base, &csrf, &code).await?.ends_with("/terms") {
        let csrf = page(http, base, "/terms").await?;
        post_terms(http, base, &csrf).await?;
    }
    Ok(())
}

/// Opens a page of the journey; answers its CSRF token.
pub async fn page(http: &reqwest::Client, base: &str, path: &str) -> Result<String, String> {
    let page = http.get(format!("{base}{path}")).send().await.map_err(|e| e.to_string())?;
    csrf_of(&page.text().await.map_err(|e| e.to_string())?)
}

/// The password step: login + password.
pub async fn post_password(http: &reqwest::Client, base: &str, csrf: &str, login: &str) -> Result<(), String> {
    let answer = http
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf), ("login", login), ("password", PASSWORD)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if answer.status() != 303 {
        return Err(format!("POST /login answered {}", answer.status()));
    }
    Ok(())
}

/// The code step; answers where it leads (`Location`).
pub async fn post_code(http: &reqwest::Client, base: &str, csrf: &str, code: &str) -> Result<String, String> {
    let answer = http
        .post(format!("{base}/login/code"))
        .form(&[("csrf", csrf), ("code", code)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() && !answer.status().is_redirection() {
        return Err(format!("POST /login/code answered {}", answer.status()));
    }
    Ok(answer.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string())
}

/// The terms step: ticked and accepted.
pub async fn post_terms(http: &reqwest::Client, base: &str, csrf: &str) -> Result<(), String> {
    let answer = http
        .post(format!("{base}/terms"))
        .form(&[("csrf", csrf), ("statement", "yes"), ("decision", "accept")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() && !answer.status().is_redirection() {
        return Err(format!("POST /terms answered {}", answer.status()));
    }
    Ok(())
}

/// The newest code mailed to `email` after `since`.
pub async fn mailed_code(store: &Store, email: &str, since: time::OffsetDateTime) -> Result<String, String> {
    for _ in 0..200 {
        let rows = kuke_id::store::mail_outbox::recent(store.conn(), 500).await.map_err(|e| e.to_string())?;
        let code = rows
            .iter()
            .filter(|m| m.recipient == email && m.kind == "one_time_code" && m.created_at >= since)
            .max_by_key(|m| m.created_at)
            .and_then(|m| six_digits(&m.body_text));
        if let Some(code) = code {
            return Ok(code);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Err(format!("no code mailed to {email}"))
}

fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == 6).map(str::to_string)
}

/// A signed-in browser's authorization request: the code from the redirect.
pub async fn authorize(http: &reqwest::Client, base: &str, client_id: &str) -> Result<String, String> {
    let mut url = reqwest::Url::parse(&format!("{base}/authorize")).map_err(|e| e.to_string())?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email offline_access")
        .append_pair("state", "bench")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let answer = http.get(url).send().await.map_err(|e| e.to_string())?;
    let location = answer.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default();
    let redirect =
        reqwest::Url::parse(location).map_err(|_| format!("authorize answered {} to {location:?}", answer.status()))?;
    redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no code in {location}"))
}
