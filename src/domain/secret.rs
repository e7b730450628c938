//! Secrets that enter kuke-id from outside: a password, a client secret, an
//! e-mailed one-time code, a refresh token, a URL that may carry credentials.
//! Their `Debug` and `Display` never print the value, so a secret cannot leak
//! into a log line or an error message by being formatted; the value is read only
//! through an explicit `expose()` at the one place that needs it.

use std::fmt;

/// Declares a redacted secret string type.
macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Default)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret itself, for the one place that checks or hashes it.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Whether the value is empty (a form field left blank).
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(***)"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("***")
            }
        }
    };
}

secret_string! {
    /// A password as typed by a person (sign-in, activation, reset).
    Password
}

secret_string! {
    /// A client secret as presented at the token, introspection or revocation endpoint.
    ClientSecret
}

secret_string! {
    /// A one-time code as typed from the sign-in mail.
    OneTimeCode
}

secret_string! {
    /// A refresh token as presented by a client.
    RefreshToken
}

secret_string! {
    /// Any other secret setting (e.g. the metrics bearer token).
    Secret
}

/// A URL that may carry credentials (`postgres://user:password@host/db`,
/// `smtp://user:password@relay`). `Debug` and `Display` show it with the password
/// and any secret query parameter replaced by `***`; a value that does not parse
/// as a URL is not shown at all.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

/// Query parameters that carry secrets (libpq and sqlx names).
const SECRET_PARAMETERS: [&str; 3] = ["password", "sslpassword", "sslkey"];

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The URL with its credentials, for the one place that connects with it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the URL starts with `prefix` (its scheme is not a secret).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }

    /// The secrets written in the URL: the user-info password and secret query
    /// parameters, raw and percent-decoded (to scrub them from a driver's message).
    pub fn secrets(&self) -> Vec<String> {
        let Ok(parsed) = url::Url::parse(&self.0) else { return Vec::new() };
        let is_secret = |key: &str| SECRET_PARAMETERS.iter().any(|s| key.eq_ignore_ascii_case(s));
        let mut secrets: Vec<String> = parsed.password().map(str::to_string).into_iter().collect();
        secrets.extend(parsed.query_pairs().filter(|(key, _)| is_secret(key)).map(|(_, value)| value.into_owned()));
        if let Some(query) = parsed.query() {
            secrets.extend(
                query
                    .split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .filter(|(key, _)| is_secret(key))
                    .map(|(_, value)| value.to_string()),
            );
        }
        secrets.retain(|secret| !secret.is_empty());
        secrets
    }

    /// The URL as it may be shown: password and secret parameters replaced.
    pub fn redacted(&self) -> String {
        let Ok(mut url) = url::Url::parse(&self.0) else { return "***".to_string() };
        if url.password().is_some() && url.set_password(Some("***")).is_err() {
            return "***".to_string();
        }
        let is_secret = |key: &str| SECRET_PARAMETERS.iter().any(|s| key.eq_ignore_ascii_case(s));
        if url.query_pairs().any(|(key, _)| is_secret(&key)) {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let value = if is_secret(&key) { "***".to_string() } else { value.into_owned() };
                    (key.into_owned(), value)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "hunter2-Sekret";

    fn hides(shown: &str) {
        assert!(!shown.contains(VALUE), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn secret_strings_never_format_their_value() {
        let formatted = [
            format!("{:?} {}", Password::new(VALUE), Password::new(VALUE)),
            format!("{:?} {}", ClientSecret::new(VALUE), ClientSecret::new(VALUE)),
            format!("{:?} {}", OneTimeCode::new(VALUE), OneTimeCode::new(VALUE)),
            format!("{:?} {}", RefreshToken::new(VALUE), RefreshToken::new(VALUE)),
            format!("{:?} {}", Secret::new(VALUE), Secret::new(VALUE)),
            format!("{:#?}", Some(Password::new(VALUE))),
        ];
        for shown in formatted {
            hides(&shown);
        }
        assert_eq!(format!("{:?}", Password::new(VALUE)), "Password(***)");
    }

    #[test]
    fn expose_gives_the_value_back() {
        assert_eq!(Password::new(VALUE).expose(), VALUE);
        assert_eq!(SecretUrl::new(VALUE).expose(), VALUE);
    }

    #[test]
    fn a_url_is_shown_without_its_password() {
        let url = SecretUrl::new(format!("postgres://kuke:{VALUE}@db.internal:5432/kuke?sslmode=require"));
        for shown in [format!("{url:?}"), format!("{url}"), url.redacted()] {
            hides(&shown);
            assert!(shown.contains("db.internal"), "{shown}");
            assert!(shown.contains("sslmode=require"), "{shown}");
        }
    }

    #[test]
    fn a_url_is_shown_without_secret_parameters() {
        let url = SecretUrl::new(format!("postgres://db/kuke?user=kuke&password={VALUE}&sslpassword={VALUE}"));
        hides(&format!("{url:?} {url}"));
        let smtp = SecretUrl::new(format!("smtps://mailer:{VALUE}@relay.example:465"));
        hides(&format!("{smtp:?} {smtp}"));
    }

    #[test]
    fn an_unparsable_url_is_not_shown_at_all() {
        let url = SecretUrl::new(format!("not a url {VALUE}"));
        assert_eq!(format!("{url}"), "***");
        hides(&format!("{url:?}"));
    }

    #[test]
    fn a_url_without_credentials_is_shown_as_is() {
        assert_eq!(
            SecretUrl::new("sqlite://data/kuke-id.db?mode=rwc").to_string(),
            "sqlite://data/kuke-id.db?mode=rwc"
        );
    }
}
