//! A person who asks for an activation or reset link in the middle of signing in
//! to an application lands back in that sign-in once the password is set; the
//! plain path (mail → password → "Gotowe!") stays as it is.

use crate::support::TestApp;
use crate::support::fixtures::{CHALLENGE, query_param, redirect_location};
use crate::support::journey::{GOOD_PASSWORD, hidden};

backend_tests! {
    async fn a_link_asked_for_during_a_sign_in_leads_back_into_it(app) {
        let user = app.imported_user().await;
        let client = app.client().await;
        let params = [("response_type", "code"), ("scope", "openid"), ("state", "r1"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
        let to_sign_in = app.authorize(&client, &params).await;
        let handle = to_sign_in.headers()["location"].to_str().expect("ascii").trim_start_matches("/login?request=").to_string();

        // "Nie pamiętasz hasła?" on that sign-in page carries the sign-in along.
        let (_, sign_in, _) = app.page(&format!("/login?request={handle}")).await;
        assert!(sign_in.contains(&format!("/password/forgot?request={handle}")), "{sign_in}");
        let (_, form, csrf) = app.page(&format!("/password/forgot?request={handle}")).await;
        assert_eq!(hidden(&form, "request").as_deref(), Some(handle.as_str()));
        let requested = app.submit("/password/forgot", &csrf, &[("email", &TestApp::email_of(&user)), ("request", &handle)]).await;
        assert_eq!(requested.status(), 200);

        // The mailed link, opened in the same browser: the password page leads back.
        let mail = app.mail_to(&user, "Aktywuj", 0).await;
        let link = mail.link_containing("/activate?token=").expect("a link");
        assert!(!link.contains(&handle), "the mail never carries the sign-in");
        let done = app.set_password(link.trim_start_matches(&app.base), GOOD_PASSWORD, GOOD_PASSWORD).await;
        assert_eq!(done.status(), 200);
        let html = done.text().await.expect("html");
        assert!(html.contains(&format!("href=\"/login?request={handle}\"")), "{html}");

        // And the sign-in finishes at the application that started it.
        let login = app.mail_to(&user, "login", 0).await.six_digits().expect("a login");
        let to_code = app.sign_in_form(&login, GOOD_PASSWORD, Some(&handle)).await;
        assert_eq!(to_code.status(), 303);
        let finished = app.submit_code(&app.code_of(&user, 0).await).await;
        let back = redirect_location(&finished);
        assert!(back.as_str().starts_with(&client.redirect_uri), "{back}");
        assert!(query_param(&back, "code").is_some() && query_param(&back, "state").as_deref() == Some("r1"), "{back}");
    }

    async fn the_plain_path_still_ends_on_the_password_set_page_with_a_plain_sign_in_link(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        let done = app.set_password(&link, GOOD_PASSWORD, GOOD_PASSWORD).await;
        let html = done.text().await.expect("html");
        assert!(html.contains("href=\"/login\""), "{html}");
    }

    async fn a_malformed_sign_in_handle_is_not_echoed(app) {
        let (_, form, _) = app.page("/password/forgot?request=%22%3E%3Cscript%3E").await;
        assert!(hidden(&form, "request").is_none(), "{form}");
    }
}
