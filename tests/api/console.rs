//! The admin console (`/admin`) over HTTP: signing in through kuke-id itself,
//! the two staff roles, the people pages and their actions, the dashboard, and
//! the attacks a browser page must withstand (CSRF, GET, framing, a session
//! outliving its kuke-id session).

use kuke_id::domain::audit::Actor;
use kuke_id::flows::accounts::{self, Edit};
use kuke_id::store;
use reqwest::Response;
use uuid::Uuid;

use crate::support::TestApp;
use crate::support::fixtures::{TestUser, query_param, redirect_location};
use crate::support::journey::{GOOD_PASSWORD, hidden};

/// A staff role to give a test account.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Staff {
    Admin,
    Helpdesk,
    Nobody,
}

/// An account with a password, holding `role`.
pub(crate) async fn person_with(app: &TestApp, role: Staff) -> TestUser {
    let user = app.activated_user().await;
    let edit =
        Edit { idp_admin: Some(role == Staff::Admin), idp_helpdesk: Some(role == Staff::Helpdesk), ..Edit::default() };
    accounts::update(&app.state, &Actor::named("test"), user.id, edit).await.expect("role");
    user
}

/// An absolute URL for a Location header's value.
fn absolute(app: &TestApp, location: &str) -> String {
    if location.starts_with("http") { location.to_string() } else { app.url(location) }
}

pub(crate) fn location(response: &Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers()["location"].to_str().expect("ascii").to_string()
}

/// Walks the console sign-in in `app.http` as `user` (whose `nth` sign-in code
/// this is) and returns the callback's answer.
pub(crate) async fn walk_sign_in(app: &TestApp, user: &TestUser, nth: usize) -> Response {
    let (status, _, csrf) = app.page("/admin/sign-in").await;
    assert_eq!(status, 200);
    let started = app.submit("/admin/sign-in", &csrf, &[]).await;
    let authorize = location(&started);
    assert!(authorize.starts_with("/authorize?"), "{authorize}");
    let to_login = app.http.get(absolute(app, &authorize)).send().await.expect("authorize");
    let handle = query_param(&redirect_location(&to_login), "request").expect("a parked request");
    let to_code = app.sign_in_form(&user.login, GOOD_PASSWORD, Some(&handle)).await;
    assert_eq!(to_code.status(), 303);
    let finished = app.submit_code(&app.code_of(user, nth).await).await;
    let callback = location(&finished);
    assert!(callback.contains("/admin/callback?"), "{callback}");
    app.http.get(absolute(app, &callback)).send().await.expect("callback")
}

/// A staff member signed in to the console in `app.http`.
pub(crate) async fn signed_in(app: &TestApp, role: Staff) -> TestUser {
    let user = person_with(app, role).await;
    let answer = walk_sign_in(app, &user, 0).await;
    assert_eq!(location(&answer), "/admin");
    user
}

/// GETs a console page: (status, body, CSRF token).
pub(crate) async fn page(app: &TestApp, path: &str) -> (u16, String, String) {
    app.page(path).await
}

/// POSTs a console form with the page's CSRF token.
pub(crate) async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
    let (_, _, csrf) = page(app, "/admin/people").await;
    app.submit(path, &csrf, fields).await
}

pub(crate) async fn events(app: &TestApp, action: &str) -> Vec<String> {
    store::audit::actors_of(app.state.store.conn(), action).await.expect("audit")
}

async fn row(app: &TestApp, id: Uuid) -> kuke_id::store::entities::users::Model {
    store::users::row(app.state.store.conn(), id).await.expect("row").expect("exists")
}

backend_tests! {
    async fn a_visitor_without_a_console_session_is_sent_to_the_sign_in_page(app) {
        let answer = app.get("/admin").await;
        assert_eq!(location(&answer), "/admin/sign-in");
        let answer = app.get("/admin/people").await;
        assert_eq!(location(&answer), "/admin/sign-in");
    }

    async fn the_sign_in_asks_kuke_id_for_a_fresh_login_with_pkce(app) {
        let (_, html, csrf) = app.page("/admin/sign-in").await;
        assert!(html.contains("action=\"/admin/sign-in\""), "{html}");
        let started = app.submit("/admin/sign-in", &csrf, &[]).await;
        let url = redirect_location(&started);
        assert_eq!(url.path(), "/authorize");
        assert_eq!(query_param(&url, "client_id").as_deref(), Some("kuke-id-console"));
        assert_eq!(query_param(&url, "prompt").as_deref(), Some("login"));
        assert_eq!(query_param(&url, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(query_param(&url, "redirect_uri"), Some(app.url("/admin/callback")));
        assert!(query_param(&url, "state").is_some() && query_param(&url, "nonce").is_some());
        let cookie = started.headers()["set-cookie"].to_str().expect("ascii");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
    }

    async fn an_administrator_signs_in_through_the_journey_and_gets_a_strict_session(app) {
        let admin = person_with(&app, Staff::Admin).await;
        let answer = walk_sign_in(&app, &admin, 0).await;
        assert_eq!(location(&answer), "/admin");
        let cookies: Vec<&str> = answer.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
        let session = cookies.iter().find(|c| c.starts_with("kuke_console=")).expect("a console cookie");
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
        let (status, html, _) = page(&app, "/admin").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"funnel-numbers\""), "{html}");
        assert_eq!(events(&app, "console.signed_in").await, vec![format!("user:{}", admin.id)]);
    }

    async fn an_already_signed_in_browser_still_has_to_sign_in_again(app) {
        let admin = person_with(&app, Staff::Admin).await;
        app.sign_in(&admin).await;
        let (_, _, csrf) = app.page("/admin/sign-in").await;
        let started = app.submit("/admin/sign-in", &csrf, &[]).await;
        let to_login = app.http.get(absolute(&app, &location(&started))).send().await.expect("authorize");
        assert_eq!(redirect_location(&to_login).path(), "/login", "prompt=login is honoured");
    }

    async fn a_callback_whose_state_does_not_match_signs_nobody_in(app) {
        let admin = person_with(&app, Staff::Admin).await;
        let (_, _, csrf) = app.page("/admin/sign-in").await;
        let started = app.submit("/admin/sign-in", &csrf, &[]).await;
        let to_login = app.http.get(absolute(&app, &location(&started))).send().await.expect("authorize");
        let handle = query_param(&redirect_location(&to_login), "request").expect("request");
        app.sign_in_form(&admin.login, GOOD_PASSWORD, Some(&handle)).await;
        let finished = app.submit_code(&app.code_of(&admin, 0).await).await;
        let mut callback = redirect_location(&finished);
        let pairs: Vec<(String, String)> = callback
            .query_pairs()
            .map(|(k, v)| {
                let value = if k == "state" { "forged".to_string() } else { v.into_owned() };
                (k.into_owned(), value)
            })
            .collect();
        callback.query_pairs_mut().clear().extend_pairs(pairs);
        let answer = app.http.get(callback.as_str()).send().await.expect("callback");
        assert_eq!(answer.status(), 400);
        assert_eq!(location(&app.get("/admin").await), "/admin/sign-in");
    }

    async fn a_callback_without_a_sign_in_of_this_browser_is_refused(app) {
        let answer = app.get("/admin/callback?code=abc&state=def").await;
        assert_eq!(answer.status(), 400);
        let html = answer.text().await.expect("html");
        assert!(html.contains("href=\"/admin/sign-in\""), "{html}");
    }

    async fn a_person_without_a_staff_role_is_refused_and_the_refusal_audited(app) {
        let person = person_with(&app, Staff::Nobody).await;
        let answer = walk_sign_in(&app, &person, 0).await;
        assert_eq!(answer.status(), 403);
        assert_eq!(events(&app, "console.denied").await, vec![format!("user:{}", person.id)]);
        assert_eq!(location(&app.get("/admin").await), "/admin/sign-in");
    }

    async fn a_role_taken_away_is_refused_at_the_next_request(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let edit = Edit { idp_admin: Some(false), ..Edit::default() };
        accounts::update(&app.state, &Actor::named("test"), admin.id, edit).await.expect("revoke");
        let (status, _, _) = page(&app, "/admin/people").await;
        assert_eq!(status, 403);
    }

    async fn ending_the_kuke_id_session_ends_the_console_session(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        assert_eq!(page(&app, "/admin").await.0, 200);
        accounts::end_all_sessions(&app.state, &Actor::named("test"), admin.id).await.expect("end");
        assert_eq!(location(&app.get("/admin").await), "/admin/sign-in");
    }

    async fn signing_out_of_kuke_id_elsewhere_ends_the_console_session(app) {
        signed_in(&app, Staff::Admin).await;
        let (status, _, csrf) = app.page("/logout").await;
        assert_eq!(status, 200, "kuke-id asks before signing out");
        let answer = app.submit("/logout/confirm", &csrf, &[]).await;
        assert!(answer.status().is_success() || answer.status().is_redirection(), "{}", answer.status());
        assert_eq!(location(&app.get("/admin").await), "/admin/sign-in");
    }

    async fn signing_out_of_the_console_signs_out_of_kuke_id_too(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let answer = post(&app, "/admin/logout", &[]).await;
        let url = redirect_location(&answer);
        assert_eq!(url.path(), "/logout");
        assert!(query_param(&url, "id_token_hint").is_some());
        assert_eq!(query_param(&url, "post_logout_redirect_uri"), Some(app.url("/admin/signed-out")));
        let back = app.http.get(absolute(&app, &location(&answer))).send().await.expect("logout");
        assert!(location(&back).starts_with(&app.url("/admin/signed-out")), "{}", location(&back));
        assert!(store::sessions::open_for_user(app.state.store.conn(), admin.id).await.expect("sessions").is_empty());
        assert_eq!(location(&app.get("/admin").await), "/admin/sign-in");
        assert_eq!(page(&app, "/admin/signed-out").await.0, 200);
    }

    async fn no_console_page_may_be_framed(app) {
        signed_in(&app, Staff::Admin).await;
        for path in ["/admin", "/admin/people", "/admin/sign-in"] {
            let answer = app.get(path).await;
            assert_eq!(answer.headers()["x-frame-options"], "DENY", "{path}");
            let csp = answer.headers()["content-security-policy"].to_str().expect("ascii");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        }
    }

    async fn a_form_without_its_csrf_token_changes_nothing(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        accounts::set_locked(&app.state, &Actor::named("test"), target.id, true).await.expect("lock");
        let path = format!("/admin/people/{}/actions/unlock", target.id);
        let answer = app.http.post(app.url(&path)).form(&[("csrf", "forged")]).send().await.expect("post");
        assert_eq!(answer.status(), 403);
        let answer = app.http.post(app.url(&path)).form(&[("x", "1")]).send().await.expect("post");
        assert_eq!(answer.status(), 403);
        assert!(row(&app, target.id).await.admin_locked);
    }

    async fn opening_an_action_shows_a_confirmation_and_changes_nothing(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        accounts::set_locked(&app.state, &Actor::named("test"), target.id, true).await.expect("lock");
        for action in ["unlock", "disable", "reset", "delete", "end_sessions"] {
            let (status, html, _) = page(&app, &format!("/admin/people/{}/actions/{action}", target.id)).await;
            assert_eq!(status, 200, "{action}");
            assert!(html.contains(&format!("action=\"/admin/people/{}/actions/{action}\"", target.id)), "{html}");
        }
        let after = row(&app, target.id).await;
        assert!(after.admin_locked && !after.disabled && after.anonymized_at.is_none());
    }

    async fn malformed_addresses_and_bodies_get_a_clear_answer(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        for path in ["/admin/people/not-a-uuid".to_string(), format!("/admin/people/{}", Uuid::new_v4()), format!("/admin/people/{}/actions/explode", target.id), format!("/admin/people/{}/actions/end_session", target.id), "/admin/people/x/edit".to_string()] {
            assert_eq!(page(&app, &path).await.0, 404, "{path}");
        }
        let (_, _, csrf) = page(&app, "/admin/people").await;
        let path = format!("/admin/people/{}/actions/unlock", target.id);
        let json = app.http.post(app.url(&path)).header("content-type", "application/json").body(format!("{{\"csrf\":\"{csrf}\"}}")).send().await.expect("post");
        assert_eq!(json.status(), 400);
        let bad_session = app.submit(&format!("/admin/people/{}/actions/end_session", target.id), &csrf, &[("session", "x")]).await;
        assert_eq!(bad_session.status(), 404);
        let gone = app.submit(&format!("/admin/people/{}/actions/end_session", target.id), &csrf, &[("session", &Uuid::new_v4().to_string())]).await;
        assert_eq!(gone.status(), 409);
        let get_logout = app.get("/admin/logout").await;
        assert_eq!(get_logout.status(), 405, "signing out is a POST");
        assert_eq!(page(&app, "/admin").await.0, 200, "still signed in");
    }

    async fn the_help_desk_is_refused_every_admin_only_page_and_action_with_an_audit_event(app) {
        let helpdesk = signed_in(&app, Staff::Helpdesk).await;
        let target = app.active_user().await;
        assert_eq!(location(&app.get("/admin").await), "/admin/people", "the help desk starts at the search");
        for path in [
            "/admin/dashboard.csv".to_string(),
            format!("/admin/people/{}/edit", target.id),
            format!("/admin/people/{}/actions/delete", target.id),
            format!("/admin/people/{}/actions/disable", target.id),
        ] {
            assert_eq!(page(&app, &path).await.0, 403, "{path}");
        }
        let (_, _, csrf) = page(&app, "/admin/people").await;
        for (path, fields) in [
            (format!("/admin/people/{}/actions/disable", target.id), vec![]),
            (format!("/admin/people/{}/actions/delete", target.id), vec![("confirm", target.login.as_str())]),
            (format!("/admin/people/{}/edit", target.id), vec![("given_name", "X"), ("family_name", "Y"), ("email", "x@example.com"), ("role", "user"), ("organization", ""), ("staff_role", "idp-admin")]),
        ] {
            let answer = app.submit(&path, &csrf, &fields).await;
            assert_eq!(answer.status(), 403, "{path}");
        }
        let after = row(&app, target.id).await;
        assert!(!after.disabled && after.anonymized_at.is_none() && !after.idp_admin && after.given_name == "Anna");
        let denied = events(&app, "console.denied").await;
        assert_eq!(denied.len(), 7);
        assert!(denied.iter().all(|actor| *actor == format!("user:{}", helpdesk.id)));
    }

    async fn the_help_desk_sees_only_the_actions_it_may_take(app) {
        signed_in(&app, Staff::Helpdesk).await;
        let target = app.active_user().await;
        let (_, html, _) = page(&app, &format!("/admin/people/{}", target.id)).await;
        assert!(html.contains("/actions/reset\""), "{html}");
        for hidden_action in ["/actions/delete\"", "/actions/disable\"", "/edit\"", "href=\"/admin\""] {
            assert!(!html.contains(hidden_action), "{hidden_action} shown to the help desk");
        }
    }

    async fn the_help_desk_unlocks_an_account_audited_as_itself(app) {
        let helpdesk = signed_in(&app, Staff::Helpdesk).await;
        let target = app.active_user().await;
        accounts::set_locked(&app.state, &Actor::named("test"), target.id, true).await.expect("lock");
        let answer = post(&app, &format!("/admin/people/{}/actions/unlock", target.id), &[]).await;
        assert_eq!(location(&answer), format!("/admin/people/{}?done=unlock", target.id));
        assert!(!row(&app, target.id).await.admin_locked);
        assert_eq!(events(&app, "user.unlocked").await, vec![format!("user:{}", helpdesk.id)]);
    }

    async fn the_help_desk_cannot_act_on_a_staff_account(app) {
        let helpdesk = signed_in(&app, Staff::Helpdesk).await;
        let admin = person_with(&app, Staff::Admin).await;
        let (_, html, _) = page(&app, &format!("/admin/people/{}", admin.id)).await;
        assert!(!html.contains("/actions/"), "no action is offered on a staff account: {html}");
        let answer = post(&app, &format!("/admin/people/{}/actions/reset", admin.id), &[]).await;
        assert_eq!(answer.status(), 403);
        assert!(row(&app, admin.id).await.password_hash.is_some());
        assert_eq!(events(&app, "console.denied").await, vec![format!("user:{}", helpdesk.id)]);
    }

    async fn the_search_finds_people_by_login_email_name_organisation_and_status(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let invited = app.imported_user().await;
        let org = store::users::row(app.state.store.conn(), target.id).await.expect("row").expect("row").organization_id.expect("org");
        for query in [target.login.clone(), target.email.clone(), "Nowak".to_string()] {
            let (status, html, _) = page(&app, &format!("/admin/people?q={}", urlencoding(&query))).await;
            assert_eq!(status, 200);
            assert!(html.contains(&format!("/admin/people/{}", target.id)), "{query}: {html}");
        }
        let (_, html, _) = page(&app, &format!("/admin/people?status=imported&organization={org}")).await;
        assert!(html.contains(&format!("/admin/people/{}", invited.id)) && !html.contains(&format!("/admin/people/{}", target.id)), "{html}");
        let (status, _, _) = page(&app, "/admin/people?status=%3Cscript%3E&organization=nonsense&page=x").await;
        assert_eq!(status, 200, "nonsense filters are ignored, not errors");
    }

    async fn a_persons_page_shows_the_mails_sent_but_never_their_links(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.imported_user().await;
        let link = app.activation_link(&target, 0).await;
        let token = link.split("token=").nth(1).expect("token").to_string();
        let (status, html, _) = page(&app, &format!("/admin/people/{}", target.id)).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"mails\"") && html.contains("link aktywacyjny"), "{html}");
        assert!(html.contains("user.invited"), "recent events are listed: {html}");
        assert!(!html.contains(&token));
    }

    async fn resending_the_activation_mails_a_new_link_audited_as_the_staff_member(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let target = app.imported_user().await;
        let answer = post(&app, &format!("/admin/people/{}/actions/resend_activation", target.id), &[]).await;
        assert_eq!(location(&answer), format!("/admin/people/{}?done=resend_activation", target.id));
        let mail = app.mail_to(&target, "Aktywuj", 0).await;
        assert!(mail.link_containing("/activate?token=").is_some());
        assert_eq!(events(&app, "user.invited").await.last(), Some(&format!("user:{}", admin.id)));
    }

    async fn resending_to_an_active_account_is_refused_beside_the_form(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let answer = post(&app, &format!("/admin/people/{}/actions/resend_activation", target.id), &[]).await;
        assert_eq!(answer.status(), 409);
        assert!(answer.text().await.expect("html").contains("role=\"alert\""));
    }

    async fn an_administrator_disables_and_enables_an_account(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        post(&app, &format!("/admin/people/{}/actions/disable", target.id), &[]).await;
        assert!(row(&app, target.id).await.disabled);
        post(&app, &format!("/admin/people/{}/actions/enable", target.id), &[]).await;
        assert!(!row(&app, target.id).await.disabled);
    }

    async fn an_administrator_locks_an_account(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let answer = post(&app, &format!("/admin/people/{}/actions/lock", target.id), &[]).await;
        assert_eq!(location(&answer), format!("/admin/people/{}?done=lock", target.id));
        assert!(row(&app, target.id).await.admin_locked);
        assert_eq!(events(&app, "user.locked_by_admin").await, vec![format!("user:{}", admin.id)]);
    }

    async fn every_session_of_a_person_can_be_ended(app) {
        signed_in(&app, Staff::Helpdesk).await;
        let target = app.active_user().await;
        for _ in 0..2 {
            let other = app.new_browser();
            other.post(app.url("/test-support/sign-in")).form(&[("login", target.login.as_str())]).send().await.expect("sign in");
        }
        assert_eq!(store::sessions::open_for_user(app.state.store.conn(), target.id).await.expect("sessions").len(), 2);
        let answer = post(&app, &format!("/admin/people/{}/actions/end_sessions", target.id), &[]).await;
        assert_eq!(location(&answer), format!("/admin/people/{}?done=end_sessions", target.id));
        assert!(store::sessions::open_for_user(app.state.store.conn(), target.id).await.expect("sessions").is_empty());
    }

    async fn a_reset_forgets_the_password_and_mails_a_new_link(app) {
        signed_in(&app, Staff::Admin).await;
        let target = person_with(&app, Staff::Nobody).await;
        let answer = post(&app, &format!("/admin/people/{}/actions/reset", target.id), &[]).await;
        assert_eq!(answer.status(), 303);
        assert!(row(&app, target.id).await.password_hash.is_none());
        assert!(app.mail_to(&target, "Aktywuj", 1).await.link_containing("/activate?token=").is_some());
    }

    async fn one_session_of_a_person_can_be_ended(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let other = app.new_browser();
        other.post(app.url("/test-support/sign-in")).form(&[("login", target.login.as_str())]).send().await.expect("sign in");
        let (_, html, _) = page(&app, &format!("/admin/people/{}", target.id)).await;
        let session = html.split("end_session?session=").nth(1).and_then(|s| s.split('"').next()).expect("a session link").to_string();
        let (status, confirm, _) = page(&app, &format!("/admin/people/{}/actions/end_session?session={session}", target.id)).await;
        assert_eq!(status, 200);
        assert_eq!(hidden(&confirm, "session").as_deref(), Some(session.as_str()));
        let answer = post(&app, &format!("/admin/people/{}/actions/end_session", target.id), &[("session", &session)]).await;
        assert_eq!(answer.status(), 303);
        assert!(store::sessions::open_for_user(app.state.store.conn(), target.id).await.expect("sessions").is_empty());
    }

    async fn deleting_needs_the_persons_login_typed(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let path = format!("/admin/people/{}/actions/delete", target.id);
        let wrong = post(&app, &path, &[("confirm", "000000")]).await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.expect("html").contains("aria-invalid=\"true\""));
        assert!(row(&app, target.id).await.anonymized_at.is_none());
        let right = post(&app, &path, &[("confirm", &target.login)]).await;
        assert_eq!(location(&right), "/admin/people?done=delete");
        assert!(store::users::row(app.state.store.conn(), target.id).await.expect("row").is_none());
    }

    async fn an_edit_with_bad_fields_names_each_beside_it_and_changes_nothing(app) {
        signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let path = format!("/admin/people/{}/edit", target.id);
        let answer = post(&app, &path, &[("given_name", " "), ("family_name", "Nowak"), ("email", "not-an-address"), ("role", "boss"), ("organization", "x"), ("staff_role", "")]).await;
        assert_eq!(answer.status(), 422);
        let html = answer.text().await.expect("html");
        for field in ["given_name", "email", "role", "organization"] {
            assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}: {html}");
        }
        assert!(!html.contains("id=\"family_name-error\""));
        assert_eq!(row(&app, target.id).await.given_name, "Anna");
    }

    async fn an_administrator_edits_a_name_and_grants_the_help_desk_role(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let target = app.active_user().await;
        let (_, form, _) = page(&app, &format!("/admin/people/{}/edit", target.id)).await;
        assert!(form.contains("name=\"staff_role\""));
        let after = row(&app, target.id).await;
        let org = after.organization_id.map(|o| o.to_string()).unwrap_or_default();
        let answer = post(&app, &format!("/admin/people/{}/edit", target.id), &[("given_name", "Joanna"), ("family_name", "Nowak"), ("email", &target.email), ("role", "user"), ("organization", &org), ("staff_role", "idp-helpdesk")]).await;
        assert_eq!(location(&answer), format!("/admin/people/{}?done=edit", target.id));
        let after = row(&app, target.id).await;
        assert_eq!((after.given_name.as_str(), after.role.as_str(), after.idp_helpdesk, after.idp_admin), ("Joanna", "user", true, false));
        assert_eq!(events(&app, "user.updated").await.last(), Some(&format!("user:{}", admin.id)));
    }

    async fn the_organisations_are_listed_with_their_accounts(app) {
        signed_in(&app, Staff::Admin).await;
        app.active_user().await;
        let (status, html, _) = page(&app, "/admin/organizations?q=ACME").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"organization-list\"") && html.contains("ACME Sp. z o.o.") && html.contains("ACME-1"), "{html}");
    }

    async fn an_administrator_renames_an_organisation_and_changes_its_ekstranet_id(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let org = store::organizations::upsert_by_external_id(app.state.store.conn(), "ORG-9", "Stara Nazwa", app.clock.now()).await.expect("org");
        let (status, form, _) = page(&app, &format!("/admin/organizations/{org}")).await;
        assert_eq!(status, 200);
        assert!(form.contains("value=\"Stara Nazwa\""), "{form}");
        let answer = post(&app, &format!("/admin/organizations/{org}"), &[("name", "Nowa Nazwa"), ("external_id", "ORG-10")]).await;
        assert_eq!(location(&answer), "/admin/organizations?done=edit");
        let row = store::organizations::find(app.state.store.conn(), org).await.expect("find").expect("org");
        assert_eq!((row.name.as_str(), row.external_id.as_deref()), ("Nowa Nazwa", Some("ORG-10")));
        assert_eq!(events(&app, "organization.updated").await, vec![format!("user:{}", admin.id)]);
    }

    async fn an_organisation_edit_names_the_refused_field(app) {
        signed_in(&app, Staff::Admin).await;
        let now = app.clock.now();
        let org = store::organizations::upsert_by_external_id(app.state.store.conn(), "ORG-1", "Pierwsza", now).await.expect("org");
        store::organizations::upsert_by_external_id(app.state.store.conn(), "ORG-2", "Druga", now).await.expect("org");
        let empty = post(&app, &format!("/admin/organizations/{org}"), &[("name", " "), ("external_id", "ORG-1")]).await;
        assert_eq!(empty.status(), 422);
        assert!(empty.text().await.expect("html").contains("id=\"name-error\""));
        let taken = post(&app, &format!("/admin/organizations/{org}"), &[("name", "Pierwsza"), ("external_id", "ORG-2")]).await;
        assert_eq!(taken.status(), 422);
        assert!(taken.text().await.expect("html").contains("id=\"external_id-error\""));
        let row = store::organizations::find(app.state.store.conn(), org).await.expect("find").expect("org");
        assert_eq!((row.name.as_str(), row.external_id.as_deref()), ("Pierwsza", Some("ORG-1")));
    }

    async fn the_help_desk_is_refused_the_organisations(app) {
        let helpdesk = signed_in(&app, Staff::Helpdesk).await;
        let org = store::organizations::upsert_by_external_id(app.state.store.conn(), "ORG-3", "Trzecia", app.clock.now()).await.expect("org");
        assert_eq!(page(&app, "/admin/organizations").await.0, 403);
        let answer = post(&app, &format!("/admin/organizations/{org}"), &[("name", "Przejęta"), ("external_id", "")]).await;
        assert_eq!(answer.status(), 403);
        let row = store::organizations::find(app.state.store.conn(), org).await.expect("find").expect("org");
        assert_eq!(row.name, "Trzecia");
        assert_eq!(events(&app, "console.denied").await, vec![format!("user:{}", helpdesk.id); 2]);
    }

    async fn the_dashboard_shows_the_funnel_with_its_numbers_beside_the_charts(app) {
        signed_in(&app, Staff::Admin).await;
        app.imported_user().await;
        let (status, html, _) = page(&app, "/admin").await;
        assert_eq!(status, 200);
        assert!(html.contains("<svg") && html.contains("<title id=\"funnel-t\">") && html.contains("<desc id=\"activity-d\">"), "{html}");
        assert!(html.contains("id=\"organizations\"") && html.contains("ACME Sp. z o.o."), "{html}");
        let stats = kuke_id::flows::stats::migration(&app.state.store, &app.clock).await.expect("stats");
        assert!(html.contains(&format!("<th scope=\"row\">Zaimportowane</th><td>{}</td>", stats.overall.total)), "{html}");
        let (status, _, _) = page(&app, "/admin?sort=%3Cx%3E&dir=sideways").await;
        assert_eq!(status, 200);
    }

    async fn the_organisation_table_downloads_as_csv_without_formulas(app) {
        signed_in(&app, Staff::Admin).await;
        let evil = store::organizations::upsert_by_external_id(app.state.store.conn(), "EVIL", "=HYPERLINK(\"x\")", app.clock.now()).await.expect("org");
        let person = app.active_user().await;
        let edit = Edit { organization_id: Some(Some(evil)), ..Edit::default() };
        accounts::update(&app.state, &Actor::named("test"), person.id, edit).await.expect("move");
        let answer = app.get("/admin/dashboard.csv").await;
        assert_eq!(answer.status(), 200);
        assert!(answer.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
        let csv = answer.text().await.expect("csv");
        assert!(csv.starts_with("organization,total,imported,invited,link_expired,password_set,first_sign_in_done,terms_accepted\r\n"), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\",1,"), "{csv}");
    }
}

/// Percent-encodes a query value.
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
