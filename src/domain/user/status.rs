//! The journey state of an account, as the `users.status` column holds it.

use std::fmt;
use std::str::FromStr;

use crate::domain::unknown_name::UnknownName;

/// Where an account stands in the first-login journey:
/// `imported ──invite──▶ invited ──set password──▶ active`; a reset sends an active
/// account back to `invited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Migrated from Ekstranet, never sent an activation link.
    Imported,
    /// Sent an activation (or reset) link; no password yet.
    Invited,
    /// Has a password: may sign in.
    Active,
}

impl Status {
    /// Every status, in journey order.
    pub const ALL: [Status; 3] = [Status::Imported, Status::Invited, Status::Active];

    /// The stored (and wire) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Imported => "imported",
            Status::Invited => "invited",
            Status::Active => "active",
        }
    }

    /// The status of a stored name, if it is one.
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl FromStr for Status {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Status::parse(name).ok_or_else(|| UnknownName::new("user status", name))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
        }
    }

    #[test]
    fn the_stored_names_are_unchanged() {
        assert_eq!(Status::ALL.map(Status::as_str), ["imported", "invited", "active"]);
    }

    #[test]
    fn an_unknown_name_is_refused() {
        assert!("link_expired".parse::<Status>().is_err());
        assert_eq!(Status::parse("Active"), None);
    }

    #[test]
    fn json_carries_the_name() {
        assert_eq!(serde_json::json!(Status::Invited), serde_json::json!("invited"));
    }
}
