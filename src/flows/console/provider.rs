//! What the console's provider pages decide before and after calling the admin
//! API's flows: reading their forms into the flows' requests, naming the field a
//! refused rule belongs to, and which client the console keeps its hands off.
//! The rules themselves stay in the flows (`flows::clients`, `flows::terms`) and
//! the domain; a form is only read here, so that both surfaces refuse alike.

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use uuid::Uuid;

use super::CONSOLE_CLIENT_ID;
use crate::domain::audit::AuditFilter;
use crate::domain::client::{ClientKind, ClientRuleError, MAX_SECRET_GRACE};
use crate::domain::signing_alg::SigningAlg;
use crate::flows::clients::{Changes, Registration};

/// A refused field's message: a translation key and, where it helps, the
/// offending value and the rule's own (technical, English) reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The message's translation key.
    pub key: &'static str,
    /// The value or rule that was refused, shown after the message.
    pub detail: Option<String>,
}

impl FieldError {
    fn new(key: &'static str) -> Self {
        Self { key, detail: None }
    }
}

/// Refused fields by name.
pub type FieldErrors = BTreeMap<&'static str, FieldError>;

/// Why the console leaves a client alone, when it does: the console's own client
/// is registered and corrected by kuke-id on every start (`client::ensure`);
/// changed here it would be put back, and removed it would lock every staff
/// member out of the console until the next start.
pub fn hands_off(client_id: &str) -> Option<&'static str> {
    (client_id == CONSOLE_CLIENT_ID).then_some("console_prov_client_built_in")
}

/// A form's value, trimmed and cut to a sane length (the rules refuse anything
/// this long anyway; the cut keeps a hostile body from being echoed whole).
pub fn field(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().chars().take(4000).collect()).unwrap_or_default()
}

/// Whether a checkbox was ticked.
fn ticked(fields: &[(String, String)], name: &str) -> bool {
    fields.iter().any(|(k, v)| k == name && !v.is_empty())
}

/// One value per line (or space), blanks dropped: URI lists and scope lists.
fn lines(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// The client form as typed, re-shown after a refusal.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ClientForm {
    /// Wanted client id (empty: generated).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `confidential` or `public`.
    pub kind: String,
    /// Redirect URIs, one a line.
    pub redirect_uris: String,
    /// Post-logout redirect URIs, one a line.
    pub post_logout_redirect_uris: String,
    /// Whether `client_credentials` is wanted too.
    pub client_credentials: bool,
    /// Extra scopes, separated by spaces.
    pub scopes: String,
    /// ID-token algorithm.
    pub id_token_alg: String,
    /// Back-channel logout endpoint (empty: none).
    pub backchannel_logout_uri: String,
    /// Skips consent.
    pub first_party: bool,
    /// Requires PKCE.
    pub require_pkce: bool,
}

impl ClientForm {
    /// The values a new registration starts from: what the admin API assumes
    /// when a field is left out.
    pub fn blank() -> Self {
        Self {
            kind: "confidential".into(),
            id_token_alg: SigningAlg::Rs256.as_str().into(),
            require_pkce: true,
            ..Self::default()
        }
    }

    /// The form as posted.
    pub fn posted(fields: &[(String, String)]) -> Self {
        Self {
            id: field(fields, "id"),
            name: field(fields, "name"),
            kind: field(fields, "kind"),
            redirect_uris: field(fields, "redirect_uris"),
            post_logout_redirect_uris: field(fields, "post_logout_redirect_uris"),
            client_credentials: ticked(fields, "client_credentials"),
            scopes: field(fields, "scopes"),
            id_token_alg: field(fields, "id_token_alg"),
            backchannel_logout_uri: field(fields, "backchannel_logout_uri"),
            first_party: ticked(fields, "first_party"),
            require_pkce: ticked(fields, "require_pkce"),
        }
    }

    /// The form filled with a registered client's settings.
    pub fn of(client: &crate::domain::client::Client) -> Self {
        Self {
            id: client.id.clone(),
            name: client.name.clone(),
            kind: kind_name(client.kind).into(),
            redirect_uris: client.redirect_uris.join("\n"),
            post_logout_redirect_uris: client.post_logout_redirect_uris.join("\n"),
            client_credentials: client.grant_types.iter().any(|g| g == "client_credentials"),
            scopes: client.scopes.join(" "),
            id_token_alg: client.id_token_alg.as_str().into(),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            first_party: client.first_party,
            require_pkce: client.require_pkce,
        }
    }

    fn alg(&self, errors: &mut FieldErrors) -> SigningAlg {
        self.id_token_alg.parse().unwrap_or_else(|_| {
            errors.insert("id_token_alg", FieldError::new("console_prov_error_choice"));
            SigningAlg::Rs256
        })
    }

    fn backchannel(&self) -> Option<String> {
        Some(self.backchannel_logout_uri.clone()).filter(|uri| !uri.is_empty())
    }

    /// The registration the form asks for, or the fields that cannot even be read.
    pub fn registration(&self) -> Result<Registration, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = match self.kind.as_str() {
            "confidential" => ClientKind::Confidential,
            "public" => ClientKind::Public,
            _ => {
                errors.insert("kind", FieldError::new("console_prov_error_choice"));
                ClientKind::Confidential
            }
        };
        let id_token_alg = self.alg(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Registration {
            id: Some(self.id.clone()).filter(|id| !id.is_empty()),
            name: self.name.clone(),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            kind,
            first_party: self.first_party,
            require_pkce: self.require_pkce,
            id_token_alg,
            extra_grant_types: if self.client_credentials { vec!["client_credentials".into()] } else { vec![] },
            scopes: lines(&self.scopes),
            backchannel_logout_uri: self.backchannel(),
        })
    }

    /// The changes the edit form asks for (every editable field is on the form,
    /// so every one is sent), or the fields that cannot even be read.
    pub fn changes(&self) -> Result<Changes, FieldErrors> {
        let mut errors = FieldErrors::new();
        let id_token_alg = self.alg(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Changes {
            name: Some(self.name.clone()),
            redirect_uris: Some(lines(&self.redirect_uris)),
            post_logout_redirect_uris: Some(lines(&self.post_logout_redirect_uris)),
            first_party: Some(self.first_party),
            require_pkce: Some(self.require_pkce),
            id_token_alg: Some(id_token_alg),
            scopes: Some(lines(&self.scopes)),
            backchannel_logout_uri: Some(self.backchannel()),
        })
    }

    /// The field a rule of the flows refused, with its message.
    pub fn refused(&self, rule: &ClientRuleError) -> FieldErrors {
        let (name, key, detail) = match rule {
            ClientRuleError::BadId => ("id", "console_prov_error_client_id", None),
            ClientRuleError::BadName => ("name", "console_prov_error_client_name", None),
            ClientRuleError::BadRedirectUri(uri, why) => {
                let list = if lines(&self.post_logout_redirect_uris).contains(uri)
                    && !lines(&self.redirect_uris).contains(uri)
                {
                    "post_logout_redirect_uris"
                } else {
                    "redirect_uris"
                };
                (list, "console_prov_error_uri", Some(format!("{uri}: {why}")))
            }
            ClientRuleError::NoRedirectUri => ("redirect_uris", "console_prov_error_no_redirect", None),
            ClientRuleError::BadBackchannelUri(uri, why) => {
                ("backchannel_logout_uri", "console_prov_error_uri", Some(format!("{uri}: {why}")))
            }
            ClientRuleError::BadScope(scope) => ("scopes", "console_prov_error_scope", Some(scope.clone())),
            ClientRuleError::BadGrantType(grant, why) => {
                ("client_credentials", "console_prov_error_grant", Some(format!("{grant}: {why}")))
            }
            ClientRuleError::GraceTooLong => ("grace_hours", "console_prov_error_grace", None),
        };
        FieldErrors::from([(name, FieldError { key, detail })])
    }
}

/// A client kind as the form names it.
pub fn kind_name(kind: ClientKind) -> &'static str {
    match kind {
        ClientKind::Confidential => "confidential",
        ClientKind::Public => "public",
    }
}

/// The grace of a secret rotation, typed in whole hours (empty: the configured
/// default); more than the rule allows is refused by the flow as well.
pub fn grace(typed: &str, default: Duration) -> Result<Duration, FieldError> {
    if typed.is_empty() {
        return Ok(default);
    }
    match typed.parse::<u32>() {
        Ok(hours) if Duration::hours(i64::from(hours)) <= MAX_SECRET_GRACE => Ok(Duration::hours(i64::from(hours))),
        _ => Err(FieldError::new("console_prov_error_grace")),
    }
}

/// A terms version as typed on the publishing form.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TermsForm {
    /// Version label.
    pub version: String,
    /// Title.
    pub title: String,
    /// The Polish text.
    pub body: String,
    /// The English text (empty: none).
    pub body_en: String,
    /// From when it applies, `YYYY-MM-DDTHH:MM` in UTC (empty: at once).
    pub effective_at: String,
}

impl TermsForm {
    /// The form as posted. Texts keep their inner line breaks.
    pub fn posted(fields: &[(String, String)]) -> Self {
        let text =
            |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
        Self {
            version: field(fields, "version"),
            title: field(fields, "title"),
            body: text("body"),
            body_en: text("body_en"),
            effective_at: field(fields, "effective_at"),
        }
    }

    /// Checks the form before the confirmation page by the rules
    /// `flows::terms::publish` applies again when publishing; answers when the
    /// version applies from (`None`: at once).
    pub fn check(&self) -> Result<Option<OffsetDateTime>, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.version.is_empty() || self.version.len() > 64 {
            errors.insert("version", FieldError::new("console_prov_error_version"));
        }
        if self.title.is_empty() || self.title.chars().count() > 200 {
            errors.insert("title", FieldError::new("console_prov_error_required"));
        }
        if self.body.is_empty() {
            errors.insert("body", FieldError::new("console_prov_error_required"));
        }
        let effective_at = match self.effective_at.as_str() {
            "" => None,
            typed => match moment(typed) {
                Some(at) => Some(at),
                None => {
                    errors.insert("effective_at", FieldError::new("console_prov_error_time"));
                    None
                }
            },
        };
        if errors.is_empty() { Ok(effective_at) } else { Err(errors) }
    }

    /// The English text, when one was given.
    pub fn body_en(&self) -> Option<&str> {
        Some(self.body_en.as_str()).filter(|text| !text.is_empty())
    }
}

/// A moment as the forms take it: a date (midnight UTC), a `datetime-local`
/// value (UTC) or RFC 3339.
pub fn moment(typed: &str) -> Option<OffsetDateTime> {
    let typed = typed.trim();
    if let Ok(at) = OffsetDateTime::parse(typed, &Rfc3339) {
        return Some(at.to_offset(UtcOffset::UTC));
    }
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let day = time::macros::format_description!("[year]-[month]-[day]");
    PrimitiveDateTime::parse(typed, &minutes)
        .or_else(|_| PrimitiveDateTime::parse(typed, &seconds))
        .or_else(|_| time::Date::parse(typed, &day).map(|d| d.midnight()))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The audit search as typed, re-shown with the results.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AuditForm {
    /// From (inclusive).
    pub from: String,
    /// To: a date means up to the end of that day.
    pub to: String,
    /// Exact actor.
    pub actor: String,
    /// Exact action, or a prefix ending with a dot.
    pub action: String,
    /// The account the events are about.
    pub subject: String,
}

impl AuditForm {
    /// The search as given in the query string.
    pub fn asked(pairs: &[(String, String)]) -> Self {
        let value = |name: &str| field(pairs, name).chars().take(200).collect();
        Self {
            from: value("from"),
            to: value("to"),
            actor: value("actor"),
            action: value("action"),
            subject: value("subject"),
        }
    }

    /// The admin API's filter for this search, or the fields it cannot read.
    pub fn filter(&self) -> Result<AuditFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut time = |name: &'static str, typed: &str, end_of_day: bool| match typed {
            "" => None,
            typed => match moment(typed) {
                // A bare date as the end of a range means "that day too".
                Some(at) if end_of_day && typed.len() == 10 => Some(at + Duration::DAY),
                Some(at) => Some(at),
                None => {
                    errors.insert(name, FieldError::new("console_prov_error_time"));
                    None
                }
            },
        };
        let from = time("from", &self.from, false);
        let to = time("to", &self.to, true);
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            errors.insert("to", FieldError::new("console_prov_error_range"));
        }
        let subject_user_id = match self.subject.as_str() {
            "" => None,
            typed => match Uuid::parse_str(typed) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.insert("subject", FieldError::new("console_prov_error_uuid"));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let given = |value: &str| Some(value.to_string()).filter(|v| !v.is_empty());
        Ok(AuditFilter { from, to, actor: given(&self.actor), subject_user_id, action: given(&self.action) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_console_client_is_left_alone_and_others_are_not() {
        assert!(hands_off(CONSOLE_CLIENT_ID).is_some());
        assert!(hands_off("portal").is_none());
    }

    #[test]
    fn a_bad_audit_date_is_named_and_a_bare_end_date_includes_its_day() {
        let bad = AuditForm::asked(&pairs(&[("from", "yesterday"), ("subject", "nope")]));
        let errors = bad.filter().expect_err("refused");
        assert_eq!(errors["from"].key, "console_prov_error_time");
        assert_eq!(errors["subject"].key, "console_prov_error_uuid");
        let good = AuditForm::asked(&pairs(&[("from", "2026-12-01"), ("to", "2026-12-01")])).filter().expect("read");
        assert_eq!(good.to.expect("to") - good.from.expect("from"), Duration::DAY);
    }

    #[test]
    fn the_grace_is_whole_hours_within_the_rule() {
        assert_eq!(grace("", Duration::HOUR), Ok(Duration::HOUR));
        assert_eq!(grace("48", Duration::HOUR), Ok(Duration::hours(48)));
        assert!(grace("-1", Duration::HOUR).is_err());
        assert!(grace("721", Duration::HOUR).is_err());
    }

    #[test]
    fn a_refused_post_logout_uri_is_named_on_its_own_field() {
        let form = ClientForm { post_logout_redirect_uris: "http://evil.example/".into(), ..ClientForm::blank() };
        let errors = form.refused(&ClientRuleError::BadRedirectUri("http://evil.example/".into(), "must be https"));
        assert!(errors.contains_key("post_logout_redirect_uris"));
    }
}
