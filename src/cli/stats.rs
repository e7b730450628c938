//! `kuke-id stats`: the migration funnel, straight from the database.

use anyhow::Context;

use crate::app;
use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::flows::stats::{self, Funnel};

/// Options of `kuke-id stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(settings: Settings, args: StatsArgs) -> anyhow::Result<()> {
    let store = app::open_migrated_store(&settings).await?;
    let stats = stats::migration(&store, &Clock::default()).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats).context("serialising")?);
    } else {
        println!("migration funnel of {}", app::describe_database(&settings));
        println!(
            "{:<40} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9} {:>6}",
            "ORGANIZATION", "TOTAL", "IMPORTED", "INVITED", "EXPIRED", "PASSWORD", "SIGNED-IN", "TERMS"
        );
        let row = |name: &str, f: &Funnel| {
            println!(
                "{:<40} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9} {:>6}",
                name.chars().take(40).collect::<String>(),
                f.total,
                f.imported,
                f.invited,
                f.link_expired,
                f.password_set,
                f.first_sign_in_done,
                f.terms_accepted
            )
        };
        for (name, funnel) in &stats.organizations {
            row(name, funnel);
        }
        row("(all)", &stats.overall);
    }
    store.close().await.context("closing the database")?;
    Ok(())
}
