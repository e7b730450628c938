//! `kuke-id import FILE [--dry-run]`: import Ekstranet accounts straight into the database.

use anyhow::Context;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::flows::import::{self, Format, RowOutcome};

/// Options of `kuke-id import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV (header row: legacy_id,email,first_name,last_name,organization_external_id,organization_name,role) or JSON array.
    file: std::path::PathBuf,
    /// Validate and report only; nothing is written.
    #[arg(long)]
    dry_run: bool,
    /// File format; from the extension when omitted.
    #[arg(long, value_parser = ["csv", "json"])]
    format: Option<String>,
}

/// Imports the file; `verbose` also prints the rows that were not rejected.
pub async fn run(settings: Settings, args: ImportArgs, verbose: bool) -> anyhow::Result<()> {
    let format = match args.format.as_deref().or_else(|| args.file.extension().and_then(|e| e.to_str())) {
        Some("json") => Format::Json,
        _ => Format::Csv,
    };
    let file = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let store = app::open_migrated_store(&settings).await?;
    let started = std::time::Instant::now();
    let report = import::import(&store, &Clock::default(), &Actor::cli(), &file, format, args.dry_run).await?;
    for row in report.rows.iter() {
        // Named like the JSON report: `row 3: rejected (EK-1003): reason`.
        let legacy_id = row.legacy_id.as_deref().map(|id| format!(" ({id})")).unwrap_or_default();
        match &row.outcome {
            RowOutcome::Rejected(reason) => println!("row {}: rejected{legacy_id}: {reason}", row.row),
            outcome if verbose => println!("row {}: {}{legacy_id}", row.row, outcome.label()),
            _ => {}
        }
    }
    println!(
        "{}created {}, updated {}, unchanged {}, rejected {} ({} rows in {:.1} s)",
        if report.dry_run { "dry run, nothing written: " } else { "" },
        report.created,
        report.updated,
        report.unchanged,
        report.rejected,
        report.rows.len(),
        started.elapsed().as_secs_f64()
    );
    store.close().await.context("closing the database")?;
    Ok(())
}
