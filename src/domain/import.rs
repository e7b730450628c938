//! Rows of an Ekstranet export, and the rules each must pass before it becomes
//! an account. Parsing only: no I/O.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::user::Role;

/// The columns an export must have (CSV header or JSON keys), in this order in
/// the documentation; order in a file does not matter.
pub const COLUMNS: [&str; 7] =
    ["legacy_id", "email", "first_name", "last_name", "organization_external_id", "organization_name", "role"];

/// One account as exported from Ekstranet.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RawRow {
    /// Ekstranet id: the import is idempotent by it.
    #[serde(default)]
    pub legacy_id: Option<String>,
    /// E-mail address (the activation link goes there).
    #[serde(default)]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Customer company's Ekstranet id.
    #[serde(default)]
    pub organization_external_id: Option<String>,
    /// Customer company's name.
    #[serde(default)]
    pub organization_name: Option<String>,
    /// `administrator` or `user`.
    #[serde(default)]
    pub role: Option<String>,
}

/// A row that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRow {
    /// Ekstranet id.
    pub legacy_id: String,
    /// E-mail, lower-cased.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Organisation's Ekstranet id.
    pub organization_external_id: String,
    /// Organisation's name.
    pub organization_name: String,
    /// Role in the organisation.
    pub role: Role,
}

/// Longest accepted value of a text field.
const MAX_FIELD: usize = 200;

/// Why a row is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// A required field is empty.
    #[error("missing field: {0}")]
    Missing(&'static str),
    /// Not an e-mail address.
    #[error("invalid e-mail address")]
    InvalidEmail,
    /// Role other than administrator / user.
    #[error("unknown role '{0}' (administrator or user)")]
    UnknownRole(String),
    /// Control characters or an overlong value.
    #[error("field {0} is too long or contains control characters")]
    BadText(&'static str),
    /// The same legacy id appears twice in the file.
    #[error("duplicate legacy_id in the file")]
    DuplicateLegacyId,
    /// The same e-mail appears twice in the file.
    #[error("duplicate e-mail address in the file")]
    DuplicateEmailInFile,
    /// Another account already has the address.
    #[error("the e-mail address belongs to another account")]
    DuplicateEmailInDatabase,
    /// The row could not be read at all.
    #[error("unreadable row: {0}")]
    Unreadable(String),
}

/// The legacy id a report names a row by, even a rejected one: the file's value
/// trimmed, without control characters and cut to a readable length; `None`
/// when the row has none.
pub fn reported_legacy_id(value: &str) -> Option<String> {
    let shown: String = value.trim().chars().filter(|c| !c.is_control()).take(REPORTED_ID_CHARS).collect();
    (!shown.is_empty()).then_some(shown)
}

/// Longest legacy id a report repeats (a hostile file could send megabytes).
const REPORTED_ID_CHARS: usize = 64;

fn text(value: &Option<String>, field: &'static str) -> Result<String, RowError> {
    clean(value.as_deref().unwrap_or_default(), field)
}

/// A trimmed, non-empty text field without control characters, at most 200 characters
/// (the rule for names everywhere, imports and administrators' edits alike).
pub fn clean(value: &str, field: &'static str) -> Result<String, RowError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(RowError::Missing(field));
    }
    if value.chars().count() > MAX_FIELD || value.chars().any(char::is_control) {
        return Err(RowError::BadText(field));
    }
    Ok(value.to_string())
}

/// A deliverable e-mail address, lower-cased.
pub fn email(value: &str) -> Result<String, RowError> {
    let email = clean(value, "email")?.to_lowercase();
    if email.len() > 254 || email.parse::<lettre::Address>().is_err() || !email.contains('.') {
        return Err(RowError::InvalidEmail);
    }
    Ok(email)
}

/// An address shown to someone who may not be its owner (the old mailbox of an
/// address change): enough to recognise it, not enough to learn it.
pub fn masked_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// `administrator` or `user` (any case).
pub fn role(value: &str) -> Result<Role, RowError> {
    let role = clean(value, "role")?.to_lowercase();
    Role::parse(&role).ok_or_else(|| RowError::UnknownRole(role.chars().take(40).collect()))
}

/// Checks one row on its own.
pub fn validate(raw: &RawRow) -> Result<ValidRow, RowError> {
    let legacy_id = text(&raw.legacy_id, "legacy_id")?;
    let email = email(raw.email.as_deref().unwrap_or_default())?;
    let role = role(raw.role.as_deref().unwrap_or_default())?;
    Ok(ValidRow {
        legacy_id,
        email,
        first_name: text(&raw.first_name, "first_name")?,
        last_name: text(&raw.last_name, "last_name")?,
        organization_external_id: text(&raw.organization_external_id, "organization_external_id")?,
        organization_name: text(&raw.organization_name, "organization_name")?,
        role,
    })
}

/// The legacy ids and e-mail addresses met so far in one file, to refuse the
/// second occurrence of either. Kept as 128-bit keyed digests rather than the
/// strings: a file of 100 000 rows costs a few megabytes instead of tens, and
/// with random keys two different values share a digest with a probability
/// near 2^-100 for the whole file.
#[derive(Debug, Default)]
pub struct SeenInFile {
    keys: Keys,
    legacy_ids: HashSet<u128>,
    emails: HashSet<u128>,
}

/// Two independently keyed SipHash instances, drawn once per file.
#[derive(Debug, Default)]
struct Keys(std::hash::RandomState, std::hash::RandomState);

impl Keys {
    fn digest(&self, value: &str) -> u128 {
        use std::hash::BuildHasher;
        (u128::from(self.0.hash_one(value)) << 64) | u128::from(self.1.hash_one(value))
    }
}

impl SeenInFile {
    /// Refuses the second occurrence of a legacy id or an e-mail.
    pub fn check(&mut self, row: &ValidRow) -> Result<(), RowError> {
        if !self.legacy_ids.insert(self.keys.digest(&row.legacy_id)) {
            return Err(RowError::DuplicateLegacyId);
        }
        if !self.emails.insert(self.keys.digest(&row.email)) {
            return Err(RowError::DuplicateEmailInFile);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawRow {
        RawRow {
            legacy_id: Some("EX-1".into()),
            email: Some("Anna.Nowak@Example.com".into()),
            first_name: Some("Anna".into()),
            last_name: Some("Nowak".into()),
            organization_external_id: Some("ORG-1".into()),
            organization_name: Some("ACME".into()),
            role: Some("Administrator".into()),
        }
    }

    #[test]
    fn a_complete_row_is_valid_and_normalised() {
        let row = validate(&raw()).expect("valid");
        assert_eq!(row.email, "anna.nowak@example.com");
        assert_eq!(row.role, Role::Administrator);
    }

    #[test]
    fn each_missing_field_is_named() {
        let mut row = raw();
        row.last_name = Some("  ".into());
        assert_eq!(validate(&row), Err(RowError::Missing("last_name")));
    }

    #[test]
    fn bad_email_and_role_are_refused() {
        let mut row = raw();
        row.email = Some("not-an-address".into());
        assert_eq!(validate(&row), Err(RowError::InvalidEmail));
        let mut row = raw();
        row.role = Some("owner".into());
        assert!(matches!(validate(&row), Err(RowError::UnknownRole(_))));
    }

    #[test]
    fn control_characters_are_refused() {
        let mut row = raw();
        row.first_name = Some("An\u{0}na".into());
        assert_eq!(validate(&row), Err(RowError::BadText("first_name")));
    }

    #[test]
    fn a_reported_legacy_id_is_trimmed_cleaned_and_short() {
        assert_eq!(reported_legacy_id("  EK-7 ").as_deref(), Some("EK-7"));
        assert_eq!(reported_legacy_id("E\u{0}K"), Some("EK".into()));
        assert_eq!(reported_legacy_id("   "), None);
        assert_eq!(reported_legacy_id(&"x".repeat(500)).map(|id| id.len()), Some(64));
    }

    #[test]
    fn duplicates_in_a_file_are_refused() {
        let mut seen = SeenInFile::default();
        let row = validate(&raw()).expect("valid");
        assert!(seen.check(&row).is_ok());
        assert_eq!(seen.check(&row), Err(RowError::DuplicateLegacyId));
    }
}
