//! The error of parsing a closed set of names (status, role, grant type, step).

/// A string that names no known value of a closed set (status, role, step, grant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct UnknownName {
    /// What was being parsed.
    pub kind: &'static str,
    /// The refused value (bounded: it may come from a request).
    pub value: String,
}

impl UnknownName {
    /// An unknown `value` of `kind`.
    pub fn new(kind: &'static str, value: &str) -> Self {
        Self { kind, value: value.chars().take(40).collect() }
    }
}
