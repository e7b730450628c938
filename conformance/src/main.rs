//! `conformance`: runs the OP conformance checks against an issuer and
//! prints one line per check and a closing `N passed, M failed` line.
//! Exits 0 only when nothing failed.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use kuke_id_conformance::{CHECKS, ClientConfig, Config, KukeIdTestSupport, LoginDriver, NodeOidcProvider, run};
use url::Url;

/// Which built-in login driver signs the user in at the OP.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Driver {
    /// panva's oidc-provider with devInteractions (any login/password).
    NodeOidcProvider,
    /// kuke-id built with its `test-support` feature.
    KukeIdTestSupport,
}

/// OpenID Connect OP conformance runner (Basic, Config and RP-Initiated
/// Logout OP plans).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The issuer URL, exactly as the OP states it in discovery.
    #[arg(long, env = "CONFORMANCE_ISSUER")]
    issuer: Option<String>,
    /// The client_id of the main client.
    #[arg(long, env = "CONFORMANCE_CLIENT_ID")]
    client_id: Option<String>,
    /// Its client secret.
    #[arg(long, env = "CONFORMANCE_CLIENT_SECRET")]
    client_secret: Option<String>,
    /// A redirect URI registered for it (nothing needs to listen there).
    #[arg(long, env = "CONFORMANCE_REDIRECT_URI")]
    redirect_uri: Option<String>,
    /// A post_logout_redirect_uri registered for it.
    #[arg(long, env = "CONFORMANCE_POST_LOGOUT_REDIRECT_URI")]
    post_logout_redirect_uri: Option<String>,
    /// A second client's client_id (checks that grants are bound to a client).
    #[arg(long, env = "CONFORMANCE_CLIENT2_ID")]
    client2_id: Option<String>,
    /// The second client's secret.
    #[arg(long, env = "CONFORMANCE_CLIENT2_SECRET")]
    client2_secret: Option<String>,
    /// The second client's redirect URI.
    #[arg(long, env = "CONFORMANCE_CLIENT2_REDIRECT_URI")]
    client2_redirect_uri: Option<String>,
    /// How the user gets signed in at the OP.
    #[arg(long, value_enum, default_value = "kuke-id-test-support")]
    login_driver: Driver,
    /// Login for the driver: kuke-id's six-digit login number, or the name
    /// typed into oidc-provider's dev login form.
    #[arg(long, env = "CONFORMANCE_LOGIN")]
    login: Option<String>,
    /// Seconds oidcc-codereuse-30seconds waits before reusing a code.
    #[arg(long, default_value_t = 30.0)]
    code_reuse_wait: f64,
    /// Timeout of each HTTP request, in seconds.
    #[arg(long, default_value_t = 15.0)]
    request_timeout: f64,
    /// Send S256 PKCE with every authorization request (for an OP that
    /// requires PKCE of every client, as kuke-id does by default).
    #[arg(long)]
    pkce: bool,
    /// Run only these checks (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Print the names of all checks and exit.
    #[arg(long)]
    list: bool,
}

fn required(value: Option<String>, flag: &str) -> Result<String, String> {
    value.ok_or_else(|| format!("--{flag} is required"))
}

fn seconds(value: f64, flag: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|e| format!("--{flag} {value}: {e}"))
}

fn config_and_driver(args: Args) -> Result<(Config, LoginDriver), String> {
    let issuer = required(args.issuer, "issuer")?;
    let client = ClientConfig {
        client_id: required(args.client_id, "client-id")?,
        client_secret: required(args.client_secret, "client-secret")?,
        redirect_uri: required(args.redirect_uri, "redirect-uri")?,
        post_logout_redirect_uri: args.post_logout_redirect_uri,
    };
    let second_client = match (args.client2_id, args.client2_secret) {
        (Some(client_id), Some(client_secret)) => Some(ClientConfig {
            client_id,
            client_secret,
            redirect_uri: args.client2_redirect_uri.unwrap_or_else(|| client.redirect_uri.clone()),
            post_logout_redirect_uri: None,
        }),
        (None, None) => None,
        _ => return Err("--client2-id and --client2-secret go together".into()),
    };
    let driver = match args.login_driver {
        Driver::NodeOidcProvider => {
            let mut d = NodeOidcProvider::default();
            if let Some(login) = args.login {
                d.login = login;
            }
            LoginDriver::NodeOidcProvider(d)
        }
        Driver::KukeIdTestSupport => {
            let login = required(args.login, "login")?;
            if login.len() != 6 || !login.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("--login {login:?} must be a six-digit login number"));
            }
            let issuer_url = Url::parse(&issuer).map_err(|e| format!("--issuer: {e}"))?;
            LoginDriver::KukeIdTestSupport(KukeIdTestSupport { issuer: issuer_url, login })
        }
    };
    let mut config = Config::new(issuer, client);
    config.second_client = second_client;
    config.code_reuse_wait = seconds(args.code_reuse_wait, "code-reuse-wait")?;
    config.request_timeout = seconds(args.request_timeout, "request-timeout")?;
    config.pkce = args.pkce;
    if !args.only.is_empty() {
        config.only = Some(args.only);
    }
    Ok((config, driver))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        for name in CHECKS {
            println!("{name}");
        }
        return ExitCode::SUCCESS;
    }
    let (config, driver) = match config_and_driver(args) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let report = run(&config, &driver).await;
    println!("{report}");
    if report.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
