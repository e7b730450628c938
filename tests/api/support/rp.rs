//! A real relying party: the openidconnect crate, talking HTTP to the TestApp.

use kuke_id::rp_http::RpHttp;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};

use super::TestApp;
use super::fixtures::{TestClient, query_param, redirect_location};

/// The client type `from_provider_metadata` produces.
pub type Rp =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Tokens of one finished sign-in, already verified.
pub struct SignedIn {
    /// Access token.
    pub access_token: AccessToken,
    /// Refresh token, if any.
    pub refresh_token: Option<RefreshToken>,
    /// The raw ID token.
    pub id_token: String,
    /// Verified `sub`.
    pub subject: String,
}

/// Discovers the TestApp and builds a client for `client`.
pub async fn relying_party(app: &TestApp, client: &TestClient) -> (Rp, RpHttp) {
    let http = RpHttp::new().expect("http");
    let issuer = IssuerUrl::new(app.base.clone()).expect("issuer");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).expect("redirect"));
    (rp, http)
}

/// The full code flow with PKCE for a browser already signed in to `app`.
pub async fn sign_in_flow(app: &TestApp, rp: &Rp, http: &RpHttp, scopes: &[&str]) -> SignedIn {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request =
        rp.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).to_string()));
    }
    let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    let response = app.http.get(url).send().await.expect("authorize");
    let location = redirect_location(&response);
    assert_eq!(query_param(&location, "state").as_deref(), Some(csrf.secret().as_str()));
    assert_eq!(query_param(&location, "iss").as_deref(), Some(app.base.as_str()), "RFC 9207 iss");
    let code = query_param(&location, "code").expect("code");
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .expect("token response");
    let id_token = tokens.id_token().expect("id_token");
    let verifier = rp.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("valid ID token");
    if let Some(expected) = claims.access_token_hash() {
        let actual = openidconnect::AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().expect("alg"),
            id_token.signing_key(&verifier).expect("key"),
        )
        .expect("hash");
        assert_eq!(&actual, expected, "at_hash");
    }
    SignedIn {
        access_token: tokens.access_token().clone(),
        refresh_token: tokens.refresh_token().cloned(),
        id_token: id_token.to_string(),
        subject: claims.subject().to_string(),
    }
}

/// UserInfo through the openidconnect crate.
pub async fn userinfo(rp: &Rp, http: &RpHttp, token: &AccessToken) -> CoreUserInfoClaims {
    rp.user_info(token.clone(), None).expect("userinfo endpoint").request_async(http).await.expect("userinfo")
}
