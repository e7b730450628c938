//! The language switch on a page answered to a form leads to the same page in
//! the other language, never to a dead end.

use crate::support::TestApp;
use crate::support::journey::{GOOD_PASSWORD, hidden};

/// The address the switch to `lang` points at, relative to the page's path.
fn switch_to(html: &str, lang: &str) -> String {
    let marker = format!("lang=\"{lang}\"");
    let anchor = html.split("<a href=\"").find(|rest| rest.contains(&marker) && rest.find(&marker) < rest.find('>'));
    let href = anchor.and_then(|rest| rest.split('"').next()).unwrap_or_else(|| panic!("no switch to {lang}"));
    href.replace("&amp;", "&")
}

/// The `action` of the page's first form.
fn form_action(html: &str) -> String {
    let rest = html.split("<form method=\"post\" action=\"").nth(1).expect("a form");
    rest.split('"').next().expect("its action").replace("&amp;", "&")
}

async fn refused_password_page(app: &TestApp) -> String {
    let user = app.imported_user().await;
    let link = app.activation_link(&user, 0).await;
    let (_, html, csrf) = app.page(&link).await;
    let token = hidden(&html, "token").expect("the token field");
    let fields = [("token", token.as_str()), ("password", "abc"), ("password_repeat", "abc")];
    let response = app.submit(&form_action(&html), &csrf, &fields).await;
    assert_eq!(response.status(), 400, "a weak password is refused");
    response.text().await.expect("html")
}

backend_tests! {
    async fn after_a_refused_password_the_switch_shows_the_same_form_in_english(app) {
        let refused = refused_password_page(&app).await;
        let (status, english, _) = app.page(&format!("/activate{}", switch_to(&refused, "en"))).await;
        assert_eq!(status, 200, "{english}");
        assert!(english.contains("Set your password") && english.contains("name=\"token\""), "{english}");
    }

    async fn on_the_signed_out_page_the_switch_leads_to_the_end_session_page_in_english(app) {
        let user = app.active_user().await;
        app.sign_in(&user).await;
        let (_, confirm, csrf) = app.page("/logout").await;
        assert!(confirm.contains("action=\"/logout/confirm\""), "{confirm}");
        let signed_out = app.submit("/logout/confirm", &csrf, &[]).await;
        assert_eq!(signed_out.status(), 200);
        let html = signed_out.text().await.expect("html");
        let switched = app.get(&format!("/logout/confirm{}", switch_to(&html, "en"))).await;
        assert_eq!(switched.status(), 303);
        let location = switched.headers()["location"].to_str().expect("ascii").to_string();
        let (status, english, _) = app.page(&location).await;
        assert_eq!(status, 200, "{english}");
        // Without a session and without a client, the end-session endpoint asks, as
        // RP-Initiated Logout §2 suggests; the person is already signed out either way.
        assert!(english.contains("<h1>Sign out</h1>") && english.contains("lang=\"en\""), "{english}");
    }

    async fn after_a_resend_the_switch_leads_to_the_code_page_in_english(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let (_, _, csrf) = app.page("/login/code").await;
        app.clock.advance(std::time::Duration::from_secs(31));
        let resent = app.submit("/login/code/resend", &csrf, &[]).await;
        assert_eq!(resent.status(), 200);
        let html = resent.text().await.expect("html");
        let switched = app.get(&format!("/login/code/resend{}", switch_to(&html, "en"))).await;
        assert_eq!(switched.status(), 303);
        let location = switched.headers()["location"].to_str().expect("ascii").to_string();
        let (status, english, _) = app.page(&location).await;
        assert_eq!(status, 200, "{english}");
        assert!(english.contains("Sign in – code") && english.contains("name=\"code\""), "{english}");
    }
}
