//! `kuke-id terms publish | list`.

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::flows;
use crate::store;

#[derive(Debug, Subcommand)]
pub enum TermsCommand {
    /// Publish a new version of the terms from a text file (paragraphs separated by blank lines).
    Publish {
        /// The file with the body of the terms (UTF-8).
        file: std::path::PathBuf,
        /// Version label, e.g. 2026-12.
        #[arg(long)]
        version: String,
        /// Title shown above the terms.
        #[arg(long, default_value = "Regulamin Portalu Klienta")]
        title: String,
        /// When it applies (RFC 3339); now when omitted.
        #[arg(long)]
        effective_at: Option<String>,
    },
    /// List published versions.
    List,
}

pub async fn run(settings: Settings, command: TermsCommand) -> anyhow::Result<()> {
    let store = app::open_store(&settings).await?;
    store.migrate().await.context("migrating the database")?;
    match command {
        TermsCommand::Publish { file, version, title, effective_at } => {
            let body = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let body = String::from_utf8(body).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))?;
            let effective_at = effective_at
                .map(|t| time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339))
                .transpose()
                .context("--effective-at must be an RFC 3339 time like 2026-12-01T00:00:00Z")?;
            flows::terms::publish(&store, &Clock::default(), &Actor::cli(), &version, &title, &body, effective_at)
                .await?;
            println!("published terms version {version}");
        }
        TermsCommand::List => {
            println!("{:<20} {:<26} TITLE", "VERSION", "EFFECTIVE");
            for terms in store::terms::list(store.conn()).await? {
                println!("{:<20} {:<26} {}", terms.version, terms.effective_at, terms.title);
            }
        }
    }
    store.close().await.context("closing the database")?;
    Ok(())
}
