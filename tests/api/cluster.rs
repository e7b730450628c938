//! Three real `kuke-id serve` processes on one PostgreSQL database behind a
//! round-robin balancer whose every connection goes to the next node, so that
//! consecutive requests of one browser are answered by different nodes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kuke_id::store::entities::{mail_outbox, refresh_tokens, sessions, users};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::cluster::{Cluster, Options};
use crate::support::cluster_journey::{Browser, location, query};
use crate::support::journey::GOOD_PASSWORD;

async fn error_of(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.expect("json");
    body["error"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn every_node_publishes_the_same_key_set() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let http = reqwest::Client::new();
    let mut sets = Vec::new();
    for node in &cluster.nodes {
        let discovery: serde_json::Value = http
            .get(format!("{}/.well-known/openid-configuration", node.base))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("json");
        assert_eq!(discovery["issuer"], cluster.issuer.as_str(), "one issuer for all nodes");
        let jwks_path =
            discovery["jwks_uri"].as_str().expect("jwks_uri").trim_start_matches(&cluster.issuer).to_string();
        let set: serde_json::Value =
            http.get(format!("{}{jwks_path}", node.base)).send().await.expect("GET").json().await.expect("json");
        assert!(!set["keys"].as_array().expect("keys").is_empty());
        sets.push(set);
    }
    assert!(sets.windows(2).all(|pair| pair[0] == pair[1]), "identical JWK sets: {sets:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_first_sign_in_continues_on_another_node_at_every_step() {
    let Some(cluster) = Cluster::on_postgres(Options { terms: true, ..Options::default() }).await else { return };
    let user = cluster.invited_user().await;
    let browser = cluster.browser();
    cluster.activate(&browser, &user).await;
    let client = cluster.client(false, None).await;

    let parked = location(&browser.authorize(&client, &[]).await);
    let handle = parked.trim_start_matches("/login?request=").to_string();
    let after_code = cluster.sign_in(&browser, &user, Some(&handle), 0).await;
    assert_eq!(location(&after_code), "/terms");
    let (status, _, csrf) = browser.page("/terms").await;
    assert_eq!(status, 200);
    let accepted = browser.submit("/terms", &csrf, &[("statement", "yes"), ("decision", "accept")]).await;
    let consent = location(&accepted);
    assert!(consent.starts_with("/consent?request="), "a third-party client asks for consent: {consent}");
    let (status, html, csrf) = browser.page(&consent).await;
    assert_eq!(status, 200, "{html}");
    let request = consent.trim_start_matches("/consent?request=");
    let allowed = browser.submit("/consent", &csrf, &[("request", request), ("decision", "allow")]).await;
    let callback = location(&allowed);
    assert!(callback.starts_with(&client.redirect_uri), "{callback}");
    assert_eq!(query(&callback, "iss").as_deref(), Some(cluster.issuer.as_str()));
    let issued_on = cluster.balancer.last_node();

    let tokens = browser.redeem(&client, &query(&callback, "code").expect("code")).await;
    assert_eq!(tokens.status(), 200, "the code is redeemed");
    assert_ne!(cluster.balancer.last_node(), issued_on, "the code was redeemed on another node than issued it");
    let tokens: serde_json::Value = tokens.json().await.expect("json");
    let userinfo = browser.http.get(browser.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().expect("at"));
    let claims: serde_json::Value = userinfo.send().await.expect("GET /userinfo").json().await.expect("json");
    assert_eq!(claims["sub"], user.id.to_string(), "a third node accepts the access token");
    let served = cluster.balancer.served();
    assert!(served.windows(2).all(|pair| pair[0] != pair[1]), "consecutive requests went to different nodes");
    cluster.assert_every_node_served();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_refresh_family_and_its_reuse_detection_hold_across_nodes() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let (browser, _, client, first) = cluster.signed_in_with_tokens().await;
    let old = first["refresh_token"].as_str().expect("refresh token").to_string();
    let rotated = browser.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &old)]).await;
    assert_eq!(rotated.status(), 200);
    let rotated_on = cluster.balancer.last_node();
    let new =
        rotated.json::<serde_json::Value>().await.expect("json")["refresh_token"].as_str().expect("rt").to_string();

    let reuse = browser.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &old)]).await;
    assert_ne!(cluster.balancer.last_node(), rotated_on);
    assert_eq!(error_of(reuse).await, "invalid_grant", "another node sees the rotation");
    let after = browser.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &new)]).await;
    assert_eq!(error_of(after).await, "invalid_grant", "a third node sees the family revoked");
    let live = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .count(cluster.store.conn())
        .await
        .expect("count");
    assert_eq!(live, 0, "no usable refresh token left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn logout_on_one_node_ends_the_session_on_all() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let (browser, _, client, tokens) = cluster.signed_in_with_tokens().await;
    for _ in &cluster.nodes {
        let silent = location(&browser.authorize(&client, &[("prompt", "none")]).await);
        assert!(query(&silent, "code").is_some(), "every node knows the session: {silent}");
    }
    let mut logout = url::Url::parse(&browser.url("/logout")).expect("url");
    logout.query_pairs_mut().append_pair("id_token_hint", tokens["id_token"].as_str().expect("id token"));
    assert_eq!(browser.get(logout.as_str()).await.status(), 200, "signed out");
    let logged_out_on = cluster.balancer.last_node();

    let mut refused_on = Vec::new();
    for _ in &cluster.nodes {
        let silent = location(&browser.authorize(&client, &[("prompt", "none")]).await);
        assert_eq!(query(&silent, "error").as_deref(), Some("login_required"), "{silent}");
        refused_on.push(cluster.balancer.last_node());
    }
    refused_on.sort_unstable();
    assert_eq!(refused_on, (0..cluster.nodes.len()).collect::<Vec<_>>(), "every node, {logged_out_on} included");
    let open = sessions::Entity::find().filter(sessions::Column::EndedAt.is_null()).count(cluster.store.conn()).await;
    assert_eq!(open.expect("count"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn wrong_passwords_spread_over_nodes_lock_the_account_at_exactly_the_limit() {
    let env = vec![("KUKE_ID_LOCKOUT_THRESHOLD".to_string(), "5".to_string())];
    let Some(cluster) = Cluster::on_postgres(Options { env, ..Options::default() }).await else { return };
    let user = cluster.activated_user().await;
    let browser = cluster.browser();
    let failures = || async {
        let row = users::Entity::find_by_id(user.id).one(cluster.store.conn()).await.expect("read").expect("user");
        (row.failed_attempts, row.locked_until.is_some())
    };
    let mut nodes = Vec::new();
    for attempt in 1..=5 {
        let (_, _, csrf) = browser.page("/login").await;
        let wrong =
            browser.submit("/login", &csrf, &[("login", user.login.as_str()), ("password", "Wrong#Pass1")]).await;
        assert_eq!(wrong.status(), 401, "attempt {attempt}");
        nodes.push(cluster.balancer.last_node());
        let (counted, locked) = failures().await;
        assert_eq!(locked, attempt == 5, "locked exactly at the fifth failure (counted {counted})");
    }
    nodes.sort_unstable();
    nodes.dedup();
    assert_eq!(nodes.len(), cluster.nodes.len(), "the failures went to every node");
    let (_, _, csrf) = browser.page("/login").await;
    let right = browser.submit("/login", &csrf, &[("login", user.login.as_str()), ("password", GOOD_PASSWORD)]).await;
    assert!(right.headers().get("location").is_none(), "the locked account is refused on yet another node");
    let told = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::UserId.eq(user.id))
        .filter(mail_outbox::Column::Kind.eq("account_locked"));
    assert_eq!(told.count(cluster.store.conn()).await.expect("count"), 1, "the owner is told once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_client_removed_on_one_node_is_refused_by_all_within_two_seconds() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let machine = cluster.client(true, Some(vec!["api".into()])).await;
    let direct: Vec<Browser> = cluster.nodes.iter().map(|node| Browser::new(&node.base)).collect();
    for node in &direct {
        let granted = node.token(&machine, &[("grant_type", "client_credentials")]).await;
        assert_eq!(granted.status(), 200, "every node knows (and keeps in memory) the client");
    }
    let token = cluster.admin_token("admin:clients").await;
    let removed =
        direct[0].http.delete(direct[0].url(&format!("/admin/api/v1/clients/{}", machine.id))).bearer_auth(&token);
    assert_eq!(removed.send().await.expect("DELETE").status(), 204);
    let removed_at = Instant::now();

    for node in &direct {
        loop {
            let status = node.token(&machine, &[("grant_type", "client_credentials")]).await.status();
            if status == 401 {
                break;
            }
            assert!(removed_at.elapsed() < Duration::from_secs(2), "{} still accepts the client ({status})", node.base);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(removed_at.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn every_mail_of_a_thousand_account_campaign_is_sent_exactly_once_across_nodes() {
    let env = vec![("KUKE_ID_CAMPAIGN_MAILS_PER_MINUTE".to_string(), "60000".to_string())];
    let Some(cluster) = Cluster::on_postgres(Options { env, ..Options::default() }).await else { return };
    let token = cluster.admin_token("admin:users").await;
    let mut csv =
        String::from("legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n");
    for n in 0..1000 {
        csv.push_str(&format!("EK-{n},konto{n}@example.com,Anna,Nowak,ORG-{},Firma {},user\n", n % 10, n % 10));
    }
    assert_eq!(cluster.import(&token, csv).await["created"], 1000);
    let started = Instant::now();
    let campaign =
        cluster.browser().http.post(format!("{}/admin/api/v1/activations", cluster.base())).bearer_auth(&token);
    let queued: serde_json::Value =
        campaign.json(&serde_json::json!({})).send().await.expect("POST").json().await.expect("json");
    assert_eq!(queued["queued"], 1000);

    let deadline = Instant::now() + Duration::from_secs(120);
    let mails = loop {
        let mails = cluster.mailbox.mails().await;
        if mails.len() >= 1000 {
            break mails;
        }
        assert!(Instant::now() < deadline, "only {} of 1000 mails within 120 s", mails.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = started.elapsed();
    // A node records a mail as sent just after the relay took it, so the last
    // one may still be marked a moment after the mailbox holds it.
    crate::support::poll::until("nothing left in the outbox", || async {
        let unsent = mail_outbox::Entity::find().filter(mail_outbox::Column::SentAt.is_null());
        (unsent.count(cluster.store.conn()).await.expect("count") == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mails = if cluster.mailbox.mails().await.len() > mails.len() { cluster.mailbox.mails().await } else { mails };
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for mail in &mails {
        for to in &mail.rcpt_to {
            *per_address.entry(to.clone()).or_default() += 1;
        }
    }
    assert_eq!(per_address.len(), 1000, "every account got its mail");
    assert!(per_address.values().all(|&n| n == 1), "no address twice: {} mails", mails.len());
    let mut sent_by = Vec::new();
    for node in &cluster.nodes {
        sent_by.push(activation_mails_sent(&node.base).await);
    }
    assert_eq!(sent_by.iter().sum::<u64>(), 1000, "each node counts what it sent: {sent_by:?}");
    eprintln!("1000 campaign mails in {took:?}, sent by the nodes {sent_by:?}");
}

/// `kuke_id_mails_sent_total{kind="activation"}` of one node.
async fn activation_mails_sent(node: &str) -> u64 {
    let text = reqwest::get(format!("{node}/metrics")).await.expect("GET /metrics").text().await.expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("kuke_id_mails_sent_total{kind=\"activation\"} "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

/// The `kid` in a JWT's header.
fn kid_of(jwt: &str) -> String {
    use base64::Engine;
    let header = jwt.split('.').next().expect("a header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("base64url");
    let header: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    header["kid"].as_str().expect("kid").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn a_key_rotated_through_one_node_is_published_by_all_before_any_signs_with_it() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let machine = cluster.client(true, Some(vec!["api".into()])).await;
    let direct: Vec<Browser> = cluster.nodes.iter().map(|node| Browser::new(&node.base)).collect();
    let token = cluster.admin_token("admin:keys").await;
    let rotated: serde_json::Value = direct[0]
        .http
        .post(direct[0].url("/admin/api/v1/keys/rotate"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    let new_kids: Vec<String> = rotated["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect();
    assert_eq!(new_kids.len(), 3, "one new key per algorithm: {rotated}");

    for node in &direct {
        crate::support::poll::until(&format!("{} to publish the new keys", node.base), || async {
            let set: serde_json::Value = node.get("/jwks").await.json().await.expect("json");
            let published: Vec<&str> =
                set["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
            new_kids.iter().all(|kid| published.contains(&kid.as_str())).then_some(())
        })
        .await;
    }
    for node in &direct {
        let granted: serde_json::Value =
            node.token(&machine, &[("grant_type", "client_credentials")]).await.json().await.expect("json");
        let kid = kid_of(granted["access_token"].as_str().expect("a JWT access token"));
        assert!(!new_kids.contains(&kid), "{} signs with the old key until the new one is known everywhere", node.base);
    }
}
