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
use crate::state::client_cache::ClientCache;
use time::format_description::well_known::Rfc3339;

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
        /// Let a legacy confidential relying party sign in without PKCE (S256 PKCE
        /// is required of every client unless this is given; public clients always need it).
        #[arg(long)]
        allow_no_pkce: bool,
        /// Kept for scripts written before PKCE became the default: it is the default now.
        #[arg(long, hide = true, conflicts_with = "allow_no_pkce")]
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
    /// Give a confidential client a new secret (printed once); the old one keeps
    /// working for a grace period (KUKE_ID_CLIENT_SECRET_GRACE_HOURS by default).
    ResetSecret {
        /// client_id
        id: String,
        /// How long the old secret stays valid: seconds, or a number with s, m, h or d (0: not at all).
        #[arg(long, value_name = "DURATION", value_parser = parse_grace)]
        grace: Option<time::Duration>,
    },
}

pub async fn run(settings: Settings, command: ClientsCommand) -> anyhow::Result<()> {
    let store = app::open_migrated_store(&settings).await?;
    let clock = Clock::default();
    match command {
        ClientsCommand::Add {
            name,
            id,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            first_party,
            allow_no_pkce,
            require_pkce: _,
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
            let request = Registration {
                id,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                kind: if public { ClientKind::Public } else { ClientKind::Confidential },
                first_party,
                require_pkce: !allow_no_pkce,
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
            if !clients::remove(&store, &clock, &no_cache(), &Actor::cli(), &id).await? {
                bail!("no client with id '{id}'");
            }
            println!("removed client {id}");
        }
        ClientsCommand::ResetSecret { id, grace } => {
            let default = time::Duration::try_from(settings.client_secret_grace).unwrap_or(time::Duration::ZERO);
            let grace = grace.unwrap_or(default);
            let rotated = clients::rotate_secret(&store, &clock, &no_cache(), &Actor::cli(), &id, grace).await?;
            println!("client_secret:  {}", rotated.secret);
            println!("(shown once: only its hash is stored)");
            match rotated.previous_valid_until.and_then(|t| t.format(&Rfc3339).ok()) {
                Some(until) => println!("the previous secret stays valid until {until}"),
                None => println!("the previous secret no longer works"),
            }
        }
    }
    store.close().await.context("closing the database")?;
    Ok(())
}

/// The command line runs in its own process, with no cache of its own worth
/// clearing; running nodes see the change within the cache's few seconds.
fn no_cache() -> ClientCache {
    ClientCache::default()
}

/// `90` or `90s`, `15m`, `24h`, `7d`.
fn parse_grace(text: &str) -> Result<time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((at, unit)) if unit.is_ascii_alphabetic() => (&text[..at], unit),
        _ => (text, 's'),
    };
    let number: i64 = number.parse().map_err(|_| format!("'{text}' is not a duration like 3600, 90m or 24h"))?;
    let seconds = match unit {
        's' => Some(number),
        'm' => number.checked_mul(60),
        'h' => number.checked_mul(3600),
        'd' => number.checked_mul(86_400),
        _ => None,
    };
    match seconds {
        Some(seconds) if seconds >= 0 => Ok(time::Duration::seconds(seconds)),
        _ => Err(format!("'{text}' is not a duration like 3600, 90m or 24h")),
    }
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

#[cfg(test)]
mod tests {
    use super::parse_grace;

    #[test]
    fn grace_takes_seconds_or_a_unit() {
        assert_eq!(parse_grace("90"), Ok(time::Duration::seconds(90)));
        assert_eq!(parse_grace("15m"), Ok(time::Duration::minutes(15)));
        assert_eq!(parse_grace("24h"), Ok(time::Duration::hours(24)));
        assert_eq!(parse_grace("7d"), Ok(time::Duration::days(7)));
    }

    #[test]
    fn grace_refuses_other_text() {
        assert!(parse_grace("soon").is_err());
        assert!(parse_grace("-5").is_err());
        assert!(parse_grace("5w").is_err());
    }
}
