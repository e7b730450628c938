//! Each password rule, refused with its own message on "Ustawienie hasła".

use crate::support::TestApp;
use crate::support::journey::GOOD_PASSWORD;

async fn refused(app: &TestApp, password: &str, repeated: &str, message: &str) {
    let user = app.imported_user().await;
    let link = app.activation_link(&user, 0).await;
    let password = password
        .replace("{login}", &user.login)
        .replace("{local}", user.email.split('@').next().expect("a local part"));
    let repeated = repeated
        .replace("{login}", &user.login)
        .replace("{local}", user.email.split('@').next().expect("a local part"));
    let response = app.set_password(&link, &password, &repeated).await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.expect("html");
    // The checklist names every rule on every form: the refusal is in the error summary.
    let summary = html.split("id=\"form-errors\"").nth(1).and_then(|rest| rest.split("</div>").next());
    let summary = summary.unwrap_or_else(|| panic!("no error summary in {html}"));
    assert!(summary.contains(message), "expected «{message}» in the summary: {summary}");
    assert_eq!(app.page(&link).await.0, 200, "a refused password does not spend the link");
}

backend_tests! {
    async fn shorter_than_eight_characters_is_refused(app) { refused(&app, "Ab1#", "Ab1#", "co najmniej 8 znaków").await; }
    async fn no_upper_case_letter_is_refused(app) { refused(&app, "zielony#las7", "zielony#las7", "wielką literę").await; }
    async fn no_lower_case_letter_is_refused(app) { refused(&app, "ZIELONY#LAS7", "ZIELONY#LAS7", "małą literę").await; }
    async fn no_digit_is_refused(app) { refused(&app, "Zielony#Lasy", "Zielony#Lasy", "cyfrę arabską").await; }
    async fn no_special_character_is_refused(app) { refused(&app, "ZielonyLas77", "ZielonyLas77", "znak specjalny").await; }
    async fn containing_the_login_is_refused(app) { refused(&app, "Ab#{login}x", "Ab#{login}x", "nie może zawierać Twojego loginu").await; }
    async fn containing_the_email_name_is_refused(app) { refused(&app, "X#1{local}A", "X#1{local}A", "adresu e-mail").await; }
    async fn a_common_password_is_refused(app) { refused(&app, "Qwerty123!", "Qwerty123!", "zbyt popularne").await; }
    async fn longer_than_128_characters_is_refused(app) {
        let long = format!("Aa1#{}", "x".repeat(130));
        refused(&app, &long, &long, "najwyżej 128 znaków").await;
    }
    async fn a_different_repetition_is_refused(app) { refused(&app, GOOD_PASSWORD, "Zielony#Las8", "takie same").await; }
}
