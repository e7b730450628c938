//! Reading an export row by row from the bytes in memory, so a file of 100 000
//! rows never becomes 100 000 parsed rows at once. The whole file is checked
//! first (well-formed CSV or a JSON array, UTF-8, known columns): a broken file
//! is refused before any row is applied, as when it was parsed whole.

use serde::de::IgnoredAny;

use super::{Format, ImportError, ReadRow};
use crate::domain::import::{self, COLUMNS, RawRow, RowError};

/// The rows of a checked file, in file order.
pub(super) enum Rows<'a> {
    Csv { reader: csv::Reader<&'a [u8]>, headers: csv::StringRecord, legacy_column: Option<usize> },
    Json { text: &'a str, at: usize, first: bool },
}

/// Checks the whole file, then answers its rows.
pub(super) fn rows(input: &[u8], format: Format) -> Result<Rows<'_>, ImportError> {
    match format {
        Format::Csv => {
            let (mut reader, _) = csv_reader(input)?;
            let mut record = csv::StringRecord::new();
            while reader.read_record(&mut record).map_err(csv_error)? {}
            let (reader, headers) = csv_reader(input)?;
            let legacy_column = headers.iter().position(|h| h == "legacy_id");
            Ok(Rows::Csv { reader, headers, legacy_column })
        }
        Format::Json => {
            let text = std::str::from_utf8(input).map_err(|_| ImportError::NotUtf8)?;
            serde_json::from_str::<Vec<IgnoredAny>>(text)
                .map_err(|e| ImportError::Malformed(format!("expected a JSON array of objects: {e}")))?;
            Ok(Rows::Json { text, at: text.len() - text.trim_start().len() + 1, first: true })
        }
    }
}

impl Iterator for Rows<'_> {
    type Item = ReadRow;

    fn next(&mut self) -> Option<ReadRow> {
        match self {
            Rows::Csv { reader, headers, legacy_column } => {
                let mut record = csv::StringRecord::new();
                match reader.read_record(&mut record) {
                    Ok(true) => Some(csv_row(&record, headers, *legacy_column)),
                    Ok(false) => None,
                    // The file was read through once already, so this does not happen;
                    // if it did, the row is reported rather than the import stopped.
                    Err(error) => Some((None, Err(RowError::Unreadable(error.to_string())))),
                }
            }
            Rows::Json { text, at, first } => {
                let rest = text.get(*at..)?;
                let skipped = rest.len() - rest.trim_start().len();
                let rest = &rest[skipped..];
                let rest = match rest.as_bytes().first() {
                    Some(b']') | None => return None,
                    Some(b',') if !*first => rest[1..].trim_start(),
                    _ => rest,
                };
                let consumed = text.len() - *at - rest.len();
                let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
                let value = values.next()?.ok()?;
                *at += consumed + values.byte_offset();
                *first = false;
                Some(json_row(value))
            }
        }
    }
}

fn csv_reader(input: &[u8]) -> Result<(csv::Reader<&[u8]>, csv::StringRecord), ImportError> {
    // Flexible, so that a row with a wrong number of fields is still read and
    // reported under its legacy id; the count is checked per row.
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let headers = reader.headers().map_err(csv_error)?.clone();
    for header in &headers {
        if !COLUMNS.contains(&header) {
            return Err(ImportError::UnknownColumn(header.chars().take(64).collect()));
        }
    }
    let missing: Vec<&str> = COLUMNS.iter().copied().filter(|c| !headers.iter().any(|h| h == *c)).collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing.join(", ")));
    }
    Ok((reader, headers))
}

fn csv_row(record: &csv::StringRecord, headers: &csv::StringRecord, legacy_column: Option<usize>) -> ReadRow {
    let legacy_id = legacy_column.and_then(|at| record.get(at)).and_then(import::reported_legacy_id);
    let row = if record.len() == headers.len() {
        record.deserialize::<RawRow>(Some(headers)).map_err(|e| RowError::Unreadable(e.to_string()))
    } else {
        Err(RowError::Unreadable("wrong number of fields".into()))
    };
    (legacy_id, row)
}

fn csv_error(error: csv::Error) -> ImportError {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => ImportError::NotUtf8,
        _ => ImportError::Malformed(error.to_string()),
    }
}

fn json_row(value: serde_json::Value) -> ReadRow {
    let legacy_id = match value.get("legacy_id") {
        Some(serde_json::Value::String(id)) => import::reported_legacy_id(id),
        Some(id @ serde_json::Value::Number(_)) => import::reported_legacy_id(&id.to_string()),
        _ => None,
    };
    (legacy_id, serde_json::from_value::<RawRow>(value).map_err(|e| RowError::Unreadable(e.to_string())))
}
