//! The password rules of the seed (at least 8 characters; an upper-case letter, a
//! lower-case letter, a digit and a special character) plus NIST SP 800-63B-4's
//! refusals (context words, a list of common passwords, a length cap), and
//! argon2id hashing (synchronous: callers run it on a blocking thread).

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// Longest password accepted (NIST allows a cap of at least 64).
pub const MAX_LENGTH: usize = 128;
/// Shortest password accepted (the seed's rule).
pub const MIN_LENGTH: usize = 8;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().filter(|l| !l.is_empty()).collect());

/// One rule a password can break; the pages list and tick off the first five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// At least 8 characters.
    MinLength,
    /// An upper-case letter.
    Uppercase,
    /// A lower-case letter.
    Lowercase,
    /// An Arabic numeral.
    Digit,
    /// A special character.
    Special,
    /// At most 128 characters.
    MaxLength,
    /// Contains the login number.
    ContainsLogin,
    /// Contains the e-mail's local part.
    ContainsEmail,
    /// One of the 10 000 most common passwords.
    Common,
    /// The repetition differs.
    Mismatch,
}

impl Rule {
    /// The rules shown as a checklist on the page, in the seed's order.
    pub const CHECKLIST: [Rule; 5] = [Rule::MinLength, Rule::Uppercase, Rule::Lowercase, Rule::Digit, Rule::Special];

    /// Message-catalogue key of the rule.
    pub fn key(self) -> &'static str {
        match self {
            Rule::MinLength => "rule_min_length",
            Rule::Uppercase => "rule_uppercase",
            Rule::Lowercase => "rule_lowercase",
            Rule::Digit => "rule_digit",
            Rule::Special => "rule_special",
            Rule::MaxLength => "rule_max_length",
            Rule::ContainsLogin => "rule_contains_login",
            Rule::ContainsEmail => "rule_contains_email",
            Rule::Common => "rule_common",
            Rule::Mismatch => "rule_mismatch",
        }
    }
}

/// What the password is checked against besides itself.
pub struct Context<'a> {
    /// The account's login number.
    pub login: &'a str,
    /// The account's e-mail address.
    pub email: &'a str,
}

/// Every rule `password` (with its repetition) breaks; empty when acceptable.
pub fn check(password: &str, repeated: &str, context: &Context<'_>) -> Vec<Rule> {
    let mut broken = Vec::new();
    let length = password.chars().count();
    if length < MIN_LENGTH {
        broken.push(Rule::MinLength);
    }
    if !password.chars().any(char::is_uppercase) {
        broken.push(Rule::Uppercase);
    }
    if !password.chars().any(char::is_lowercase) {
        broken.push(Rule::Lowercase);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        broken.push(Rule::Digit);
    }
    if !password.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()) {
        broken.push(Rule::Special);
    }
    if length > MAX_LENGTH {
        broken.push(Rule::MaxLength);
    }
    let lower = password.to_lowercase();
    if !context.login.is_empty() && lower.contains(context.login) {
        broken.push(Rule::ContainsLogin);
    }
    let local = context.email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 3 && lower.contains(&local) {
        broken.push(Rule::ContainsEmail);
    }
    if COMMON.contains(lower.as_str()) || COMMON.contains(lower.trim_end_matches(|c: char| !c.is_alphanumeric())) {
        broken.push(Rule::Common);
    }
    if password != repeated {
        broken.push(Rule::Mismatch);
    }
    broken
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Memory in KiB (OWASP: 19456).
    pub memory_kib: u32,
    /// Passes (OWASP: 2).
    pub iterations: u32,
    /// Lanes (OWASP: 1).
    pub parallelism: u32,
}

impl Default for Cost {
    fn default() -> Self {
        Self { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

fn hasher(cost: Cost) -> Result<Argon2<'static>, argon2::Error> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (salt generated inside).
pub fn hash(password: &str, cost: Cost) -> Result<String, String> {
    let argon = hasher(cost).map_err(|e| e.to_string())?;
    let hash: PasswordHash = argon.hash_password(password.as_bytes()).map_err(|e| e.to_string())?;
    Ok(hash.to_string())
}

/// Verifies a password against a PHC string; false for a malformed string.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &hash).is_ok()
}

/// The working memory of one argon2id computation, kept between
/// verifications. A fresh 19 MiB buffer per verification costs page faults
/// (about a third of the hash's time) and leaves each thread's allocator
/// arena holding its own freed copy; reused, a verification costs only the
/// hash, and memory stays at one buffer per concurrent verification.
#[derive(Default)]
pub struct Workspace(Vec<argon2::Block>);

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workspace({} blocks)", self.0.len())
    }
}

impl Workspace {
    fn blocks(&mut self, count: usize) -> &mut [argon2::Block] {
        if self.0.len() < count {
            self.0.resize(count, argon2::Block::new());
        }
        &mut self.0[..count]
    }
}

/// [`verify`] in `workspace`'s memory instead of a fresh allocation: the same
/// parameters (read from `stored`), the same constant-time comparison.
pub fn verify_in(password: &str, stored: &str, workspace: &mut Workspace) -> bool {
    use subtle::ConstantTimeEq;
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else { return false };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let expected: &[u8] = expected.as_ref();
    let mut computed = vec![0u8; expected.len()];
    let salt: &[u8] = salt.as_ref();
    if argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, workspace.blocks(blocks)).is_err()
    {
        return false;
    }
    computed.ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTEXT: Context<'static> = Context { login: "482913", email: "anna.nowak@example.com" };

    #[test]
    fn a_password_meeting_every_rule_is_accepted() {
        assert!(check("Zielony#Las7", "Zielony#Las7", &CONTEXT).is_empty());
    }

    #[test]
    fn each_seed_rule_is_reported() {
        assert_eq!(check("Ab1!", "Ab1!", &CONTEXT), vec![Rule::MinLength]);
        assert_eq!(check("zielony#las7", "zielony#las7", &CONTEXT), vec![Rule::Uppercase]);
        assert_eq!(check("ZIELONY#LAS7", "ZIELONY#LAS7", &CONTEXT), vec![Rule::Lowercase]);
        assert_eq!(check("Zielony#Lasy", "Zielony#Lasy", &CONTEXT), vec![Rule::Digit]);
        assert_eq!(check("ZielonyLas77", "ZielonyLas77", &CONTEXT), vec![Rule::Special]);
    }

    #[test]
    fn the_login_and_the_email_name_are_refused() {
        assert!(check("Abc#482913x", "Abc#482913x", &CONTEXT).contains(&Rule::ContainsLogin));
        assert!(check("Anna.Nowak#1", "Anna.Nowak#1", &CONTEXT).contains(&Rule::ContainsEmail));
    }

    #[test]
    fn common_passwords_are_refused() {
        assert!(
            check("Password1!", "Password1!", &CONTEXT).contains(&Rule::Common)
                || check("Password1", "Password1", &CONTEXT).contains(&Rule::Common)
        );
        assert!(check("Qwerty123!", "Qwerty123!", &CONTEXT).contains(&Rule::Common));
    }

    #[test]
    fn the_list_has_ten_thousand_entries() {
        assert_eq!(COMMON.len(), 10_000);
    }

    #[test]
    fn longer_than_128_is_refused() {
        let long = format!("Aa1!{}", "x".repeat(125));
        assert!(check(&long, &long, &CONTEXT).contains(&Rule::MaxLength));
    }

    #[test]
    fn a_different_repetition_is_a_mismatch() {
        assert_eq!(check("Zielony#Las7", "Zielony#Las8", &CONTEXT), vec![Rule::Mismatch]);
    }

    #[test]
    fn a_reused_workspace_verifies_like_a_fresh_one() {
        let cost = Cost { memory_kib: 1024, iterations: 1, parallelism: 1 };
        let stored = hash("Zielony#Las7", cost).expect("hash");
        let mut workspace = Workspace::default();
        for _ in 0..2 {
            assert!(verify_in("Zielony#Las7", &stored, &mut workspace));
            assert!(!verify_in("Zielony#Las8", &stored, &mut workspace));
        }
        let bigger = hash("Zielony#Las7", Cost { memory_kib: 2048, iterations: 1, parallelism: 2 }).expect("hash");
        assert!(verify_in("Zielony#Las7", &bigger, &mut workspace), "the workspace grows to the stored cost");
        assert!(!verify_in("Zielony#Las7", "$argon2id$v=19$m=1024,t=1,p=1$bm90LWJhc2U2NA", &mut workspace));
        assert!(!verify_in("Zielony#Las7", "not a PHC string", &mut workspace));
    }

    #[test]
    fn hash_then_verify() {
        let cost = Cost { memory_kib: 1024, iterations: 1, parallelism: 1 };
        let stored = hash("Zielony#Las7", cost).expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("Zielony#Las7", &stored));
        assert!(!verify("zielony#Las7", &stored));
        assert!(!verify("x", "not a hash"));
    }
}
