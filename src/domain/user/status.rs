//! The journey state of an account, as the `users.status` column holds it.

use crate::domain::unknown_name::closed_set;

closed_set! {
    /// Where an account stands in the first-login journey:
    /// `imported ──invite──▶ invited ──set password──▶ active`; a reset sends an active
    /// account back to `invited`.
    pub enum Status("user status") {
        /// Migrated from Ekstranet, never sent an activation link.
        Imported = "imported",
        /// Sent an activation (or reset) link; no password yet.
        Invited = "invited",
        /// Has a password: may sign in.
        Active = "active",
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
