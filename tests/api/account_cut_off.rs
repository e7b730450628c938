//! Nothing begun before a password change or a lock outlives it: sessions, grants
//! and sign-ins in progress end; an unlock lifts every kind of lock.

use kuke_id::store::entities::sessions;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

use crate::support::TestApp;
use crate::support::fixtures::{CHALLENGE, TestUser, query_param, redirect_location};
use crate::support::journey::{GOOD_PASSWORD, hidden};

const NEW_PASSWORD: &str = "Nowe#Haslo99";

async fn open_sessions(app: &TestApp, user: &TestUser) -> u64 {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .filter(sessions::Column::EndedAt.is_null())
        .count(app.state.store.conn())
        .await
        .expect("count")
}

/// Resets the password through the "forgot password" mail, from a browser of its own.
async fn reset_through_the_mail(app: &TestApp, user: &TestUser) {
    let browser = app.new_browser();
    let page = browser.get(app.url("/password/forgot")).send().await.expect("GET").text().await.expect("html");
    let csrf = hidden(&page, "csrf").expect("csrf");
    let email = TestApp::email_of(user);
    browser
        .post(app.url("/password/forgot"))
        .form(&[("csrf", csrf.as_str()), ("email", email.as_str())])
        .send()
        .await
        .expect("POST");
    let link = app.mail_to(user, "nowe hasło", 0).await.link_containing("/activate?token=").expect("reset link");
    let form = browser.get(&link).send().await.expect("GET link").text().await.expect("html");
    let (csrf, token) = (hidden(&form, "csrf").expect("csrf"), hidden(&form, "token").expect("token"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("token", token.as_str()),
        ("password", NEW_PASSWORD),
        ("password_repeat", NEW_PASSWORD),
    ];
    let done = browser.post(app.url("/activate")).form(&fields).send().await.expect("POST");
    assert_eq!(done.status(), 200);
}

async fn admin(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http.post(app.url(&format!("/admin/api/v1{path}"))).bearer_auth(token).send().await.expect("admin call")
}

backend_tests! {
    async fn a_password_reset_through_a_link_ends_every_session_and_grant(app) {
        let user = app.activated_user().await;
        let client = app.client().await;
        app.sign_in(&user).await;
        let code = app.code(&client, &[("scope", "openid offline_access"), ("prompt", "consent")]).await;
        let tokens: Value = app.redeem(&client, &code).await;
        let refresh = tokens["refresh_token"].as_str().expect("refresh token").to_string();

        reset_through_the_mail(&app, &user).await;

        assert_eq!(open_sessions(&app, &user).await, 0, "the old session ended");
        let silent = [("response_type", "code"), ("scope", "openid"), ("prompt", "none"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
        let answer = redirect_location(&app.authorize(&client, &silent).await);
        assert_eq!(query_param(&answer, "error").as_deref(), Some("login_required"), "no silent sign-in with the old session");
        let refreshed = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())]).await;
        assert_eq!(refreshed.status(), 400, "even an offline refresh token died with the old password");
    }

    async fn a_password_reset_through_a_link_ends_sign_ins_in_progress(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        let (_, _, csrf) = app.page("/login/code").await;

        reset_through_the_mail(&app, &user).await;
        let answer = app.submit("/login/code", &csrf, &[("code", code.as_str())]).await;

        assert_eq!(answer.status(), 303, "sent back to the start");
        assert_eq!(open_sessions(&app, &user).await, 0, "a code mailed before the reset does not sign in");
    }

    async fn an_administrators_lock_ends_sign_ins_in_progress(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        let (_, _, csrf) = app.page("/login/code").await;
        let token = app.admin_token("admin:users").await;

        assert_eq!(admin(&app, &token, &format!("/users/{}/lock", user.id)).await.status(), 200);
        let answer = app.submit("/login/code", &csrf, &[("code", code.as_str())]).await;

        assert_eq!(answer.status(), 303);
        assert_eq!(open_sessions(&app, &user).await, 0);
    }

    async fn unlocking_lifts_a_lock_after_failed_attempts(app) {
        let user = app.activated_user().await;
        for _ in 0..5 {
            app.sign_in_form(&user.login, "Wrong#Pass1", None).await;
        }
        assert_eq!(app.sign_in_form(&user.login, GOOD_PASSWORD, None).await.status(), 401, "locked");
        let token = app.admin_token("admin:users").await;

        assert_eq!(admin(&app, &token, &format!("/users/{}/unlock", user.id)).await.status(), 200);

        let after = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(after.headers()["location"], "/login/code");
        let unlocked = kuke_id::store::audit::count_action(app.state.store.conn(), "user.unlocked").await.expect("count");
        assert_eq!(unlocked, 1);
    }

    async fn unlocking_an_account_that_is_not_locked_audits_nothing(app) {
        let user = app.activated_user().await;
        let token = app.admin_token("admin:users").await;

        assert_eq!(admin(&app, &token, &format!("/users/{}/unlock", user.id)).await.status(), 200);

        let unlocked = kuke_id::store::audit::count_action(app.state.store.conn(), "user.unlocked").await.expect("count");
        assert_eq!(unlocked, 0);
    }

    async fn only_ten_sign_ins_may_start_per_account_in_a_quarter_of_an_hour(app) {
        let user = app.activated_user().await;
        for n in 0..10 {
            let started = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
            assert_eq!(started.status(), 303, "sign-in {n}");
        }

        let eleventh = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;

        assert_eq!(eleventh.status(), 429);
        app.clock.advance(std::time::Duration::from_secs(901));
        assert_eq!(app.sign_in_form(&user.login, GOOD_PASSWORD, None).await.status(), 303, "the window ends");
    }
}
