//! Configuration errors, worded as the operator wrote the value: an environment
//! variable by its name (`KUKE_ID_LISTEN`), a file key by its key and file
//! (`listen in kuke-id.toml`).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::error::{Actual, Kind};

use super::ENV_PREFIX;

/// A configuration value that cannot be used; names the key as the user wrote it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", self.sentence())]
pub struct ConfigError {
    /// The setting as the operator wrote it: `KUKE_ID_ISSUER` in the environment
    /// (or when left at its default), `issuer` in a configuration file.
    pub key: String,
    /// The configuration file the value came from, when it came from one.
    pub file: Option<PathBuf>,
    /// What is wrong with it.
    pub message: String,
    /// The key is not a setting at all (a typo).
    unknown: bool,
}

impl ConfigError {
    /// A refused value of `setting` (the file spelling, `issuer`); named as an
    /// environment variable until [`ConfigError::located`] finds it in a file.
    pub(crate) fn new(setting: &str, message: impl Into<String>) -> Self {
        Self { key: env_name(setting), file: None, message: message.into(), unknown: false }
    }

    /// An error about the command line itself (`--config`).
    pub(crate) fn command_line(key: &str, message: impl Into<String>) -> Self {
        Self { key: key.into(), file: None, message: message.into(), unknown: false }
    }

    /// Renames the key after the place its value came from in `figment`.
    pub(crate) fn located(mut self, figment: &Figment) -> Self {
        let setting = setting_of(&self.key);
        if let Some(path) = figment.find_metadata(&setting).and_then(file_of) {
            self.key = setting;
            self.file = Some(path);
        }
        self
    }

    fn sentence(&self) -> String {
        match (&self.file, self.unknown) {
            (Some(file), true) => format!("unknown key \"{}\" in {}{}", self.key, file.display(), self.message),
            (None, true) => format!("unknown setting {}{}", self.key, self.message),
            (Some(file), false) => format!("{} in {}: {}", self.key, file.display(), self.message),
            (None, false) => format!("{}: {}", self.key, self.message),
        }
    }
}

/// `listen` → `KUKE_ID_LISTEN`.
pub(crate) fn env_name(setting: &str) -> String {
    format!("{ENV_PREFIX}{}", setting.to_ascii_uppercase())
}

/// `KUKE_ID_LISTEN` → `listen`.
fn setting_of(key: &str) -> String {
    key.strip_prefix(ENV_PREFIX).unwrap_or(key).to_ascii_lowercase()
}

/// The first error of a failed extraction, worded for its source.
pub(super) fn from_figment(error: figment::Error, figment: &Figment) -> ConfigError {
    let error = error.into_iter().next().unwrap_or_else(|| figment::Error::from("unreadable".to_string()));
    let key = error.path.join(".");
    let looked_up = match &error.kind {
        Kind::UnknownField(field, _) => field.clone(),
        _ => key.clone(),
    };
    let file = figment.find_metadata(&looked_up).and_then(file_of);
    let in_words = |setting: &str| if file.is_some() { setting.to_string() } else { env_name(setting) };
    match &error.kind {
        Kind::UnknownField(field, expected) => {
            let hint = suggestion(field, expected).map(|s| format!("; did you mean {}?", quoted(&in_words(&s), &file)));
            ConfigError { key: in_words(field), file, message: hint.unwrap_or_default(), unknown: true }
        }
        Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) if !key.is_empty() => {
            ConfigError { key: in_words(&key), file, message: expects(&key, actual, expected), unknown: false }
        }
        _ if key.is_empty() => ConfigError::command_line("configuration", error.to_string()),
        kind => ConfigError { key: in_words(&key), file, message: kind.to_string(), unknown: false },
    }
}

fn file_of(metadata: &figment::Metadata) -> Option<PathBuf> {
    metadata.source.as_ref()?.file_path().map(Path::to_path_buf)
}

fn quoted(name: &str, file: &Option<PathBuf>) -> String {
    if file.is_some() { format!("\"{name}\"") } else { name.to_string() }
}

/// The setting a mistyped or upper-case key most likely meant.
fn suggestion(field: &str, expected: &[&str]) -> Option<String> {
    let plain = setting_of(field);
    if expected.contains(&plain.as_str()) {
        return Some(plain);
    }
    expected
        .iter()
        .map(|candidate| (distance(&plain, candidate), *candidate))
        .filter(|(d, candidate)| *d <= 2.max(candidate.len() / 4))
        .min()
        .map(|(_, candidate)| candidate.to_string())
}

/// Levenshtein distance between two short ASCII keys.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// What a setting expects, in words, and the value it got instead.
fn expects(setting: &str, actual: &Actual, expected: &str) -> String {
    let found = match actual {
        Actual::Signed(v) => v.to_string(),
        Actual::Unsigned(v) => v.to_string(),
        Actual::Float(v) => v.to_string(),
        Actual::Bool(v) => v.to_string(),
        Actual::Str(v) => format!("\"{v}\""),
        other => other.to_string(),
    };
    let unit = [
        ("_secs", " of seconds"),
        ("_minutes", " of minutes"),
        ("_hours", " of hours"),
        ("_days", " of days"),
        ("_bytes", " of bytes"),
        ("_kib", " of KiB"),
    ]
    .iter()
    .find(|(suffix, _)| setting.ends_with(suffix))
    .map_or("", |(_, unit)| unit);
    let wanted = match expected {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            let max = match expected {
                "u32" => format!(" up to {}", u32::MAX),
                _ => String::new(),
            };
            format!("expects a whole number{unit}{max}")
        }
        "a boolean" => "expects true or false".to_string(),
        "a string" => "expects text (in quotes in a TOML file)".to_string(),
        other => format!("expects {other}"),
    };
    format!("{wanted}, not {found}")
}
