//! JWS algorithms kuke-id signs with (RFC 7518 names).

use std::fmt;
use std::str::FromStr;

/// A signing algorithm with a key kind of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the ID-token default OIDC Core requires.
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlg {
    /// Every supported algorithm, default first.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of RS256, ES256, EdDSA.
#[derive(Debug, thiserror::Error)]
#[error("unsupported signing algorithm '{0}' (use RS256, ES256 or EdDSA)")]
pub struct UnknownAlg(pub String);

impl FromStr for SigningAlg {
    type Err = UnknownAlg;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SigningAlg::ALL.into_iter().find(|alg| alg.as_str() == s).ok_or_else(|| UnknownAlg(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for alg in SigningAlg::ALL {
            assert_eq!(alg.as_str().parse::<SigningAlg>().ok(), Some(alg));
        }
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!("rs256".parse::<SigningAlg>().is_err());
    }
}
