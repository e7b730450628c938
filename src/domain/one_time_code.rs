//! The six-digit code e-mailed at every sign-in.

use rand::RngExt;

/// Wrong codes allowed per sign-in before it ends.
pub const MAX_ATTEMPTS: i32 = 5;
/// Codes a sign-in may send after the first one.
pub const MAX_RESENDS: i32 = 3;
/// Minimum time between two codes, in seconds.
pub const RESEND_INTERVAL_SECS: i64 = 30;

/// A fresh random code, 000000–999999.
pub fn generate() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Normalises what a person typed (spaces and dashes from copy-paste removed);
/// `None` when it cannot be a code.
pub fn normalise(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_six_digits() {
        for _ in 0..1000 {
            assert!(normalise(&generate()).is_some());
        }
    }

    #[test]
    fn pasted_codes_with_spaces_are_accepted() {
        assert_eq!(normalise(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalise("12345a"), None);
    }
}
