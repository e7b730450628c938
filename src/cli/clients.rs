//! `kuke-id clients add | list | show | remove | reset-secret`.

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::app;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::domain::client::{Client, ClientKind};
use crate::domain::clock::Clock;
use crate::domain::signing_alg::SigningAlg;
use crate::flows::clients::{self, Registration};

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Register a relying party; a confidential client's secret is printed once.
    Add {
        /// Name shown to people.
        #[arg(long)]
        name: String,
        /// Wanted client_id (generated when omitted).
        #[arg(long)]
        id: Option<String>,
        /// Allowed redirect URI, matched exactly (repeat for several).
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// Allowed post-logout redirect URI (repeat for several).
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// Public client (SPA, mobile app): no secret, PKCE S256 required.
        #[arg(long)]
        public: bool,
        /// First-party client: users are not asked for consent.
        #[arg(long)]
        first_party: bool,
        /// Require PKCE although the client is confidential.
        #[arg(long)]
        require_pkce: bool,
        /// Algorithm of this client's ID tokens.
        #[arg(long, default_value = "RS256")]
        id_token_alg: SigningAlg,
        /// Also allow the client_credentials grant (machine-to-machine).
        #[arg(long)]
        client_credentials: bool,
        /// Extra scope the client may request (repeat for several).
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// Bootstrap an admin API client: client_credentials with the `admin` scope (all admin rights).
        #[arg(long)]
        admin: bool,
        /// OIDC Back-Channel Logout endpoint of the client.
        #[arg(long, value_name = "URI")]
        backchannel_logout_uri: Option<String>,
    },
    /// List registered clients.
    List,
    /// Show one client.
    Show {
        /// client_id
        id: String,
    },
    /// Remove a client and everything issued to it.
    Remove {
        /// client_id
        id: String,
    },
    /// Give a confidential client a new secret (printed once).
    ResetSecret {
        /// client_id
        id: String,
    },
}

pub async fn run(settings: Settings, command: ClientsCommand) -> anyhow::Result<()> {
    let store = app::open_store(&settings).await?;
    store.migrate().await.context("migrating the database")?;
    let clock = Clock::default();
    match command {
        ClientsCommand::Add {
            name,
            id,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            first_party,
            require_pkce,
            id_token_alg,
            client_credentials,
            mut scopes,
            backchannel_logout_uri,
            admin,
        } => {
            let client_credentials = client_credentials || admin;
            if admin && !scopes.iter().any(|s| s == "admin") {
                scopes.push("admin".into());
            }
            if public && client_credentials {
                bail!("a public client cannot use client_credentials: it has no secret");
            }
            let request = Registration {
                id,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                kind: if public { ClientKind::Public } else { ClientKind::Confidential },
                first_party,
                require_pkce,
                id_token_alg,
                extra_grant_types: if client_credentials { vec!["client_credentials".into()] } else { Vec::new() },
                scopes,
                backchannel_logout_uri,
            };
            let registered = clients::register(&store, &clock, &Actor::cli(), request).await?;
            print_client(&registered.client);
            if let Some(secret) = registered.secret {
                println!("client_secret:  {secret}");
                println!("(shown once: only its hash is stored)");
            }
        }
        ClientsCommand::List => {
            println!("{:<36} {:<13} {:<11} NAME", "CLIENT_ID", "TYPE", "FIRST-PARTY");
            for client in clients::list(&store).await? {
                println!("{:<36} {:<13} {:<11} {}", client.id, kind(&client), client.first_party, client.name);
            }
        }
        ClientsCommand::Show { id } => match clients::show(&store, &id).await? {
            Some(client) => print_client(&client),
            None => bail!("no client with id '{id}'"),
        },
        ClientsCommand::Remove { id } => {
            if !clients::remove(&store, &clock, &Actor::cli(), &id).await? {
                bail!("no client with id '{id}'");
            }
            println!("removed client {id}");
        }
        ClientsCommand::ResetSecret { id } => {
            let Some(client) = clients::show(&store, &id).await? else { bail!("no client with id '{id}'") };
            if client.kind == ClientKind::Public {
                bail!("client '{id}' is public and has no secret");
            }
            let secret = clients::reset_secret(&store, &clock, &Actor::cli(), &id).await?;
            println!("client_secret:  {secret}");
            println!("(shown once: only its hash is stored)");
        }
    }
    store.close().await.context("closing the database")?;
    Ok(())
}

fn kind(client: &Client) -> &'static str {
    match client.kind {
        ClientKind::Confidential => "confidential",
        ClientKind::Public => "public",
    }
}

fn print_client(client: &Client) {
    println!("client_id:      {}", client.id);
    println!("name:           {}", client.name);
    println!("type:           {}", kind(client));
    println!("first_party:    {}", client.first_party);
    println!("require_pkce:   {}", client.require_pkce);
    println!("grant_types:    {}", client.grant_types.join(" "));
    println!("id_token_alg:   {}", client.id_token_alg);
    for uri in &client.redirect_uris {
        println!("redirect_uri:   {uri}");
    }
    for uri in &client.post_logout_redirect_uris {
        println!("post_logout:    {uri}");
    }
}
