//! The six-digit login number people type on the sign-in page. Random rather than
//! sequential, so a number reveals nothing about other accounts.

use rand::RngExt;

/// A fresh random login number, 100000–999999 (never a leading zero, so it
/// survives spreadsheets that strip zeros).
pub fn random() -> String {
    rand::rng().random_range(100_000..1_000_000u32).to_string()
}

/// Whether `text` has the shape of a login number.
pub fn is_well_formed(text: &str) -> bool {
    text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_numbers_have_six_digits() {
        for _ in 0..1000 {
            assert!(is_well_formed(&random()));
        }
    }

    #[test]
    fn letters_are_not_a_login() {
        assert!(!is_well_formed("12a456"));
        assert!(!is_well_formed("12345"));
    }
}
