//! The console's provider pages over HTTP (`/admin/clients`, `/admin/keys`,
//! `/admin/terms`, `/admin/audit`): each renders for an `idp-admin` and is
//! refused (and audited) for the help desk; every action is a CSRF-checked POST
//! through the admin API's flows, audited with the staff member as the actor;
//! bad input is named next to its field and changes nothing.

use kuke_id::domain::audit::Actor;
use kuke_id::flows::accounts::{self, Edit};
use kuke_id::flows::keys::{self, KeyState};
use kuke_id::store;
use reqwest::Response;

use crate::support::TestApp;
use crate::support::fixtures::{TestClient, TestUser, query_param, redirect_location};
use crate::support::journey::GOOD_PASSWORD;

/// An account with a password holding a staff role (`admin`: `idp-admin`, else `idp-helpdesk`).
async fn staff(app: &TestApp, admin: bool) -> TestUser {
    let user = app.activated_user().await;
    let edit = Edit { idp_admin: Some(admin), idp_helpdesk: Some(!admin), ..Edit::default() };
    accounts::update(&app.state, &Actor::named("test"), user.id, edit).await.expect("role");
    user
}

fn location(response: &Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers()["location"].to_str().expect("ascii").to_string()
}

fn absolute(app: &TestApp, location: &str) -> String {
    if location.starts_with("http") { location.to_string() } else { app.url(location) }
}

/// Signs `app.http` in to the console as a new staff member, through kuke-id's own pages.
async fn signed_in(app: &TestApp, admin: bool) -> TestUser {
    let user = staff(app, admin).await;
    let (_, _, csrf) = app.page("/admin/sign-in").await;
    let started = app.submit("/admin/sign-in", &csrf, &[]).await;
    let to_login = app.http.get(absolute(app, &location(&started))).send().await.expect("authorize");
    let handle = query_param(&redirect_location(&to_login), "request").expect("a parked request");
    app.sign_in_form(&user.login, GOOD_PASSWORD, Some(&handle)).await;
    let finished = app.submit_code(&app.code_of(&user, 0).await).await;
    let callback = app.http.get(absolute(app, &location(&finished))).send().await.expect("callback");
    assert_eq!(location(&callback), "/admin");
    user
}

/// POSTs a console form with a valid CSRF token.
async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
    let (_, _, csrf) = app.page("/admin/people").await;
    app.submit(path, &csrf, fields).await
}

async fn actors(app: &TestApp, action: &str) -> Vec<String> {
    store::audit::actors_of(app.state.store.conn(), action).await.expect("audit")
}

async fn client_row(app: &TestApp, id: &str) -> Option<kuke_id::domain::client::Client> {
    store::clients::find(app.state.store.conn(), id).await.expect("read")
}

/// The value of the read-only field showing a new secret.
fn shown_secret(html: &str) -> Option<String> {
    let field = &html[html.find("id=\"client-secret\"")?..];
    let value = &field[field.find("value=\"")? + 7..];
    Some(value[..value.find('"')?].to_string())
}

/// A confidential client with client_credentials, registered through the console
/// form; answers the page's HTML.
async fn register(app: &TestApp, id: &str) -> Response {
    post(
        app,
        "/admin/clients/new",
        &[
            ("id", id),
            ("name", "Fakturowanie"),
            ("kind", "confidential"),
            ("redirect_uris", "https://billing.example/cb"),
            ("client_credentials", "1"),
            ("id_token_alg", "RS256"),
            ("require_pkce", "1"),
        ],
    )
    .await
}

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    let client = TestClient {
        id: id.into(),
        secret: Some(secret.into()),
        redirect_uri: String::new(),
        post_logout_redirect_uri: String::new(),
    };
    app.token(&client, &[("grant_type", "client_credentials")]).await.status().as_u16()
}

async fn key_of(app: &TestApp, state: KeyState) -> String {
    let all = keys::list(&app.state.store, &app.clock, true).await.expect("keys");
    all.into_iter().find(|k| k.state == state && k.alg.as_str() == "RS256").expect("a key").kid
}

async fn key_count(app: &TestApp) -> usize {
    store::signing_keys::all(app.state.store.conn()).await.expect("keys").len()
}

async fn publish_terms(app: &TestApp, version: &str) {
    let publication = kuke_id::flows::terms::Publication {
        version,
        title: "Regulamin",
        body: "Treść",
        body_en: None,
        effective_at: None,
    };
    kuke_id::flows::terms::publish(&app.state.store, &app.clock, &Actor::named("test"), publication)
        .await
        .expect("published");
}

backend_tests! {
    async fn every_provider_page_renders_for_the_administrator(app) {
        signed_in(&app, true).await;
        let portal = app.client().await;
        publish_terms(&app, "2026-12").await;
        for (path, marker) in [
            ("/admin/clients".to_string(), "id=\"client-list\""),
            ("/admin/clients/new".to_string(), "name=\"redirect_uris\""),
            (format!("/admin/clients/{}", portal.id), "id=\"client-facts\""),
            (format!("/admin/clients/{}/edit", portal.id), "name=\"backchannel_logout_uri\""),
            (format!("/admin/clients/{}/secret", portal.id), "name=\"grace_hours\""),
            (format!("/admin/clients/{}/delete", portal.id), "name=\"confirm\""),
            ("/admin/keys".to_string(), "id=\"key-list\""),
            ("/admin/keys/rotate".to_string(), "name=\"alg\""),
            ("/admin/terms".to_string(), "id=\"terms-list\""),
            ("/admin/terms/new".to_string(), "name=\"body_en\""),
            ("/admin/terms/2026-12".to_string(), "id=\"accepted-count\""),
            ("/admin/audit".to_string(), "id=\"audit-events\""),
        ] {
            let answer = app.get(&path).await;
            assert_eq!(answer.status(), 200, "{path}");
            assert_eq!(answer.headers()["cache-control"], "no-store", "{path}");
            let html = answer.text().await.expect("html");
            assert!(html.contains(marker), "{path} lacks {marker}: {html}");
            assert!(html.contains("aria-current=\"page\""), "{path} marks its section");
        }
        let (status, html, _) = app.page("/admin/clients?lang=en").await;
        assert_eq!(status, 200);
        assert!(html.contains("Register an application"), "{html}");
    }

    async fn the_help_desk_is_refused_every_provider_page_and_action_and_each_refusal_is_audited(app) {
        let helpdesk = signed_in(&app, false).await;
        let portal = app.client().await;
        publish_terms(&app, "2026-12").await;
        let kid = key_of(&app, KeyState::Active).await;
        let gets = [
            "/admin/clients".to_string(),
            "/admin/clients/new".to_string(),
            format!("/admin/clients/{}", portal.id),
            format!("/admin/clients/{}/edit", portal.id),
            format!("/admin/clients/{}/secret", portal.id),
            format!("/admin/clients/{}/delete", portal.id),
            "/admin/keys".to_string(),
            "/admin/keys/rotate".to_string(),
            format!("/admin/keys/{kid}/retire"),
            "/admin/terms".to_string(),
            "/admin/terms/new".to_string(),
            "/admin/terms/2026-12".to_string(),
            "/admin/terms/2026-12/acceptances.csv".to_string(),
            "/admin/audit".to_string(),
        ];
        for path in &gets {
            assert_eq!(app.get(path).await.status(), 403, "GET {path}");
        }
        let posts = [
            ("/admin/clients/new".to_string(), vec![("name", "X"), ("kind", "public"), ("redirect_uris", "https://x.example/cb")]),
            (format!("/admin/clients/{}/edit", portal.id), vec![("name", "Taken over")]),
            (format!("/admin/clients/{}/secret", portal.id), vec![("grace_hours", "0")]),
            (format!("/admin/clients/{}/delete", portal.id), vec![("confirm", portal.id.as_str())]),
            ("/admin/keys/rotate".to_string(), vec![("alg", "all")]),
            (format!("/admin/keys/{kid}/retire"), vec![]),
            ("/admin/terms/new".to_string(), vec![("version", "x"), ("title", "x"), ("body", "x"), ("confirmed", "yes")]),
        ];
        for (path, fields) in &posts {
            assert_eq!(post(&app, path, fields).await.status(), 403, "POST {path}");
        }
        let denied = actors(&app, "console.denied").await;
        assert_eq!(denied.len(), gets.len() + posts.len(), "every refusal is audited: {denied:?}");
        assert!(denied.iter().all(|actor| *actor == format!("user:{}", helpdesk.id)));
        let unchanged = client_row(&app, &portal.id).await.expect("still there");
        assert_ne!(unchanged.name, "Taken over");
        assert_eq!(key_count(&app).await, 3, "no key was made");
        let me = format!("user:{}", helpdesk.id);
        for action in ["client.created", "client.updated", "client.removed", "client.secret_rotated", "key.rotated", "key.retired", "terms.published"] {
            assert!(!actors(&app, action).await.contains(&me), "{action} by the help desk");
        }
    }

    async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing(app) {
        signed_in(&app, true).await;
        let portal = app.client().await;
        for (path, fields) in [
            ("/admin/clients/new".to_string(), vec![("name", "X"), ("kind", "public"), ("redirect_uris", "https://x.example/cb")]),
            (format!("/admin/clients/{}/delete", portal.id), vec![("confirm", portal.id.as_str())]),
            ("/admin/keys/rotate".to_string(), vec![("alg", "all")]),
            ("/admin/terms/new".to_string(), vec![("version", "x"), ("title", "x"), ("body", "x"), ("confirmed", "yes")]),
        ] {
            let answer = app.http.post(app.url(&path)).form(&fields).send().await.expect("POST");
            assert_eq!(answer.status(), 403, "{path}");
        }
        assert!(client_row(&app, &portal.id).await.is_some());
        assert_eq!(key_count(&app).await, 3);
        assert!(kuke_id::flows::terms::list(&app.state.store, &app.clock).await.expect("terms").is_empty());
    }

    async fn a_bad_registration_is_named_next_to_its_field_and_registers_nothing(app) {
        signed_in(&app, true).await;
        let answer = post(
            &app,
            "/admin/clients/new",
            &[("id", "billing"), ("name", "Billing"), ("kind", "confidential"), ("redirect_uris", "http://evil.example/cb"), ("id_token_alg", "RS256")],
        )
        .await;
        assert_eq!(answer.status(), 422);
        let html = answer.text().await.expect("html");
        assert!(html.contains("id=\"redirect_uris-error\""), "{html}");
        assert!(html.contains("http:&#x2f;&#x2f;evil.example&#x2f;cb"), "the value is kept: {html}");
        let answer = post(&app, "/admin/clients/new", &[("id", "bad id!"), ("name", "Billing"), ("kind", "confidential"), ("redirect_uris", "https://b.example/cb"), ("id_token_alg", "RS256")]).await;
        assert_eq!(answer.status(), 422);
        assert!(answer.text().await.expect("html").contains("id=\"id-error\""));
        let answer = post(&app, "/admin/clients/new", &[("name", "Billing"), ("kind", "other"), ("redirect_uris", "https://b.example/cb"), ("id_token_alg", "HS256")]).await;
        assert_eq!(answer.status(), 422);
        let html = answer.text().await.expect("html");
        assert!(html.contains("id=\"kind-error\"") && html.contains("id=\"id_token_alg-error\""), "{html}");
        assert!(client_row(&app, "billing").await.is_none());
        assert!(actors(&app, "client.created").await.iter().all(|actor| !actor.starts_with("user:")));
    }

    async fn registering_shows_the_secret_once_and_stores_only_its_hash(app) {
        let admin = signed_in(&app, true).await;
        let answer = register(&app, "billing").await;
        assert_eq!(answer.status(), 201);
        assert_eq!(answer.headers()["cache-control"], "no-store");
        let html = answer.text().await.expect("html");
        let secret = shown_secret(&html).expect("the secret on the page");
        let row = client_row(&app, "billing").await.expect("registered");
        let stored = row.secret_hash.expect("a hash");
        assert_ne!(stored, secret);
        assert_eq!(stored, kuke_id::tokens::opaque::hash(&secret));
        assert_eq!(token_status(&app, "billing", &secret).await, 200, "the secret shown is the one that works");
        for path in ["/admin/clients/billing", "/admin/clients", "/admin/clients/billing/edit"] {
            let (_, html, _) = app.page(path).await;
            assert!(!html.contains(&secret), "{path} never shows the secret again");
        }
        assert_eq!(actors(&app, "client.created").await.last(), Some(&format!("user:{}", admin.id)));
    }

    async fn a_public_client_is_registered_without_a_secret_and_has_none_to_rotate(app) {
        signed_in(&app, true).await;
        let answer = post(
            &app,
            "/admin/clients/new",
            &[("id", "spa"), ("name", "Portal SPA"), ("kind", "public"), ("redirect_uris", "https://spa.example/cb"), ("id_token_alg", "ES256")],
        )
        .await;
        assert_eq!(location(&answer), "/admin/clients/spa?done=created");
        let row = client_row(&app, "spa").await.expect("registered");
        assert!(row.secret_hash.is_none() && row.require_pkce, "public: no secret, PKCE always");
        assert_eq!(app.get("/admin/clients/spa/secret").await.status(), 409);
        assert_eq!(post(&app, "/admin/clients/spa/secret", &[("grace_hours", "1")]).await.status(), 409);
        assert!(actors(&app, "client.secret_rotated").await.is_empty());
    }

    async fn a_rotated_secret_leaves_the_old_one_working_for_its_grace_and_is_audited(app) {
        let admin = signed_in(&app, true).await;
        let old = shown_secret(&register(&app, "billing").await.text().await.expect("html")).expect("secret");
        let answer = post(&app, "/admin/clients/billing/secret", &[("grace_hours", "2")]).await;
        assert_eq!(answer.status(), 200);
        let html = answer.text().await.expect("html");
        let new = shown_secret(&html).expect("the new secret");
        assert_ne!(new, old);
        assert!(html.contains("id=\"previous-secret\""), "{html}");
        assert_eq!(token_status(&app, "billing", &new).await, 200);
        assert_eq!(token_status(&app, "billing", &old).await, 200, "the old secret works in its grace");
        app.clock.advance(std::time::Duration::from_secs(2 * 3600 + 1));
        assert_eq!(token_status(&app, "billing", &old).await, 401, "and not after it");
        assert_eq!(token_status(&app, "billing", &new).await, 200);
        assert_eq!(actors(&app, "client.secret_rotated").await, vec![format!("user:{}", admin.id)]);
    }

    async fn a_bad_grace_is_named_and_the_secret_is_kept(app) {
        signed_in(&app, true).await;
        let secret = shown_secret(&register(&app, "billing").await.text().await.expect("html")).expect("secret");
        for grace in ["721", "-1", "soon"] {
            let answer = post(&app, "/admin/clients/billing/secret", &[("grace_hours", grace)]).await;
            assert_eq!(answer.status(), 422, "{grace}");
            assert!(answer.text().await.expect("html").contains("id=\"grace_hours-error\""));
        }
        let row = client_row(&app, "billing").await.expect("client");
        assert_eq!(row.secret_hash, Some(kuke_id::tokens::opaque::hash(&secret)));
        assert!(actors(&app, "client.secret_rotated").await.is_empty());
    }

    async fn editing_a_client_goes_through_the_flow_and_is_audited(app) {
        let admin = signed_in(&app, true).await;
        let portal = app.client().await;
        let path = format!("/admin/clients/{}/edit", portal.id);
        let answer = post(&app, &path, &[("name", "Portal"), ("redirect_uris", "ftp://nope"), ("id_token_alg", "RS256")]).await;
        assert_eq!(answer.status(), 422);
        assert!(answer.text().await.expect("html").contains("id=\"redirect_uris-error\""));
        assert_ne!(client_row(&app, &portal.id).await.expect("client").name, "Portal", "nothing changed");
        let answer = post(
            &app,
            &path,
            &[("name", "Portal Klienta"), ("redirect_uris", "https://portal.example/cb\nhttps://portal.example/cb2"), ("id_token_alg", "ES256"), ("require_pkce", "1")],
        )
        .await;
        assert_eq!(location(&answer), format!("/admin/clients/{}?done=edited", portal.id));
        let row = client_row(&app, &portal.id).await.expect("client");
        assert_eq!(row.name, "Portal Klienta");
        assert_eq!(row.redirect_uris, ["https://portal.example/cb", "https://portal.example/cb2"]);
        assert_eq!(row.id_token_alg.as_str(), "ES256");
        assert_eq!(actors(&app, "client.updated").await.last(), Some(&format!("user:{}", admin.id)));
    }

    async fn deleting_a_client_needs_its_id_typed_out(app) {
        let admin = signed_in(&app, true).await;
        let portal = app.client().await;
        let path = format!("/admin/clients/{}/delete", portal.id);
        let answer = post(&app, &path, &[("confirm", "something else")]).await;
        assert_eq!(answer.status(), 422);
        assert!(answer.text().await.expect("html").contains("id=\"confirm-error\""));
        assert!(client_row(&app, &portal.id).await.is_some());
        let answer = post(&app, &path, &[("confirm", &portal.id)]).await;
        assert_eq!(location(&answer), "/admin/clients?done=deleted");
        assert!(client_row(&app, &portal.id).await.is_none());
        assert_eq!(actors(&app, "client.removed").await, vec![format!("user:{}", admin.id)]);
    }

    async fn the_console_client_is_neither_changed_nor_deleted_from_the_console(app) {
        signed_in(&app, true).await;
        let before = client_row(&app, "kuke-id-console").await.expect("the console client");
        let (status, html, _) = app.page("/admin/clients/kuke-id-console").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"client-built-in\"") && !html.contains("/admin/clients/kuke-id-console/delete"), "{html}");
        for path in ["/admin/clients/kuke-id-console/edit", "/admin/clients/kuke-id-console/delete"] {
            assert_eq!(app.get(path).await.status(), 409, "{path}");
        }
        let answer = post(&app, "/admin/clients/kuke-id-console/delete", &[("confirm", "kuke-id-console")]).await;
        assert_eq!(answer.status(), 409);
        assert!(answer.text().await.expect("html").contains("id=\"client-refused\""));
        let answer = post(&app, "/admin/clients/kuke-id-console/edit", &[("name", "Mine"), ("redirect_uris", "https://evil.example/cb")]).await;
        assert_eq!(answer.status(), 409);
        assert_eq!(client_row(&app, "kuke-id-console").await.expect("still there").redirect_uris, before.redirect_uris);
    }

    async fn rotating_keys_adds_a_key_that_the_jwks_publishes(app) {
        let admin = signed_in(&app, true).await;
        let before = key_count(&app).await;
        let (status, html, _) = app.page("/admin/keys/rotate").await;
        assert_eq!(status, 200);
        assert!(html.contains("name=\"alg\""));
        assert_eq!(key_count(&app).await, before, "the confirmation changes nothing");
        let answer = post(&app, "/admin/keys/rotate", &[("alg", "HS256")]).await;
        assert_eq!(answer.status(), 422);
        assert_eq!(key_count(&app).await, before);
        let answer = post(&app, "/admin/keys/rotate", &[("alg", "RS256")]).await;
        assert_eq!(location(&answer), "/admin/keys?done=rotated");
        assert_eq!(key_count(&app).await, before + 1);
        let next = key_of(&app, KeyState::Next).await;
        let jwks = app.get_json("/jwks").await;
        assert!(jwks["keys"].as_array().expect("keys").iter().any(|k| k["kid"] == next.as_str()), "{jwks}");
        let (_, html, _) = app.page("/admin/keys").await;
        assert!(html.contains(&next));
        assert_eq!(actors(&app, "key.rotated").await, vec![format!("user:{}", admin.id)]);
    }

    async fn a_key_is_retired_only_when_the_flows_allow_it(app) {
        let admin = signed_in(&app, true).await;
        let old = key_of(&app, KeyState::Active).await;
        let answer = app.get(&format!("/admin/keys/{old}/retire")).await;
        assert_eq!(answer.status(), 409, "the signing key cannot be retired");
        assert!(answer.text().await.expect("html").contains("id=\"retire-refused\""));
        assert_eq!(post(&app, &format!("/admin/keys/{old}/retire"), &[]).await.status(), 409);
        post(&app, "/admin/keys/rotate", &[("alg", "RS256")]).await;
        app.clock.advance(std::time::Duration::from_secs(601));
        let (status, _, _) = app.page(&format!("/admin/keys/{old}/retire")).await;
        assert_eq!(status, 200, "replaced, it may go");
        let answer = post(&app, &format!("/admin/keys/{old}/retire"), &[]).await;
        assert_eq!(location(&answer), "/admin/keys?done=retired");
        let jwks = app.get_json("/jwks").await;
        assert!(!jwks["keys"].as_array().expect("keys").iter().any(|k| k["kid"] == old.as_str()));
        assert_eq!(actors(&app, "key.retired").await, vec![format!("user:{}", admin.id)]);
        assert_eq!(app.get("/admin/keys/no-such-kid/retire").await.status(), 404);
    }

    async fn publishing_terms_asks_for_confirmation_then_makes_the_version_current(app) {
        let admin = signed_in(&app, true).await;
        let fields = [("version", "2027-01"), ("title", "Regulamin Portalu"), ("body", "Treść\nregulaminu"), ("body_en", "The terms")];
        let answer = post(&app, "/admin/terms/new", &fields).await;
        assert_eq!(answer.status(), 200);
        let html = answer.text().await.expect("html");
        assert!(html.contains("name=\"confirmed\" value=\"yes\""), "{html}");
        assert!(kuke_id::flows::terms::list(&app.state.store, &app.clock).await.expect("terms").is_empty(), "not yet");
        let mut confirmed = fields.to_vec();
        confirmed.push(("confirmed", "yes"));
        let answer = post(&app, "/admin/terms/new", &confirmed).await;
        assert_eq!(location(&answer), "/admin/terms/2027-01?done=published");
        let current = store::terms::current(app.state.store.conn(), app.clock.now()).await.expect("read").expect("in force");
        assert_eq!(current.version, "2027-01");
        assert_eq!(current.body_en.as_deref(), Some("The terms"));
        assert!(kuke_id::flows::terms::any_in_force(&app.state.store, &app.clock).await.expect("read"), "the next sign-in asks");
        assert_eq!(actors(&app, "terms.published").await, vec![format!("user:{}", admin.id)]);
        let answer = post(&app, "/admin/terms/new", &confirmed).await;
        assert_eq!(answer.status(), 422, "a version is published once");
        assert!(answer.text().await.expect("html").contains("id=\"version-error\""));
    }

    async fn bad_terms_are_named_next_to_their_fields_and_nothing_is_published(app) {
        signed_in(&app, true).await;
        let long = "x".repeat(65);
        let answer = post(
            &app,
            "/admin/terms/new",
            &[("version", &long), ("title", ""), ("body", "  "), ("effective_at", "jutro"), ("confirmed", "yes")],
        )
        .await;
        assert_eq!(answer.status(), 422);
        let html = answer.text().await.expect("html");
        for field in ["version", "title", "body", "effective_at"] {
            assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}: {html}");
        }
        assert!(kuke_id::flows::terms::list(&app.state.store, &app.clock).await.expect("terms").is_empty());
        assert!(actors(&app, "terms.published").await.is_empty());
    }

    async fn the_terms_report_counts_acceptances_and_downloads_them(app) {
        signed_in(&app, true).await;
        publish_terms(&app, "2026-12").await;
        let (status, html, _) = app.page("/admin/terms/2026-12").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"accepted-count\">0<"), "{html}");
        let csv = app.get("/admin/terms/2026-12/acceptances.csv").await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
        assert!(csv.text().await.expect("csv").starts_with("version,login,user_id,accepted_at"));
        assert_eq!(app.get("/admin/terms/no-such-version").await.status(), 404);
    }

    async fn the_audit_search_filters_by_action_actor_subject_and_time(app) {
        let admin = signed_in(&app, true).await;
        register(&app, "billing").await;
        let me = format!("user:{}", admin.id);
        let (status, html, _) = app.page("/admin/audit?action=client.created").await;
        assert_eq!(status, 200);
        assert!(html.contains("billing") && html.contains(&me), "{html}");
        assert!(!html.contains("<code>console.signed_in</code>"), "{html}");
        let (_, html, _) = app.page(&format!("/admin/audit?actor={me}&action=client.")).await;
        assert!(html.contains("<code>client.created</code>"), "{html}");
        let (_, html, _) = app.page("/admin/audit?actor=cli").await;
        assert!(!html.contains("<code>client.created</code>"), "{html}");
        let (_, html, _) = app.page(&format!("/admin/audit?subject={}", admin.id)).await;
        assert!(html.contains("id=\"audit-events\""), "events about the admin: {html}");
        let (_, html, _) = app.page("/admin/audit?action=client.created&to=2000-01-01").await;
        assert!(!html.contains("<code>client.created</code>"), "nothing before 2000: {html}");
        let (_, html, _) = app.page("/admin/audit?action=client.created&from=2000-01-01T00:00").await;
        assert!(html.contains("<code>client.created</code>"), "{html}");
    }

    async fn a_bad_audit_filter_is_named_next_to_its_field(app) {
        signed_in(&app, true).await;
        let answer = app.get("/admin/audit?from=yesterday&to=2026-13-45&subject=nobody").await;
        assert_eq!(answer.status(), 422);
        let html = answer.text().await.expect("html");
        for field in ["from", "to", "subject"] {
            assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}: {html}");
        }
        assert!(html.contains("value=\"yesterday\""), "the typed value is kept");
        let answer = app.get("/admin/audit?from=2026-12-02&to=2026-12-01").await;
        assert_eq!(answer.status(), 422);
        assert!(answer.text().await.expect("html").contains("id=\"to-error\""));
    }
}
