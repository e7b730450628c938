//! The process is killed with SIGKILL in the middle of an import, a password
//! set, a token exchange and an activation campaign, then started again on the
//! same database: nothing is half done. The import rerun completes without
//! duplicates, a spent link or code stays spent (and one not spent still
//! works), every invited account has exactly one activation mail queued.

use std::collections::HashMap;
use std::time::Duration;

use kuke_id::domain::audit::Actor;
use kuke_id::domain::client::ClientKind;
use kuke_id::domain::clock::Clock;
use kuke_id::domain::signing_alg::SigningAlg;
use kuke_id::domain::user::Status;
use kuke_id::flows::clients::{self, Registration};
use kuke_id::store::entities::{mail_outbox, users};
use kuke_id::store::{self, IfMissing, Store};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::smtp_outage::export;
use crate::support::fixtures::{CHALLENGE, VERIFIER};
use crate::support::journey::{GOOD_PASSWORD, hidden};
use crate::support::node::Node;
use crate::support::postgres::PgDatabase;
use crate::support::smtp::SmtpSink;
use crate::support::{Backend, install_tls_provider};

/// Accounts in the killed import (six batches of 500).
const ACCOUNTS: usize = 3_000;

/// How long after a request the node is killed, in milliseconds: from before
/// the request arrives to well into its work.
const KILL_AFTER_MS: [u64; 4] = [0, 3, 25, 80];

struct Crash {
    node: Node,
    store: Store,
    admin: String,
    sink: SmtpSink,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _postgres: Option<PgDatabase>,
}

impl Crash {
    async fn start(backend: Backend) -> Self {
        install_tls_provider();
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/kuke-id.db?mode=rwc", dir.path().display()), None),
            Backend::Postgres(admin) => {
                let db = PgDatabase::create(&admin).await;
                (db.url.clone(), Some(db))
            }
        };
        let sink = SmtpSink::start().await;
        let mut node = Node::new(dir.path().to_path_buf(), &url, &sink.url());
        node.start().await;
        let settings = kuke_id::config::Settings::from_toml(&format!("database_url = \"{url}\"")).unwrap();
        let store = Store::connect(&settings, IfMissing::Refuse).await.unwrap();
        // No kept-alive connections: each restart leaves the old ones dead.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let machine = register(&store, ClientKind::Confidential, vec!["admin:users".into()]).await;
        let body: Value = http
            .post(node.url("/token"))
            .basic_auth(&machine.0, machine.1.as_deref())
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let admin = body["access_token"].as_str().expect("admin token").to_string();
        Self { node, store, admin, sink, http, _dir: dir, _postgres: postgres }
    }

    /// SIGKILL, then a fresh process on the same database.
    async fn crash_and_restart(&mut self) {
        self.node.kill();
        self.node.start().await;
    }

    async fn users(&self) -> u64 {
        users::Entity::find().count(self.store.conn()).await.unwrap()
    }

    async fn import(&self) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(self.node.url("/admin/api/v1/imports"))
            .bearer_auth(&self.admin)
            .header("content-type", "text/csv")
            .body(export(ACCOUNTS))
            .send()
            .await
    }

    async fn user_id(&self, legacy_id: &str) -> uuid::Uuid {
        store::users::find_by_legacy_id(self.store.conn(), legacy_id).await.unwrap().expect("imported").0
    }

    async fn status(&self, id: uuid::Uuid) -> Status {
        store::users::find(self.store.conn(), id).await.unwrap().expect("user").status
    }
}

/// A registered client: (id, secret, redirect URI).
async fn register(store: &Store, kind: ClientKind, machine_scopes: Vec<String>) -> (String, Option<String>, String) {
    let redirect_uri = format!("http://127.0.0.1:9/cb/{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let machine = !machine_scopes.is_empty();
    let registered = clients::register(
        store,
        &Clock::default(),
        &Actor::named("test"),
        Registration {
            id: None,
            name: "Crash RP".into(),
            redirect_uris: vec![redirect_uri.clone()],
            post_logout_redirect_uris: vec![],
            kind,
            first_party: true,
            require_pkce: true,
            id_token_alg: SigningAlg::Rs256,
            extra_grant_types: if machine { vec!["client_credentials".into()] } else { vec![] },
            scopes: machine_scopes,
            backchannel_logout_uri: None,
        },
    )
    .await
    .unwrap();
    (registered.client.id, registered.secret, redirect_uri)
}

/// Runs `request` as its own task and kills the node `after` it was sent;
/// returns the status it got, if any.
async fn kill_during(crash: &mut Crash, after: Duration, request: reqwest::RequestBuilder) -> Option<u16> {
    let sent = tokio::spawn(request.send());
    tokio::time::sleep(after).await;
    crash.crash_and_restart().await;
    sent.await.unwrap().ok().map(|response| response.status().as_u16())
}

async fn import_killed_half_way_is_completed_by_its_rerun(crash: &mut Crash) {
    let pending = tokio::spawn({
        let http = crash.http.clone();
        let request = http
            .post(crash.node.url("/admin/api/v1/imports"))
            .bearer_auth(&crash.admin)
            .header("content-type", "text/csv")
            .body(export(ACCOUNTS));
        request.send()
    });
    crate::support::poll::until("the first batch stored", || async { (crash.users().await > 0).then_some(()) }).await;
    crash.crash_and_restart().await;
    let first = pending.await.unwrap().ok().map(|r| r.status().as_u16());
    let stored = crash.users().await as usize;
    eprintln!("import killed with {stored} of {ACCOUNTS} accounts stored (answer: {first:?})");
    assert_eq!(stored % 500, 0, "only whole batches are stored");

    let report: Value = crash.import().await.unwrap().json().await.unwrap();
    assert_eq!(report["created"], ACCOUNTS - stored, "{report}");
    assert_eq!(report["unchanged"], stored);
    assert_eq!(report["rejected"], 0);
    assert_eq!(crash.users().await as usize, ACCOUNTS, "no account twice");
}

async fn password_set_killed_leaves_the_link_spent_with_its_password_or_usable(crash: &mut Crash) {
    for (n, after) in KILL_AFTER_MS.into_iter().enumerate() {
        let id = crash.user_id(&format!("EX-{n:05}")).await;
        let address = format!("person{n:05}@example.com");
        let response = crash
            .http
            .post(crash.node.url("/admin/api/v1/activations"))
            .bearer_auth(&crash.admin)
            .json(&json!({"user_ids": [id]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let link = crash
            .sink
            .wait_until(|mails| {
                mails
                    .iter()
                    .filter(|m| m.rcpt_to.contains(&address))
                    .find_map(|m| m.link_containing("/activate?token="))
            })
            .await;
        let browser = reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(0).build().unwrap();
        let html = browser.get(&link).send().await.unwrap().text().await.unwrap();
        let form = [
            ("csrf", hidden(&html, "csrf").expect("csrf")),
            ("token", hidden(&html, "token").expect("token")),
            ("password", GOOD_PASSWORD.to_string()),
            ("password_repeat", GOOD_PASSWORD.to_string()),
        ];
        let request = browser.post(crash.node.url("/activate")).form(&form);
        let first = kill_during(crash, Duration::from_millis(after), request).await;

        let link_spent = store::activation_tokens::latest(crash.store.conn(), id)
            .await
            .unwrap()
            .is_some_and(|token| token.used_at.is_some());
        let active = crash.status(id).await == Status::Active;
        eprintln!("password set killed after {after} ms: answer {first:?}, link spent {link_spent}, active {active}");
        assert_eq!(link_spent, active, "a spent link has its password, an unspent one none");
        if first == Some(200) {
            assert!(active, "an answered password set survives the crash");
        }
        // Either way the person can go on: a spent link says so, an unspent one still works.
        let again = browser.post(crash.node.url("/activate")).form(&form).send().await.unwrap();
        if active {
            assert_eq!(again.status(), 410);
        } else {
            assert_eq!(again.status(), 200);
            assert_eq!(crash.status(id).await, Status::Active);
        }
    }
}

async fn token_exchange_killed_leaves_the_code_spent_or_unspent_never_twice_redeemed(crash: &mut Crash) {
    let (client_id, secret, redirect_uri) = register(&crash.store, ClientKind::Confidential, vec![]).await;
    let login = store::users::find(crash.store.conn(), crash.user_id("EX-00000").await).await.unwrap().unwrap().login;
    for after in KILL_AFTER_MS {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let signed_in =
            browser.post(crash.node.url("/test-support/sign-in")).form(&[("login", &login)]).send().await.unwrap();
        assert_eq!(signed_in.status(), 204);
        let mut authorize = url::Url::parse(&crash.node.url("/authorize")).unwrap();
        authorize.query_pairs_mut().extend_pairs([
            ("client_id", client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        let response = browser.get(authorize).send().await.unwrap();
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        let code = location.query_pairs().find(|(k, _)| k == "code").expect("code").1.into_owned();
        let (http, token_url) = (crash.http.clone(), crash.node.url("/token"));
        let exchange = || {
            http.post(&token_url).basic_auth(&client_id, secret.as_deref()).form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri.as_str()),
                ("code_verifier", VERIFIER),
            ])
        };
        let request = exchange();
        let first = kill_during(crash, Duration::from_millis(after), request).await;
        let second = exchange().send().await.unwrap().status().as_u16();
        let third = exchange().send().await.unwrap().status().as_u16();
        eprintln!("token exchange killed after {after} ms: answers {first:?}, then {second}, {third}");
        if first == Some(200) {
            assert_eq!(second, 400, "a code redeemed before the crash stays spent");
        }
        assert!(second == 200 || second == 400, "{second}");
        assert_eq!(third, 400, "a code is redeemed at most once");
    }
}

async fn campaign_killed_leaves_each_account_invited_with_one_mail_or_not_at_all(crash: &mut Crash) {
    let conn = crash.store.conn().clone();
    let activation_mails = || {
        let conn = conn.clone();
        async move {
            mail_outbox::Entity::find().filter(mail_outbox::Column::Kind.eq("activation")).all(&conn).await.unwrap()
        }
    };
    let before = activation_mails().await.len();
    let request =
        crash.http.post(crash.node.url("/admin/api/v1/activations")).bearer_auth(&crash.admin).json(&json!({}));
    let pending = tokio::spawn(request.send());
    crate::support::poll::until("the campaign under way", || async {
        (activation_mails().await.len() > before + 50).then_some(())
    })
    .await;
    crash.crash_and_restart().await;
    let _ = pending.await;
    let queued_before_the_crash = activation_mails().await.len() - before;
    eprintln!("campaign killed after {queued_before_the_crash} invitations");

    let response = crash
        .http
        .post(crash.node.url("/admin/api/v1/activations"))
        .bearer_auth(&crash.admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let rerun: Value = response.json().await.unwrap();
    assert_eq!(rerun["queued"].as_u64().unwrap() as usize + queued_before_the_crash + before, ACCOUNTS, "{rerun}");

    let mut per_account: HashMap<uuid::Uuid, usize> = HashMap::new();
    for mail in activation_mails().await {
        *per_account.entry(mail.user_id.expect("addressed to an account")).or_default() += 1;
    }
    assert_eq!(per_account.len(), ACCOUNTS, "every account invited");
    assert!(per_account.values().all(|n| *n == 1), "one activation mail per account");
    let invited =
        users::Entity::find().filter(users::Column::Status.eq("invited")).count(crash.store.conn()).await.unwrap();
    let active =
        users::Entity::find().filter(users::Column::Status.eq("active")).count(crash.store.conn()).await.unwrap();
    assert_eq!((invited + active) as usize, ACCOUNTS, "nobody left imported, nobody invited without a mail");
}

async fn body(backend: Backend) {
    let mut crash = Crash::start(backend).await;
    import_killed_half_way_is_completed_by_its_rerun(&mut crash).await;
    password_set_killed_leaves_the_link_spent_with_its_password_or_usable(&mut crash).await;
    token_exchange_killed_leaves_the_code_spent_or_unspent_never_twice_redeemed(&mut crash).await;
    campaign_killed_leaves_each_account_invited_with_one_mail_or_not_at_all(&mut crash).await;
}

mod a_node_killed_mid_way_leaves_nothing_half_done {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        body(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    #[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
    async fn postgres() {
        let Some(backend) = Backend::postgres_for_test() else { return };
        body(backend).await;
    }
}
