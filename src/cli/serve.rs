//! `kuke-id serve` and `kuke-id migrate`.

use anyhow::Context;

use super::CliError;
use crate::app::{self, App};
use crate::config::Settings;
use crate::demo::DemoRp;
use crate::domain::clock::Clock;
use crate::domain::endpoints;
use crate::flows;
use crate::store;

/// Options of `kuke-id serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Set up a demo client, organisation and account, and print how to try them.
    #[arg(long)]
    demo: bool,
}

pub async fn serve(settings: Settings, args: ServeArgs) -> Result<(), CliError> {
    let issuer = settings.issuer.clone();
    let clock = Clock::default();
    let mut app = App::build(settings, clock.clone()).await?;
    let addr = app.local_addr().context("reading the bound address")?;
    if args.demo {
        let demo = flows::demo::ensure(&app.state().store, &clock, &issuer).await.context("setting up demo mode")?;
        let demo_user = store::users::find_by_legacy_id(app.state().store.conn(), flows::demo::DEMO_LEGACY_ID)
            .await
            .context("reading the demo account")?;
        app.enable_demo(
            DemoRp::new(&issuer, &demo.client_id, &demo.client_secret).context("starting the demo relying party")?,
        );
        if let Some((id, _)) = demo_user {
            let status = store::users::find(app.state().store.conn(), id).await.context("reading the demo account")?;
            if status.is_some_and(|u| u.status == crate::domain::user::Status::Imported) {
                flows::journey::invite::send_activation(app.state(), id, &crate::domain::audit::Actor::named("demo"))
                    .await
                    .context("inviting the demo account")?;
            }
        }
        println!(
            "\nkuke-id demo mode\n\
             - mailbox:        {issuer}/dev/mail (the activation link is there)\n\
             - try it:         {issuer}/demo\n\
             - discovery:      {discovery}\n\
             - demo client:    client_id={id} client_secret={secret} (a new secret on every start)\n\
             - redirect URI:   {redirect}\n\
             - demo account:   login {login}, e-mail {email} (imported, not yet activated)\n",
            discovery = endpoints::url(&issuer, endpoints::DISCOVERY),
            id = demo.client_id,
            secret = demo.client_secret,
            redirect = demo.redirect_uri,
            login = demo.login,
            email = demo.email,
        );
    }
    app.check_terms().await?;
    tracing::info!(%addr, %issuer, "kuke-id is listening");
    app.serve(app::shutdown_signal()).await.context("serving HTTP")?;
    tracing::info!("kuke-id stopped");
    Ok(())
}

pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let store = app::open_store(&settings).await?;
    let pending = store.pending_migrations().await.context("reading the migration table")?;
    store.migrate().await.context("applying migrations")?;
    if pending.is_empty() {
        println!("database is up to date");
    } else {
        for name in pending {
            println!("applied {name}");
        }
    }
    store.close().await.context("closing the database")?;
    Ok(())
}
