//! Organisations through the admin API: create, list, get by id or Ekstranet id, update.

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fixtures::admin_call as call;

async fn create(app: &TestApp, token: &str, name: &str, external_id: &str) -> Value {
    let response =
        call(app, token, "POST", "/organizations", Some(json!({"name": name, "external_id": external_id}))).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

backend_tests! {
    async fn an_organization_is_created_and_found_by_id_and_external_id(app) {
        let token = app.admin_token("admin:users").await;
        let created = create(&app, &token, "ACME Sp. z o.o.", "EXT-1").await;
        let id = created["id"].as_str().expect("id");
        let by_id: Value = call(&app, &token, "GET", &format!("/organizations/{id}"), None).await.json().await.expect("json");
        assert_eq!(by_id["name"], "ACME Sp. z o.o.");
        let by_external: Value = call(&app, &token, "GET", "/organizations/external/EXT-1", None).await.json().await.expect("json");
        assert_eq!(by_external["id"], id);
    }

    async fn organizations_are_listed_with_a_total_and_account_counts(app) {
        let token = app.admin_token("admin:users").await;
        app.active_user().await;
        create(&app, &token, "Zeta", "Z-1").await;
        let page: Value = call(&app, &token, "GET", "/organizations?per_page=1", None).await.json().await.expect("json");
        assert_eq!(page["total"], 2);
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
        let acme: Value = call(&app, &token, "GET", "/organizations?q=ACME", None).await.json().await.expect("json");
        assert_eq!(acme["total"], 1);
        assert_eq!(acme["items"][0]["accounts"], 1);
    }

    async fn an_organization_is_renamed_and_its_external_id_changed(app) {
        let token = app.admin_token("admin:users").await;
        let created = create(&app, &token, "Old name", "OLD").await;
        let path = format!("/organizations/{}", created["id"].as_str().expect("id"));
        let response = call(&app, &token, "PATCH", &path, Some(json!({"name": "New name", "external_id": "NEW"}))).await;
        assert_eq!(response.status(), 200);
        assert_eq!(call(&app, &token, "GET", "/organizations/external/OLD", None).await.status(), 404);
        let found: Value = call(&app, &token, "GET", "/organizations/external/NEW", None).await.json().await.expect("json");
        assert_eq!(found["name"], "New name");
        assert_eq!(kuke_id::store::audit::count_action(app.state.store.conn(), "organization.updated").await.expect("count"), 1);
    }

    async fn a_taken_external_id_is_409(app) {
        let token = app.admin_token("admin:users").await;
        create(&app, &token, "One", "DUP").await;
        let response = call(&app, &token, "POST", "/organizations", Some(json!({"name": "Two", "external_id": "DUP"}))).await;
        assert_eq!(response.status(), 409);
        let other = create(&app, &token, "Three", "T-3").await;
        let path = format!("/organizations/{}", other["id"].as_str().expect("id"));
        assert_eq!(call(&app, &token, "PATCH", &path, Some(json!({"external_id": "DUP"}))).await.status(), 409);
    }

    async fn bad_organization_bodies_are_refused(app) {
        let token = app.admin_token("admin:users").await;
        for (body, status) in [
            (json!({"name": ""}), 422),
            (json!({"name": "x".repeat(201)}), 422),
            (json!({"name": "Tab\there"}), 422),
            (json!({"external_id": "E"}), 400),
            (json!({"name": "A", "colour": "red"}), 400),
        ] {
            let response = call(&app, &token, "POST", "/organizations", Some(body.clone())).await;
            assert_eq!(response.status(), status, "{body}");
        }
        assert_eq!(call(&app, &token, "GET", &format!("/organizations/{}", uuid::Uuid::new_v4()), None).await.status(), 404);
        assert_eq!(call(&app, &token, "GET", "/organizations/external/none", None).await.status(), 404);
    }

    async fn organizations_need_the_users_scope(app) {
        let token = app.admin_token("admin:stats").await;
        assert_eq!(call(&app, &token, "POST", "/organizations", Some(json!({"name": "A"}))).await.status(), 403);
    }
}
