//! Walking a [`Cluster`] as people and relying parties do: a browser whose
//! every request opens a new connection (so the balancer sends it to the next
//! node), the admin API, and the mails the nodes delivered.

use kuke_id::domain::client::ClientKind;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::flows::clients::{self, Registration};
use kuke_id::store;
use reqwest::Response;

use super::cluster::Cluster;
use super::fixtures::{CHALLENGE, TestClient, TestUser, VERIFIER};
use super::journey::{GOOD_PASSWORD, decode_subject, hidden};
use super::smtp::ReceivedMail;

/// A browser: its own cookie jar, redirects not followed, no connection kept
/// between requests.
pub struct Browser {
    /// The client.
    pub http: reqwest::Client,
    /// Where it sends requests (the balancer, nginx or one node).
    pub base: String,
}

impl Browser {
    /// A browser talking to `base`.
    pub fn new(base: &str) -> Self {
        Self::from_address(base, None)
    }

    /// A browser talking to `base` from loopback address `local` (e.g. 127.0.0.2),
    /// so that a proxy's own address and the client's differ.
    pub fn from_address(base: &str, local: Option<std::net::IpAddr>) -> Self {
        let http = reqwest::Client::builder()
            .local_address(local)
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .expect("http client");
        Self { http, base: base.to_string() }
    }

    /// Absolute URL of `path` (a full URL is kept).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs a page and returns (status, body, its CSRF token).
    pub async fn page(&self, path: &str) -> (u16, String, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let html = response.text().await.expect("html");
        let csrf = hidden(&html, "csrf").unwrap_or_default();
        (status, html, csrf)
    }

    /// POSTs a form with the CSRF token.
    pub async fn submit(&self, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("csrf", csrf)];
        form.extend_from_slice(fields);
        self.http.post(self.url(path)).form(&form).send().await.expect("POST")
    }

    /// The token endpoint, authenticated as `client`.
    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> Response {
        let mut request = self.http.post(self.url("/token")).form(form);
        if let Some(secret) = &client.secret {
            request = request.basic_auth(&client.id, Some(secret));
        }
        request.send().await.expect("POST /token")
    }

    /// Redeems an authorization code issued to `client` with the tests' PKCE verifier.
    pub async fn redeem(&self, client: &TestClient, code: &str) -> Response {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", VERIFIER),
        ];
        self.token(client, &form).await
    }

    /// `/authorize` for `client` (scope openid profile email, S256 PKCE) plus `extra`.
    pub async fn authorize(&self, client: &TestClient, extra: &[(&str, &str)]) -> Response {
        let mut url = url::Url::parse(&self.url("/authorize")).expect("url");
        url.query_pairs_mut()
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", &client.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid profile email")
            .append_pair("state", "s1")
            .append_pair("nonce", "n1")
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256")
            .extend_pairs(extra);
        self.http.get(url).send().await.expect("GET /authorize")
    }
}

/// A query parameter of an absolute URL.
pub fn query(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The `Location` of a redirect, as a string.
pub fn location(response: &Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers()["location"].to_str().expect("ascii").to_string()
}

impl Cluster {
    /// A browser in front of the balancer.
    pub fn browser(&self) -> Browser {
        Browser::new(self.base())
    }

    /// Registers a confidential client in the shared database.
    pub async fn client(&self, first_party: bool, machine_scopes: Option<Vec<String>>) -> TestClient {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let redirect_uri = format!("http://127.0.0.1:9/cb/{}", &suffix[..8]);
        let post_logout_redirect_uri = format!("http://127.0.0.1:9/bye/{}", &suffix[..8]);
        let registration = Registration {
            id: None,
            name: format!("Cluster RP {}", &suffix[..6]),
            redirect_uris: vec![redirect_uri.clone()],
            post_logout_redirect_uris: vec![post_logout_redirect_uri.clone()],
            kind: ClientKind::Confidential,
            first_party,
            require_pkce: true,
            id_token_alg: SigningAlg::Rs256,
            extra_grant_types: if machine_scopes.is_some() { vec!["client_credentials".into()] } else { vec![] },
            scopes: machine_scopes.unwrap_or_default(),
            backchannel_logout_uri: None,
        };
        let clock = kuke_id::domain::clock::Clock::default();
        let registered =
            clients::register(&self.store, &clock, &kuke_id::domain::audit::Actor::named("test"), registration)
                .await
                .expect("client");
        TestClient { id: registered.client.id, secret: registered.secret, redirect_uri, post_logout_redirect_uri }
    }

    /// An admin API token with `scope`, issued through the balancer.
    pub async fn admin_token(&self, scope: &str) -> String {
        let client = self.client(true, Some(vec![scope.to_string()])).await;
        let response = self.browser().token(&client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(response.status(), 200, "client_credentials");
        let body: serde_json::Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("access token").to_string()
    }

    /// Posts an Ekstranet CSV to the admin API's import; returns the report.
    pub async fn import(&self, token: &str, csv: String) -> serde_json::Value {
        let response = self
            .browser()
            .http
            .post(format!("{}/admin/api/v1/imports", self.base()))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("POST /imports");
        assert_eq!(response.status(), 200, "the import is accepted");
        response.json().await.expect("the import report")
    }

    /// One imported account, invited through the admin API.
    pub async fn invited_user(&self) -> TestUser {
        let token = self.admin_token("admin:users").await;
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("node-{}@example.com", &tag[..16]);
        let csv = format!(
            "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n\
             L-{tag},{email},Anna,Nowak,ACME-1,ACME Sp. z o.o.,administrator\n"
        );
        let report = self.import(&token, csv).await;
        assert_eq!(report["created"], 1, "{report}");
        let user = store::users::find_by_email(self.store.conn(), &email).await.expect("lookup").expect("imported");
        let invited = self
            .browser()
            .http
            .post(format!("{}/admin/api/v1/users/{}/activation", self.base(), user.id))
            .bearer_auth(&token)
            .send()
            .await
            .expect("POST activation");
        assert!(invited.status().is_success(), "invited: {}", invited.status());
        TestUser { id: user.id, login: user.login, email }
    }

    /// The `nth` (0-based) mail to `email` whose subject contains `subject`.
    pub async fn mail_to(&self, email: &str, subject: &str, nth: usize) -> ReceivedMail {
        self.mailbox
            .wait_until(|mails| {
                mails
                    .iter()
                    .filter(|m| {
                        m.rcpt_to.iter().any(|to| to == email)
                            && m.header("Subject").is_some_and(|s| decode_subject(&s).contains(subject))
                    })
                    .nth(nth)
                    .cloned()
            })
            .await
    }

    /// Sets the password through the activation link mailed to `user` (page and form on different nodes).
    pub async fn activate(&self, browser: &Browser, user: &TestUser) {
        let link = self.mail_to(&user.email, "Aktywuj", 0).await.link_containing("/activate?token=").expect("link");
        let (status, html, csrf) = browser.page(link.trim_start_matches(&self.issuer)).await;
        assert_eq!(status, 200, "{html}");
        let token = hidden(&html, "token").expect("token field");
        let fields = [("token", token.as_str()), ("password", GOOD_PASSWORD), ("password_repeat", GOOD_PASSWORD)];
        assert_eq!(browser.submit("/activate", &csrf, &fields).await.status(), 200, "the password is set");
        let login = self.mail_to(&user.email, "login", 0).await.six_digits();
        assert_eq!(login.as_deref(), Some(user.login.as_str()), "the login mail carries the login");
    }

    /// An account imported, invited and activated through the cluster.
    pub async fn activated_user(&self) -> TestUser {
        let user = self.invited_user().await;
        self.activate(&self.browser(), &user).await;
        user
    }

    /// Login, password and the `nth` mailed code (for the parked `request`, if
    /// any); returns the answer to the code.
    pub async fn sign_in(&self, browser: &Browser, user: &TestUser, request: Option<&str>, nth: usize) -> Response {
        let path = request.map_or_else(|| "/login".to_string(), |handle| format!("/login?request={handle}"));
        let (_, _, csrf) = browser.page(&path).await;
        let mut fields = vec![("login", user.login.as_str()), ("password", GOOD_PASSWORD)];
        if let Some(handle) = request {
            fields.push(("request", handle));
        }
        let signed = browser.submit("/login", &csrf, &fields).await;
        assert_eq!(location(&signed), "/login/code");
        let code = self.mail_to(&user.email, "Kod weryfikacyjny", nth).await.six_digits().expect("code");
        let (_, _, csrf) = browser.page("/login/code").await;
        browser.submit("/login/code", &csrf, &[("code", code.as_str())]).await
    }

    /// A browser signed in as a fresh account, and the tokens of a first-party
    /// client (its code issued on one node and redeemed on the next).
    pub async fn signed_in_with_tokens(&self) -> (Browser, TestUser, TestClient, serde_json::Value) {
        let user = self.activated_user().await;
        let client = self.client(true, None).await;
        let browser = self.browser();
        let parked = location(&browser.authorize(&client, &[]).await);
        let handle = parked.trim_start_matches("/login?request=").to_string();
        let back = location(&self.sign_in(&browser, &user, Some(&handle), 0).await);
        let code = query(&back, "code").expect("code");
        let tokens = browser.redeem(&client, &code).await;
        assert_eq!(tokens.status(), 200);
        (browser, user, client, tokens.json().await.expect("json"))
    }
}
