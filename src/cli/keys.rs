//! `kuke-id keys list | rotate | retire`.

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::AuditEvent;
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::store;
use crate::tokens::keys::{self, KeyRing};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List published keys; the active key of each algorithm is marked.
    List,
    /// Generate a new key that becomes active; old keys stay published until retired.
    Rotate {
        /// Algorithm to rotate (RS256, ES256, EdDSA); all of them when omitted.
        #[arg(long)]
        alg: Option<SigningAlg>,
    },
    /// Stop publishing a key that no longer signs (tokens it signed stop verifying).
    Retire {
        /// The key id (`kid`) as shown by `keys list`.
        kid: String,
    },
}

pub async fn run(settings: Settings, command: KeysCommand) -> anyhow::Result<()> {
    let dir = settings.keys_dir.clone();
    match command {
        KeysCommand::List => {
            let ring = KeyRing::load_or_create(&dir)?;
            println!("{:<6} {:<7} {:<44} {:<26} FILE", "STATE", "ALG", "KID", "CREATED");
            for key in ring.keys() {
                let active = ring.active(key.alg).map(|k| k.kid == key.kid).unwrap_or(false);
                let created = i128::from(key.created_ms) * 1_000_000;
                let created = time::OffsetDateTime::from_unix_timestamp_nanos(created)
                    .ok()
                    .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                    .unwrap_or_default();
                println!(
                    "{:<6} {:<7} {:<44} {:<26} {}",
                    if active { "active" } else { "" },
                    key.alg.as_str(),
                    key.kid,
                    created,
                    key.path.display()
                );
            }
        }
        KeysCommand::Rotate { alg } => {
            let algs = alg.map(|a| vec![a]).unwrap_or_else(|| SigningAlg::ALL.to_vec());
            for alg in algs {
                let key = keys::generate(&dir, alg)?;
                println!("{alg}: new active key {}", key.kid);
                audit(&settings, AuditEvent::new("cli", "key.rotated", Some(key.kid.clone()))).await;
            }
            println!("running nodes pick up the change within 30 s");
        }
        KeysCommand::Retire { kid } => {
            let moved = keys::retire(&dir, &kid)?;
            println!("retired {kid} (moved to {})", moved.display());
            audit(&settings, AuditEvent::new("cli", "key.retired", Some(kid))).await;
        }
    }
    Ok(())
}

/// Key changes are file operations that must work without a database; the audit
/// entry is written when the database is reachable and a warning says when not.
async fn audit(settings: &Settings, event: AuditEvent) {
    let result = async {
        let store = app::open_store(settings).await?;
        store.migrate().await.context("migrating")?;
        store::audit::record(store.conn(), &event, Clock::default().now()).await.context("writing the audit event")?;
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = result {
        eprintln!("warning: the key change was made but not audited: {error:#}");
    }
}
