//! OIDC Core §3.1.2.1 `prompt`.

use super::error::OAuthError;

/// The prompt values kuke-id acts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// No UI may be shown.
    pub none: bool,
    /// Re-authenticate even with a session.
    pub login: bool,
    /// Ask for consent again.
    pub consent: bool,
    /// Let the user pick an account (one account per browser: same as proceeding).
    pub select_account: bool,
}

/// Parses a space-separated prompt. `none` with anything else is an error;
/// unknown values are ignored, as OIDC asks for unknown parameters.
pub fn parse(text: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    let Some(text) = text else { return Ok(prompt) };
    let mut count = 0;
    for value in text.split(' ').filter(|v| !v.is_empty()) {
        count += 1;
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            _ => {}
        }
    }
    if prompt.none && count > 1 {
        return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
    }
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_with_login_is_invalid() {
        assert!(parse(Some("none login")).is_err());
    }

    #[test]
    fn login_and_consent_combine() {
        let prompt = parse(Some("login consent")).expect("valid");
        assert!(prompt.login && prompt.consent && !prompt.none);
    }

    #[test]
    fn absent_prompt_asks_nothing() {
        assert_eq!(parse(None).expect("valid"), Prompt::default());
    }
}
