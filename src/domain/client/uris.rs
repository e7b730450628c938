//! The URIs a client registers: where authorization responses, logouts and
//! back-channel logout tokens may go (RFC 9700 §2.1, RFC 8252, OIDC Back-Channel
//! Logout 1.0 §2.2).

use super::ClientRuleError;
use crate::domain::oauth::grant_type::GrantType;

/// Checks every redirect and post-logout redirect URI with [`check_redirect_uri`],
/// and that a client using the authorization code grant has somewhere to return to.
pub fn check_redirects(
    grant_types: &[String],
    redirect_uris: &[String],
    post_logout_redirect_uris: &[String],
) -> Result<(), ClientRuleError> {
    let needs_redirect = grant_types.iter().filter_map(|g| GrantType::parse(g)).any(GrantType::needs_redirect_uri);
    if redirect_uris.is_empty() && needs_redirect {
        return Err(ClientRuleError::NoRedirectUri);
    }
    redirect_uris.iter().chain(post_logout_redirect_uris).try_for_each(|uri| check_redirect_uri(uri))
}

/// OIDC Back-Channel Logout 1.0 §2.2: an absolute http(s) URL without a fragment;
/// since logout tokens are bearer-like, https is required except on loopback.
pub fn check_backchannel_logout_uri(uri: &str) -> Result<(), ClientRuleError> {
    let bad = |why| Err(ClientRuleError::BadBackchannelUri(uri.to_string(), why));
    let Ok(parsed) = url::Url::parse(uri) else {
        return bad("not an absolute URL");
    };
    if parsed.fragment().is_some() {
        return bad("must not contain a fragment");
    }
    match (parsed.scheme(), parsed.host_str()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some("localhost" | "127.0.0.1" | "[::1]")) => Ok(()),
        _ => bad("must be https (or http on a loopback host)"),
    }
}

/// Whether a back-channel logout URI names this machine or a private network by
/// address (`localhost`, loopback, private, link-local, unique-local, unspecified).
/// Such deliveries are refused unless the operator allows them (development, tests):
/// otherwise whoever may register clients could make kuke-id send requests into
/// the internal network (SSRF). A public host name that resolves to an internal
/// address is not caught here; an egress firewall covers that.
pub fn is_internal_target(uri: &str) -> bool {
    use std::net::IpAddr;
    let Ok(parsed) = url::Url::parse(uri) else { return true };
    match parsed.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast()
        }
        Some(url::Host::Ipv6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => is_internal_target(&format!("http://{}/", IpAddr::V4(v4))),
            None => {
                let first = ip.segments()[0];
                ip.is_loopback() || ip.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
        None => true,
    }
}

/// RFC 9700 §2.1 and RFC 8252: a redirect URI is absolute, has no fragment, and is
/// https — except http on a loopback host (development, native apps) and
/// private-use schemes of native apps (reverse domain name, so they contain a dot).
pub fn check_redirect_uri(uri: &str) -> Result<(), ClientRuleError> {
    let bad = |why| Err(ClientRuleError::BadRedirectUri(uri.to_string(), why));
    let Ok(parsed) = url::Url::parse(uri) else {
        return bad("not an absolute URL");
    };
    if parsed.fragment().is_some() {
        return bad("must not contain a fragment");
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => match parsed.host_str() {
            Some("localhost" | "127.0.0.1" | "[::1]") => Ok(()),
            _ => bad("http is allowed only on a loopback host; use https"),
        },
        scheme if scheme.contains('.') => Ok(()),
        _ => bad("scheme must be https (or http on loopback, or a reverse-domain app scheme)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::{ClientKind, default_grant_types};

    #[test]
    fn internal_back_channel_targets_are_recognised() {
        for uri in [
            "http://localhost:9/bc",
            "http://127.0.0.1/bc",
            "https://10.1.2.3/bc",
            "https://192.168.0.7/bc",
            "https://169.254.169.254/latest",
            "https://[::1]/bc",
            "https://[fd00::1]/bc",
            "https://[::ffff:10.0.0.1]/bc",
            "https://app.localhost/bc",
        ] {
            assert!(is_internal_target(uri), "{uri}");
        }
        assert!(!is_internal_target("https://portal.kuke.com.pl/bc"));
        assert!(!is_internal_target("https://203.0.113.7/bc"));
    }

    #[test]
    fn https_redirect_uri_is_accepted() {
        assert!(check_redirect_uri("https://portal.kuke.com.pl/callback").is_ok());
    }

    #[test]
    fn http_on_loopback_is_accepted() {
        assert!(check_redirect_uri("http://127.0.0.1:3000/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
    }

    #[test]
    fn http_elsewhere_is_refused() {
        assert!(check_redirect_uri("http://portal.kuke.com.pl/callback").is_err());
    }

    #[test]
    fn fragment_is_refused() {
        assert!(check_redirect_uri("https://a.example/cb#x").is_err());
    }

    #[test]
    fn relative_uri_is_refused() {
        assert!(check_redirect_uri("/callback").is_err());
    }

    #[test]
    fn javascript_scheme_is_refused() {
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
    }

    #[test]
    fn a_code_client_without_redirect_uri_is_refused() {
        let grants = default_grant_types(ClientKind::Confidential);
        assert_eq!(check_redirects(&grants, &[], &[]), Err(ClientRuleError::NoRedirectUri));
    }

    #[test]
    fn a_machine_client_needs_no_redirect_uri() {
        assert!(check_redirects(&["client_credentials".to_string()], &[], &[]).is_ok());
    }

    #[test]
    fn an_http_post_logout_uri_off_loopback_is_refused() {
        let grants = default_grant_types(ClientKind::Public);
        let ok = vec!["https://rp.example/cb".to_string()];
        let bad = vec!["http://rp.example/bye".to_string()];
        assert!(matches!(check_redirects(&grants, &ok, &bad), Err(ClientRuleError::BadRedirectUri(..))));
    }

    #[test]
    fn backchannel_uri_must_be_https_off_loopback() {
        assert!(check_backchannel_logout_uri("https://rp.example/bc").is_ok());
        assert!(check_backchannel_logout_uri("http://127.0.0.1:9/bc").is_ok());
        assert!(check_backchannel_logout_uri("http://rp.example/bc").is_err());
        assert!(check_backchannel_logout_uri("com.example.app:/bc").is_err());
    }
}
