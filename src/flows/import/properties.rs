//! Property tests: any file an administrator uploads, however broken, is read
//! into rows or refused whole, and every row is accepted or refused with a
//! reason — never a panic.

use proptest::prelude::*;

use super::{Format, ImportError, ReadRow, read};
use crate::domain::import::{self, COLUMNS, RawRow};

/// Text with the characters that matter to CSV and to the row rules.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 @._,\"\r\n\t\u{0}-]{0,24}",
        any::<String>(),
        Just("anna@example.com".to_string()),
        Just("administrator".to_string()),
    ]
}

/// A header: the real columns shuffled, sometimes one dropped or a stranger added.
fn header() -> impl Strategy<Value = Vec<String>> {
    (Just(COLUMNS.map(str::to_string).to_vec()).prop_shuffle(), 0..4usize, field()).prop_map(
        |(mut columns, twist, stranger)| {
            match twist {
                1 => {
                    columns.pop();
                }
                2 => columns.push(stranger),
                _ => {}
            }
            columns
        },
    )
}

fn csv_text() -> impl Strategy<Value = String> {
    (header(), proptest::collection::vec(proptest::collection::vec(field(), 0..9), 0..6)).prop_map(|(header, rows)| {
        let mut text = header.join(",");
        for row in rows {
            text.push('\n');
            text.push_str(&row.join(","));
        }
        text
    })
}

fn json_text() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        field().prop_map(serde_json::Value::String),
        any::<i64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        Just(serde_json::json!([1, {"a": 2}])),
    ];
    let key = prop_oneof![proptest::sample::select(COLUMNS.to_vec()).prop_map(str::to_string), field()];
    let object = proptest::collection::btree_map(key, value, 0..9)
        .prop_map(|map| serde_json::Value::Object(map.into_iter().collect()));
    let item = prop_oneof![object, Just(serde_json::Value::Null), Just(serde_json::json!("row"))];
    prop_oneof![
        proptest::collection::vec(item.clone(), 0..6).prop_map(|items| serde_json::Value::Array(items).to_string()),
        // Spaces and line breaks wherever JSON allows them.
        proptest::collection::vec(item, 0..6).prop_map(|items| {
            format!(" \n{} \r\n", serde_json::to_string_pretty(&serde_json::Value::Array(items)).unwrap_or_default())
        }),
        any::<String>(),
    ]
}

fn check_rows(rows: Vec<(Option<String>, Result<RawRow, import::RowError>)>) {
    for (legacy_id, row) in rows {
        if let Some(id) = legacy_id {
            assert!(!id.is_empty() && id.chars().count() <= 64 && !id.chars().any(char::is_control));
        }
        if let Ok(raw) = row
            && let Ok(valid) = import::validate(&raw)
        {
            assert_eq!(valid.email, valid.email.to_lowercase());
            assert!(!valid.legacy_id.is_empty());
        }
    }
}

fn read_csv(input: &[u8]) -> Result<Vec<ReadRow>, ImportError> {
    read::rows(input, Format::Csv).map(Iterator::collect)
}

fn read_json(input: &[u8]) -> Result<Vec<ReadRow>, ImportError> {
    read::rows(input, Format::Json).map(Iterator::collect)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_json_array_read_row_by_row_gives_every_element_in_order(text in json_text()) {
        if let Ok(whole) = serde_json::from_str::<Vec<serde_json::Value>>(&text) {
            let rows = read_json(text.as_bytes()).expect("a JSON array is read");
            prop_assert_eq!(rows.len(), whole.len());
            for ((legacy_id, _), value) in rows.iter().zip(&whole) {
                let expected = match value.get("legacy_id") {
                    Some(serde_json::Value::String(id)) => import::reported_legacy_id(id),
                    Some(id @ serde_json::Value::Number(_)) => import::reported_legacy_id(&id.to_string()),
                    _ => None,
                };
                prop_assert_eq!(legacy_id, &expected);
            }
        }
    }

    #[test]
    fn any_csv_text_is_read_or_refused_whole(text in csv_text()) {
        match read_csv(text.as_bytes()) {
            Ok(rows) => check_rows(rows),
            Err(ImportError::Store(_)) => prop_assert!(false, "reading touches no store"),
            Err(_) => {}
        }
    }

    #[test]
    fn any_bytes_as_csv_are_read_or_refused_whole(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(rows) = read_csv(bytes.as_slice()) {
            check_rows(rows);
        }
    }

    #[test]
    fn any_json_text_is_read_or_refused_whole(text in json_text()) {
        if let Ok(rows) = read_json(text.as_bytes()) {
            check_rows(rows);
        }
    }

    #[test]
    fn any_row_is_valid_or_refused_with_a_reason(
        fields in proptest::collection::vec(proptest::option::of(field()), 7)
    ) {
        let raw = RawRow {
            legacy_id: fields[0].clone(),
            email: fields[1].clone(),
            first_name: fields[2].clone(),
            last_name: fields[3].clone(),
            organization_external_id: fields[4].clone(),
            organization_name: fields[5].clone(),
            role: fields[6].clone(),
        };
        match import::validate(&raw) {
            Ok(valid) => prop_assert!(valid.email.len() <= 254),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}
