//! Mail that is never lost. A flow queues a typed [`Message`] with
//! [`queue`] inside its own transaction, so the mail exists exactly when the state
//! change that causes it does; the delivery worker ([`delivery`]) sends it later
//! through SMTP with retries, or keeps it in the development mailbox.
//!
//! Every mail is multipart (text + HTML), rendered from the message catalogue and
//! `templates/mail/layout.{txt,html}`, names the genuine sender (anti-phishing, as
//! the seed asks), and carries no tracking.

pub mod delivery;

use minijinja::{Environment, context};
use serde::Serialize;
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::user::User;
use crate::i18n::Lang;
use crate::store::mail_outbox::{self, NewMail};
use crate::store::{Connection, StoreError};

/// A mail kuke-id sends.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// The launch-day (or re-sent) activation link.
    Activation {
        /// The link.
        link: String,
        /// Hours it stays valid.
        hours: u64,
    },
    /// A reminder before the activation link expires.
    ActivationReminder {
        /// The link.
        link: String,
        /// Hours left.
        hours: u64,
    },
    /// "Forgot password": a link to set a new one.
    PasswordReset {
        /// The link.
        link: String,
        /// Hours it stays valid.
        hours: u64,
    },
    /// The six-digit login, after the password is set.
    LoginNumber {
        /// The login number.
        login: String,
        /// The sign-in page.
        sign_in_url: String,
    },
    /// The e-mailed sign-in code.
    OneTimeCode {
        /// The code.
        code: String,
        /// Minutes it stays valid.
        minutes: u64,
    },
    /// Too many failed attempts: the account is locked for a while.
    AccountLocked {
        /// Minutes until it unlocks.
        minutes: u64,
    },
    /// To the new address of an e-mail change: confirm it with the link.
    EmailChangeConfirm {
        /// The confirmation link.
        link: String,
        /// Hours it stays valid.
        hours: u64,
    },
    /// To the old address of an e-mail change: a change was asked for.
    EmailChangeNotice {
        /// The new address, partly hidden.
        new_email: String,
    },
    /// The password was changed from the account page.
    AccountPasswordChanged,
    /// An authenticator app was added (or replaced) from the account page.
    TotpAdded,
    /// The authenticator app was removed from the account page.
    TotpRemoved,
    /// The help desk removed the authenticator app.
    TotpReset,
}

impl Message {
    /// The kind, as stored and used for catalogue keys.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Activation { .. } => "activation",
            Message::ActivationReminder { .. } => "activation_reminder",
            Message::PasswordReset { .. } => "password_reset",
            Message::LoginNumber { .. } => "login_number",
            Message::OneTimeCode { .. } => "one_time_code",
            Message::AccountLocked { .. } => "account_locked",
            Message::EmailChangeConfirm { .. } => "email_change_confirm",
            Message::EmailChangeNotice { .. } => "email_change_notice",
            Message::AccountPasswordChanged => "account_password_changed",
            Message::TotpAdded => "totp_added",
            Message::TotpRemoved => "totp_removed",
            Message::TotpReset => "totp_reset",
        }
    }

    /// The button of the HTML part: (URL, catalogue key of its label).
    fn action(&self) -> Option<&str> {
        match self {
            Message::Activation { link, .. }
            | Message::ActivationReminder { link, .. }
            | Message::PasswordReset { link, .. }
            | Message::EmailChangeConfirm { link, .. } => Some(link),
            Message::LoginNumber { sign_in_url, .. } => Some(sign_in_url),
            Message::OneTimeCode { .. }
            | Message::AccountLocked { .. }
            | Message::EmailChangeNotice { .. }
            | Message::AccountPasswordChanged
            | Message::TotpAdded
            | Message::TotpRemoved
            | Message::TotpReset => None,
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Subject.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: String,
}

static LAYOUTS: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("layout.txt", include_str!("../../templates/mail/layout.txt")),
        ("layout.html", include_str!("../../templates/mail/layout.html")),
    ] {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(%error, name, "mail template does not parse");
        }
    }
    env
});

/// Renders `message` for `name` in `lang`; `from` is shown in the anti-phishing note.
pub fn render(message: &Message, lang: Lang, name: &str, from: &str) -> Rendered {
    let catalogue = lang.catalogue();
    let key = |suffix: &str| format!("mail_{}_{suffix}", message.kind());
    let values = minijinja::value::Value::from(minijinja::value::Serde(message));
    // Catalogue entries are small templates themselves ({{ login }}, {{ hours }}…),
    // rendered without HTML escaping; the HTML layout escapes them on output.
    let mut plain = Environment::new();
    plain.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let fill = |text: &str| plain.render_str(text, &values).unwrap_or_else(|_| text.to_string());
    let subject = fill(catalogue.get(key("subject")).and_then(|v| v.as_str()).unwrap_or(message.kind()));
    let paragraphs: Vec<String> = catalogue
        .get(key("body"))
        .and_then(|v| v.as_array())
        .map(|lines| lines.iter().filter_map(|l| l.as_str()).map(&fill).collect())
        .unwrap_or_default();
    let action_label = catalogue.get(key("action")).and_then(|v| v.as_str()).map(&fill);
    let ctx = context! {
        lang => lang.code(),
        t => lang.catalogue_value(),
        greeting => fill(&lang.text("mail_greeting")).replace("{name}", name),
        paragraphs,
        action_url => message.action(),
        action_label,
        from,
        subject => subject.clone(),
    };
    let render = |template: &str| {
        LAYOUTS.get_template(template).and_then(|t| t.render(&ctx)).unwrap_or_else(|error| {
            tracing::error!(%error, template, "mail failed to render");
            String::new()
        })
    };
    Rendered { subject, text: render("layout.txt"), html: render("layout.html") }
}

/// Who queues a mail: the sender address it goes out from, and the counters
/// of the provider that queues it.
#[derive(Clone, Copy)]
pub struct Sender<'a> {
    /// The `From` address (`KUKE_ID_MAIL_FROM`).
    pub from: &'a str,
    /// Counts the queued mail.
    pub metrics: &'a crate::metrics::Registry,
}

/// Queues a mail to `user` in the caller's transaction.
pub async fn queue(
    conn: &impl Connection,
    user: &User,
    message: &Message,
    lang: Lang,
    sender: &Sender<'_>,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    queue_at(conn, user, message, lang, sender, now, now).await
}

/// Queues a mail to `user` that is not sent before `due` (paced campaigns).
pub async fn queue_at(
    conn: &impl Connection,
    user: &User,
    message: &Message,
    lang: Lang,
    sender: &Sender<'_>,
    now: OffsetDateTime,
    due: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let Sender { from, metrics } = sender;
    let name = format!("{} {}", user.given_name, user.family_name);
    let rendered = render(message, lang, name.trim(), from);
    let id = mail_outbox::insert_due(
        conn,
        NewMail {
            kind: message.kind(),
            user_id: Some(user.id),
            recipient: &user.email,
            subject: &rendered.subject,
            body_text: &rendered.text,
            body_html: &rendered.html,
        },
        now,
        due,
    )
    .await?;
    metrics.mail_queued(message.kind());
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_renders_in_both_languages_with_the_sender_named() {
        let messages = [
            Message::Activation { link: "https://x/activate?token=t".into(), hours: 72 },
            Message::ActivationReminder { link: "https://x/activate?token=t".into(), hours: 24 },
            Message::PasswordReset { link: "https://x/activate?token=t".into(), hours: 72 },
            Message::LoginNumber { login: "482913".into(), sign_in_url: "https://x/login".into() },
            Message::OneTimeCode { code: "123456".into(), minutes: 10 },
            Message::AccountLocked { minutes: 15 },
            Message::AccountPasswordChanged,
            Message::TotpAdded,
            Message::TotpRemoved,
            Message::TotpReset,
        ];
        for lang in [Lang::Pl, Lang::En] {
            for message in &messages {
                let mail = render(message, lang, "Anna Nowak", "portalklienta@kuke.com.pl");
                assert!(!mail.subject.starts_with("mail_"), "{lang:?} {} subject", message.kind());
                assert!(mail.text.contains("portalklienta@kuke.com.pl"), "{lang:?} {} text", message.kind());
                assert!(mail.html.contains("portalklienta@kuke.com.pl"), "{lang:?} {} html", message.kind());
                assert!(mail.text.contains("Anna Nowak"));
            }
        }
    }

    #[test]
    fn the_login_mail_carries_the_login_and_says_it_is_new() {
        let mail = render(
            &Message::LoginNumber { login: "482913".into(), sign_in_url: "https://x/login".into() },
            Lang::Pl,
            "A",
            "f",
        );
        assert!(mail.text.contains("482913"));
        assert!(mail.text.contains("Ekstranet"));
    }

    #[test]
    fn every_kind_has_its_own_metrics_label() {
        let messages = [
            Message::Activation { link: String::new(), hours: 1 },
            Message::ActivationReminder { link: String::new(), hours: 1 },
            Message::PasswordReset { link: String::new(), hours: 1 },
            Message::LoginNumber { login: String::new(), sign_in_url: String::new() },
            Message::OneTimeCode { code: String::new(), minutes: 1 },
            Message::AccountLocked { minutes: 1 },
        ];
        for message in &messages {
            assert!(crate::metrics::MAIL_KINDS.contains(&message.kind()), "{}", message.kind());
        }
    }

    #[test]
    fn html_part_escapes_names() {
        let mail = render(&Message::AccountLocked { minutes: 5 }, Lang::En, "<script>", "f");
        assert!(!mail.html.contains("<script>"));
    }
}
