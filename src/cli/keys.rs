//! `kuke-id keys list | rotate | retire | export`, through [`crate::flows::keys`].

use std::path::PathBuf;

use clap::Subcommand;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::flows::keys::{self, KeyAccess, KeyState};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List published keys: the active key of each algorithm, the next ones
    /// (published, signing later) and the replaced ones until they retire.
    List,
    /// Generate a new key, published at once and signing after
    /// KUKE_ID_KEY_PUBLISH_AHEAD_SECS; the keys it replaces retire by themselves.
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
    /// Write the private keys as PEM files (0600) into FOLDER, or to standard
    /// output without one: a backup that `serve` imports again from its keys folder.
    Export {
        /// Folder to write `<alg>-<created ms>-<kid>.pem` files into (created 0700).
        folder: Option<PathBuf>,
        /// Export retired keys too.
        #[arg(long)]
        retired: bool,
    },
}

fn when(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

pub async fn run(settings: Settings, command: KeysCommand) -> anyhow::Result<()> {
    // Only `serve` and `migrate` create the database and the first keys: a
    // `keys` command run from the wrong folder must say so.
    let store = app::open_migrated_store(&settings).await?;
    let (clock, actor) = (Clock::default(), Actor::cli());
    match command {
        KeysCommand::List => {
            let listed = keys::list(&store, &clock, false).await?;
            if listed.is_empty() {
                return Err(keys::KeysError::NoKeys.into());
            }
            println!("{:<9} {:<7} {:<44} {:<26} {:<26} RETIRES", "STATE", "ALG", "KID", "CREATED", "SIGNS FROM");
            for key in listed {
                let state = match key.state {
                    KeyState::Active => "active",
                    KeyState::Next => "next",
                    KeyState::Published | KeyState::Retired => "",
                };
                println!(
                    "{state:<9} {:<7} {:<44} {:<26} {:<26} {}",
                    key.alg.as_str(),
                    key.kid,
                    when(key.created),
                    when(key.signs_from),
                    key.retires.map(when).unwrap_or_default()
                );
            }
        }
        KeysCommand::Rotate { alg } => {
            let (kek, _) = keys::load_kek(&settings, &store, false).await?;
            let access = KeyAccess { store: &store, clock: &clock, settings: &settings, kek: &kek };
            for alg in alg.map(|a| vec![a]).unwrap_or_else(|| SigningAlg::ALL.to_vec()) {
                let key = keys::rotate(access, &actor, alg).await?;
                println!("{alg}: new key {} published now, signs from {}", key.kid, when(key.signs_from));
            }
            println!("running nodes publish the new keys within 30 s");
        }
        KeysCommand::Retire { kid } => {
            keys::retire(&store, &clock, &actor, &kid).await?;
            println!("retired {kid}; running nodes stop publishing it within 30 s");
        }
        KeysCommand::Export { folder, retired } => {
            let (kek, _) = keys::load_kek(&settings, &store, false).await?;
            let access = KeyAccess { store: &store, clock: &clock, settings: &settings, kek: &kek };
            let exported = keys::export(access, &actor, retired).await?;
            for (info, key) in &exported {
                match &folder {
                    Some(folder) => {
                        let path = crate::tokens::keys::write_pem(folder, key)?;
                        eprintln!("{} {}: {}", info.alg, info.kid, path.display());
                    }
                    None => print!("{}", key.to_pem().expose()),
                }
            }
            eprintln!("exported {} key(s); keep them as safe as the key-encryption key", exported.len());
        }
    }
    let _ = store.close().await;
    Ok(())
}
