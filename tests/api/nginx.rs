//! The README's nginx configuration (`deploy/nginx/kuke-id.conf`) in front of
//! three nodes: a whole sign-in walks through it, round robin reaches every
//! node, and the nodes see the browser's address, not nginx's.

use kuke_id::store::entities::sessions;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::Backend;
use crate::support::cluster::{Cluster, Options, free_port};
use crate::support::cluster_journey::{Browser, location};
use crate::support::nginx::{self, Nginx};

/// `kuke_id_http_requests_total` summed over a node's series.
async fn requests_served(node: &str) -> u64 {
    let text = reqwest::get(format!("{node}/metrics")).await.expect("GET /metrics").text().await.expect("text");
    text.lines()
        .filter(|line| line.starts_with("kuke_id_http_requests_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(any(kuke_id_skip_postgres, kuke_id_skip_nginx), ignore = "needs KUKE_ID_TEST_POSTGRES_URL and nginx")]
async fn a_sign_in_walks_through_nginx_in_front_of_three_nodes() {
    if !nginx::available() {
        return;
    }
    let Some(Backend::Postgres(admin)) = Backend::postgres_for_test() else { return };
    let port = free_port();
    let front = format!("http://127.0.0.1:{port}");
    let env = vec![("KUKE_ID_TRUSTED_PROXIES".to_string(), "127.0.0.1".to_string())];
    let cluster = Cluster::start(&admin, Options { issuer: Some(front.clone()), env, ..Options::default() }).await;
    let nodes: Vec<String> =
        cluster.nodes.iter().map(|node| node.base.trim_start_matches("http://").to_string()).collect();
    let site = nginx::render(port, &nodes);
    assert!(site.contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"), "{site}");
    let _nginx = Nginx::start(&cluster.dir().join("nginx"), port, &site).await;
    let mut before = Vec::new();
    for node in &cluster.nodes {
        before.push(requests_served(&node.base).await);
    }

    // The browser comes from 127.0.0.2 and claims another address; nginx (127.0.0.1) appends the real one.
    let browser = Browser::from_address(&front, Some("127.0.0.2".parse().expect("address")));
    let user = cluster.invited_user().await;
    cluster.activate(&browser, &user).await;
    let client = cluster.client(true, None).await;
    let parked = location(&browser.authorize(&client, &[]).await);
    let handle = parked.trim_start_matches("/login?request=").to_string();
    let (_, _, csrf) = browser.page(&format!("/login?request={handle}")).await;
    let signed = browser
        .http
        .post(browser.url("/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", user.login.as_str()),
            ("password", crate::support::journey::GOOD_PASSWORD),
            ("request", handle.as_str()),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(location(&signed), "/login/code");
    let code = cluster.mail_to(&user.email, "Kod weryfikacyjny", 0).await.six_digits().expect("code");
    let (_, _, csrf) = browser.page("/login/code").await;
    let back = location(&browser.submit("/login/code", &csrf, &[("code", code.as_str())]).await);
    assert!(back.starts_with(&client.redirect_uri), "{back}");
    let code =
        url::Url::parse(&back).expect("url").query_pairs().find(|(k, _)| k == "code").expect("code").1.into_owned();
    let tokens = browser.redeem(&client, &code).await;
    assert_eq!(tokens.status(), 200, "the code is redeemed through nginx");
    let tokens: serde_json::Value = tokens.json().await.expect("json");
    assert!(tokens["id_token"].is_string());

    let session = sessions::Entity::find().filter(sessions::Column::UserId.eq(user.id)).one(cluster.store.conn()).await;
    let session = session.expect("read").expect("the session");
    assert_eq!(session.ip.as_deref(), Some("127.0.0.2"), "the browser's address, neither nginx's nor the forged one");
    for (node, before) in cluster.nodes.iter().zip(before) {
        let served = requests_served(&node.base).await - before;
        assert!(served >= 3, "nginx sends every node its share (round robin): {} served {served}", node.base);
    }
}

/// The directives of a configuration, without comments and blank lines.
fn directives(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_readme_shows_the_tested_nginx_configuration() {
    let readme = include_str!("../../README.md");
    let shown = readme.split("```nginx\n").nth(1).and_then(|rest| rest.split("```").next()).expect("an nginx block");
    let shipped = directives(include_str!("../../deploy/nginx/kuke-id.conf"));
    assert_eq!(directives(shown), shipped, "README and deploy/nginx/kuke-id.conf differ");
}
