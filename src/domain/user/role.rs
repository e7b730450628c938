//! Account roles: the customer role every account has, and kuke-id's own
//! administrator role.

use std::fmt;
use std::str::FromStr;

use crate::domain::unknown_name::UnknownName;

/// The role of an account in its customer organisation (the `role` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Administers the organisation's accounts in the customer portal.
    Administrator,
    /// An ordinary member of the organisation.
    User,
}

/// The role (in the `roles` claim) of an account that may use the admin API; it
/// is held as the `users.idp_admin` flag, apart from the customer [`Role`].
pub const IDP_ADMIN: &str = "idp-admin";

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::Administrator, Role::User];

    /// The stored (and wire) name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::User => "user",
        }
    }

    /// The role of a stored name, if it is one (exact case).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::parse(name).ok_or_else(|| UnknownName::new("role", name))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

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
