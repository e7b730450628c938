//! RFC 6749 grant types: the one table of what kuke-id offers. Discovery's
//! `grant_types_supported`, the client registration rules and the token
//! endpoint's dispatcher all read it, so none can offer a grant the others lack.

use crate::domain::unknown_name::closed_set;

closed_set! {
    /// A grant type of the token endpoint, in the order discovery lists them.
    pub enum GrantType("grant type") {
        /// RFC 6749 §4.1: a code from the authorization endpoint (with PKCE).
        AuthorizationCode = "authorization_code",
        /// RFC 6749 §6: a refresh token, rotated on use.
        RefreshToken = "refresh_token",
        /// RFC 6749 §4.4: a confidential client acting for itself.
        ClientCredentials = "client_credentials",
    }
}

impl GrantType {
    /// Every wire name, in table order (discovery's `grant_types_supported`).
    pub fn wire_names() -> Vec<&'static str> {
        GrantType::ALL.iter().map(|grant| grant.as_str()).collect()
    }

    /// Whether a client using this grant needs a redirect URI to return to.
    pub fn needs_redirect_uri(self) -> bool {
        self == GrantType::AuthorizationCode
    }

    /// Whether only a client that holds a secret may use this grant (no user is
    /// present to authenticate, so the secret is all there is).
    pub fn needs_secret(self) -> bool {
        self == GrantType::ClientCredentials
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_name_round_trips() {
        for grant in GrantType::ALL {
            assert!(!grant.as_str().is_empty(), "{grant:?} has no wire name");
            assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
            assert_eq!(grant.to_string().parse::<GrantType>(), Ok(grant));
        }
        for name in GrantType::wire_names() {
            assert_eq!(GrantType::parse(name).map(GrantType::as_str), Some(name));
        }
    }

    #[test]
    fn the_table_lists_each_grant_once() {
        let mut names = GrantType::wire_names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), GrantType::ALL.len());
        assert_eq!(GrantType::wire_names(), ["authorization_code", "refresh_token", "client_credentials"]);
    }

    #[test]
    fn grants_kuke_id_does_not_offer_are_unknown() {
        for name in ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "Authorization_Code", ""] {
            assert!(name.parse::<GrantType>().is_err(), "{name}");
        }
    }
}
