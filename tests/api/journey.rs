//! The first-login journey end to end over real HTTP, with every link, login and
//! code read from mail delivered over SMTP.

use crate::support::fixtures::{CHALLENGE, VERIFIER, query_param, redirect_location};
use crate::support::journey::{GOOD_PASSWORD, hidden};
use crate::support::{TestApp, poll};

/// Starts an authorization request for a fresh first-party client; returns the
/// client and the handle of the parked request.
async fn parked_request(app: &TestApp) -> (crate::support::fixtures::TestClient, String) {
    let client = app.client().await;
    let params = [
        ("response_type", "code"),
        ("scope", "openid profile email"),
        ("state", "j1"),
        ("nonce", "n"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let response = app.authorize(&client, &params).await;
    let location = response.headers()["location"].to_str().expect("ascii").to_string();
    (client, location.trim_start_matches("/login?request=").to_string())
}

/// Signs a fresh account in up to the terms page and returns that page's HTML in `lang`.
/// An active account that signed in once and accepted terms version "v1"
/// (published here), with its first mailed code used.
async fn user_who_accepted_v1(app: &TestApp) -> crate::support::fixtures::TestUser {
    app.publish_terms("v1").await;
    let user = app.activated_user().await;
    app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
    app.submit_code(&app.code_of(&user, 0).await).await;
    let (_, _, csrf) = app.page("/terms").await;
    app.submit("/terms", &csrf, &[("statement", "yes"), ("decision", "accept")]).await;
    user
}

/// Signs `user` in again with its `nth` mailed code; answers the code step.
async fn sign_in_again(app: &TestApp, user: &crate::support::fixtures::TestUser, nth: usize) -> reqwest::Response {
    app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
    app.submit_code(&app.code_of(user, nth).await).await
}

async fn terms_page_in(app: &TestApp, lang: &str) -> String {
    let user = app.activated_user().await;
    app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
    let after_code = app.submit_code(&app.code_of(&user, 0).await).await;
    assert_eq!(after_code.headers()["location"], "/terms");
    let (status, html, _) = app.page(&format!("/terms?lang={lang}")).await;
    assert_eq!(status, 200);
    html
}

const ENGLISH_TERMS: &str = "First paragraph.\n\nSecond paragraph.";

backend_tests! {
    async fn the_english_terms_page_shows_the_english_text_when_the_version_has_one(app) {
        app.publish_terms_with("2026-12", Some(ENGLISH_TERMS)).await;
        let html = terms_page_in(&app, "en").await;
        assert!(html.contains("<p>First paragraph.</p><p>Second paragraph.</p>"), "{html}");
        assert!(!html.contains("Pierwszy akapit"), "no Polish text: {html}");
        assert!(!html.contains("The binding text is Polish."), "{html}");
        assert!(html.contains("<h1>Terms of service</h1>") && html.contains("lang=\"en\" aria-label"), "{html}");
    }

    async fn the_english_terms_page_without_an_english_text_shows_the_polish_one_and_says_it_binds(app) {
        app.publish_terms("2026-12").await;
        let html = terms_page_in(&app, "en").await;
        assert!(html.contains("The binding text is Polish."), "{html}");
        assert!(html.contains("<p>Pierwszy akapit.</p>"), "{html}");
        assert!(html.contains("lang=\"pl\" aria-label"), "the Polish text is marked as Polish: {html}");
    }

    async fn the_polish_terms_page_shows_the_polish_text_even_when_there_is_an_english_one(app) {
        app.publish_terms_with("2026-12", Some(ENGLISH_TERMS)).await;
        let html = terms_page_in(&app, "pl").await;
        assert!(html.contains("<h1>Regulamin</h1>") && html.contains("<p>Pierwszy akapit.</p><p>Drugi akapit.</p>"), "{html}");
        assert!(!html.contains("First paragraph"), "{html}");
        assert!(!html.contains("Wiążący jest tekst"), "no note on the Polish page: {html}");
    }

    async fn import_activation_password_login_code_terms_and_tokens(app) {
        app.publish_terms("2026-11").await;
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        let activation = app.mail_to(&user, "Aktywuj", 0).await;
        assert!(activation.text().contains("portalklienta@kuke.com.pl"), "the genuine sender is named");
        assert!(activation.data.contains("multipart/alternative"));
        assert!(activation.html().replace("&#x2f;", "/").contains("/activate?token="));

        let set = app.set_password(&link, GOOD_PASSWORD, GOOD_PASSWORD).await;
        assert_eq!(set.status(), 200);
        assert!(set.text().await.expect("html").contains("/login"), "a button to the sign-in page");
        let login = app.mail_to(&user, "login", 0).await.six_digits().expect("login number");
        assert_eq!(login, user.login);

        let (client, handle) = parked_request(&app).await;
        let signed = app.sign_in_form(&login, GOOD_PASSWORD, Some(&handle)).await;
        assert_eq!(signed.headers()["location"], "/login/code");
        let code = app.code_of(&user, 0).await;
        let after_code = app.submit_code(&code).await;
        assert_eq!(after_code.headers()["location"], "/terms");
        let (status, html, csrf) = app.page("/terms").await;
        assert_eq!(status, 200);
        assert!(html.contains("Zapisz") && html.contains("Oświadczam"));
        let accepted = app.submit("/terms", &csrf, &[("statement", "yes"), ("decision", "accept")]).await;
        let back = redirect_location(&accepted);
        assert!(back.as_str().starts_with(&client.redirect_uri));
        assert_eq!(query_param(&back, "state").as_deref(), Some("j1"));
        let code = query_param(&back, "code").expect("authorization code");
        let tokens = app.redeem(&client, &code).await;
        assert!(tokens["id_token"].is_string() && tokens["access_token"].is_string());
    }

    async fn without_a_pending_request_the_journey_ends_on_the_welcome_page(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        let done = app.submit_code(&code).await;
        assert_eq!(done.status(), 200);
        let cookies: Vec<String> = done.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or_default().to_string()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("kuke_session=") && c.contains("HttpOnly") && c.contains("SameSite=Lax")));
        assert!(done.text().await.expect("html").contains("Gotowe! Witamy w Portalu Klienta."));
    }

    async fn expired_link_offers_a_new_one(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        app.clock.advance(std::time::Duration::from_secs(73 * 3600));
        let (status, html, _) = app.page(&link).await;
        assert_eq!(status, 410);
        assert!(html.contains("wygasł"), "{html}");
        assert!(html.contains("action=\"&#x2f;activate&#x2f;resend\"") || html.contains("action=\"/activate/resend\""));
    }

    async fn a_used_link_cannot_be_used_again(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        assert_eq!(app.set_password(&link, GOOD_PASSWORD, GOOD_PASSWORD).await.status(), 200);
        let (status, html, _) = app.page(&link).await;
        assert_eq!(status, 410);
        assert!(html.contains("został już użyty"));
    }

    async fn a_newer_link_voids_the_older_one(app) {
        let user = app.imported_user().await;
        let first = app.activation_link(&user, 0).await;
        let second = app.activation_link(&user, 1).await;
        assert_eq!(app.page(&first).await.0, 410);
        assert_eq!(app.page(&second).await.0, 200);
    }

    async fn unknown_link_is_refused(app) {
        assert_eq!(app.page("/activate?token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").await.0, 410);
    }

    async fn a_new_link_request_answers_the_same_for_known_and_unknown_addresses(app) {
        let user = app.imported_user().await;
        let (_, _, csrf) = app.page("/activate/resend").await;
        let known = app.submit("/activate/resend", &csrf, &[("email", &TestApp::email_of(&user))]).await;
        let known_status = known.status();
        let known_html = strip_tokens(&known.text().await.expect("html"));
        let unknown = app.submit("/activate/resend", &csrf, &[("email", "nobody@example.com")]).await;
        assert_eq!(unknown.status(), known_status);
        assert_eq!(strip_tokens(&unknown.text().await.expect("html")), known_html);
        app.mail_to(&user, "Aktywuj", 0).await;
    }

    async fn wrong_password_and_unknown_login_get_the_same_answer(app) {
        let user = app.activated_user().await;
        let wrong = app.sign_in_form(&user.login, "Wrong#Pass1", None).await;
        let unknown = app.sign_in_form("999999", "Wrong#Pass1", None).await;
        assert_eq!(wrong.status(), unknown.status());
        let (wrong, unknown) = (wrong.text().await.expect("html"), unknown.text().await.expect("html"));
        assert!(wrong.contains("Nieprawidłowy login lub hasło."));
        let typed = |html: &str, login: &str| strip_tokens(html).replace(&format!("value=\"{login}\""), "value=\"…\"");
        assert_eq!(typed(&wrong, &user.login), typed(&unknown, "999999"));
    }

    async fn five_wrong_codes_end_the_sign_in(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for left in (1..5).rev() {
            let response = app.submit_code(wrong).await;
            assert_eq!(response.status(), 400);
            assert!(response.text().await.expect("html").contains(&format!("Pozostałe próby: {left}")));
        }
        let (_, _, csrf) = app.page("/login/code").await;
        let last = app.submit("/login/code", &csrf, &[("code", wrong)]).await;
        assert!(last.headers()["location"].to_str().expect("ascii").starts_with("/login"));
        let late = app.submit("/login/code", &csrf, &[("code", code.as_str())]).await;
        assert!(late.headers()["location"].to_str().expect("ascii").starts_with("/login"), "the right code no longer helps");
    }

    async fn an_expired_code_is_refused(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        app.clock.advance(std::time::Duration::from_secs(11 * 60));
        let response = app.submit_code(&code).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.expect("html").contains("Kod wygasł"));
    }

    async fn a_refused_resend_names_the_button_not_the_code_field(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let (_, _, csrf) = app.page("/login/code").await;
        let too_soon = app.submit("/login/code/resend", &csrf, &[]).await;
        assert_eq!(too_soon.status(), 429);
        let html = too_soon.text().await.expect("html");
        assert!(html.contains("id=\"resend-error\""), "the refusal is shown by the button: {html}");
        assert!(!html.contains("aria-invalid"), "the code field is not marked invalid: {html}");
        assert!(html.contains("<title>Błąd: "), "the title says there was an error: {html}");
    }

    async fn codes_can_be_resent_three_times_thirty_seconds_apart(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let (_, _, csrf) = app.page("/login/code").await;
        let too_soon = app.submit("/login/code/resend", &csrf, &[]).await;
        assert_eq!(too_soon.status(), 429);
        for nth in 1..=3 {
            app.clock.advance(std::time::Duration::from_secs(31));
            let sent = app.submit("/login/code/resend", &csrf, &[]).await;
            assert_eq!(sent.status(), 200, "resend {nth}");
            app.code_of(&user, nth).await;
        }
        app.clock.advance(std::time::Duration::from_secs(31));
        let limit = app.submit("/login/code/resend", &csrf, &[]).await;
        assert_eq!(limit.status(), 429);
        let latest = app.code_of(&user, 3).await;
        let done = app.submit_code(&latest).await;
        assert_eq!(done.status(), 200, "the newest code works");
    }

    async fn five_failures_lock_the_account_for_a_while_and_tell_the_owner(app) {
        let user = app.activated_user().await;
        for _ in 0..5 {
            app.sign_in_form(&user.login, "Wrong#Pass1", None).await;
        }
        let locked = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(locked.status(), 401, "even the right password is refused while locked");
        app.mail_to(&user, "zablokowane", 0).await;
        app.clock.advance(std::time::Duration::from_secs(6 * 60));
        let after = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(after.headers()["location"], "/login/code", "the lock ends by itself");
    }

    async fn declining_the_terms_signs_out_and_tells_the_client_access_denied(app) {
        app.publish_terms("2026-11").await;
        let user = app.activated_user().await;
        let (client, handle) = parked_request(&app).await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, Some(&handle)).await;
        let code = app.code_of(&user, 0).await;
        app.submit_code(&code).await;
        let (_, _, csrf) = app.page("/terms").await;
        let declined = app.submit("/terms", &csrf, &[("decision", "decline")]).await;
        let back = redirect_location(&declined);
        assert!(back.as_str().starts_with(&client.redirect_uri));
        assert_eq!(query_param(&back, "error").as_deref(), Some("access_denied"));
        let params = [("response_type", "code"), ("scope", "openid"), ("prompt", "none"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
        let silent = redirect_location(&app.authorize(&client, &params).await);
        assert_eq!(query_param(&silent, "error").as_deref(), Some("login_required"), "no session was created");
    }

    async fn accepting_without_ticking_the_statement_is_refused(app) {
        app.publish_terms("2026-11").await;
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        app.submit_code(&code).await;
        let (_, _, csrf) = app.page("/terms").await;
        let response = app.submit("/terms", &csrf, &[("decision", "accept")]).await;
        assert_eq!(response.status(), 400);
        assert!(response.text().await.expect("html").contains("Zaznacz oświadczenie"));
    }

    async fn a_new_terms_version_is_shown_again(app) {
        let user = user_who_accepted_v1(&app).await;
        let second = sign_in_again(&app, &user, 1).await;
        assert_eq!(second.status(), 200, "v1 accepted: no terms page");
        app.clock.advance(std::time::Duration::from_secs(1));
        app.publish_terms("v2").await;
        let third = sign_in_again(&app, &user, 2).await;
        assert_eq!(third.headers()["location"], "/terms", "v2 must be accepted");
    }

    async fn a_terms_version_that_takes_effect_later_is_asked_for_only_from_then(app) {
        let user = user_who_accepted_v1(&app).await;
        let later = kuke_id::flows::terms::Publication {
            version: "v2",
            title: "Regulamin",
            body: "Nowy akapit.",
            body_en: None,
            effective_at: Some(app.clock.now() + time::Duration::hours(1)),
        };
        kuke_id::flows::terms::publish(&app.state.store, &app.clock, &kuke_id::domain::audit::Actor::named("test"), later)
            .await
            .expect("publish v2 for later");

        let before = sign_in_again(&app, &user, 1).await;
        assert_eq!(before.status(), 200, "v1 is still in force and accepted: no terms page");
        app.clock.advance(std::time::Duration::from_secs(3601));
        let after = sign_in_again(&app, &user, 2).await;
        assert_eq!(after.headers()["location"], "/terms", "v2 is in force now and must be accepted");
    }

    async fn forms_without_the_csrf_token_are_refused(app) {
        let user = app.activated_user().await;
        let response = app.http.post(app.url("/login")).form(&[("login", user.login.as_str()), ("password", GOOD_PASSWORD)]).send().await.expect("POST");
        assert_eq!(response.status(), 403);
    }

    async fn the_login_hint_prefills_the_login_field(app) {
        let client = app.client().await;
        let params = [("response_type", "code"), ("scope", "openid"), ("login_hint", "482913"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
        let response = app.authorize(&client, &params).await;
        let location = response.headers()["location"].to_str().expect("ascii").to_string();
        let (_, html, _) = app.page(&location).await;
        assert!(html.contains("value=\"482913\""));
    }

    async fn pages_speak_english_on_request(app) {
        let (_, html, _) = app.page("/login?lang=en").await;
        assert!(html.contains("lang=\"en\"") && html.contains("Send code"));
        let (_, html, _) = app.page("/login").await;
        assert!(html.contains("Send code"), "the choice is remembered in a cookie");
        let (_, html, _) = app.page("/login?lang=pl").await;
        assert!(html.contains("Wyślij kod") && html.contains("Hasło"));
    }
}

/// A page without its per-request values (CSRF token, request id).
fn strip_tokens(html: &str) -> String {
    let mut out = html.to_string();
    for name in ["csrf"] {
        if let Some(value) = hidden(html, name) {
            out = out.replace(&value, "");
        }
    }
    out.lines().filter(|l| !l.contains("class=\"rid\"")).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn verifier_constant_is_the_fixture_one() {
    assert_eq!(VERIFIER.len(), 43);
}

backend_tests! {
    async fn a_mail_refused_by_the_smtp_server_is_retried_until_delivered(app) {
        app.mailbox.refuse_next(1);
        let user = app.imported_user().await;
        kuke_id::flows::journey::invite::send_activation(&app.state, user.id, &kuke_id::domain::audit::Actor::named("test")).await.expect("invite");
        let conn = app.state.store.conn();
        poll::until("the refused first attempt", || async {
            let rows = kuke_id::store::mail_outbox::recent(conn, 10).await.expect("outbox");
            rows.into_iter().find(|r| r.kind == "activation" && r.attempts >= 1 && r.sent_at.is_none())
        })
        .await;
        assert!(app.mailbox.mails().await.is_empty(), "the first attempt was refused");
        app.clock.advance(std::time::Duration::from_secs(31));
        app.mail_to(&user, "Aktywuj", 0).await;
        let mails = app.mailbox.mails().await;
        assert_eq!(mails.len(), 1, "delivered exactly once");
    }

    async fn a_sent_mail_keeps_no_link_at_rest(app) {
        let user = app.imported_user().await;
        app.activation_link(&user, 0).await;
        let conn = app.state.store.conn();
        let sent = poll::until("the activation mail marked sent", || async {
            let rows = kuke_id::store::mail_outbox::recent(conn, 10).await.expect("outbox");
            rows.into_iter().find(|r| r.kind == "activation" && r.sent_at.is_some())
        })
        .await;
        assert!(sent.body_text.is_empty() && sent.body_html.is_empty(), "the link is erased once delivered");
    }

    async fn forgot_password_sends_a_reset_link_and_the_new_password_works(app) {
        let user = app.activated_user().await;
        let (_, _, csrf) = app.page("/password/forgot").await;
        app.submit("/password/forgot", &csrf, &[("email", &TestApp::email_of(&user))]).await;
        let mail = app.mail_to(&user, "nowe hasło", 0).await;
        let link = mail.link_containing("/activate?token=").expect("reset link");
        let response = app.set_password(link.trim_start_matches(&app.base), "Nowe#Haslo99", "Nowe#Haslo99").await;
        assert_eq!(response.status(), 200);
        let old = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(old.status(), 401);
        let new = app.sign_in_form(&user.login, "Nowe#Haslo99", None).await;
        assert_eq!(new.headers()["location"], "/login/code");
    }

    async fn too_many_sign_in_attempts_from_one_address_are_slowed_down(app) {
        let mut last = 0;
        for _ in 0..52 {
            last = app.sign_in_form("123456", "Wrong#Pass1", None).await.status().as_u16();
        }
        assert_eq!(last, 429);
    }

    async fn the_code_page_without_a_sign_in_sends_the_browser_to_the_sign_in_page(app) {
        let response = app.get("/login/code").await;
        assert!(response.headers()["location"].to_str().expect("ascii").starts_with("/login"));
    }
}

#[tokio::test]
async fn the_development_mailbox_exists_only_in_demo_mode_without_smtp() {
    use crate::support::Backend;
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.get("/dev/mail").await.status(), 404, "not outside demo mode");
    let demo = TestApp::spawn_demo(Backend::Sqlite).await;
    assert_eq!(demo.get("/dev/mail").await.status(), 404, "not when SMTP is configured");
}

#[tokio::test]
async fn the_development_mailbox_shows_the_mail_kept_without_smtp() {
    use crate::support::Backend;
    let demo = TestApp::spawn_demo_without_smtp(Backend::Sqlite).await;
    let user = demo.imported_user().await;
    kuke_id::flows::journey::invite::send_activation(
        &demo.state,
        user.id,
        &kuke_id::domain::audit::Actor::named("test"),
    )
    .await
    .expect("invite");
    let page = demo.get("/dev/mail").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&TestApp::email_of(&user)) && html.contains("Aktywuj konto"),
        "the activation mail is listed: {html}"
    );
    let id =
        html.split("href=\"/dev/mail/").nth(1).and_then(|rest| rest.split('"').next()).expect("a link to the mail");
    let mail = demo.get(&format!("/dev/mail/{id}")).await;
    assert_eq!(mail.status(), 200);
    let mail = mail.text().await.expect("html");
    assert!(
        mail.contains("<a href=\"http:&#x2f;&#x2f;") && mail.contains("activate?token="),
        "the link is clickable: {mail}"
    );
    assert!(mail.contains("<iframe class=\"mail-html\" sandbox"), "the HTML part is shown in a sandbox: {mail}");
    let html_part = demo.get(&format!("/dev/mail/{id}/html")).await;
    assert_eq!(html_part.status(), 200);
    let policy = html_part.headers()["content-security-policy"].to_str().expect("ascii").to_string();
    assert!(
        policy.contains("sandbox") && policy.contains("frame-ancestors 'self'") && !policy.contains("script-src"),
        "{policy}"
    );
    let body = html_part.text().await.expect("html");
    assert!(body.contains("activate?token="), "the HTML part is the mail's");
    assert_eq!(demo.get("/dev/mail/00000000-0000-0000-0000-000000000000").await.status(), 404);
    assert_eq!(demo.get("/dev/mail/not-a-uuid").await.status(), 404);
}

backend_tests! {
    async fn a_self_service_link_request_is_audited_with_the_requesters_address(app) {
        let user = app.activated_user().await;
        let (_, _, csrf) = app.page("/password/forgot").await;
        app.submit("/password/forgot", &csrf, &[("email", &TestApp::email_of(&user))]).await;

        use kuke_id::store::entities::audit_events;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let event = audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("user.reset_link_sent"))
            .one(app.state.store.conn())
            .await
            .expect("query")
            .expect("event");
        assert_eq!(event.actor, "self-service");
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"));
    }
}
