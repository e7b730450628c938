//! The authenticator app as the second step of a sign-in: after Login + Hasło a
//! person with an app is asked for "Kod z aplikacji" and no code is mailed; a
//! code is accepted within one step of drift, and only once; a recovery code
//! stands in for it once; wrong codes count against the same attempt limits and
//! lockout as the e-mailed code; the e-mail fallback follows
//! `KUKE_ID_TOTP_EMAIL_FALLBACK`.

use std::time::Duration;

use kuke_id::domain::audit::Actor;
use kuke_id::domain::totp::{self, TotpSecret};
use kuke_id::flows::account::authenticator::{self, Confirmed};
use kuke_id::i18n::Lang;
use kuke_id::store;
use kuke_id::store::entities::{mail_outbox, sessions};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::TestApp;
use crate::support::fixtures::TestUser;
use crate::support::journey::GOOD_PASSWORD;

/// An account's authenticator as a test holds it: the secret (as the app
/// would) and the recovery codes shown at setup.
pub(crate) struct App {
    pub secret: TotpSecret,
    pub recovery_codes: Vec<String>,
}

/// Adds a confirmed authenticator to `user` through the account flows, then
/// moves the (frozen) clock past the step that confirmed it.
pub(crate) async fn add_authenticator(app: &TestApp, user: &TestUser) -> App {
    app.clock.freeze();
    let account = store::users::find(app.state.store.conn(), user.id).await.unwrap().unwrap();
    let setup = authenticator::begin(&app.state, &account).await.expect("setup");
    let code = code_at(app, &setup.secret, 0);
    let confirmed = authenticator::confirm(&app.state, &account, &Actor::named("test"), &code, Lang::Pl).await.unwrap();
    let Confirmed::Done { recovery_codes } = confirmed else { panic!("not confirmed: {confirmed:?}") };
    app.clock.advance(Duration::from_secs(totp::STEP_SECS));
    App { secret: setup.secret, recovery_codes }
}

/// The app's code `steps` time steps from the test clock's now.
pub(crate) fn code_at(app: &TestApp, secret: &TotpSecret, steps: i64) -> String {
    let unix = app.clock.now().unix_timestamp() + steps * i64::try_from(totp::STEP_SECS).unwrap();
    totp::code_at(secret, u64::try_from(unix).unwrap()).unwrap()
}

/// Mails of `kind` queued for `user`.
pub(crate) async fn queued(app: &TestApp, user: &TestUser, kind: &str) -> u64 {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::UserId.eq(user.id))
        .filter(mail_outbox::Column::Kind.eq(kind))
        .count(app.state.store.conn())
        .await
        .unwrap()
}

/// Open sessions of `user`.
async fn open_sessions(app: &TestApp, user: &TestUser) -> u64 {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .filter(sessions::Column::EndedAt.is_null())
        .count(app.state.store.conn())
        .await
        .unwrap()
}

/// Login + Hasło of an activated account with an app; the browser is then at the code step.
async fn at_code_step(app: &TestApp, user: &TestUser) {
    let response = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
    assert_eq!(response.status(), 303, "the password is right");
    assert_eq!(response.headers()["location"], "/login/code");
}

/// Whether a submitted code completed the sign-in ("Gotowe!").
async fn signed_in(response: reqwest::Response) -> bool {
    let status = response.status();
    let body = response.text().await.unwrap();
    status == 200 && body.contains("Gotowe")
}

backend_tests! {
    async fn with_an_app_the_code_step_asks_for_the_app_code_and_mails_nothing(app) {
        let user = app.activated_user().await;
        add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        let (status, html, _) = app.page("/login/code").await;
        assert_eq!(status, 200);
        assert!(html.contains("Kod z aplikacji"), "{html}");
        assert!(html.contains("Wyślij kod e-mailem"), "the fallback is offered by default: {html}");
        assert_eq!(queued(&app, &user, "one_time_code").await, 0, "no code is mailed");
    }

    async fn a_setup_not_yet_confirmed_leaves_the_sign_in_on_the_mailed_code(app) {
        let user = app.activated_user().await;
        let account = store::users::find(app.state.store.conn(), user.id).await.unwrap().unwrap();
        authenticator::begin(&app.state, &account).await.expect("setup begun, never confirmed");
        at_code_step(&app, &user).await;
        let (status, html, _) = app.page("/login/code").await;
        assert_eq!(status, 200);
        assert!(!html.contains("Kod z aplikacji"), "{html}");
        assert_eq!(queued(&app, &user, "one_time_code").await, 1, "the code is mailed");
        assert!(signed_in(app.submit_code(&app.code_of(&user, 0).await).await).await);
    }

    async fn a_current_app_code_signs_in_with_amr_pwd_and_otp(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        assert!(signed_in(app.submit_code(&code_at(&app, &authenticator.secret, 0)).await).await);
        let session = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.id))
            .one(app.state.store.conn())
            .await
            .unwrap()
            .expect("a session");
        assert_eq!(session.amr, r#"["pwd","otp"]"#);
    }

    async fn an_app_code_is_accepted_once(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        let code = code_at(&app, &authenticator.secret, 0);
        at_code_step(&app, &user).await;
        assert!(signed_in(app.submit_code(&code).await).await, "first use");
        at_code_step(&app, &user).await;
        let replayed = app.submit_code(&code).await;
        assert_eq!(replayed.status(), 400, "the same time step is refused");
        assert!(replayed.text().await.unwrap().contains("Kod z aplikacji"));
    }

    async fn the_code_that_confirmed_the_setup_does_not_sign_in(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        let setup_code = code_at(&app, &authenticator.secret, -1);
        assert_eq!(app.submit_code(&setup_code).await.status(), 400);
    }

    async fn codes_two_steps_away_are_refused_and_one_step_back_is_accepted(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        // The setup's step is one back: move on so that one back is a fresh step.
        app.clock.advance(Duration::from_secs(totp::STEP_SECS));
        at_code_step(&app, &user).await;
        assert_eq!(app.submit_code(&code_at(&app, &authenticator.secret, 2)).await.status(), 400);
        assert_eq!(app.submit_code(&code_at(&app, &authenticator.secret, -2)).await.status(), 400);
        assert!(signed_in(app.submit_code(&code_at(&app, &authenticator.secret, -1)).await).await);
    }

    async fn a_code_one_step_ahead_is_accepted(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        assert!(signed_in(app.submit_code(&code_at(&app, &authenticator.secret, 1)).await).await);
    }

    async fn after_a_code_one_step_ahead_the_current_step_is_refused(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        assert!(signed_in(app.submit_code(&code_at(&app, &authenticator.secret, 1)).await).await);
        at_code_step(&app, &user).await;
        assert_eq!(app.submit_code(&code_at(&app, &authenticator.secret, 0)).await.status(), 400, "older than accepted");
    }

    async fn wrong_app_codes_lock_the_account_like_wrong_mailed_codes(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        let right = code_at(&app, &authenticator.secret, 0);
        let wrong = if right == "000000" { "111111" } else { "000000" };
        for attempt in 1..=4 {
            let response = app.submit_code(wrong).await;
            assert_eq!(response.status(), 400, "attempt {attempt}");
        }
        let last = app.submit_code(wrong).await;
        assert_eq!(last.status(), 303, "the fifth wrong code ends the sign-in");
        let credentials = store::users::credentials(app.state.store.conn(), user.id).await.unwrap().unwrap();
        assert!(credentials.locked_at(app.clock.now()), "the account is locked");
        assert_eq!(queued(&app, &user, "account_locked").await, 1, "the owner is told");
        // Locked: even the right code from the app does not sign in now.
        let refused = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(refused.status(), 401);
    }

    async fn a_recovery_code_signs_in_once(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        assert_eq!(authenticator.recovery_codes.len(), 10);
        let code = authenticator.recovery_codes[3].clone();
        at_code_step(&app, &user).await;
        assert!(signed_in(app.submit_code(&code.to_uppercase()).await).await, "typed in capitals");
        assert_eq!(store::recovery_codes::remaining(app.state.store.conn(), user.id).await.unwrap(), 9);
        at_code_step(&app, &user).await;
        assert_eq!(app.submit_code(&code).await.status(), 400, "spent");
    }

    async fn the_e_mail_fallback_mails_a_code_that_signs_in(app) {
        let user = app.activated_user().await;
        add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        let (_, _, csrf) = app.page("/login/code").await;
        let response = app.submit("/login/code/resend", &csrf, &[]).await;
        assert_eq!(response.status(), 200);
        let code = app.code_of(&user, 0).await;
        assert!(signed_in(app.submit_code(&code).await).await);
    }
}

backend_tests! {
    settings = "totp_email_fallback = false\n";

    async fn with_the_fallback_off_no_code_is_mailed_on_request(app) {
        let user = app.activated_user().await;
        add_authenticator(&app, &user).await;
        at_code_step(&app, &user).await;
        let (_, html, csrf) = app.page("/login/code").await;
        assert!(!html.contains("/login/code/resend"), "no fallback button: {html}");
        let response = app.submit("/login/code/resend", &csrf, &[]).await;
        assert_eq!(response.status(), 403);
        assert_eq!(queued(&app, &user, "one_time_code").await, 0);
    }

    async fn with_the_fallback_off_an_account_without_an_app_still_gets_its_code(app) {
        let user = app.activated_user().await;
        let response = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(response.status(), 303);
        let code = app.code_of(&user, 0).await;
        assert!(signed_in(app.submit_code(&code).await).await);
        assert_eq!(open_sessions(&app, &user).await, 1);
    }
}

/// A browser of its own at the code step of its own sign-in; returns it with
/// the code form's CSRF token.
async fn browser_at_code_step(app: &TestApp, user: &TestUser) -> (reqwest::Client, String) {
    use crate::support::journey::hidden;
    let browser = app.new_browser();
    let html = browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("login", user.login.as_str()), ("password", GOOD_PASSWORD)];
    let response = browser.post(app.url("/login")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303);
    (browser, csrf)
}

/// Four browsers at the code step of `user` send `code` at the same moment;
/// the answers' statuses.
async fn race_one_code(app: &TestApp, user: &TestUser, code: &str) -> Vec<u16> {
    let mut browsers = Vec::new();
    for _ in 0..4 {
        browsers.push(browser_at_code_step(app, user).await);
    }
    let url = app.url("/login/code");
    let handles: Vec<_> = browsers
        .into_iter()
        .map(|(browser, csrf)| {
            let (url, code) = (url.clone(), code.to_string());
            tokio::spawn(async move {
                let form = [("csrf", csrf.as_str()), ("code", code.as_str())];
                browser.post(url).form(&form).send().await.unwrap().status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses
}

backend_tests! {
    multi_thread;

    async fn racing_sign_ins_with_one_app_code_get_one_session(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        let code = code_at(&app, &authenticator.secret, 0);
        let statuses = race_one_code(&app, &user, &code).await;
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "one sign-in: {statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 3, "the others are refused: {statuses:?}");
        assert_eq!(open_sessions(&app, &user).await, 1);
    }

    async fn racing_sign_ins_with_one_recovery_code_get_one_session(app) {
        let user = app.activated_user().await;
        let authenticator = add_authenticator(&app, &user).await;
        let code = authenticator.recovery_codes[0].clone();
        let statuses = race_one_code(&app, &user, &code).await;
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "one sign-in: {statuses:?}");
        assert_eq!(open_sessions(&app, &user).await, 1);
        assert_eq!(store::recovery_codes::remaining(app.state.store.conn(), user.id).await.unwrap(), 9);
    }
}
