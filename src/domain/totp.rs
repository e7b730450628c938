//! The authenticator-app code (RFC 6238 TOTP) and the recovery codes that stand in
//! for it. SHA-1, six digits and 30-second steps are what authenticator apps
//! expect; one step of clock drift is accepted either way. Replay is not decided
//! here: [`verify`] returns the matched time step and the caller accepts only a
//! step newer than the last one it accepted (RFC 6238 §5.2).

use std::fmt;

use rand::RngExt;
use totp_rs::{Algorithm, Builder, Totp};

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Steps of clock drift accepted either way.
pub const SKEW: u16 = 1;
/// Bytes of a shared secret (160 bits, RFC 4226 §4).
pub const SECRET_LEN: usize = 20;
/// Recovery codes handed out at once.
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in the authenticator app.
pub const ISSUER: &str = "Portal Klienta KUKE";

/// The shared secret of an authenticator. `Debug` never prints it; it is read
/// through [`TotpSecret::expose`] to be sealed, and shown only during setup.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        let bytes: [u8; SECRET_LEN] = rand::random();
        Self(bytes.to_vec())
    }

    /// A secret read back from storage; `None` when it is too short to be one.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= 16).then_some(Self(bytes))
    }

    /// The raw bytes, for sealing.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The key as a person types it: base32 in groups of four.
    pub fn typed_form(&self) -> String {
        let plain = totp_rs::Secret::from(self.0.clone()).to_base32();
        let chars: Vec<char> = plain.trim_end_matches('=').chars().collect();
        chars.chunks(4).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }

    /// The `otpauth://` URL the QR code carries; `None` if the account name cannot
    /// appear in one.
    pub fn otpauth_url(&self, account: &str) -> Option<String> {
        let account: String = account.chars().filter(|c| *c != ':').collect();
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_skew(SKEW)
            .with_secret(self.0.clone())
            .with_account_name(account)
            .with_issuer(Some(ISSUER))
            .build()
            .ok()?;
        totp.to_url().ok()
    }

    fn totp(&self) -> Option<Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_step_duration(STEP_SECS)
            .with_skew(SKEW)
            .with_secret(self.0.clone())
            .build()
            .ok()
    }
}

/// The time step a typed code matches at `unix_secs` (within the drift window),
/// or `None`. What a person typed is normalised first (spaces removed).
pub fn verify(secret: &TotpSecret, typed: &str, unix_secs: u64) -> Option<u64> {
    let code = crate::domain::one_time_code::normalise(typed)?;
    secret.totp()?.check(&code, unix_secs)
}

/// The code of `secret` at `unix_secs` (what the app shows; tests and setup help).
pub fn code_at(secret: &TotpSecret, unix_secs: u64) -> Option<String> {
    secret.totp().map(|t| t.generate(unix_secs).to_string())
}

/// Alphabet of recovery codes: lowercase letters and digits without look-alikes.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A fresh recovery code, `xxxx-xxxx-xxxx` (12 characters of 31: ~59 bits).
pub fn generate_recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> =
        (0..12).map(|_| char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())])).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// What a person typed as a recovery code, in the one form that is hashed;
/// `None` when it cannot be one.
pub fn normalise_recovery_code(typed: &str) -> Option<String> {
    let plain: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect();
    (plain.len() == 12 && plain.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 secret, truncated to six digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).unwrap();
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(&secret, 1_111_111_109).as_deref(), Some("081804"));
    }

    #[test]
    fn one_step_of_drift_is_accepted_either_way_and_two_are_not() {
        let secret = TotpSecret::generate();
        let now = 1_800_000_000u64;
        let step = now / STEP_SECS;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(verify(&secret, &code, now), Some(step));
        assert_eq!(verify(&secret, &code, now + STEP_SECS), Some(step));
        assert_eq!(verify(&secret, &code, now - STEP_SECS), Some(step));
        assert_eq!(verify(&secret, &code, now + 2 * STEP_SECS), None);
    }

    #[test]
    fn typed_codes_may_carry_spaces_but_not_letters() {
        let secret = TotpSecret::generate();
        let code = code_at(&secret, 1_000).unwrap();
        assert!(verify(&secret, &format!("{} {}", &code[..3], &code[3..]), 1_000).is_some());
        assert_eq!(verify(&secret, "12345a", 1_000), None);
    }

    #[test]
    fn the_secret_is_never_printed() {
        assert_eq!(format!("{:?}", TotpSecret::generate()), "TotpSecret(***)");
    }

    #[test]
    fn the_typed_key_decodes_to_the_secret() {
        let secret = TotpSecret::generate();
        let typed = secret.typed_form().replace(' ', "");
        assert_eq!(totp_rs::Secret::try_from_base32(typed).unwrap().as_bytes(), secret.expose());
    }

    #[test]
    fn recovery_codes_round_trip_through_normalisation() {
        let code = generate_recovery_code();
        assert_eq!(code.len(), 14);
        let plain = normalise_recovery_code(&code.to_uppercase()).unwrap();
        assert_eq!(plain, code.replace('-', ""));
        assert_eq!(normalise_recovery_code("123456"), None);
    }

    #[test]
    fn the_otpauth_url_names_issuer_and_account() {
        let url = TotpSecret::generate().otpauth_url("482913").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains("482913"), "{url}");
    }
}
