//! The import's report, kept compact: one 16-byte entry per row and the legacy
//! ids side by side in one string, so 100 000 rows take about 2.5 MB rather than
//! the 10 MB of a struct with its own strings each; and written out as JSON a
//! few hundred rows at a time, so the 6 MB document never exists whole.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::RowOutcome;

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowReport {
    /// Data row number (1 = first row after the CSV header / first array element).
    pub row: usize,
    /// Its legacy id, when the file gave one (rejected rows included).
    pub legacy_id: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

/// The rows of a report, in file order.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    entries: Vec<Entry>,
    /// Every reported legacy id, one after another.
    legacy_ids: String,
    /// The reasons of the rejected rows.
    reasons: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where the legacy id starts in `Rows::legacy_ids`.
    legacy_start: usize,
    /// Its length in bytes; 0 when the row named none (a reported id is never empty).
    legacy_len: u16,
    kind: Kind,
    /// Index into `Rows::reasons` when rejected.
    reason: u32,
}

/// What happened to a row, without the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Valid, waiting for its batch.
    Pending,
    Created,
    Updated,
    Unchanged,
    Rejected,
}

impl Rows {
    /// Rows in the report.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No rows at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Row `row` (1-based), when the file had it.
    pub fn get(&self, row: usize) -> Option<RowReport> {
        let view = self.view(row.checked_sub(1)?)?;
        Some(RowReport {
            row,
            legacy_id: view.legacy_id.map(str::to_string),
            outcome: match view.kind {
                Kind::Created => RowOutcome::Created,
                Kind::Updated => RowOutcome::Updated,
                Kind::Pending | Kind::Unchanged => RowOutcome::Unchanged,
                Kind::Rejected => RowOutcome::Rejected(view.reason.unwrap_or_default().to_string()),
            },
        })
    }

    /// Every row, in file order.
    pub fn iter(&self) -> impl Iterator<Item = RowReport> + '_ {
        (1..=self.entries.len()).filter_map(|row| self.get(row))
    }

    /// Adds the next row of the file, still to be applied; answers its number.
    pub(super) fn push_pending(&mut self, legacy_id: &str) -> usize {
        self.push(Some(legacy_id), Kind::Pending, None)
    }

    /// Adds the next row of the file, refused.
    pub(super) fn push_rejected(&mut self, legacy_id: Option<&str>, reason: String) -> usize {
        self.push(legacy_id, Kind::Rejected, Some(reason))
    }

    /// Records what happened to a pending row.
    pub(super) fn settle(&mut self, row: usize, outcome: RowOutcome) {
        let reason = match &outcome {
            RowOutcome::Rejected(_) => u32::try_from(self.reasons.len()).unwrap_or(u32::MAX),
            _ => 0,
        };
        let kind = match outcome {
            RowOutcome::Created => Kind::Created,
            RowOutcome::Updated => Kind::Updated,
            RowOutcome::Unchanged => Kind::Unchanged,
            RowOutcome::Rejected(text) => {
                self.reasons.push(text);
                Kind::Rejected
            }
        };
        if let Some(entry) = row.checked_sub(1).and_then(|index| self.entries.get_mut(index)) {
            entry.kind = kind;
            entry.reason = reason;
        }
    }

    fn push(&mut self, legacy_id: Option<&str>, kind: Kind, reason: Option<String>) -> usize {
        // A reported legacy id is at most 64 characters; anything longer is cut
        // at a character boundary rather than overflowing the length.
        let legacy_id = legacy_id.map(|id| {
            let mut end = id.len().min(usize::from(u16::MAX));
            while !id.is_char_boundary(end) {
                end -= 1;
            }
            &id[..end]
        });
        let legacy_start = self.legacy_ids.len();
        let legacy_len = legacy_id.map_or(0, |id| u16::try_from(id.len()).unwrap_or(0));
        self.legacy_ids.push_str(legacy_id.unwrap_or_default());
        let reason = match reason {
            Some(text) => {
                self.reasons.push(text);
                u32::try_from(self.reasons.len() - 1).unwrap_or(u32::MAX)
            }
            None => 0,
        };
        self.entries.push(Entry { legacy_start, legacy_len, kind, reason });
        self.entries.len()
    }

    fn view(&self, index: usize) -> Option<View<'_>> {
        let entry = self.entries.get(index)?;
        let legacy_id = (entry.legacy_len > 0)
            .then(|| self.legacy_ids.get(entry.legacy_start..entry.legacy_start + usize::from(entry.legacy_len)))
            .flatten();
        let reason = (entry.kind == Kind::Rejected)
            .then(|| usize::try_from(entry.reason).ok().and_then(|at| self.reasons.get(at)).map(String::as_str))
            .flatten();
        Some(View { row: index + 1, legacy_id, kind: entry.kind, reason })
    }

    /// How many rows ended each way: created, updated, unchanged, rejected.
    pub(super) fn counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for entry in &self.entries {
            match entry.kind {
                Kind::Created => counts[0] += 1,
                Kind::Updated => counts[1] += 1,
                Kind::Pending | Kind::Unchanged => counts[2] += 1,
                Kind::Rejected => counts[3] += 1,
            }
        }
        counts
    }
}

/// One row as the JSON report shows it, borrowed from `Rows`.
struct View<'a> {
    row: usize,
    legacy_id: Option<&'a str>,
    kind: Kind,
    reason: Option<&'a str>,
}

impl Serialize for View<'_> {
    /// The same object `RowReport` gives: `row`, `legacy_id` (or null),
    /// `outcome`, and `reason` for a rejected row.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rejected = self.kind == Kind::Rejected;
        let mut map = serializer.serialize_map(Some(if rejected { 4 } else { 3 }))?;
        map.serialize_entry("row", &self.row)?;
        map.serialize_entry("legacy_id", &self.legacy_id)?;
        let outcome = match self.kind {
            Kind::Created => "created",
            Kind::Updated => "updated",
            Kind::Pending | Kind::Unchanged => "unchanged",
            Kind::Rejected => "rejected",
        };
        map.serialize_entry("outcome", outcome)?;
        if rejected {
            map.serialize_entry("reason", self.reason.unwrap_or_default())?;
        }
        map.end()
    }
}

impl Serialize for Rows {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.entries.len()))?;
        for index in 0..self.entries.len() {
            if let Some(view) = self.view(index) {
                seq.serialize_element(&view)?;
            }
        }
        seq.end()
    }
}

/// The whole report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Nothing was written.
    pub dry_run: bool,
    /// New accounts.
    pub created: usize,
    /// Updated accounts.
    pub updated: usize,
    /// Untouched accounts.
    pub unchanged: usize,
    /// Refused rows.
    pub rejected: usize,
    /// Row by row.
    pub rows: Rows,
}

/// Rows per piece of the JSON report (a piece is then ~25 kB).
const ROWS_PER_CHUNK: usize = 512;

impl Report {
    /// The report as JSON, the same document `serde_json::to_vec` gives, in
    /// pieces of a few hundred rows: a response body can send it without the
    /// whole document ever being in memory.
    pub fn into_json_chunks(self) -> JsonChunks {
        JsonChunks { report: self, next: 0, finished: false }
    }
}

/// The pieces of a report's JSON, in order.
#[derive(Debug)]
pub struct JsonChunks {
    report: Report,
    /// Next row (index) to write; rows start after the head.
    next: usize,
    finished: bool,
}

impl Iterator for JsonChunks {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.finished {
            return None;
        }
        let rows = &self.report.rows;
        let end = (self.next + ROWS_PER_CHUNK).min(rows.len());
        let mut out = Vec::with_capacity(64 * (end - self.next) + 128);
        if self.next == 0 {
            let r = &self.report;
            out.extend_from_slice(
                format!(
                    "{{\"dry_run\":{},\"created\":{},\"updated\":{},\"unchanged\":{},\"rejected\":{},\"rows\":[",
                    r.dry_run, r.created, r.updated, r.unchanged, r.rejected
                )
                .as_bytes(),
            );
        }
        for index in self.next..end {
            if index > 0 {
                out.push(b',');
            }
            if let Some(view) = rows.view(index) {
                // Writing into a Vec fails only on a map key that is not a
                // string, which `View` never has.
                let _ = serde_json::to_writer(&mut out, &view);
            }
        }
        self.next = end;
        if end == rows.len() {
            out.extend_from_slice(b"]}");
            self.finished = true;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut rows = Rows::default();
        let first = rows.push_pending("EX-1");
        rows.push_rejected(Some("EX-\"2\""), "duplicate legacy_id in the file".into());
        rows.push_rejected(None, "wrong number of fields".into());
        let fourth = rows.push_pending("Zażółć");
        let fifth = rows.push_pending("EX-5");
        rows.settle(first, RowOutcome::Created);
        rows.settle(fourth, RowOutcome::Rejected("e-mail address belongs to another account".into()));
        rows.settle(fifth, RowOutcome::Updated);
        let [created, updated, unchanged, rejected] = rows.counts();
        Report { dry_run: true, created, updated, unchanged, rejected, rows }
    }

    #[test]
    fn compact_rows_read_back_as_they_were_recorded() {
        let report = report();
        let rows: Vec<RowReport> = report.rows.iter().collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0], RowReport { row: 1, legacy_id: Some("EX-1".into()), outcome: RowOutcome::Created });
        assert_eq!(rows[1].legacy_id.as_deref(), Some("EX-\"2\""));
        assert_eq!(
            rows[2],
            RowReport { row: 3, legacy_id: None, outcome: RowOutcome::Rejected("wrong number of fields".into()) }
        );
        assert_eq!(rows[3].outcome, RowOutcome::Rejected("e-mail address belongs to another account".into()));
        assert_eq!(rows[4].outcome, RowOutcome::Updated);
        assert_eq!((report.created, report.updated, report.unchanged, report.rejected), (1, 1, 0, 3));
    }

    #[test]
    fn compact_rows_serialize_like_one_struct_per_row() {
        let report = report();
        let expected: Vec<RowReport> = report.rows.iter().collect();
        assert_eq!(serde_json::to_value(&report.rows).unwrap(), serde_json::to_value(&expected).unwrap());
    }

    #[test]
    fn the_json_pieces_make_the_whole_document() {
        for rows in [0, 1, ROWS_PER_CHUNK - 1, ROWS_PER_CHUNK, 3 * ROWS_PER_CHUNK + 7] {
            let mut report = report();
            report.rows = Rows::default();
            for i in 0..rows {
                let row = report.rows.push_pending(&format!("EX-{i}"));
                report
                    .rows
                    .settle(row, if i % 3 == 0 { RowOutcome::Created } else { RowOutcome::Rejected(format!("r{i}")) });
            }
            let whole = serde_json::to_vec(&report).unwrap();
            let pieces: Vec<u8> = report.into_json_chunks().flatten().collect();
            assert_eq!(String::from_utf8(pieces).unwrap(), String::from_utf8(whole).unwrap(), "{rows} rows");
        }
    }
}
