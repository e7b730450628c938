//! The races of the hardening tests, spread over three `kuke-id serve`
//! processes on one PostgreSQL database: the simultaneous requests land on
//! different nodes, which agree only through the database.

use kuke_id::store::entities::{audit_events, authorization_codes, grants};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::cluster::{Cluster, Options};
use crate::support::cluster_journey::{Browser, location, query};

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn audited(cluster: &Cluster, action: &str) -> u64 {
    let events = audit_events::Entity::find().filter(audit_events::Column::Action.eq(action));
    events.count(cluster.store.conn()).await.expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn the_address_budget_holds_across_nodes_under_parallel_sign_ins() {
    let env = vec![("KUKE_ID_ADDRESS_FAILURES_LIMIT".to_string(), "20".to_string())];
    let Some(cluster) = Cluster::on_postgres(Options { env, ..Options::default() }).await else { return };
    let browser = cluster.browser();
    let (_, _, csrf) = browser.page("/login").await;
    let requests: Vec<_> = (0..60)
        .map(|n| {
            let login = format!("{:06}", 100_000 + n);
            let request = browser.http.post(browser.url("/login")).form(&[
                ("csrf", csrf.as_str()),
                ("login", login.as_str()),
                ("password", "Wrong#Pass1"),
            ]);
            tokio::spawn(async move { request.send().await.expect("POST /login").status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.expect("task"));
    }
    assert_eq!(count(&statuses, 401), 20, "exactly the budget was checked, whichever node answered: {statuses:?}");
    assert_eq!(count(&statuses, 429), 40, "{statuses:?}");
    cluster.assert_every_node_served();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn thirty_simultaneous_redemptions_of_one_code_over_three_nodes_give_one_token() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let user = cluster.activated_user().await;
    let client = cluster.client(true, None).await;
    let browser = cluster.browser();
    let parked = location(&browser.authorize(&client, &[]).await);
    let handle = parked.trim_start_matches("/login?request=").to_string();
    let code = query(&location(&cluster.sign_in(&browser, &user, Some(&handle), 0).await), "code").expect("code");

    let before = cluster.balancer.served().len();
    let racers: Vec<_> = (0..30)
        .map(|_| {
            let (racer, client, code) = (Browser::new(cluster.base()), client.clone(), code.clone());
            tokio::spawn(async move { racer.redeem(&client, &code).await.status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.expect("task"));
    }
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 400), 29, "{statuses:?}");
    let spread = cluster.balancer.connections_per_node(cluster.nodes.len());
    assert_eq!(cluster.balancer.served().len() - before, 30);
    assert!(spread.iter().all(|&n| n >= 10), "the racers were spread over the nodes: {spread:?}");
    let conn = cluster.store.conn();
    let code_rows = authorization_codes::Entity::find().filter(authorization_codes::Column::ClientId.eq(&client.id));
    let row = code_rows.one(conn).await.expect("read").expect("the code");
    assert!(row.redeemed_at.is_some());
    let grants = grants::Entity::find().filter(grants::Column::ClientId.eq(&client.id));
    let grant = grants.all(conn).await.expect("read");
    assert_eq!(grant.len(), 1, "one grant, and with it one refresh family");
    assert!(grant[0].revoked_at.is_some(), "the replays revoked what the code produced");
    assert_eq!(audited(&cluster, "code.replayed").await, 29, "every replay is audited, on whichever node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(kuke_id_skip_postgres, ignore = "KUKE_ID_TEST_POSTGRES_URL is not set")]
async fn twenty_simultaneous_uses_of_one_refresh_token_over_three_nodes_give_one_token_and_revoke_the_family() {
    let Some(cluster) = Cluster::on_postgres(Options::default()).await else { return };
    let (_, _, client, tokens) = cluster.signed_in_with_tokens().await;
    let refresh = tokens["refresh_token"].as_str().expect("refresh token").to_string();

    let racers: Vec<_> = (0..20)
        .map(|_| {
            let (racer, client, refresh) = (Browser::new(cluster.base()), client.clone(), refresh.clone());
            tokio::spawn(async move {
                let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
                racer.token(&client, &form).await.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.expect("task"));
    }
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 400), 19, "no deadlock (500) between nodes either: {statuses:?}");
    assert_eq!(audited(&cluster, "refresh_token.reused").await, 19, "every reuse is audited");
    let revoked = grants::Entity::find()
        .filter(grants::Column::ClientId.eq(&client.id))
        .filter(grants::Column::RevokedAt.is_not_null())
        .count(cluster.store.conn())
        .await
        .expect("count");
    assert_eq!(revoked, 1, "the family's grant is revoked");
    cluster.assert_every_node_served();
}
