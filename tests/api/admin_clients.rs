//! The admin API's clients: register, list, show, change, remove, rotate a secret.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fixtures::TestClient;

const CLIENTS: &str = "/admin/api/v1/clients";

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

async fn create(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    send(app, reqwest::Method::POST, CLIENTS, token, Some(body)).await
}

/// A confidential client registered through the API, with client_credentials so
/// that its secret can be tried at /token without a browser.
async fn machine_client(app: &TestApp, token: &str, id: &str) -> TestClient {
    let response = create(
        app,
        token,
        json!({"id": id, "name": "Billing", "redirect_uris": ["https://billing.example/cb"], "grant_types": ["client_credentials"]}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    TestClient {
        id: id.to_string(),
        secret: body["client_secret"].as_str().map(str::to_string),
        redirect_uri: "https://billing.example/cb".into(),
        post_logout_redirect_uri: String::new(),
    }
}

async fn rotate(app: &TestApp, token: &str, id: &str, body: Option<Value>) -> reqwest::Response {
    send(app, reqwest::Method::POST, &format!("{CLIENTS}/{id}/secret"), token, body).await
}

async fn token_status(app: &TestApp, client: &TestClient) -> u16 {
    app.token(client, &[("grant_type", "client_credentials")]).await.status().as_u16()
}

fn with_secret(client: &TestClient, secret: &str) -> TestClient {
    TestClient { secret: Some(secret.to_string()), ..client.clone() }
}

/// The details of the newest audit event `action` on client `id`, read through the audit API.
async fn audit_details(app: &TestApp, token: &str, action: &str, id: &str) -> Value {
    let page: Value = send(app, reqwest::Method::GET, &format!("/admin/api/v1/audit?action={action}"), token, None)
        .await
        .json()
        .await
        .expect("json");
    let items = page["items"].as_array().expect("items");
    items
        .iter()
        .find(|i| i["target"] == id)
        .map(|i| i["details"].clone())
        .unwrap_or_else(|| panic!("no {action} of {id}: {page}"))
}

async fn audited(app: &TestApp, action: &str) -> u64 {
    kuke_id::store::audit::count_action(app.state.store.conn(), action).await.expect("count")
}

backend_tests! {
    async fn a_client_is_created_with_its_secret_shown_once(app) {
        let token = app.admin_token("admin:clients").await;
        let response = create(&app, &token, json!({
            "id": "portal", "name": "Portal Klienta", "redirect_uris": ["https://portal.example/cb"],
            "post_logout_redirect_uris": ["https://portal.example/bye"], "first_party": true, "id_token_alg": "ES256"
        })).await;
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["location"], "/admin/api/v1/clients/portal");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["id"], "portal");
        assert_eq!(body["id_token_alg"], "ES256");
        assert_eq!(body["public"], false);
        assert_eq!(body["client_secret"].as_str().map(str::len), Some(43));
        let shown: Value = send(&app, reqwest::Method::GET, &format!("{CLIENTS}/portal"), &token, None).await.json().await.expect("json");
        assert!(shown.get("client_secret").is_none(), "the secret is shown once");
        assert_eq!(shown["first_party"], true);
    }

    async fn a_public_client_gets_no_secret_and_requires_pkce(app) {
        let token = app.admin_token("admin:clients").await;
        let body: Value = create(&app, &token, json!({"name": "SPA", "public": true, "redirect_uris": ["http://localhost:5173/cb"]}))
            .await.json().await.expect("json");
        assert_eq!(body["client_secret"], Value::Null);
        assert_eq!(body["require_pkce"], true);
    }

    async fn clients_are_listed_with_a_total(app) {
        let token = app.admin_token("admin:clients").await;
        for id in ["a-one", "a-two"] {
            machine_client(&app, &token, id).await;
        }
        // The admin token's own client is registered too, and the admin console's.
        let page: Value = send(&app, reqwest::Method::GET, &format!("{CLIENTS}?per_page=1"), &token, None).await.json().await.expect("json");
        assert_eq!(page["total"], 4);
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
        let all: Value = send(&app, reqwest::Method::GET, CLIENTS, &token, None).await.json().await.expect("json");
        let ids: Vec<&str> = all["items"].as_array().expect("items").iter().filter_map(|c| c["id"].as_str()).collect();
        assert!(ids.contains(&"a-one") && ids.contains(&"a-two"), "{ids:?}");
    }

    async fn responses_never_carry_secret_hashes(app) {
        let token = app.admin_token("admin:clients").await;
        machine_client(&app, &token, "billing").await;
        rotate(&app, &token, "billing", None).await;
        let text = send(&app, reqwest::Method::GET, CLIENTS, &token, None).await.text().await.expect("text");
        assert!(!text.contains("hash"), "{text}");
        let stored = kuke_id::store::clients::find(app.state.store.conn(), "billing").await.expect("find").expect("client");
        assert!(!text.contains(stored.secret_hash.as_deref().expect("hash")));
    }

    async fn a_client_is_updated(app) {
        // Giving a client an admin scope takes the full admin scope.
        let token = app.admin_token("admin").await;
        machine_client(&app, &token, "billing").await;
        let response = send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/billing"), &token, Some(json!({
            "name": "Billing 2", "redirect_uris": ["https://billing2.example/cb"], "first_party": true,
            "id_token_alg": "EdDSA", "scopes": ["admin:stats"], "backchannel_logout_uri": "https://billing2.example/bc"
        }))).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["name"], "Billing 2");
        assert_eq!(body["redirect_uris"], json!(["https://billing2.example/cb"]));
        assert_eq!(body["id_token_alg"], "EdDSA");
        assert_eq!(body["backchannel_logout_uri"], "https://billing2.example/bc");
        let cleared: Value = send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/billing"), &token, Some(json!({"backchannel_logout_uri": null})))
            .await.json().await.expect("json");
        assert_eq!(cleared["backchannel_logout_uri"], Value::Null);
        assert_eq!(cleared["name"], "Billing 2", "fields left out keep their value");
    }

    async fn an_update_takes_effect_at_the_token_endpoint_at_once(app) {
        let token = app.admin_token("admin").await;
        let client = machine_client(&app, &token, "billing").await;
        let scoped = |scope: &'static str| [("grant_type", "client_credentials"), ("scope", scope)];
        // Warm this node's client cache with the old registration.
        assert_eq!(app.token(&client, &scoped("admin:stats")).await.status(), 400);
        send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/billing"), &token, Some(json!({"scopes": ["admin:stats"]}))).await;
        assert_eq!(app.token(&client, &scoped("admin:stats")).await.status(), 200);
    }

    async fn an_http_redirect_uri_is_refused_with_422(app) {
        let token = app.admin_token("admin:clients").await;
        let response = create(&app, &token, json!({"name": "Bad", "redirect_uris": ["http://portal.example/cb"]})).await;
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        machine_client(&app, &token, "billing").await;
        let patched = send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/billing"), &token, Some(json!({"post_logout_redirect_uris": ["http://billing.example/bye"]}))).await;
        assert_eq!(patched.status(), 422);
    }

    async fn loopback_http_redirect_uris_are_accepted(app) {
        let token = app.admin_token("admin:clients").await;
        let response = create(&app, &token, json!({"name": "Dev", "redirect_uris": [
            "http://127.0.0.1:3000/cb", "http://[::1]:3000/cb", "http://localhost:3000/cb"
        ]})).await;
        assert_eq!(response.status(), 201);
    }

    async fn removing_every_redirect_uri_of_a_code_client_is_refused(app) {
        let token = app.admin_token("admin:clients").await;
        machine_client(&app, &token, "billing").await;
        let response = send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/billing"), &token, Some(json!({"redirect_uris": []}))).await;
        assert_eq!(response.status(), 422);
    }

    async fn an_unknown_algorithm_is_refused_with_422(app) {
        let token = app.admin_token("admin:clients").await;
        let response = create(&app, &token, json!({"name": "X", "redirect_uris": ["https://x.example/cb"], "id_token_alg": "HS256"})).await;
        assert_eq!(response.status(), 422);
    }

    async fn malformed_json_is_a_400(app) {
        let token = app.admin_token("admin:clients").await;
        let response = app.http.post(app.url(CLIENTS)).bearer_auth(&token).header("content-type", "application/json").body("{\"name\": ").send().await.expect("POST");
        assert_eq!(response.status(), 400);
        let unknown_field = create(&app, &token, json!({"name": "X", "redirect_uris": ["https://x.example/cb"], "secret": "mine"})).await;
        assert_eq!(unknown_field.status(), 400);
    }

    async fn a_taken_id_is_a_409(app) {
        let token = app.admin_token("admin:clients").await;
        machine_client(&app, &token, "billing").await;
        let again = create(&app, &token, json!({"id": "billing", "name": "Again", "redirect_uris": ["https://x.example/cb"]})).await;
        assert_eq!(again.status(), 409);
    }

    async fn an_unknown_id_is_a_404(app) {
        let token = app.admin_token("admin:clients").await;
        let path = format!("{CLIENTS}/nobody");
        assert_eq!(send(&app, reqwest::Method::GET, &path, &token, None).await.status(), 404);
        assert_eq!(send(&app, reqwest::Method::PATCH, &path, &token, Some(json!({"name": "X"}))).await.status(), 404);
        assert_eq!(send(&app, reqwest::Method::DELETE, &path, &token, None).await.status(), 404);
        assert_eq!(rotate(&app, &token, "nobody", None).await.status(), 404);
    }

    async fn a_token_without_the_clients_scope_is_403(app) {
        let token = app.admin_token("admin:users").await;
        assert_eq!(send(&app, reqwest::Method::GET, CLIENTS, &token, None).await.status(), 403);
        let response = create(&app, &token, json!({"name": "X", "redirect_uris": ["https://x.example/cb"]})).await;
        assert_eq!(response.status(), 403);
    }

    async fn a_deleted_client_is_gone_and_refused_at_once(app) {
        let token = app.admin_token("admin:clients").await;
        let client = machine_client(&app, &token, "billing").await;
        assert_eq!(token_status(&app, &client).await, 200);
        let response = send(&app, reqwest::Method::DELETE, &format!("{CLIENTS}/billing"), &token, None).await;
        assert_eq!(response.status(), 204);
        assert_eq!(send(&app, reqwest::Method::GET, &format!("{CLIENTS}/billing"), &token, None).await.status(), 404);
        assert_eq!(token_status(&app, &client).await, 401);
    }

    async fn a_rotated_secret_works_at_once(app) {
        let token = app.admin_token("admin:clients").await;
        let client = machine_client(&app, &token, "billing").await;
        let response = rotate(&app, &token, "billing", None).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        let secret = body["client_secret"].as_str().expect("new secret");
        assert_ne!(Some(secret), client.secret.as_deref());
        assert_eq!(token_status(&app, &with_secret(&client, secret)).await, 200);
    }

    async fn the_old_secret_works_within_the_grace(app) {
        // Stopped: the outcome must not depend on how long the machine takes.
        app.clock.freeze();
        let token = app.admin_token("admin:clients").await;
        let client = machine_client(&app, &token, "billing").await;
        let body: Value = rotate(&app, &token, "billing", Some(json!({"grace_seconds": 600}))).await.json().await.expect("json");
        assert!(body["previous_secret_valid_until"].is_string());
        app.clock.advance(std::time::Duration::from_secs(599));
        assert_eq!(token_status(&app, &client).await, 200);
    }

    async fn the_old_secret_is_refused_after_the_grace(app) {
        app.clock.freeze();
        let token = app.admin_token("admin:clients").await;
        let client = machine_client(&app, &token, "billing").await;
        let body: Value = rotate(&app, &token, "billing", Some(json!({"grace_seconds": 600}))).await.json().await.expect("json");
        let secret = body["client_secret"].as_str().expect("new secret").to_string();
        assert_eq!(token_status(&app, &client).await, 200, "cached with the previous secret");
        app.clock.advance(std::time::Duration::from_secs(601));
        assert_eq!(token_status(&app, &client).await, 401);
        assert_eq!(token_status(&app, &with_secret(&client, &secret)).await, 200);
    }

    async fn the_default_grace_is_a_day(app) {
        let token = app.admin_token("admin:clients").await;
        let client = machine_client(&app, &token, "billing").await;
        rotate(&app, &token, "billing", None).await;
        app.clock.advance(std::time::Duration::from_secs(23 * 3600));
        assert_eq!(token_status(&app, &client).await, 200);
        app.clock.advance(std::time::Duration::from_secs(3600));
        assert_eq!(token_status(&app, &client).await, 401);
    }

    async fn a_rotation_without_grace_refuses_the_old_secret_at_once(app) {
        let token = app.admin_token("admin:clients").await;
        let client = machine_client(&app, &token, "billing").await;
        // Warm this node's client cache: the rotation must clear it.
        assert_eq!(token_status(&app, &client).await, 200);
        rotate(&app, &token, "billing", Some(json!({"grace_seconds": 0}))).await;
        assert_eq!(token_status(&app, &client).await, 401);
    }

    async fn a_grace_over_thirty_days_is_refused_with_422(app) {
        let token = app.admin_token("admin:clients").await;
        machine_client(&app, &token, "billing").await;
        let response = rotate(&app, &token, "billing", Some(json!({"grace_seconds": 31 * 86_400}))).await;
        assert_eq!(response.status(), 422);
    }

    async fn a_public_client_has_no_secret_to_rotate(app) {
        let token = app.admin_token("admin:clients").await;
        create(&app, &token, json!({"id": "spa", "name": "SPA", "public": true, "redirect_uris": ["https://spa.example/cb"]})).await;
        assert_eq!(rotate(&app, &token, "spa", None).await.status(), 409);
    }

    async fn a_public_client_keeps_pkce_when_asked_to_drop_it(app) {
        let token = app.admin_token("admin:clients").await;
        create(&app, &token, json!({"id": "spa", "name": "SPA", "public": true, "redirect_uris": ["https://spa.example/cb"]})).await;
        let body: Value = send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/spa"), &token, Some(json!({"require_pkce": false})))
            .await.json().await.expect("json");
        assert_eq!(body["require_pkce"], true);
    }

    async fn a_confidential_client_requires_pkce_unless_told_otherwise_and_the_creation_says_so(app) {
        let token = app.admin_token("admin").await;
        let body: Value = create(&app, &token, json!({"id": "portal", "name": "Portal", "redirect_uris": ["https://portal.example/cb"]}))
            .await.json().await.expect("json");
        assert_eq!(body["require_pkce"], true);
        let shown: Value = send(&app, reqwest::Method::GET, &format!("{CLIENTS}/portal"), &token, None).await.json().await.expect("json");
        assert_eq!(shown["require_pkce"], true);
        assert_eq!(audit_details(&app, &token, "client.created", "portal").await["require_pkce"], true);
    }

    async fn require_pkce_false_registers_a_legacy_client_without_pkce_and_is_audited(app) {
        let token = app.admin_token("admin").await;
        let response = create(&app, &token, json!({"id": "legacy", "name": "Legacy", "redirect_uris": ["https://legacy.example/cb"], "require_pkce": false})).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["require_pkce"], false);
        let shown: Value = send(&app, reqwest::Method::GET, &format!("{CLIENTS}/legacy"), &token, None).await.json().await.expect("json");
        assert_eq!(shown["require_pkce"], false);
        assert_eq!(audit_details(&app, &token, "client.created", "legacy").await["require_pkce"], false);
    }

    async fn a_pkce_change_is_audited_with_its_new_value(app) {
        let token = app.admin_token("admin").await;
        create(&app, &token, json!({"id": "portal", "name": "Portal", "redirect_uris": ["https://portal.example/cb"]})).await;
        let patched = send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/portal"), &token, Some(json!({"require_pkce": false}))).await;
        assert_eq!(patched.status(), 200);
        let details = audit_details(&app, &token, "client.updated", "portal").await;
        assert_eq!(details, json!({"changed": ["require_pkce"], "require_pkce": false}));
    }

    async fn the_openapi_document_names_the_clients_and_keys_scopes(app) {
        let document = app.get_json("/admin/api/v1/openapi.json").await;
        let scopes = &document["components"]["securitySchemes"]["bearer"]["flows"]["clientCredentials"]["scopes"];
        assert!(scopes["admin:clients"].is_string() && scopes["admin:keys"].is_string(), "{scopes}");
        let parameter = &document["paths"]["/admin/api/v1/clients/{id}"]["get"]["parameters"][0];
        assert_eq!(parameter["schema"], json!({"type": "string"}), "client ids are not UUIDs");
        assert!(document["paths"]["/admin/api/v1/clients"]["post"]["responses"]["201"].is_object());
    }

    async fn every_change_is_audited(app) {
        let token = app.admin_token("admin:clients").await;
        let before = audited(&app, "client.created").await;
        machine_client(&app, &token, "billing").await;
        send(&app, reqwest::Method::PATCH, &format!("{CLIENTS}/billing"), &token, Some(json!({"name": "B"}))).await;
        rotate(&app, &token, "billing", None).await;
        send(&app, reqwest::Method::DELETE, &format!("{CLIENTS}/billing"), &token, None).await;
        assert_eq!(audited(&app, "client.created").await, before + 1);
        for action in ["client.updated", "client.secret_rotated", "client.removed"] {
            assert_eq!(audited(&app, action).await, 1, "{action}");
        }
        let actors = kuke_id::store::audit::actors_of(app.state.store.conn(), "client.removed").await.expect("actors");
        assert!(actors.iter().all(|a| a.starts_with("client:")), "{actors:?}");
    }
}
