//! Languages and message catalogues: Polish by default (the seed's wording),
//! English on request. All user-facing text lives in `templates/i18n/*.json`.

use std::collections::HashMap;
use std::sync::LazyLock;

pub(crate) static CATALOGS: LazyLock<HashMap<Lang, serde_json::Value>> = LazyLock::new(|| {
    let parse = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    HashMap::from([
        (Lang::Pl, parse(include_str!("../templates/i18n/pl.json"))),
        (Lang::En, parse(include_str!("../templates/i18n/en.json"))),
    ])
});

/// The languages of the pages and mails: Polish by default, English on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Polski (default).
    #[default]
    Pl,
    /// English.
    En,
}

impl Lang {
    /// BCP 47 tag.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }

    /// Parses a language tag (`pl`, `en-GB`, `en;q=0.8`).
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_', ';']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "pl" => Some(Lang::Pl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// First supported language of a space-separated list (`ui_locales`).
    pub fn from_list(list: &str) -> Option<Self> {
        list.split([' ', ',']).find_map(Lang::parse)
    }

    /// The whole catalogue (for templates).
    pub fn catalogue(self) -> &'static serde_json::Value {
        static EMPTY: serde_json::Value = serde_json::Value::Null;
        CATALOGS.get(&self).unwrap_or(&EMPTY)
    }

    /// The whole catalogue as a template value (`t` in pages and mails),
    /// converted once: converting it on every render cost more than rendering
    /// the page. Cloning it shares it.
    pub fn catalogue_value(self) -> minijinja::Value {
        static VALUES: LazyLock<HashMap<Lang, minijinja::Value>> = LazyLock::new(|| {
            CATALOGS
                .iter()
                .map(|(lang, catalogue)| (*lang, minijinja::Value::from(minijinja::value::Serde(catalogue))))
                .collect()
        });
        VALUES.get(&self).cloned().unwrap_or_default()
    }

    /// A message from this language's catalogue.
    pub fn text(self, key: &str) -> String {
        CATALOGS.get(&self).and_then(|c| c.get(key)).and_then(|v| v.as_str()).unwrap_or(key).to_string()
    }
}
