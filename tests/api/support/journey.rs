//! Walking the hosted pages as a browser would, reading links and codes from the
//! mails the SMTP sink received.

use kuke_id::store;
use reqwest::Response;

use super::TestApp;
use super::fixtures::TestUser;
use super::smtp::ReceivedMail;

/// A password that meets every rule.
pub const GOOD_PASSWORD: &str = "Zielony#Las7";

/// The value of hidden field `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker).nth(1).and_then(|rest| rest.split('"').next()).map(str::to_string)
}

impl TestApp {
    /// An account brought in as in production: a one-row CSV posted to the
    /// admin API's import, which leaves it without a password and not invited.
    pub async fn imported_user(&self) -> TestUser {
        let token = self.admin_token("admin:users").await;
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("import-{}@example.com", &tag[..16]);
        let csv = format!(
            "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n\
             L-{tag},{email},Anna,Nowak,ACME-1,ACME Sp. z o.o.,administrator\n"
        );
        let response = self
            .http
            .post(self.url("/admin/api/v1/imports"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("POST /imports");
        assert_eq!(response.status(), 200, "the import is accepted");
        let report: serde_json::Value = response.json().await.expect("the import report");
        assert_eq!(report["created"], 1, "one account created: {report}");
        let user =
            store::users::find_by_email(self.state.store.conn(), &email).await.expect("lookup").expect("imported");
        assert_eq!(user.status, kuke_id::domain::user::Status::Imported);
        TestUser { id: user.id, login: user.login, email }
    }

    /// The e-mail address of `user`.
    pub fn email_of(user: &TestUser) -> String {
        user.email.clone()
    }

    /// The `nth` (0-based) mail to `user` whose subject contains `subject`.
    pub async fn mail_to(&self, user: &TestUser, subject: &str, nth: usize) -> ReceivedMail {
        let to = Self::email_of(user);
        self.mailbox
            .wait_until(|mails| {
                mails
                    .iter()
                    .filter(|m| {
                        m.rcpt_to.contains(&to)
                            && m.header("Subject").is_some_and(|s| decode_subject(&s).contains(subject))
                    })
                    .nth(nth)
                    .cloned()
            })
            .await
    }

    /// Invites `user` and returns the activation link's path and query.
    pub async fn activation_link(&self, user: &TestUser, nth: usize) -> String {
        kuke_id::flows::journey::invite::send_activation(
            &self.state,
            user.id,
            &kuke_id::domain::audit::Actor::named("test"),
        )
        .await
        .expect("invite");
        let mail = self.mail_to(user, "Aktywuj", nth).await;
        let link = mail.link_containing("/activate?token=").expect("activation link");
        link.trim_start_matches(&self.base).to_string()
    }

    /// GETs a page and returns (response status, body, its CSRF token).
    pub async fn page(&self, path: &str) -> (u16, String, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let html = response.text().await.expect("html");
        let csrf = hidden(&html, "csrf").unwrap_or_default();
        (status, html, csrf)
    }

    /// POSTs a form (the CSRF token is added).
    pub async fn submit(&self, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("csrf", csrf)];
        form.extend_from_slice(fields);
        self.http.post(self.url(path)).form(&form).send().await.expect("POST")
    }

    /// Sets a password through `link`.
    pub async fn set_password(&self, link: &str, password: &str, repeated: &str) -> Response {
        let (_, html, csrf) = self.page(link).await;
        let token = hidden(&html, "token").expect("token field");
        self.submit("/activate", &csrf, &[("token", &token), ("password", password), ("password_repeat", repeated)])
            .await
    }

    /// Imports, invites and activates an account; returns it with the login from the mail.
    pub async fn activated_user(&self) -> TestUser {
        let user = self.imported_user().await;
        let link = self.activation_link(&user, 0).await;
        let response = self.set_password(&link, GOOD_PASSWORD, GOOD_PASSWORD).await;
        assert_eq!(response.status(), 200);
        let mail = self.mail_to(&user, "login", 0).await;
        assert_eq!(mail.six_digits().as_deref(), Some(user.login.as_str()), "the login mail carries the login");
        user
    }

    /// Submits the sign-in form (for a parked request when `request` is given).
    pub async fn sign_in_form(&self, login: &str, password: &str, request: Option<&str>) -> Response {
        let path = match request {
            Some(handle) => format!("/login?request={handle}"),
            None => "/login".to_string(),
        };
        let (_, _, csrf) = self.page(&path).await;
        let mut fields = vec![("login", login), ("password", password)];
        if let Some(handle) = request {
            fields.push(("request", handle));
        }
        self.submit("/login", &csrf, &fields).await
    }

    /// The `nth` sign-in code mailed to `user`.
    pub async fn code_of(&self, user: &TestUser, nth: usize) -> String {
        self.mail_to(user, "Kod weryfikacyjny", nth).await.six_digits().expect("code")
    }

    /// Submits a code on the code page.
    pub async fn submit_code(&self, code: &str) -> Response {
        let (_, _, csrf) = self.page("/login/code").await;
        self.submit("/login/code", &csrf, &[("code", code)]).await
    }

    /// Publishes a terms version in force now.
    pub async fn publish_terms(&self, version: &str) {
        self.publish_terms_with(version, None).await;
    }

    /// Publishes a terms version in force now, with `body_en` as its English text.
    pub async fn publish_terms_with(&self, version: &str, body_en: Option<&str>) {
        let publication = kuke_id::flows::terms::Publication {
            version,
            title: "Regulamin",
            body: "Pierwszy akapit.\n\nDrugi akapit.",
            body_en,
            effective_at: None,
        };
        kuke_id::flows::terms::publish(
            &self.state.store,
            &self.clock,
            &kuke_id::domain::audit::Actor::named("test"),
            publication,
        )
        .await
        .expect("publish terms");
    }
}

/// Decodes an RFC 2047 subject (`=?utf-8?b?…?=` or `=?utf-8?q?…?=`) enough for matching.
pub fn decode_subject(subject: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in subject.split_whitespace() {
        let encoded = word.starts_with("=?") && word.ends_with("?=");
        // RFC 2047 §6.2: white space between two encoded words is not displayed.
        if !out.is_empty() && (!encoded || !previous_encoded) {
            out.push(' ');
        }
        previous_encoded = encoded;
        if let Some(inner) = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?=")) {
            let mut parts = inner.splitn(3, '?');
            let (_, encoding, text) =
                (parts.next(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            if encoding.eq_ignore_ascii_case("b") {
                let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default();
                out.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                out.push_str(&text.replace('_', " "));
            }
        } else {
            out.push_str(word);
        }
    }
    out
}
