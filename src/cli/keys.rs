//! `kuke-id keys list | rotate | retire`, through [`crate::flows::keys`].

use clap::Subcommand;
use time::format_description::well_known::Rfc3339;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::flows::keys::{self, KeyState, Recorder};

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
    // Only `serve` and `migrate` create the first keys: a `keys` command run from
    // the wrong folder must say so rather than start a new key set there.
    app::require_keys(&settings)?;
    match command {
        KeysCommand::List => {
            println!("{:<6} {:<7} {:<44} {:<26} FILE", "STATE", "ALG", "KID", "CREATED");
            for key in keys::list(&dir, false).await? {
                println!(
                    "{:<6} {:<7} {:<44} {:<26} {}",
                    if key.state == KeyState::Active { "active" } else { "" },
                    key.alg.as_str(),
                    key.kid,
                    key.created.format(&Rfc3339).unwrap_or_default(),
                    key.path.display()
                );
            }
        }
        KeysCommand::Rotate { alg } => {
            let store = or_unaudited(app::open_migrated_store(&settings).await);
            let (clock, actor) = (Clock::default(), Actor::cli());
            let recorder = Recorder { store: store.as_ref(), clock: &clock, actor: &actor };
            let algs = alg.map(|a| vec![a]).unwrap_or_else(|| SigningAlg::ALL.to_vec());
            for alg in algs {
                let key = keys::rotate(&dir, recorder, alg).await?;
                println!("{alg}: new active key {}", key.kid);
            }
            println!("running nodes pick up the change within 30 s");
            if let Some(store) = store {
                let _ = store.close().await;
            }
        }
        KeysCommand::Retire { kid } => {
            let store = or_unaudited(app::open_migrated_store(&settings).await);
            let (clock, actor) = (Clock::default(), Actor::cli());
            let recorder = Recorder { store: store.as_ref(), clock: &clock, actor: &actor };
            let moved = keys::retire(&dir, recorder, &kid).await?;
            println!("retired {kid} (moved to {})", moved.display());
            if let Some(store) = store {
                let _ = store.close().await;
            }
        }
    }
    Ok(())
}

/// Key changes are file operations that must work without a database: when it
/// cannot be reached, a warning says the change goes unaudited.
fn or_unaudited<T>(opened: Result<T, app::StartError>) -> Option<T> {
    match opened {
        Ok(store) => Some(store),
        Err(error) => {
            eprintln!("warning: the database is unreachable, so the key change is not audited: {error:#}");
            None
        }
    }
}
