//! Accounts, clients and signed-in browsers for protocol tests.

use kuke_id::domain::client::ClientKind;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::flows::clients::{self, Registration};
use kuke_id::store;
use url::Url;
use uuid::Uuid;

use super::TestApp;

/// An active account.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// `sub`.
    pub id: Uuid,
    /// Six-digit login.
    pub login: String,
    /// The account's e-mail address.
    pub email: String,
}

/// A registered client.
#[derive(Debug, Clone)]
pub struct TestClient {
    /// client_id.
    pub id: String,
    /// client_secret (confidential clients).
    pub secret: Option<String>,
    /// Its one redirect URI (nobody listens there: tests read the Location header).
    pub redirect_uri: String,
    /// Its one post-logout redirect URI.
    pub post_logout_redirect_uri: String,
}

/// What kind of client to register.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    /// Public or confidential.
    pub kind: ClientKind,
    /// Skips consent.
    pub first_party: bool,
    /// ID-token algorithm.
    pub alg: SigningAlg,
    /// Also client_credentials with these scopes.
    pub machine_scopes: Option<Vec<String>>,
    /// S256 PKCE required, as for every client registered by default; false is
    /// the opt-out of a legacy relying party.
    pub require_pkce: bool,
    /// Back-channel logout endpoint.
    pub backchannel_logout_uri: Option<String>,
}

impl Default for ClientSpec {
    fn default() -> Self {
        Self {
            kind: ClientKind::Confidential,
            first_party: true,
            alg: SigningAlg::Rs256,
            machine_scopes: None,
            require_pkce: true,
            backchannel_logout_uri: None,
        }
    }
}

/// The PKCE verifier tests use (RFC 7636 Appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Its S256 challenge.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

impl TestApp {
    /// An account that finished activation, in an organisation.
    pub async fn active_user(&self) -> TestUser {
        let conn = self.state.store.conn();
        let now = self.clock.now();
        let org = store::organizations::upsert_by_external_id(conn, "ACME-1", "ACME Sp. z o.o.", now)
            .await
            .expect("organization");
        let login = loop {
            let candidate = kuke_id::domain::login_number::random();
            if !store::users::login_exists(conn, &candidate).await.expect("lookup") {
                break candidate;
            }
        };
        let user = store::users::NewUser {
            legacy_id: Some(format!("legacy-{login}")),
            login: login.clone(),
            email: format!("user{login}@example.com"),
            given_name: "Anna".into(),
            family_name: "Nowak".into(),
            organization_id: Some(org),
            role: kuke_id::domain::user::Role::Administrator,
        };
        let id = store::users::insert(conn, &user, now).await.expect("user");
        store::users::set_status(conn, id, kuke_id::domain::user::Status::Active, now).await.expect("activate");
        TestUser { id, email: format!("user{login}@example.com"), login }
    }

    /// Registers a client.
    pub async fn client_with(&self, spec: ClientSpec) -> TestClient {
        let suffix = Uuid::new_v4().simple().to_string();
        let redirect_uri = format!("http://127.0.0.1:9/cb/{}", &suffix[..8]);
        let post_logout_redirect_uri = format!("http://127.0.0.1:9/bye/{}", &suffix[..8]);
        let registered = clients::register(
            &self.state.store,
            &self.clock,
            &kuke_id::domain::audit::Actor::named("test"),
            Registration {
                id: None,
                name: format!("Test RP {}", &suffix[..6]),
                redirect_uris: vec![redirect_uri.clone()],
                post_logout_redirect_uris: vec![post_logout_redirect_uri.clone()],
                kind: spec.kind,
                first_party: spec.first_party,
                require_pkce: spec.require_pkce,
                id_token_alg: spec.alg,
                extra_grant_types: if spec.machine_scopes.is_some() {
                    vec!["client_credentials".into()]
                } else {
                    vec![]
                },
                scopes: spec.machine_scopes.unwrap_or_default(),
                backchannel_logout_uri: spec.backchannel_logout_uri,
            },
        )
        .await
        .expect("client");
        TestClient { id: registered.client.id, secret: registered.secret, redirect_uri, post_logout_redirect_uri }
    }

    /// A bearer access token for the admin API with `scope`, from a fresh machine
    /// client (client_credentials).
    pub async fn admin_token(&self, scope: &str) -> String {
        let client =
            self.client_with(ClientSpec { machine_scopes: Some(vec![scope.to_string()]), ..Default::default() }).await;
        let body: serde_json::Value =
            self.token(&client, &[("grant_type", "client_credentials")]).await.json().await.expect("json");
        body["access_token"].as_str().expect("access token").to_string()
    }

    /// A first-party confidential client.
    pub async fn client(&self) -> TestClient {
        self.client_with(ClientSpec::default()).await
    }

    /// Signs this app's browser (the cookie jar of `self.http`) in as `user`.
    pub async fn sign_in(&self, user: &TestUser) {
        let response = self
            .http
            .post(self.url("/test-support/sign-in"))
            .form(&[("login", user.login.as_str())])
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 204);
    }

    /// GET /authorize with `client`'s redirect URI and the given parameters.
    pub async fn authorize(&self, client: &TestClient, params: &[(&str, &str)]) -> reqwest::Response {
        let mut url = Url::parse(&self.url("/authorize")).expect("url");
        url.query_pairs_mut().append_pair("client_id", &client.id).append_pair("redirect_uri", &client.redirect_uri);
        url.query_pairs_mut().extend_pairs(params);
        self.http.get(url).send().await.expect("authorize")
    }

    /// A code for a signed-in browser (scope openid, PKCE S256 with [`VERIFIER`]).
    pub async fn code(&self, client: &TestClient, extra: &[(&str, &str)]) -> String {
        let defaults = [
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        let mut params: Vec<(&str, &str)> =
            defaults.into_iter().filter(|(k, _)| !extra.iter().any(|(e, _)| e == k)).collect();
        params.extend_from_slice(extra);
        let response = self.authorize(client, &params).await;
        let location = redirect_location(&response);
        query_param(&location, "code").unwrap_or_else(|| panic!("no code in {location}"))
    }

    /// POST /token with client_secret_basic.
    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.post(self.url("/token")).form(form);
        if let Some(secret) = &client.secret {
            request = request.basic_auth(&client.id, Some(secret));
        }
        request.send().await.expect("token")
    }

    /// Redeems a code from [`TestApp::code`]; returns the JSON body.
    pub async fn redeem(&self, client: &TestClient, code: &str) -> serde_json::Value {
        let response = self
            .token(
                client,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &client.redirect_uri),
                    ("code_verifier", VERIFIER),
                ],
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }
}

/// The Location of a redirect response, parsed.
pub fn redirect_location(response: &reqwest::Response) -> Url {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    let location = response.headers()["location"].to_str().expect("ascii");
    Url::parse(location)
        .or_else(|_| Url::parse("http://relative.invalid").and_then(|b| b.join(location)))
        .expect("location")
}

/// A query parameter of a URL.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Calls the admin API: `method` on `/admin/api/v1{path}` with a bearer token and
/// an optional JSON body.
pub async fn admin_call(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.http.request(method, app.url(&format!("/admin/api/v1{path}"))).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}
