//! The `kuke-id` binary: parse the command line, run it, map failures to exit codes.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = kuke_id::cli::Cli::parse();
    if let Err(error) = kuke_id::cli::run(cli).await {
        eprintln!("kuke-id: {error}");
        std::process::exit(error.exit_code());
    }
}
