//! Account administration through the admin API: details, edits, lock, disable,
//! reset, resend, delete with anonymisation, sessions, and people as callers.

use kuke_id::store::entities::{audit_events, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::fixtures::admin_call as call;
use crate::support::fixtures::{ClientSpec, TestClient, TestUser};
use crate::support::journey::GOOD_PASSWORD;

async fn details(app: &TestApp, token: &str, user: &TestUser) -> Value {
    let response = call(app, token, "GET", &format!("/users/{}", user.id), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// An access token for `user` signed in through `client` with `scope`.
async fn person_token(app: &TestApp, client: &TestClient, user: &TestUser, scope: &str) -> Value {
    app.sign_in(user).await;
    let code = app.code(client, &[("scope", scope)]).await;
    app.redeem(client, &code).await
}

async fn events(app: &TestApp, filter: sea_orm::sea_query::SimpleExpr) -> Vec<audit_events::Model> {
    audit_events::Entity::find().filter(filter).all(app.state.store.conn()).await.expect("audit events")
}

async fn audit_actions(app: &TestApp, action: &str) -> u64 {
    kuke_id::store::audit::count_action(app.state.store.conn(), action).await.expect("count")
}

backend_tests! {
    async fn details_show_status_sign_in_terms_and_lock_state(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        let body = details(&app, &token, &user).await;
        assert_eq!(body["login"], user.login.as_str());
        assert_eq!(body["status"], "active");
        assert_eq!(body["failed_attempts"], 0);
        assert_eq!(body["admin_locked"], false);
        assert_eq!(body["disabled"], false);
        assert!(body["last_sign_in_at"].is_null());
        assert!(body["terms_version_accepted"].is_null());
        assert_eq!(body["organization"]["external_id"], "ACME-1");
    }

    async fn an_unknown_account_is_404_and_a_bad_id_400(app) {
        let token = app.admin_token("admin:users").await;
        let unknown = call(&app, &token, "GET", &format!("/users/{}", uuid::Uuid::new_v4()), None).await;
        assert_eq!(unknown.status(), 404);
        assert_eq!(unknown.headers()["content-type"], "application/problem+json");
        assert_eq!(call(&app, &token, "GET", "/users/not-a-uuid", None).await.status(), 400);
        assert_eq!(call(&app, &token, "POST", &format!("/users/{}/lock", uuid::Uuid::new_v4()), None).await.status(), 404);
    }

    async fn name_email_role_and_organization_can_be_changed(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        let org: Value = call(&app, &token, "POST", "/organizations", Some(json!({"name": "Beta S.A.", "external_id": "B-7"}))).await.json().await.expect("json");
        let change = json!({"given_name": "Ewa", "family_name": "Lis", "email": "Ewa.Lis@Example.com", "role": "user", "organization_id": org["id"]});
        let response = call(&app, &token, "PATCH", &format!("/users/{}", user.id), Some(change)).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        assert_eq!((body["given_name"].as_str(), body["family_name"].as_str()), (Some("Ewa"), Some("Lis")));
        assert_eq!(body["email"], TestApp::email_of(&user).as_str(), "an active account's address waits for confirmation");
        assert_eq!(body["pending_email"], "ewa.lis@example.com");
        assert_eq!(body["role"], "user");
        assert_eq!(body["organization"]["name"], "Beta S.A.");
        assert_eq!(audit_actions(&app, "user.updated").await, 1);
        assert_eq!(audit_actions(&app, "user.email_change_requested").await, 1);
    }

    async fn the_address_of_an_account_not_yet_active_changes_at_once(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.imported_user().await;
        let change = json!({"email": "nowy@example.com"});
        let body: Value = call(&app, &token, "PATCH", &format!("/users/{}", user.id), Some(change)).await.json().await.expect("json");
        assert_eq!(body["email"], "nowy@example.com", "its activation link will prove the new address anyway");
    }

    async fn an_address_change_takes_effect_only_when_the_new_mailbox_confirms_it(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        let change = json!({"email": "nowy@example.com"});
        assert_eq!(call(&app, &token, "PATCH", &format!("/users/{}", user.id), Some(change)).await.status(), 200);

        let notice = app.mail_to(&user, "jest zmieniany", 0).await;
        assert!(notice.text().contains("n***@example.com"), "the old address is told, without the new one in full");
        let confirm = app.mailbox.wait_until(|mails| mails.iter().find(|m| m.rcpt_to.iter().any(|r| r.contains("nowy@example.com"))).cloned()).await;
        let link = confirm.link_containing("/email/confirm?token=").expect("confirmation link");
        let form = app.http.get(&link).send().await.expect("GET").text().await.expect("html");
        assert_eq!(details(&app, &token, &user).await["email"], TestApp::email_of(&user).as_str(), "opening the link alone confirms nothing");
        let csrf = crate::support::journey::hidden(&form, "csrf").expect("csrf");
        let link_token = crate::support::journey::hidden(&form, "token").expect("token");
        let confirmed = app.http.post(app.url("/email/confirm")).form(&[("csrf", csrf.as_str()), ("token", link_token.as_str())]).send().await.expect("POST");
        assert_eq!(confirmed.status(), 200);
        let after = details(&app, &token, &user).await;
        assert_eq!(after["email"], "nowy@example.com");
        assert!(after["pending_email"].is_null());
        let again = app.http.post(app.url("/email/confirm")).form(&[("csrf", csrf.as_str()), ("token", link_token.as_str())]).send().await.expect("POST");
        assert_eq!(again.status(), 410, "a confirmation link works once");
        assert_eq!(audit_actions(&app, "user.email_changed").await, 1);
    }

    async fn the_audit_event_of_an_edit_names_fields_not_values(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        call(&app, &token, "PATCH", &format!("/users/{}", user.id), Some(json!({"family_name": "Sekretna"}))).await;
        let found = events(&app, audit_events::Column::Action.eq("user.updated")).await;
        let event = found.first().expect("event");
        assert!(event.details.contains("family_name"));
        assert!(!event.details.contains("Sekretna"));
        assert!(event.actor.starts_with("client:"));
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(event.subject_user_id, Some(user.id));
    }

    async fn bad_edits_are_refused_with_their_reason(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        let other = app.active_user().await;
        let path = format!("/users/{}", user.id);
        let cases = [
            (json!({"email": "not-an-address"}), 422),
            (json!({"role": "superuser"}), 422),
            (json!({"given_name": "   "}), 422),
            (json!({"given_name": "a\u{0007}b"}), 422),
            (json!({"organization_id": uuid::Uuid::new_v4()}), 422),
            (json!({"email": TestApp::email_of(&other)}), 409),
            (json!({"nickname": "x"}), 400),
            (json!({"given_name": 7}), 400),
        ];
        for (change, status) in cases {
            let response = call(&app, &token, "PATCH", &path, Some(change.clone())).await;
            assert_eq!(response.status(), status, "{change}");
            let body: Value = response.json().await.expect("problem");
            assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{change}");
        }
        assert_eq!(details(&app, &token, &user).await["email"], TestApp::email_of(&user).as_str());
    }

    async fn granting_idp_admin_needs_the_admin_scope(app) {
        let user = app.active_user().await;
        let path = format!("/users/{}", user.id);
        let narrow = app.admin_token("admin:users").await;
        assert_eq!(call(&app, &narrow, "PATCH", &path, Some(json!({"idp_admin": true}))).await.status(), 403);
        let full = app.admin_token("admin").await;
        let body: Value = call(&app, &full, "PATCH", &path, Some(json!({"idp_admin": true}))).await.json().await.expect("json");
        assert_eq!(body["idp_admin"], true);
    }

    async fn granting_idp_helpdesk_needs_the_admin_scope_and_shows_in_the_roles_claim(app) {
        let user = app.active_user().await;
        let path = format!("/users/{}", user.id);
        let narrow = app.admin_token("admin:users").await;
        assert_eq!(call(&app, &narrow, "PATCH", &path, Some(json!({"idp_helpdesk": true}))).await.status(), 403);
        let full = app.admin_token("admin").await;
        let body: Value = call(&app, &full, "PATCH", &path, Some(json!({"idp_helpdesk": true}))).await.json().await.expect("json");
        assert_eq!((body["idp_helpdesk"].clone(), body["idp_admin"].clone()), (json!(true), json!(false)));
        assert_eq!(call(&app, &narrow, "POST", &format!("{path}/lock"), None).await.status(), 403, "a staff account needs admin");
        let client = app.client().await;
        let tokens = person_token(&app, &client, &user, "openid role").await;
        let userinfo: Value = app.http.get(app.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().expect("at")).send().await.expect("GET").json().await.expect("json");
        assert_eq!(userinfo["roles"], json!(["idp-helpdesk"]));
    }

    async fn a_help_desk_person_may_not_call_the_admin_api(app) {
        let full = app.admin_token("admin").await;
        let person = app.active_user().await;
        call(&app, &full, "PATCH", &format!("/users/{}", person.id), Some(json!({"idp_helpdesk": true}))).await;
        let console = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let tokens = person_token(&app, &console, &person, "openid admin:users").await;
        assert_eq!(tokens["scope"], "openid", "admin scopes stay with idp-admin");
        assert_eq!(call(&app, tokens["access_token"].as_str().expect("at"), "GET", "/users", None).await.status(), 403);
    }

    async fn a_person_with_idp_admin_may_call_the_api(app) {
        let full = app.admin_token("admin").await;
        let person = app.active_user().await;
        call(&app, &full, "PATCH", &format!("/users/{}", person.id), Some(json!({"idp_admin": true}))).await;
        let console = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let tokens = person_token(&app, &console, &person, "openid admin:users").await;
        let token = tokens["access_token"].as_str().expect("at");
        let response = call(&app, token, "GET", "/users", None).await;
        assert_eq!(response.status(), 200);
        call(&app, token, "POST", &format!("/users/{}/lock", app.active_user().await.id), None).await;
        let found = events(&app, audit_events::Column::Action.eq("user.locked_by_admin")).await;
        assert_eq!(found.first().map(|e| e.actor.clone()), Some(format!("user:{}", person.id)));
    }

    async fn a_person_without_idp_admin_is_403(app) {
        let person = app.active_user().await;
        let console = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let tokens = person_token(&app, &console, &person, "openid admin:users").await;
        assert_eq!(tokens["scope"], "openid", "admin scopes are not granted to people without the role");
        let response = call(&app, tokens["access_token"].as_str().expect("at"), "GET", "/users", None).await;
        assert_eq!(response.status(), 403);
    }

    async fn taking_idp_admin_away_stops_the_persons_token_at_once(app) {
        let full = app.admin_token("admin").await;
        let person = app.active_user().await;
        let path = format!("/users/{}", person.id);
        call(&app, &full, "PATCH", &path, Some(json!({"idp_admin": true}))).await;
        let console = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin".into()]), ..Default::default() }).await;
        let tokens = person_token(&app, &console, &person, "openid admin").await;
        let token = tokens["access_token"].as_str().expect("at");
        assert_eq!(call(&app, token, "GET", "/users", None).await.status(), 200);
        call(&app, &full, "PATCH", &path, Some(json!({"idp_admin": false}))).await;
        assert_eq!(call(&app, token, "GET", "/users", None).await.status(), 403);
    }

    async fn locking_revokes_tokens_and_unlocking_restores_sign_in(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.activated_user().await;
        let client = app.client().await;
        let tokens = person_token(&app, &client, &user, "openid offline_access").await;
        let access = tokens["access_token"].as_str().expect("at");
        assert_eq!(app.http.get(app.url("/userinfo")).bearer_auth(access).send().await.expect("GET").status(), 200);
        let locked: Value = call(&app, &token, "POST", &format!("/users/{}/lock", user.id), None).await.json().await.expect("json");
        assert_eq!(locked["admin_locked"], true);
        assert_eq!(app.http.get(app.url("/userinfo")).bearer_auth(access).send().await.expect("GET").status(), 401);
        let refresh = tokens["refresh_token"].as_str().expect("rt");
        let refreshed = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(refreshed.status(), 400);
        let unlocked: Value = call(&app, &token, "POST", &format!("/users/{}/unlock", user.id), None).await.json().await.expect("json");
        assert_eq!(unlocked["admin_locked"], false);
        assert_eq!(audit_actions(&app, "user.unlocked").await, 1);
        let response = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(response.status(), 303, "the password signs in again");
    }

    async fn a_locked_account_cannot_sign_in(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.activated_user().await;
        call(&app, &token, "POST", &format!("/users/{}/lock", user.id), None).await;
        let response = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(response.status(), 401);
        call(&app, &token, "POST", &format!("/users/{}/unlock", user.id), None).await;
        let response = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(response.status(), 303);
    }

    async fn disabling_ends_every_session(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        app.sign_in(&user).await;
        let sessions: Value = call(&app, &token, "GET", &format!("/users/{}/sessions", user.id), None).await.json().await.expect("json");
        assert_eq!(sessions["total"], 1);
        let disabled: Value = call(&app, &token, "POST", &format!("/users/{}/disable", user.id), None).await.json().await.expect("json");
        assert_eq!(disabled["disabled"], true);
        let sessions: Value = call(&app, &token, "GET", &format!("/users/{}/sessions", user.id), None).await.json().await.expect("json");
        assert_eq!(sessions["total"], 0);
        let enabled: Value = call(&app, &token, "POST", &format!("/users/{}/enable", user.id), None).await.json().await.expect("json");
        assert_eq!(enabled["disabled"], false);
        assert_eq!(audit_actions(&app, "user.disabled").await, 1);
        assert_eq!(audit_actions(&app, "user.enabled").await, 1);
    }

    async fn one_session_can_be_ended(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        app.sign_in(&user).await;
        let sessions: Value = call(&app, &token, "GET", &format!("/users/{}/sessions", user.id), None).await.json().await.expect("json");
        let sid = sessions["items"][0]["id"].as_str().expect("sid").to_string();
        assert!(sessions["items"][0]["expires_at"].is_string());
        let path = format!("/users/{}/sessions/{sid}", user.id);
        assert_eq!(call(&app, &token, "DELETE", &path, None).await.status(), 204);
        assert_eq!(call(&app, &token, "DELETE", &path, None).await.status(), 404);
        let other = app.active_user().await;
        let foreign = format!("/users/{}/sessions/{sid}", other.id);
        assert_eq!(call(&app, &token, "DELETE", &foreign, None).await.status(), 404);
    }

    async fn reset_forgets_the_password_and_mails_a_fresh_link(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.activated_user().await;
        let body: Value = call(&app, &token, "POST", &format!("/users/{}/reset", user.id), None).await.json().await.expect("json");
        assert_eq!(body["status"], "invited");
        assert!(body["password_set_at"].is_null());
        let mail = app.mail_to(&user, "Aktywuj", 1).await;
        assert!(mail.link_containing("/activate?token=").is_some());
        let response = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(response.status(), 401, "the old password no longer works");
        assert_eq!(audit_actions(&app, "user.reset").await, 1);
    }

    async fn resending_an_activation_voids_the_earlier_link(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.imported_user().await;
        let first = app.activation_link(&user, 0).await;
        let response = call(&app, &token, "POST", &format!("/users/{}/activation", user.id), None).await;
        assert_eq!(response.status(), 200);
        let second = app.mail_to(&user, "Aktywuj", 1).await.link_containing("/activate?token=").expect("link");
        assert_ne!(first, second.trim_start_matches(&app.base));
        let (status, _, _) = app.page(&first).await;
        assert_eq!(status, 410, "the first link is void");
    }

    async fn resending_to_an_active_account_is_409(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        let response = call(&app, &token, "POST", &format!("/users/{}/activation", user.id), None).await;
        assert_eq!(response.status(), 409);
    }

    async fn deleting_anonymises_and_keeps_the_audit_trail(app) {
        let token = app.admin_token("admin:users").await;
        let user = app.active_user().await;
        app.sign_in(&user).await;
        assert_eq!(call(&app, &token, "DELETE", &format!("/users/{}", user.id), None).await.status(), 204);
        assert_eq!(call(&app, &token, "GET", &format!("/users/{}", user.id), None).await.status(), 404);
        let listed: Value = call(&app, &token, "GET", &format!("/users?login={}", user.login), None).await.json().await.expect("json");
        assert_eq!(listed["total"], 0);
        let row = users::Entity::find_by_id(user.id).one(app.state.store.conn()).await.expect("row").expect("kept");
        assert!(row.email.ends_with("@invalid"));
        assert_eq!((row.given_name.as_str(), row.family_name.as_str()), ("", ""));
        assert!(row.legacy_id.is_none() && row.password_hash.is_none() && row.anonymized_at.is_some());
        let trail = events(&app, audit_events::Column::SubjectUserId.eq(user.id)).await;
        assert!(trail.iter().any(|e| e.action == "session.started"));
        assert!(trail.iter().any(|e| e.action == "user.deleted"));
    }

    async fn a_wrong_scope_cannot_change_accounts(app) {
        let token = app.admin_token("admin:stats").await;
        let user = app.active_user().await;
        assert_eq!(call(&app, &token, "POST", &format!("/users/{}/disable", user.id), None).await.status(), 403);
        assert_eq!(call(&app, &token, "DELETE", &format!("/users/{}", user.id), None).await.status(), 403);
    }
}

backend_tests! {
    async fn text_search_ignores_case_and_takes_wildcards_literally(app) {
        let token = app.admin_token("admin:users").await;
        app.active_user().await;
        let found: Value = call(&app, &token, "GET", "/users?q=nOWAK", None).await.json().await.expect("json");
        assert_eq!(found["total"], 1);
        for wildcard in ["%25", "_", "%25ow%25"] {
            let none: Value = call(&app, &token, "GET", &format!("/users?q={wildcard}"), None).await.json().await.expect("json");
            assert_eq!(none["total"], 0, "{wildcard}");
        }
        let orgs: Value = call(&app, &token, "GET", "/organizations?q=acme", None).await.json().await.expect("json");
        assert_eq!(orgs["total"], 1);
    }
}

backend_tests! {
    async fn a_refresh_drops_admin_scopes_of_a_person_who_lost_idp_admin(app) {
        let full = app.admin_token("admin").await;
        let person = app.active_user().await;
        let path = format!("/users/{}", person.id);
        call(&app, &full, "PATCH", &path, Some(json!({"idp_admin": true}))).await;
        let console = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let tokens = person_token(&app, &console, &person, "openid admin:users").await;
        assert_eq!(tokens["scope"], "openid admin:users");
        call(&app, &full, "PATCH", &path, Some(json!({"idp_admin": false}))).await;

        let refresh = tokens["refresh_token"].as_str().expect("rt");
        let refreshed: Value = app.token(&console, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await.json().await.expect("json");

        assert_eq!(refreshed["scope"], "openid", "{refreshed}");
    }

    async fn a_refresh_drops_scopes_the_client_was_since_registered_without(app) {
        let full = app.admin_token("admin").await;
        let person = app.active_user().await;
        call(&app, &full, "PATCH", &format!("/users/{}", person.id), Some(json!({"idp_admin": true}))).await;
        let console = app.client_with(ClientSpec { machine_scopes: Some(vec!["admin:users".into()]), ..Default::default() }).await;
        let tokens = person_token(&app, &console, &person, "openid admin:users").await;
        let narrower = json!({"scopes": ["admin:stats"]});
        assert_eq!(call(&app, &full, "PATCH", &format!("/clients/{}", console.id), Some(narrower)).await.status(), 200);

        let refresh = tokens["refresh_token"].as_str().expect("rt");
        let refreshed: Value = app.token(&console, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await.json().await.expect("json");

        assert_eq!(refreshed["scope"], "openid", "{refreshed}");
    }
}
