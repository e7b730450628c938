//! `kuke-id serve` and `kuke-id migrate`.

use anyhow::Context;

use super::CliError;
use crate::app::{self, App};
use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::domain::endpoints;

/// Options of `kuke-id serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Set up a demo client, organisation and account, and print how to try them.
    #[arg(long)]
    demo: bool,
}

pub async fn serve(mut settings: Settings, args: ServeArgs) -> Result<(), CliError> {
    // A newcomer who moved the port (8080 taken) must not end up at someone else's server.
    let elsewhere = settings.loopback_issuer_elsewhere();
    let follow = args.demo && elsewhere.is_some();
    if follow {
        settings.follow_listen_port();
    }
    let issuer = settings.issuer.clone();
    let mut app = App::build(settings, Clock::default()).await?;
    if follow {
        eprintln!("kuke-id: demo mode: the issuer follows the listen address: {issuer}");
    }
    let addr = app.local_addr().context("reading the bound address")?;
    if args.demo {
        let demo = app.start_demo().await.map_err(anyhow::Error::from)?;
        println!(
            "\nkuke-id demo mode\n\
             - mailbox:        {issuer}/dev/mail (the activation link is there)\n\
             - try it:         {issuer}/demo\n\
             - discovery:      {discovery}\n\
             - demo client:    client_id={id} client_secret={secret} (a new secret on every start)\n\
             - redirect URI:   {redirect}\n\
             - demo account:   login {login}, e-mail {email} ({state})\n",
            state = if demo.active { "active: sign in with your password" } else { "not yet activated" },
            discovery = endpoints::url(&issuer, endpoints::DISCOVERY),
            id = demo.client_id,
            secret = demo.client_secret,
            redirect = demo.redirect_uri,
            login = demo.login,
            email = demo.email,
        );
    }
    app.check_terms().await?;
    // Said once the node is about to serve, so that a start that fails says only why.
    if let (Some(issuer_port), false) = (elsewhere, args.demo) {
        tracing::warn!(
            %issuer,
            listen = %addr,
            "the issuer names port {issuer_port} of this machine but kuke-id listens on {}: discovery, mails and \
             redirects will point elsewhere; set KUKE_ID_ISSUER (issuer) to the address clients use, or \
             KUKE_ID_LISTEN (listen) to that port",
            addr.port()
        );
    }
    tracing::info!(%addr, %issuer, "kuke-id is listening");
    app.serve(app::shutdown_signal()).await.context("serving HTTP")?;
    tracing::info!("kuke-id stopped");
    Ok(())
}

/// Creates a missing database, applies pending migrations, then opens the key
/// set (creating it, importing PEM files): the one command besides `serve` that
/// may create them.
pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let store = app::create_store(&settings).await?;
    let pending = store.pending_migrations().await.context("reading the migration table")?;
    store.migrate().await.context("applying migrations")?;
    if pending.is_empty() {
        println!("database is up to date");
    } else {
        for name in pending {
            println!("applied {name}");
        }
    }
    let opened = app::open_keys(&settings, &store, &Clock::default()).await?;
    store.close().await.context("closing the database")?;
    if let Some(file) = &opened.kek_file_created {
        println!("created the key-encryption key {} (back it up with the database)", file.display());
    }
    for file in &opened.imported {
        println!("imported {} into the database (the file is left in place and no longer read)", file.display());
    }
    if !opened.created.is_empty() {
        println!("created signing keys in the database");
    }
    Ok(())
}
