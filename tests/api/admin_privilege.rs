//! Admin scopes that cannot grow: a narrower scope never becomes `admin` through a
//! client it creates or changes, never reaches a provider administrator's account,
//! and a machine token lasts only as long as its client holds the scope.

use kuke_id::domain::audit::Actor;
use kuke_id::flows::clients::{self, Changes};
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fixtures::admin_call as call;
use crate::support::fixtures::{ClientSpec, TestClient, TestUser};

/// A machine client holding `scopes`, and a fresh token of it.
async fn machine(app: &TestApp, scopes: &[&str]) -> (TestClient, String) {
    let spec =
        ClientSpec { machine_scopes: Some(scopes.iter().map(|s| s.to_string()).collect()), ..Default::default() };
    let client = app.client_with(spec).await;
    let body: Value =
        app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.expect("token body");
    let token = body["access_token"].as_str().expect("access token").to_string();
    (client, token)
}

/// An account holding `idp-admin`.
async fn provider_administrator(app: &TestApp) -> TestUser {
    let user = app.active_user().await;
    let (_, admin) = machine(app, &["admin"]).await;
    let granted = call(app, &admin, "PATCH", &format!("/users/{}", user.id), Some(json!({"idp_admin": true}))).await;
    assert_eq!(granted.status(), 200);
    user
}

fn machine_client_body(id: &str, scopes: &[&str]) -> Value {
    json!({"id": id, "name": "Robot", "grant_types": ["client_credentials"], "scopes": scopes})
}

backend_tests! {
    async fn admin_clients_cannot_create_a_client_with_the_admin_scope(app) {
        let (_, token) = machine(&app, &["admin:clients"]).await;

        let response = call(&app, &token, "POST", "/clients", Some(machine_client_body("robot", &["admin"]))).await;

        assert_eq!(response.status(), 403);
        assert!(clients::show(&app.state.store, "robot").await.expect("db").is_none(), "nothing was registered");
    }

    async fn admin_clients_cannot_create_a_client_with_a_narrower_admin_scope_either(app) {
        let (_, token) = machine(&app, &["admin:clients"]).await;

        let response = call(&app, &token, "POST", "/clients", Some(machine_client_body("robot", &["admin:users"]))).await;

        assert_eq!(response.status(), 403);
    }

    async fn admin_clients_cannot_give_an_existing_client_the_admin_scope(app) {
        let (_, token) = machine(&app, &["admin:clients"]).await;
        let (plain, _) = machine(&app, &["admin:stats"]).await;
        let ordinary = app.client().await;

        let escalated = call(&app, &token, "PATCH", &format!("/clients/{}", ordinary.id), Some(json!({"scopes": ["admin"]}))).await;
        let widened = call(&app, &token, "PATCH", &format!("/clients/{}", plain.id), Some(json!({"scopes": ["admin"]}))).await;

        assert_eq!(escalated.status(), 403);
        assert_eq!(widened.status(), 403);
        let stored = clients::show(&app.state.store, &ordinary.id).await.expect("db").expect("client");
        assert!(stored.scopes.is_empty(), "the scopes did not change");
    }

    async fn admin_clients_cannot_rotate_the_secret_of_an_admin_client(app) {
        let (_, token) = machine(&app, &["admin:clients"]).await;
        let (admin_client, _) = machine(&app, &["admin"]).await;

        let response = call(&app, &token, "POST", &format!("/clients/{}/secret", admin_client.id), None).await;

        assert_eq!(response.status(), 403);
        let still = app.token(&admin_client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(still.status(), 200, "the old secret still works");
    }

    async fn admin_clients_cannot_redirect_an_admin_client_to_itself(app) {
        let (_, token) = machine(&app, &["admin:clients"]).await;
        let (admin_client, _) = machine(&app, &["admin"]).await;

        let body = json!({"redirect_uris": ["https://attacker.example/cb"]});
        let response = call(&app, &token, "PATCH", &format!("/clients/{}", admin_client.id), Some(body)).await;

        assert_eq!(response.status(), 403);
    }

    async fn admin_clients_may_still_manage_ordinary_clients(app) {
        let (_, token) = machine(&app, &["admin:clients"]).await;
        let ordinary = app.client().await;

        let renamed = call(&app, &token, "PATCH", &format!("/clients/{}", ordinary.id), Some(json!({"name": "Portal"}))).await;
        let rotated = call(&app, &token, "POST", &format!("/clients/{}/secret", ordinary.id), None).await;

        assert_eq!(renamed.status(), 200);
        assert_eq!(rotated.status(), 200);
    }

    async fn the_admin_scope_may_create_an_admin_client(app) {
        let (_, token) = machine(&app, &["admin"]).await;

        let response = call(&app, &token, "POST", "/clients", Some(machine_client_body("robot", &["admin:users"]))).await;

        assert_eq!(response.status(), 201);
    }

    async fn admin_users_cannot_change_the_email_of_a_provider_administrator(app) {
        let administrator = provider_administrator(&app).await;
        let (_, token) = machine(&app, &["admin:users"]).await;

        let body = json!({"email": "attacker@example.com"});
        let response = call(&app, &token, "PATCH", &format!("/users/{}", administrator.id), Some(body)).await;

        assert_eq!(response.status(), 403);
        let row = kuke_id::store::users::find(app.state.store.conn(), administrator.id).await.expect("db").expect("user");
        assert_eq!(row.email, TestApp::email_of(&administrator), "the address did not change");
    }

    async fn admin_users_cannot_reset_lock_disable_or_delete_a_provider_administrator(app) {
        let administrator = provider_administrator(&app).await;
        let (_, token) = machine(&app, &["admin:users"]).await;

        for action in ["reset", "lock", "disable", "activation"] {
            let response = call(&app, &token, "POST", &format!("/users/{}/{action}", administrator.id), None).await;
            assert_eq!(response.status(), 403, "{action}");
        }
        let deleted = call(&app, &token, "DELETE", &format!("/users/{}", administrator.id), None).await;
        let sessions = call(&app, &token, "DELETE", &format!("/users/{}/sessions", administrator.id), None).await;

        assert_eq!(deleted.status(), 403);
        assert_eq!(sessions.status(), 403);
        let row = kuke_id::store::users::find(app.state.store.conn(), administrator.id).await.expect("db").expect("user");
        assert!(row.can_sign_in(), "the administrator's account is untouched");
    }

    async fn the_admin_scope_may_change_a_provider_administrator(app) {
        let administrator = provider_administrator(&app).await;
        let (_, token) = machine(&app, &["admin"]).await;

        let response = call(&app, &token, "POST", &format!("/users/{}/lock", administrator.id), None).await;

        assert_eq!(response.status(), 200);
    }

    async fn a_machine_token_stops_working_when_its_client_is_removed(app) {
        let (client, token) = machine(&app, &["admin:users"]).await;
        assert_eq!(call(&app, &token, "GET", "/users", None).await.status(), 200);

        clients::remove(&app.state.store, &app.clock, &app.state.clients, &Actor::cli(), &client.id).await.expect("removed");

        assert_eq!(call(&app, &token, "GET", "/users", None).await.status(), 401);
    }

    async fn a_machine_token_stops_working_when_its_client_loses_the_scope(app) {
        let (client, token) = machine(&app, &["admin:users"]).await;
        let narrower = Changes { scopes: Some(vec!["admin:stats".into()]), ..Default::default() };

        clients::update(&app.state.store, &app.clock, &app.state.clients, &Actor::cli(), &client.id, narrower).await.expect("updated");

        assert_eq!(call(&app, &token, "GET", "/users", None).await.status(), 403);
    }
}

backend_tests! {
    async fn a_refused_admin_call_is_audited_with_its_address(app) {
        let response = call(&app, "not-a-token", "GET", "/users", None).await;
        assert_eq!(response.status(), 401);

        use kuke_id::store::entities::audit_events;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let events = audit_events::Entity::find().filter(audit_events::Column::Action.eq("admin.denied")).all(app.state.store.conn()).await.expect("query");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));
    }

    async fn a_flood_of_refused_admin_calls_writes_a_bounded_number_of_events(app) {
        for _ in 0..30 {
            call(&app, "not-a-token", "GET", "/users", None).await;
        }

        let written = kuke_id::store::audit::count_action(app.state.store.conn(), "admin.denied").await.expect("count");
        assert_eq!(written, 10);
    }

    async fn a_client_change_is_audited_with_its_new_scopes_and_redirect_uris(app) {
        let (_, token) = machine(&app, &["admin"]).await;
        let ordinary = app.client().await;
        let body = json!({"scopes": ["admin:stats"], "redirect_uris": ["https://portal.example/cb"]});
        assert_eq!(call(&app, &token, "PATCH", &format!("/clients/{}", ordinary.id), Some(body)).await.status(), 200);

        use kuke_id::store::entities::audit_events;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let event = audit_events::Entity::find().filter(audit_events::Column::Action.eq("client.updated")).one(app.state.store.conn()).await.expect("query").expect("event");
        let details: Value = serde_json::from_str(&event.details).expect("json");
        assert_eq!(details["scopes"], json!(["admin:stats"]));
        assert_eq!(details["redirect_uris"], json!(["https://portal.example/cb"]));
    }
}
