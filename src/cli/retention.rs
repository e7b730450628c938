//! `kuke-id retention run`: one round of the retention job, now, from this
//! machine (the serving nodes run it every ten minutes on their own).

use anyhow::Context;

use crate::app::App;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::flows::retention;

/// `kuke-id retention …` (each run is audited as `retention.run`, actor `cli`)
#[derive(Debug, clap::Subcommand)]
pub enum RetentionCommand {
    /// Delete what is no longer needed and erase old client addresses now; prints
    /// the rows deleted and erased per table.
    Run {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: Settings, command: RetentionCommand) -> anyhow::Result<()> {
    let RetentionCommand::Run { json } = command;
    let state = App::offline_state(settings).await?;
    let report = retention::run_for(&state, &Actor::cli()).await.context("retention")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json()).context("serialising")?);
    } else {
        println!("{:<24} {:>9} {:>9}", "TABLE", "DELETED", "ERASED");
        let mut tables: Vec<&str> = report.deleted.iter().map(|(t, _)| *t).collect();
        tables.extend(report.erased.iter().map(|(t, _)| *t).filter(|t| report.deleted.iter().all(|(d, _)| d != t)));
        for table in tables {
            println!("{table:<24} {:>9} {:>9}", report.deleted_from(table), report.erased_in(table));
        }
    }
    state.store.clone().close().await.context("closing the database")?;
    Ok(())
}
