//! `kuke-id users`: account administration straight on the database, for
//! operators without an admin API token. The same flows as the admin API, so the
//! same rules and the same audit trail (actor `cli`).

use anyhow::{Context, bail};
use clap::Subcommand;
use uuid::Uuid;

use crate::app::App;
use crate::config::Settings;
use crate::domain::audit::Actor;
use crate::flows::accounts::{self, Edit, UserFilter};
use crate::flows::journey::campaign::{self, Selection};
use crate::flows::organizations;
use crate::state::AppState;

/// `kuke-id users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Search accounts.
    List {
        /// Journey state: imported, invited, active.
        #[arg(long)]
        status: Option<String>,
        /// administrator or user.
        #[arg(long)]
        role: Option<String>,
        /// Organisation, by kuke-id id or Ekstranet external id.
        #[arg(long)]
        organization: Option<String>,
        /// Text in the name or e-mail.
        #[arg(long)]
        query: Option<String>,
        /// At most this many (newest ids last).
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one account (id, login or e-mail).
    Show {
        /// Account id, six-digit login or e-mail.
        account: String,
    },
    /// Lock an account until unlocked (revokes its sessions and tokens).
    Lock {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Unlock an account (also lifts a lock after failed attempts).
    Unlock {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Disable an account (revokes its sessions and tokens).
    Disable {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Enable a disabled account.
    Enable {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Revoke sessions and tokens, forget the password, mail a fresh activation link.
    Reset {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Remove the account's authenticator app and recovery codes (the owner is mailed).
    ResetTotp {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Mail a new activation link to an account not yet active (earlier links void).
    Invite {
        /// Account id, login or e-mail.
        account: String,
    },
    /// The activation campaign: links for every account never invited (or whose link expired).
    Campaign {
        /// Only this organisation (kuke-id id or Ekstranet external id).
        #[arg(long)]
        organization: Option<String>,
        /// Re-invite accounts whose link expired instead.
        #[arg(long)]
        expired: bool,
    },
    /// Give an account the idp-admin role (it may then use the admin API).
    GrantAdmin {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Take the idp-admin role away.
    RevokeAdmin {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Give an account the idp-helpdesk role (user support in the admin console).
    GrantHelpdesk {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Take the idp-helpdesk role away.
    RevokeHelpdesk {
        /// Account id, login or e-mail.
        account: String,
    },
    /// Delete an account: personal data anonymised, audit trail kept.
    Delete {
        /// Account id, login or e-mail.
        account: String,
        /// Confirms the deletion.
        #[arg(long)]
        yes: bool,
    },
    /// Open sessions of an account.
    Sessions {
        /// Account id, login or e-mail.
        account: String,
    },
}

pub async fn run(settings: Settings, command: UsersCommand) -> anyhow::Result<()> {
    let state = App::offline_state(settings).await?;
    let result = execute(&state, command).await;
    state.store.clone().close().await.context("closing the database")?;
    result
}

async fn execute(state: &AppState, command: UsersCommand) -> anyhow::Result<()> {
    let actor = Actor::cli();
    match command {
        UsersCommand::List { status, role, organization, query, limit, json } => {
            let organization_id = match organization {
                Some(org) => Some(organization_id(state, &org).await?),
                None => None,
            };
            let filter = UserFilter { status, organization_id, role, login: None, email: None, text: query };
            let (users, total) = accounts::search(state, &filter, 0, limit.clamp(1, 10_000)).await?;
            if json {
                let items: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({"id": u.id, "login": u.login, "email": u.email, "name": format!("{} {}", u.given_name, u.family_name), "role": u.role, "status": u.status})
                    })
                    .collect();
                println!("{}", serde_json::json!({"total": total, "items": items}));
            } else {
                println!("accounts in {}", crate::app::describe_database(&state.settings));
                println!("{:<36}  {:<6}  {:<9}  {:<13}  {:<32}  NAME", "ID", "LOGIN", "STATUS", "ROLE", "E-MAIL");
                for u in &users {
                    println!(
                        "{:<36}  {:<6}  {:<9}  {:<13}  {:<32}  {} {}",
                        u.id, u.login, u.status, u.role, u.email, u.given_name, u.family_name
                    );
                }
                println!("{} of {total}", users.len());
            }
        }
        UsersCommand::Show { account } => {
            let id = account_id(state, &account).await?;
            let details = accounts::details(state, id).await?.context("no such account")?;
            println!("{}", serde_json::to_string_pretty(&details).context("serialising")?);
        }
        UsersCommand::Lock { account } => {
            accounts::set_locked(state, &actor, account_id(state, &account).await?, true).await?;
            println!("locked; sessions and tokens revoked");
        }
        UsersCommand::Unlock { account } => {
            accounts::set_locked(state, &actor, account_id(state, &account).await?, false).await?;
            println!("unlocked");
        }
        UsersCommand::Disable { account } => {
            accounts::set_disabled(state, &actor, account_id(state, &account).await?, true).await?;
            println!("disabled; sessions and tokens revoked");
        }
        UsersCommand::Enable { account } => {
            accounts::set_disabled(state, &actor, account_id(state, &account).await?, false).await?;
            println!("enabled");
        }
        UsersCommand::Reset { account } => {
            accounts::reset(state, &actor, account_id(state, &account).await?).await?;
            println!("reset; a new activation link is queued");
        }
        UsersCommand::ResetTotp { account } => {
            let id = account_id(state, &account).await?;
            if crate::flows::account::authenticator::reset(state, &actor, id).await? {
                println!("authenticator app removed; the owner is mailed and signs in with an e-mailed code again");
            } else {
                println!("the account has no authenticator app");
            }
        }
        UsersCommand::Invite { account } => {
            accounts::resend_activation(state, &actor, account_id(state, &account).await?).await?;
            println!("activation link queued");
        }
        UsersCommand::Campaign { organization, expired } => {
            let organization_id = match organization {
                Some(org) => Some(organization_id(state, &org).await?),
                None => None,
            };
            let selection = Selection { organization_id, user_ids: None, expired };
            let queued = campaign::run(state, &selection, &actor).await?;
            match queued.last_due_at {
                Some(last) => println!("{} activation mails queued; the last goes out at {last}", queued.queued),
                None => println!("no account to invite"),
            }
        }
        UsersCommand::GrantAdmin { account } => {
            let edit = Edit { idp_admin: Some(true), ..Edit::default() };
            accounts::update(state, &actor, account_id(state, &account).await?, edit).await?;
            println!("idp-admin granted");
        }
        UsersCommand::RevokeAdmin { account } => {
            let edit = Edit { idp_admin: Some(false), ..Edit::default() };
            accounts::update(state, &actor, account_id(state, &account).await?, edit).await?;
            println!("idp-admin revoked");
        }
        UsersCommand::GrantHelpdesk { account } => {
            let edit = Edit { idp_helpdesk: Some(true), ..Edit::default() };
            accounts::update(state, &actor, account_id(state, &account).await?, edit).await?;
            println!("idp-helpdesk granted");
        }
        UsersCommand::RevokeHelpdesk { account } => {
            let edit = Edit { idp_helpdesk: Some(false), ..Edit::default() };
            accounts::update(state, &actor, account_id(state, &account).await?, edit).await?;
            println!("idp-helpdesk revoked");
        }
        UsersCommand::Delete { account, yes } => {
            if !yes {
                bail!("deleting anonymises the account for good; add --yes to confirm");
            }
            accounts::delete(state, &actor, account_id(state, &account).await?).await?;
            println!("deleted (anonymised)");
        }
        UsersCommand::Sessions { account } => {
            let id = account_id(state, &account).await?;
            let sessions = accounts::sessions(state, id).await?.context("no such account")?;
            println!("{}", serde_json::to_string_pretty(&sessions).context("serialising")?);
        }
    }
    Ok(())
}

/// An account named by id, login or e-mail.
async fn account_id(state: &AppState, account: &str) -> anyhow::Result<Uuid> {
    accounts::find(state, account).await?.with_context(|| format!("no account '{account}'"))
}

/// An organisation named by id or Ekstranet external id.
async fn organization_id(state: &AppState, organization: &str) -> anyhow::Result<Uuid> {
    let found = organizations::resolve(&state.store, organization).await?;
    found.map(|o| o.id).with_context(|| format!("no organisation '{organization}'"))
}
