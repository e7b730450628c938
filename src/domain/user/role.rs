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

/// The role (in the `roles` claim) of help-desk staff; held as the
/// `users.idp_helpdesk` flag.
pub const IDP_HELPDESK: &str = "idp-helpdesk";

closed_set! {
    /// kuke-id's own staff roles, apart from the customer [`Role`]: who may use
    /// the admin console, and for what (see [`StaffRole::may`]).
    pub enum StaffRole("staff role") {
        /// Everything: the admin API's `idp-admin`.
        Admin = "idp-admin",
        /// User support only: search, view, resend activation, unlock, end
        /// sessions, reset.
        Helpdesk = "idp-helpdesk",
    }
}

closed_set! {
    /// What a staff member may do in the admin console. Checked by the server on
    /// every request, whatever the browser shows or sends.
    pub enum StaffPermission("staff permission") {
        /// Find people and read a person's page.
        ViewPeople = "view_people",
        /// Mail a new activation link to a person who has not set a password.
        ResendActivation = "resend_activation",
        /// Lift a lock (after failed attempts or by an administrator).
        Unlock = "unlock",
        /// End one or all of a person's browser sessions.
        EndSessions = "end_sessions",
        /// Forget the password and mail a fresh activation link.
        Reset = "reset",
        /// Lock an account until unlocked.
        Lock = "lock",
        /// Disable or enable an account.
        Disable = "disable",
        /// Change name, e-mail address, organisation or customer role.
        Edit = "edit",
        /// Grant or take away a staff role.
        GrantRoles = "grant_roles",
        /// Delete (anonymise) an account.
        Delete = "delete",
        /// The migration dashboard and its CSV.
        Dashboard = "dashboard",
        /// List, rename and re-key (Ekstranet id) customer organisations.
        Organizations = "organizations",
        /// Import Ekstranet exports, run the activation campaign, re-invite
        /// people whose link expired.
        Migration = "migration",
        /// List, register and change relying parties; rotate their secrets.
        Clients = "clients",
        /// List and rotate the signing keys.
        Keys = "keys",
        /// Publish terms and read the acceptance report.
        Terms = "terms",
        /// Search the whole audit trail.
        Audit = "audit",
    }
}

impl StaffRole {
    /// The role an account holds from its two flags (`idp-admin` wins).
    pub fn from_flags(idp_admin: bool, idp_helpdesk: bool) -> Option<StaffRole> {
        match (idp_admin, idp_helpdesk) {
            (true, _) => Some(StaffRole::Admin),
            (false, true) => Some(StaffRole::Helpdesk),
            (false, false) => None,
        }
    }

    /// Whether this role may do `what`.
    pub fn may(self, what: StaffPermission) -> bool {
        use StaffPermission::*;
        match self {
            StaffRole::Admin => true,
            StaffRole::Helpdesk => matches!(what, ViewPeople | ResendActivation | Unlock | EndSessions | Reset),
        }
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
    fn every_staff_role_round_trips_through_its_name() {
        for role in StaffRole::ALL {
            assert_eq!(role.as_str().parse::<StaffRole>(), Ok(role));
        }
        assert_eq!(StaffRole::Admin.as_str(), IDP_ADMIN);
        assert_eq!(StaffRole::Helpdesk.as_str(), IDP_HELPDESK);
    }

    #[test]
    fn idp_admin_outranks_idp_helpdesk() {
        assert_eq!(StaffRole::from_flags(true, true), Some(StaffRole::Admin));
        assert_eq!(StaffRole::from_flags(false, true), Some(StaffRole::Helpdesk));
        assert_eq!(StaffRole::from_flags(false, false), None);
    }

    #[test]
    fn an_administrator_may_do_everything() {
        assert!(StaffPermission::ALL.into_iter().all(|p| StaffRole::Admin.may(p)));
    }

    #[test]
    fn the_help_desk_may_only_support_users() {
        let allowed: Vec<_> = StaffPermission::ALL.into_iter().filter(|p| StaffRole::Helpdesk.may(*p)).collect();
        assert_eq!(
            allowed,
            [
                StaffPermission::ViewPeople,
                StaffPermission::ResendActivation,
                StaffPermission::Unlock,
                StaffPermission::EndSessions,
                StaffPermission::Reset
            ]
        );
    }

    #[test]
    fn idp_admin_is_not_a_customer_role() {
        assert_eq!(Role::parse(IDP_ADMIN), None);
        assert_eq!(Role::parse("Administrator"), None);
    }
}
