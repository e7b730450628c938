//! Every page has a way onward: no dead ends for a person who lands on one.

use crate::support::TestApp;

/// The page at `path` as a browser asks for it.
async fn browser_page(app: &TestApp, path: &str) -> (u16, String) {
    let response =
        app.http.get(app.url(path)).header("accept", "text/html,application/xhtml+xml").send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("html"))
}

fn links_to_sign_in(html: &str) -> bool {
    html.contains("href=\"/login\"") || html.contains("href=\"&#x2f;login\"")
}

backend_tests! {
    async fn a_browser_at_an_unknown_address_gets_a_page_with_a_way_to_sign_in(app) {
        let (status, html) = browser_page(&app, "/no-such-page").await;
        assert_eq!(status, 404);
        assert!(html.contains("<h1>Coś poszło nie tak</h1>") && html.contains("Pod tym adresem nie ma strony"), "{html}");
        assert!(links_to_sign_in(&html), "{html}");
    }

    async fn an_api_client_at_an_unknown_address_keeps_json(app) {
        let response = app.get("/no-such-page").await;
        assert_eq!(response.status(), 404);
        assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("application/json"));
    }

    async fn the_forgot_password_page_leads_back_to_sign_in(app) {
        let (status, html) = browser_page(&app, "/password/forgot").await;
        assert_eq!(status, 200);
        assert!(links_to_sign_in(&html), "{html}");
    }

    async fn the_check_your_mailbox_page_leads_back_to_sign_in(app) {
        let (_, _, csrf) = app.page("/password/forgot").await;
        let html = app.submit("/password/forgot", &csrf, &[("email", "nobody@example.com")]).await.text().await.expect("html");
        assert!(html.contains("Sprawdź"), "{html}");
        assert!(links_to_sign_in(&html), "{html}");
    }

    async fn the_sign_out_question_can_be_cancelled_and_the_signed_out_page_leads_to_sign_in(app) {
        let user = app.active_user().await;
        app.sign_in(&user).await;
        let (_, confirm, csrf) = app.page("/logout").await;
        assert!(confirm.contains("Anuluj"), "{confirm}");
        let html = app.submit("/logout/confirm", &csrf, &[]).await.text().await.expect("html");
        assert!(links_to_sign_in(&html), "{html}");
    }
}
