//! The `kuke-id` command line: argument definitions and dispatch.

mod clients;
mod import;
mod keys;
mod retention;
mod serve;
mod stats;
mod terms;
mod users;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::StartError;
use crate::config::{self, ConfigError, Settings};
use crate::telemetry::{self, LogFormat};

/// kuke-id — KUKE's OpenID Connect identity provider.
#[derive(Debug, Parser)]
#[command(name = "kuke-id", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file; KUKE_ID_* environment variables override it.
    #[arg(long, global = true, env = "KUKE_ID_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format [default: log_format of the config file, else text].
    #[arg(long, global = true, env = "KUKE_ID_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Say on stderr which database and keys folder the command uses (`import`:
    /// also print every row, not only the rejected ones).
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the provider (migrates the database first).
    Serve(serve::ServeArgs),
    /// Create (if missing) and migrate the database, create missing signing keys, and exit.
    Migrate,
    /// Manage the signing keys in KUKE_ID_KEYS_DIR.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Register and manage relying parties (OIDC clients).
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Import Ekstranet accounts from a CSV or JSON file (idempotent by legacy id).
    Import(import::ImportArgs),
    /// The migration funnel: how many accounts reached each step, per organisation.
    Stats(stats::StatsArgs),
    /// Publish and list versions of the terms of service.
    #[command(subcommand)]
    Terms(terms::TermsCommand),
    /// Administer accounts (lock, disable, reset, invite, delete…) straight on the database.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Delete data no longer needed and erase old client addresses (the nodes do it every 10 minutes).
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
}

/// How the process ends: exit code 2 for configuration errors, 1 for the rest
/// (a missing database or keys folder included).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The deployment is not ready to serve (no terms version in force): like
    /// bad configuration, the operator has to act before starting again.
    #[error(transparent)]
    NotReady(StartError),
    /// Anything else, with its cause chain.
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl From<StartError> for CliError {
    fn from(error: StartError) -> Self {
        match error {
            StartError::NoTerms => CliError::NotReady(error),
            other => CliError::Failed(other.into()),
        }
    }
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::NotReady(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

/// Parses the arguments (exiting on `--help` or a usage error) and runs the command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(cli.log_format.unwrap_or(match settings.log_format {
        config::LogFormat::Text => LogFormat::Text,
        config::LogFormat::Json => LogFormat::Json,
    }));
    if cli.verbose {
        eprintln!(
            "kuke-id: database {}, keys {}",
            crate::app::describe_database(&settings),
            crate::app::describe_keys(&settings)
        );
    }
    match cli.command {
        Command::Serve(args) => serve::serve(settings, args).await?,
        Command::Migrate => serve::migrate(settings).await?,
        Command::Keys(command) => keys::run(settings, command).await?,
        Command::Clients(command) => clients::run(settings, command).await?,
        Command::Terms(command) => terms::run(settings, command).await?,
        Command::Import(args) => import::run(settings, args, cli.verbose).await?,
        Command::Stats(args) => stats::run(settings, args).await?,
        Command::Users(command) => users::run(settings, command).await?,
        Command::Retention(command) => retention::run(settings, command).await?,
    }
    Ok(())
}
