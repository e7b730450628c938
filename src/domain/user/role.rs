//! Account roles: the customer role every account has, and kuke-id's own
//! administrator role.

use crate::domain::unknown_name::closed_set;

closed_set! {
    /// The role of an account in its customer organisation (the `role` claim).
    pub enum Role("role") {
        /// Administers the organisation's accounts in the customer portal.
        Administrator = "administrator",
        /// An ordinary member of the organisation.
        User = "user",
    }
}

/// The role (in the `roles` claim) of an account that may use the admin API; it
/// is held as the `users.idp_admin` flag, apart from the customer [`Role`].
pub const IDP_ADMIN: &str = "idp-admin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
        assert_eq!(Role::ALL.map(Role::as_str), ["administrator", "user"]);
    }

    #[test]
    fn idp_admin_is_not_a_customer_role() {
        assert_eq!(Role::parse(IDP_ADMIN), None);
        assert_eq!(Role::parse("Administrator"), None);
    }
}
