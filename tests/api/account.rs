//! "Moje konto": the account pages of the signed-in person — reached through the
//! normal sign-in when there is no session, sensitive changes only after a
//! fresh sign-in, every form CSRF-protected — and the help desk's reset of an
//! authenticator app (admin API and CLI).

use std::time::Duration;

use kuke_id::domain::totp::TotpSecret;
use kuke_id::store;
use kuke_id::store::entities::{audit_events, backchannel_deliveries, sessions};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::fixtures::{ClientSpec, TestUser, admin_call};
use crate::support::journey::{GOOD_PASSWORD, hidden};
use crate::support::{Backend, TestApp};
use crate::totp::{add_authenticator, code_at, queued};

const NEW_PASSWORD: &str = "Nowe#Haslo9x";
const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// A browser of its own, signed in as `user` (with `user_agent`).
async fn browser(app: &TestApp, user: &TestUser, user_agent: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap();
    let response =
        client.post(app.url("/test-support/sign-in")).form(&[("login", user.login.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), 204);
    client
}

/// GETs a page in `client`: (status, body, CSRF token).
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    let csrf = hidden(&html, "csrf").unwrap_or_default();
    (status, html, csrf)
}

/// POSTs a form from `client` with the CSRF token of `from` page.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, _, csrf) = page(app, client, from).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

async fn audited(app: &TestApp, action: &str, user: &TestUser) -> u64 {
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .filter(audit_events::Column::SubjectUserId.eq(user.id))
        .count(app.state.store.conn())
        .await
        .unwrap()
}

async fn open_sessions(app: &TestApp, user: &TestUser) -> Vec<sessions::Model> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .filter(sessions::Column::EndedAt.is_null())
        .all(app.state.store.conn())
        .await
        .unwrap()
}

/// The key shown on the setup page, as the app stores it.
fn key_on(html: &str) -> TotpSecret {
    let key = html.split("id=\"secret-key\">").nth(1).and_then(|rest| rest.split('<').next()).expect("the key");
    let bytes = totp_rs::Secret::try_from_base32(key.replace(' ', "")).expect("base32").as_bytes().to_vec();
    TotpSecret::from_bytes(bytes).expect("a secret")
}

fn password_form<'a>(current: &'a str, new: &'a str, repeated: &'a str) -> [(&'static str, &'a str); 3] {
    [("current_password", current), ("password", new), ("password_repeat", repeated)]
}

backend_tests! {
    async fn without_a_session_the_account_page_starts_the_sign_in_and_comes_back(app) {
        let user = app.activated_user().await;
        let response = app.get("/account").await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/login");
        assert_eq!(app.sign_in_form(&user.login, GOOD_PASSWORD, None).await.status(), 303);
        let code = app.code_of(&user, 0).await;
        let done = app.submit_code(&code).await;
        assert_eq!(done.status(), 303, "back to the account area");
        assert_eq!(done.headers()["location"], "/account");
        let (status, html, _) = app.page("/account").await;
        assert_eq!(status, 200);
        assert!(html.contains("Moje konto") && html.contains(&user.login), "{html}");
    }

    async fn the_done_page_of_a_sign_in_links_to_the_account_area(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        let html = app.submit_code(&code).await.text().await.unwrap();
        assert!(html.contains("Gotowe") && html.contains("href=\"/account\""), "{html}");
    }

    async fn the_account_page_is_in_english_on_request(app) {
        let user = app.active_user().await;
        app.sign_in(&user).await;
        let (status, html, _) = app.page("/account?lang=en").await;
        assert_eq!(status, 200);
        assert!(html.contains("My account") && html.contains("off – the code comes by e-mail"), "{html}");
    }

    async fn a_sensitive_change_needs_a_sign_in_from_the_last_minutes(app) {
        let user = app.activated_user().await;
        app.sign_in(&user).await;
        app.clock.advance(Duration::from_secs(6 * 60));
        let (status, html, csrf) = app.page("/account/password").await;
        assert_eq!(status, 200);
        assert!(html.contains("Potwierdź, że to Ty") && html.contains("/account/reauth?to=password"), "{html}");
        let refused = app.submit("/account/password", &csrf, &password_form(GOOD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)).await;
        assert_eq!(refused.status(), 403, "no change without a fresh sign-in");
        let (status, html, _) = app.page("/account/authenticator").await;
        assert_eq!(status, 200);
        assert!(html.contains("Potwierdź, że to Ty"), "{html}");
        let again = app.get("/account/reauth?to=password").await;
        assert_eq!(again.status(), 303);
        assert_eq!(again.headers()["location"], "/login");
        // Signing in again comes back to the page, now fresh.
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        assert_eq!(app.submit_code(&code).await.headers()["location"], "/account/password");
        let (_, html, _) = app.page("/account/password").await;
        assert!(html.contains("current_password"), "{html}");
    }

    async fn changing_the_password_signs_out_everywhere_else_and_mails_the_owner(app) {
        let user = app.activated_user().await;
        let this = browser(&app, &user, FIREFOX).await;
        let other = browser(&app, &user, "Other").await;
        let response = post(&app, &this, "/account/password", "/account/password", &password_form(GOOD_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)).await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("Hasło zostało zmienione"));
        assert_eq!(page(&app, &this, "/account").await.0, 200, "this browser stays signed in");
        assert_eq!(page(&app, &other, "/account").await.0, 303, "the other one is signed out");
        assert_eq!(open_sessions(&app, &user).await.len(), 1);
        assert_eq!(queued(&app, &user, "account_password_changed").await, 1);
        assert_eq!(audited(&app, "user.password_changed", &user).await, 1);
        assert_eq!(app.sign_in_form(&user.login, GOOD_PASSWORD, None).await.status(), 401, "the old password is gone");
        assert_eq!(app.sign_in_form(&user.login, NEW_PASSWORD, None).await.status(), 303, "the new one works");
    }

    async fn a_wrong_current_password_changes_nothing(app) {
        let user = app.activated_user().await;
        app.sign_in(&user).await;
        let (_, _, csrf) = app.page("/account/password").await;
        let response = app.submit("/account/password", &csrf, &password_form("Wrong#Pass1", NEW_PASSWORD, NEW_PASSWORD)).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.unwrap().contains("Obecne hasło jest nieprawidłowe"));
        assert_eq!(queued(&app, &user, "account_password_changed").await, 0);
        assert_eq!(app.sign_in_form(&user.login, GOOD_PASSWORD, None).await.status(), 303);
    }

    async fn a_new_password_that_breaks_the_rules_is_refused_with_the_checklist(app) {
        let user = app.activated_user().await;
        app.sign_in(&user).await;
        let (_, _, csrf) = app.page("/account/password").await;
        let response = app.submit("/account/password", &csrf, &password_form(GOOD_PASSWORD, "krotkie", "krotkie")).await;
        assert_eq!(response.status(), 400);
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"rule-rule_min_length\" class=\"broken\""), "{html}");
        let mismatch = app.submit("/account/password", &csrf, &password_form(GOOD_PASSWORD, NEW_PASSWORD, "Inne#Haslo9x")).await;
        assert_eq!(mismatch.status(), 400);
        assert_eq!(app.sign_in_form(&user.login, GOOD_PASSWORD, None).await.status(), 303, "unchanged");
    }

    async fn account_forms_without_their_csrf_token_are_refused(app) {
        let user = app.activated_user().await;
        app.sign_in(&user).await;
        let other = browser(&app, &user, "Other").await;
        for path in ["/account/password", "/account/authenticator", "/account/authenticator/remove", "/account/recovery-codes", "/account/sessions/end-others"] {
            let response = app.http.post(app.url(path)).form(&[("current_password", GOOD_PASSWORD)]).send().await.unwrap();
            assert_eq!(response.status(), 403, "{path}");
            let wrong = app.submit(path, "0000000000000000000000000000000000000000000", &[]).await;
            assert_eq!(wrong.status(), 403, "{path} with a token that is not the cookie's");
        }
        assert_eq!(page(&app, &other, "/account").await.0, 200, "nothing was ended");
        assert!(store::authenticators::pending(app.state.store.conn(), user.id).await.unwrap().is_none());
    }

    async fn adding_an_authenticator_counts_only_after_a_right_code_from_it(app) {
        let user = app.activated_user().await;
        app.clock.freeze();
        app.sign_in(&user).await;
        let (status, html, _) = app.page("/account/authenticator").await;
        assert_eq!(status, 200);
        assert!(html.contains("Dodaj aplikację"), "{html}");
        let setup = post(&app, &app.http, "/account/authenticator", "/account/authenticator", &[]).await;
        assert_eq!(setup.status(), 200);
        let html = setup.text().await.unwrap();
        assert!(html.contains("<svg") && html.contains("secret-key"), "{html}");
        let secret = key_on(&html);
        let wrong = post(&app, &app.http, "/account/authenticator", "/account/authenticator/confirm", &[("code", "12345")]).await;
        assert_eq!(wrong.status(), 400);
        assert_eq!(key_on(&wrong.text().await.unwrap()), secret, "the same key is shown again");
        assert!(store::authenticators::active(app.state.store.conn(), user.id).await.unwrap().is_none());
        let code = code_at(&app, &secret, 0);
        let done = post(&app, &app.http, "/account/authenticator", "/account/authenticator/confirm", &[("code", &code)]).await;
        assert_eq!(done.status(), 200);
        let html = done.text().await.unwrap();
        assert_eq!(html.matches("<li><code>").count(), 10, "ten recovery codes: {html}");
        assert!(store::authenticators::active(app.state.store.conn(), user.id).await.unwrap().is_some());
        assert_eq!(queued(&app, &user, "totp_added").await, 1);
        assert_eq!(audited(&app, "authenticator.added", &user).await, 1);
        let (_, overview, _) = app.page("/account").await;
        assert!(overview.contains("Pozostałe kody odzyskiwania: 10"), "{overview}");
    }

    async fn removing_the_authenticator_brings_back_the_mailed_code(app) {
        let user = app.activated_user().await;
        add_authenticator(&app, &user).await;
        app.sign_in(&user).await;
        let response = post(&app, &app.http, "/account/authenticator", "/account/authenticator/remove", &[]).await;
        assert_eq!(response.status(), 200);
        assert!(store::authenticators::active(app.state.store.conn(), user.id).await.unwrap().is_none());
        assert_eq!(store::recovery_codes::remaining(app.state.store.conn(), user.id).await.unwrap(), 0);
        assert_eq!(queued(&app, &user, "totp_removed").await, 1);
        assert_eq!(audited(&app, "authenticator.removed", &user).await, 1);
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(queued(&app, &user, "one_time_code").await, 1, "the code is mailed again");
    }

    async fn new_recovery_codes_replace_the_old_ones(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        app.sign_in(&user).await;
        let response = post(&app, &app.http, "/account/authenticator", "/account/recovery-codes", &[]).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert_eq!(html.matches("<li><code>").count(), 10);
        let old = authenticator.recovery_codes[0].clone();
        assert!(!html.contains(&old));
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(app.submit_code(&old).await.status(), 400, "the old codes no longer work");
    }

    async fn my_sessions_lists_each_browser_and_ends_another_one(app) {
        let user = app.active_user().await;
        let this = browser(&app, &user, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36").await;
        let other = browser(&app, &user, FIREFOX).await;
        let (status, html, _) = page(&app, &this, "/account/sessions").await;
        assert_eq!(status, 200);
        assert!(html.contains("ta przeglądarka") && html.contains("Firefox, Windows") && html.contains("Chrome, Linux"), "{html}");
        let sessions = open_sessions(&app, &user).await;
        let other_id = sessions.iter().find(|s| s.user_agent.as_deref() == Some(FIREFOX)).unwrap().id.to_string();
        let ended = post(&app, &this, "/account/sessions", "/account/sessions/end", &[("session", &other_id)]).await;
        assert_eq!(ended.status(), 303);
        assert_eq!(ended.headers()["location"], "/account/sessions");
        assert_eq!(page(&app, &other, "/account").await.0, 303, "signed out");
        assert_eq!(page(&app, &this, "/account").await.0, 200, "still signed in");
        assert_eq!(audited(&app, "session.ended", &user).await, 1);
    }

    async fn ending_a_session_tells_its_relying_parties_by_back_channel(app) {
        let user = app.active_user().await;
        let client = app
            .client_with(ClientSpec { backchannel_logout_uri: Some("http://127.0.0.1:9/bc".into()), ..Default::default() })
            .await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[]).await;
        app.redeem(&client, &code).await;
        let this = browser(&app, &user, "This").await;
        let other_id = open_sessions(&app, &user).await.iter().find(|s| s.user_agent.is_none()).unwrap().id.to_string();
        let ended = post(&app, &this, "/account/sessions", "/account/sessions/end", &[("session", &other_id)]).await;
        assert_eq!(ended.status(), 303);
        let deliveries = backchannel_deliveries::Entity::find()
            .filter(backchannel_deliveries::Column::ClientId.eq(client.id.clone()))
            .count(app.state.store.conn())
            .await
            .unwrap();
        assert_eq!(deliveries, 1, "a logout token is queued for the client");
    }

    async fn the_language_switch_of_a_form_answer_leads_back_to_its_page(app) {
        let user = app.active_user().await;
        app.sign_in(&user).await;
        for (path, page) in [
            ("/account/authenticator/confirm?lang=en", "/account/authenticator?lang=en"),
            ("/account/recovery-codes?lang=en", "/account/authenticator?lang=en"),
            ("/account/sessions/end?lang=en", "/account/sessions?lang=en"),
        ] {
            let response = app.get(path).await;
            assert_eq!(response.status(), 303, "{path}");
            assert_eq!(response.headers()["location"], page, "{path}");
        }
    }

    async fn sign_out_everywhere_else_keeps_this_browser(app) {
        let user = app.active_user().await;
        let this = browser(&app, &user, "A").await;
        browser(&app, &user, "B").await;
        browser(&app, &user, "C").await;
        let response = post(&app, &this, "/account/sessions", "/account/sessions/end-others", &[]).await;
        assert_eq!(response.status(), 303);
        let open = open_sessions(&app, &user).await;
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].user_agent.as_deref(), Some("A"));
    }

    async fn another_persons_session_or_a_bad_id_is_answered_clearly(app) {
        let user = app.active_user().await;
        let stranger = app.active_user().await;
        browser(&app, &stranger, "S").await;
        let theirs = open_sessions(&app, &stranger).await[0].id.to_string();
        app.sign_in(&user).await;
        let response = post(&app, &app.http, "/account/sessions", "/account/sessions/end", &[("session", &theirs)]).await;
        assert_eq!(response.status(), 404);
        assert_eq!(open_sessions(&app, &stranger).await.len(), 1, "not ended");
        let bad = post(&app, &app.http, "/account/sessions", "/account/sessions/end", &[("session", "not-an-id")]).await;
        assert_eq!(bad.status(), 400);
        let missing = post(&app, &app.http, "/account/sessions", "/account/sessions/end", &[]).await;
        assert_eq!(missing.status(), 400);
    }

    async fn a_deleted_account_keeps_no_authenticator(app) {
        let user = app.activated_user().await;
        add_authenticator(&app, &user).await;
        let token = app.admin_token("admin").await;
        assert_eq!(admin_call(&app, &token, "DELETE", &format!("/users/{}", user.id), None).await.status(), 204);
        assert!(store::authenticators::pending(app.state.store.conn(), user.id).await.unwrap().is_none());
        assert!(store::authenticators::active(app.state.store.conn(), user.id).await.unwrap().is_none());
        assert_eq!(store::recovery_codes::remaining(app.state.store.conn(), user.id).await.unwrap(), 0);
    }

    async fn the_help_desk_resets_an_authenticator_through_the_admin_api(app) {
        let user = app.activated_user().await;
        add_authenticator(&app, &user).await;
        let token = app.admin_token("admin:users").await;
        let path = format!("/users/{}/authenticator", user.id);
        assert_eq!(admin_call(&app, &token, "DELETE", &path, None).await.status(), 204);
        assert!(store::authenticators::active(app.state.store.conn(), user.id).await.unwrap().is_none());
        assert_eq!(store::recovery_codes::remaining(app.state.store.conn(), user.id).await.unwrap(), 0);
        assert_eq!(queued(&app, &user, "totp_reset").await, 1, "the owner is told");
        assert_eq!(audited(&app, "authenticator.reset", &user).await, 1);
        assert_eq!(admin_call(&app, &token, "DELETE", &path, None).await.status(), 404, "nothing left to reset");
        let unknown = format!("/users/{}/authenticator", uuid::Uuid::new_v4());
        assert_eq!(admin_call(&app, &token, "DELETE", &unknown, None).await.status(), 404);
        assert_eq!(admin_call(&app, &token, "DELETE", "/users/nonsense/authenticator", None).await.status(), 400);
        let document = app.get_json("/admin/api/v1/openapi.json").await;
        assert!(document["paths"]["/admin/api/v1/users/{id}/authenticator"]["delete"].is_object(), "documented");
    }
}

#[tokio::test]
async fn the_help_desk_resets_an_authenticator_from_the_command_line() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.activated_user().await;
    add_authenticator(&app, &user).await;
    let db = app.state.settings.database_url.expose().to_string();
    let keys = app.dir.path().join("keys").display().to_string();
    let dir = app.dir.path().to_path_buf();
    let login = user.login.clone();
    let out = tokio::task::spawn_blocking(move || {
        crate::support::cli::run(
            &dir,
            &[("KUKE_ID_DATABASE_URL", db.as_str()), ("KUKE_ID_KEYS_DIR", keys.as_str())],
            &["users", "reset-totp", &login],
        )
    })
    .await
    .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("authenticator app removed"), "{}", out.stdout);
    assert!(store::authenticators::active(app.state.store.conn(), user.id).await.unwrap().is_none());
    assert_eq!(queued(&app, &user, "totp_reset").await, 1);
}
