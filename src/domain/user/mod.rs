//! An account as the protocol sees it, and the claims each scope releases.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::oauth::scope;

mod role;
mod status;

pub use role::{IDP_ADMIN, IDP_HELPDESK, Role, StaffPermission, StaffRole};
pub use status::Status;

/// The account fields claims are made from.
#[derive(Debug, Clone)]
pub struct User {
    /// Stable opaque id: the `sub` of every token (never the login or the e-mail).
    pub id: Uuid,
    /// Six-digit login number.
    pub login: String,
    /// E-mail address.
    pub email: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// The role in the customer organisation.
    pub role: Role,
    /// May use the admin API.
    pub idp_admin: bool,
    /// Help-desk staff (the admin console's user support).
    pub idp_helpdesk: bool,
    /// The customer organisation.
    pub organization: Option<Organization>,
    /// Journey state.
    pub status: Status,
    /// Disabled by an administrator.
    pub disabled: bool,
    /// Locked by an administrator (until unlocked).
    pub admin_locked: bool,
}

/// A customer organisation.
#[derive(Debug, Clone)]
pub struct Organization {
    /// kuke-id's id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
}

impl User {
    /// Whether the account may hold a session and receive tokens.
    pub fn can_sign_in(&self) -> bool {
        self.status == Status::Active && !self.disabled && !self.admin_locked
    }

    /// The `sub` claim.
    pub fn subject(&self) -> String {
        self.id.to_string()
    }

    /// The account's staff role, if it has one.
    pub fn staff_role(&self) -> Option<StaffRole> {
        StaffRole::from_flags(self.idp_admin, self.idp_helpdesk)
    }
}

/// Claims released for `scope` (space-separated), `sub` always included:
/// `profile` → name, given_name, family_name; `email` → email, email_verified
/// (verified: the address received the activation link); `organization` →
/// organization {id, name}; `role` → role (+ the staff role, `idp-admin` or
/// `idp-helpdesk`, in roles for staff).
pub fn claims_for(user: &User, granted_scope: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.subject()));
    if scope::contains(granted_scope, "profile") {
        claims.insert("name".into(), json!(format!("{} {}", user.given_name, user.family_name).trim()));
        claims.insert("given_name".into(), json!(user.given_name));
        claims.insert("family_name".into(), json!(user.family_name));
    }
    if scope::contains(granted_scope, "email") {
        claims.insert("email".into(), json!(user.email));
        claims.insert("email_verified".into(), json!(user.status == Status::Active));
    }
    if scope::contains(granted_scope, "organization")
        && let Some(org) = &user.organization
    {
        claims.insert("organization".into(), json!({"id": org.id.to_string(), "name": org.name}));
    }
    if scope::contains(granted_scope, "role") {
        claims.insert("role".into(), json!(user.role));
        if let Some(staff) = user.staff_role() {
            claims.insert("roles".into(), json!([staff.as_str()]));
        }
    }
    claims
}

/// Every claim name kuke-id can release (discovery `claims_supported`).
pub const CLAIMS_SUPPORTED: [&str; 22] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "sid",
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "organization",
    "role",
    "roles",
    "locale",
    "updated_at",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: Uuid::nil(),
            login: "123456".into(),
            email: "jan@example.com".into(),
            given_name: "Jan".into(),
            family_name: "Kowalski".into(),
            role: Role::Administrator,
            idp_admin: false,
            idp_helpdesk: false,
            organization: Some(Organization { id: Uuid::nil(), name: "ACME".into() }),
            status: Status::Active,
            disabled: false,
            admin_locked: false,
        }
    }

    #[test]
    fn openid_alone_releases_only_sub() {
        let claims = claims_for(&user(), "openid");
        assert_eq!(claims.keys().collect::<Vec<_>>(), vec!["sub"]);
    }

    #[test]
    fn sub_is_never_the_login_or_email() {
        let claims = claims_for(&user(), "openid");
        assert_ne!(claims["sub"], "123456");
        assert_ne!(claims["sub"], "jan@example.com");
    }

    #[test]
    fn profile_releases_names() {
        let claims = claims_for(&user(), "openid profile");
        assert_eq!(claims["name"], "Jan Kowalski");
        assert!(claims.get("email").is_none());
    }

    #[test]
    fn organization_and_role_have_their_own_scopes() {
        let claims = claims_for(&user(), "openid organization role");
        assert_eq!(claims["organization"]["name"], "ACME");
        assert_eq!(claims["role"], "administrator");
    }

    #[test]
    fn the_roles_claim_names_the_staff_role() {
        assert!(claims_for(&user(), "openid role").get("roles").is_none());
        let helpdesk = User { idp_helpdesk: true, ..user() };
        assert_eq!(claims_for(&helpdesk, "openid role")["roles"], json!(["idp-helpdesk"]));
        let admin = User { idp_admin: true, ..helpdesk };
        assert_eq!(claims_for(&admin, "openid role")["roles"], json!(["idp-admin"]));
    }
}

/// Filters of the account search (admin API, console and CLI alike).
///
/// `status` is a [`Status`] name or `link_expired`: invited, with no usable link left.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Journey state.
    pub status: Option<String>,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// Role.
    pub role: Option<String>,
    /// Exact login number.
    pub login: Option<String>,
    /// Exact e-mail (case-insensitive).
    pub email: Option<String>,
    /// Substring of name or e-mail.
    pub text: Option<String>,
}
