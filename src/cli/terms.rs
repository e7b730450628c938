//! `kuke-id terms publish | list`.

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::flows;
use crate::flows::terms::Publication;

#[derive(Debug, Subcommand)]
pub enum TermsCommand {
    /// Publish a new version of the terms from a text file (paragraphs separated by blank lines).
    Publish {
        /// The file with the body of the terms in Polish, the binding text (UTF-8).
        file: std::path::PathBuf,
        /// Version label, e.g. 2026-12.
        #[arg(long)]
        version: String,
        /// A file with the English text (UTF-8), shown on the English pages;
        /// without it English readers see the Polish text with a note that it binds.
        #[arg(long, value_name = "FILE_EN")]
        file_en: Option<std::path::PathBuf>,
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
    let store = app::open_migrated_store(&settings).await?;
    match command {
        TermsCommand::Publish { file, version, file_en, title, effective_at } => {
            let body = read_text(&file)?;
            let body_en = file_en.as_deref().map(read_text).transpose()?;
            let effective_at = effective_at
                .map(|t| time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339))
                .transpose()
                .context("--effective-at must be an RFC 3339 time like 2026-12-01T00:00:00Z")?;
            let publication = Publication {
                version: &version,
                title: &title,
                body: &body,
                body_en: body_en.as_deref(),
                effective_at,
            };
            flows::terms::publish(&store, &Clock::default(), &Actor::cli(), publication).await?;
            let english = if body_en.is_some() { " with an English text" } else { "" };
            println!("published terms version {version}{english}");
        }
        TermsCommand::List => {
            println!("{:<20} {:<26} {:<8} TITLE", "VERSION", "EFFECTIVE", "ENGLISH");
            for listed in flows::terms::list(&store, &Clock::default()).await? {
                let terms = listed.terms;
                let english = if terms.body_en.is_some() { "yes" } else { "no" };
                println!("{:<20} {:<26} {:<8} {}", terms.version, terms.effective_at, english, terms.title);
            }
        }
    }
    store.close().await.context("closing the database")?;
    Ok(())
}

/// A text file of the terms, which must be UTF-8.
fn read_text(file: &std::path::Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))
}
