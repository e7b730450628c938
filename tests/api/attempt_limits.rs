//! Attempt limits under parallel attack: every limited attempt takes its slot in
//! the database before it is verified, so a burst of simultaneous requests verifies
//! no more guesses than the budget had left. What happened is counted from the
//! database and the SMTP sink, not from the answers alone.

use std::time::Duration;

use kuke_id::store::entities::{activation_tokens, audit_events, login_transactions, mail_outbox, sessions, users};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::fixtures::TestUser;
use crate::support::journey::{GOOD_PASSWORD, hidden};
use crate::support::{TestApp, poll};

const WRONG_PASSWORD: &str = "Wrong#Pass1";

/// Settings of these tests: client addresses from `X-Forwarded-For` (so a burst can
/// come from many addresses), and an address budget that does not get in the way
/// unless a test lowers it.
const MANY_ADDRESSES: &str = "trust_forwarded_for = true\naddress_failures_limit = 10000\n";

/// The `n`-th client address of a burst, on loopback.
fn address(n: usize) -> String {
    format!("127.{}.{}.{}", 1 + n / 65_536 % 250, n / 256 % 256, n % 256)
}

/// Runs the requests at the same time, each on its own task, and returns their statuses.
async fn burst<F>(requests: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.expect("request task"));
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// Mails of `kind` written to the outbox for `user`.
async fn outbox(app: &TestApp, user: &TestUser, kind: &str) -> u64 {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::UserId.eq(user.id))
        .filter(mail_outbox::Column::Kind.eq(kind))
        .count(app.state.store.conn())
        .await
        .expect("outbox count")
}

/// Waits until the delivery worker has handed every queued mail to the SMTP sink,
/// then returns the subjects of the mails `user` received.
async fn delivered_to(app: &TestApp, user: &TestUser) -> Vec<String> {
    poll::until("every queued mail delivered", || async {
        let pending = mail_outbox::Entity::find()
            .filter(mail_outbox::Column::SentAt.is_null())
            .filter(mail_outbox::Column::FailedAt.is_null())
            .count(app.state.store.conn())
            .await
            .expect("pending mail");
        (pending == 0).then_some(())
    })
    .await;
    let to = TestApp::email_of(user);
    let mails = app.mailbox.mails().await;
    mails
        .iter()
        .filter(|m| m.rcpt_to.contains(&to))
        .filter_map(|m| m.header("Subject"))
        .map(|s| crate::support::journey::decode_subject(&s))
        .collect()
}

fn subjects_containing(subjects: &[String], needle: &str) -> usize {
    subjects.iter().filter(|s| s.contains(needle)).count()
}

async fn user_row(app: &TestApp, user: &TestUser) -> users::Model {
    users::Entity::find_by_id(user.id).one(app.state.store.conn()).await.expect("query").expect("user row")
}

async fn sign_ins_opened(app: &TestApp, user: &TestUser) -> u64 {
    login_transactions::Entity::find()
        .filter(login_transactions::Column::UserId.eq(user.id))
        .count(app.state.store.conn())
        .await
        .expect("count")
}

async fn sessions_of(app: &TestApp, user: &TestUser) -> u64 {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id))
        .count(app.state.store.conn())
        .await
        .expect("count")
}

/// POSTs the sign-in form from client address `from`, with the CSRF pair of `app.http`.
fn sign_in_from(
    app: &TestApp,
    csrf: &str,
    login: &str,
    password: &str,
    from: String,
) -> impl std::future::Future<Output = u16> + Send + 'static {
    let request = app.http.post(app.url("/login")).header("x-forwarded-for", from).form(&[
        ("csrf", csrf),
        ("login", login),
        ("password", password),
    ]);
    async move { request.send().await.expect("POST /login").status().as_u16() }
}

backend_tests! {
    settings = MANY_ADDRESSES;

    async fn with_one_attempt_left_two_hundred_parallel_sign_ins_mail_at_most_one_code_and_lock_the_account(app) {
        let user = app.activated_user().await;
        let (_, _, csrf) = app.page("/login").await;
        for n in 0..4 {
            assert_eq!(sign_in_from(&app, &csrf, &user.login, WRONG_PASSWORD, address(n)).await, 401);
        }
        assert_eq!(user_row(&app, &user).await.failed_attempts, 4, "one attempt left");

        // 200 at once from 200 addresses; every tenth carries the right password.
        let requests = (0..200).map(|n| {
            let password = if n % 10 == 0 { GOOD_PASSWORD } else { WRONG_PASSWORD };
            sign_in_from(&app, &csrf, &user.login, password, address(1000 + n))
        });
        let statuses = burst(requests).await;

        assert!(count(&statuses, 303) <= 1, "at most one right password is honoured: {statuses:?}");
        assert_eq!(count(&statuses, 303) + count(&statuses, 401), 200, "{statuses:?}");
        assert!(sign_ins_opened(&app, &user).await <= 1, "at most one sign-in was opened");
        assert!(outbox(&app, &user, "one_time_code").await <= 1, "at most one code was queued");
        let row = user_row(&app, &user).await;
        assert!(row.locked_until.is_some_and(|until| until > app.clock.now()), "the account ends locked");
        assert_eq!(row.lockouts, 1, "locked once");
        assert_eq!(outbox(&app, &user, "account_locked").await, 1, "the owner is told once");
        let subjects = delivered_to(&app, &user).await;
        assert!(subjects_containing(&subjects, "Kod weryfikacyjny") <= 1, "{subjects:?}");
        assert_eq!(subjects_containing(&subjects, "zablokowane"), 1, "{subjects:?}");
    }

    async fn with_one_code_attempt_left_a_hundred_parallel_code_submissions_accept_at_most_one(app) {
        let user = app.activated_user().await;
        let started = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        assert_eq!(started.status(), 303);
        let code = app.code_of(&user, 0).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..4 {
            assert_eq!(app.submit_code(wrong).await.status(), 400);
        }
        // Four wrong codes count against the account too: one more failure locks it.
        let (_, _, csrf) = app.page("/login/code").await;

        let requests = (0..100).map(|n| {
            let typed = if n % 10 == 0 { code.as_str() } else { wrong };
            let request = app.http.post(app.url("/login/code")).form(&[("csrf", csrf.as_str()), ("code", typed)]);
            async move { request.send().await.expect("POST /login/code").status().as_u16() }
        });
        let statuses = burst(requests).await;

        let sessions = sessions_of(&app, &user).await;
        assert!(sessions <= 1, "at most one code is accepted: {sessions} sessions, {statuses:?}");
        let transaction = login_transactions::Entity::find()
            .filter(login_transactions::Column::UserId.eq(user.id))
            .one(app.state.store.conn())
            .await
            .expect("query")
            .expect("the sign-in");
        assert_eq!(transaction.code_attempts, 5, "no attempt beyond the fifth was counted or compared");
        assert!(transaction.ended_at.is_some(), "the sign-in is over either way");
        let row = user_row(&app, &user).await;
        if sessions == 0 {
            assert!(row.locked_until.is_some(), "a fifth wrong code locked the account");
        }
        assert!(row.failed_attempts + 5 * row.lockouts <= 5, "at most one more failure was verified");
    }

}

backend_tests! {
    async fn fifty_parallel_resends_mail_one_more_code(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        app.code_of(&user, 0).await;
        app.clock.advance(Duration::from_secs(31));
        let (_, _, csrf) = app.page("/login/code").await;

        let requests = (0..50).map(|_| {
            let request = app.http.post(app.url("/login/code/resend")).form(&[("csrf", csrf.as_str())]);
            async move { request.send().await.expect("POST resend").status().as_u16() }
        });
        let statuses = burst(requests).await;

        assert_eq!(count(&statuses, 200), 1, "one resend goes through: {statuses:?}");
        assert_eq!(count(&statuses, 429), 49, "the others are told to wait: {statuses:?}");
        let transaction = login_transactions::Entity::find()
            .filter(login_transactions::Column::UserId.eq(user.id))
            .one(app.state.store.conn())
            .await
            .expect("query")
            .expect("the sign-in");
        assert_eq!(transaction.codes_sent, 2);
        assert_eq!(outbox(&app, &user, "one_time_code").await, 2);
        let subjects = delivered_to(&app, &user).await;
        assert_eq!(subjects_containing(&subjects, "Kod weryfikacyjny"), 2, "{subjects:?}");
    }

    async fn a_disabled_account_is_refused_with_its_right_password_and_takes_no_attempt(app) {
        let user = app.activated_user().await;
        users::Entity::update_many()
            .col_expr(users::Column::Disabled, sea_orm::sea_query::Expr::value(true))
            .filter(users::Column::Id.eq(user.id))
            .exec(app.state.store.conn())
            .await
            .expect("disable");

        let answer = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;

        assert_eq!(answer.status(), 401, "the same answer as a wrong password");
        assert_eq!(user_row(&app, &user).await.failed_attempts, 0, "no slot was taken");
        assert_eq!(sign_ins_opened(&app, &user).await, 0);
        assert_eq!(outbox(&app, &user, "one_time_code").await, 0);
    }

    async fn a_right_password_gives_its_attempt_back_and_opens_one_sign_in(app) {
        let user = app.activated_user().await;

        let answer = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;

        assert_eq!(answer.status(), 303);
        assert_eq!(user_row(&app, &user).await.failed_attempts, 0, "the slot was given back");
        assert_eq!(sign_ins_opened(&app, &user).await, 1);
        assert_eq!(outbox(&app, &user, "one_time_code").await, 1);
    }

    async fn a_lock_reaches_the_code_step_of_a_sign_in_already_in_progress(app) {
        let user = app.activated_user().await;
        app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;
        let code = app.code_of(&user, 0).await;
        let (_, _, code_csrf) = app.page("/login/code").await;
        let attacker = TestApp::new_browser(&app);
        let page = attacker.get(app.url("/login")).send().await.expect("GET").text().await.expect("html");
        let csrf = hidden(&page, "csrf").expect("csrf");
        for _ in 0..5 {
            let form = [("csrf", csrf.as_str()), ("login", user.login.as_str()), ("password", WRONG_PASSWORD)];
            attacker.post(app.url("/login")).form(&form).send().await.expect("POST");
        }

        let answer = app.submit("/login/code", &code_csrf, &[("code", code.as_str())]).await;

        assert_eq!(answer.status(), 303, "sent back to the start");
        assert_eq!(sessions_of(&app, &user).await, 0, "the right code no longer signs in while locked");
    }
}

backend_tests! {
    settings = MANY_ADDRESSES;

    async fn fifty_parallel_uses_of_one_activation_link_set_exactly_one_password(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        let (_, html, csrf) = app.page(&link).await;
        let token = hidden(&html, "token").expect("token field");

        let requests = (0..50).map(|n| {
            let password = format!("{GOOD_PASSWORD}{n}");
            let request = app.http.post(app.url("/activate")).form(&[
                ("csrf", csrf.as_str()),
                ("token", token.as_str()),
                ("password", password.as_str()),
                ("password_repeat", password.as_str()),
            ]);
            async move { request.send().await.expect("POST /activate").status().as_u16() }
        });
        let statuses = burst(requests).await;

        assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
        assert_eq!(count(&statuses, 410), 49, "the others learn the link was used: {statuses:?}");
        let conn = app.state.store.conn();
        let set = audit_events::Entity::find()
            .filter(audit_events::Column::SubjectUserId.eq(user.id))
            .filter(audit_events::Column::Action.eq("user.password_set"))
            .count(conn)
            .await
            .expect("count");
        assert_eq!(set, 1, "one password was stored");
        let spent = activation_tokens::Entity::find()
            .filter(activation_tokens::Column::UserId.eq(user.id))
            .filter(activation_tokens::Column::UsedAt.is_not_null())
            .count(conn)
            .await
            .expect("count");
        assert_eq!(spent, 1);
        assert_eq!(outbox(&app, &user, "login_number").await, 1);
        let subjects = delivered_to(&app, &user).await;
        assert_eq!(subjects_containing(&subjects, "login"), 1, "one login mail: {subjects:?}");
    }

}

backend_tests! {
    settings = "address_failures_limit = 20";

    async fn the_address_budget_holds_under_parallel_sign_ins_from_one_address(app) {
        let (_, _, csrf) = app.page("/login").await;

        let requests = (0..100).map(|n| {
            let login = format!("{:06}", 100_000 + n);
            let request = app.http.post(app.url("/login")).form(&[
                ("csrf", csrf.as_str()),
                ("login", login.as_str()),
                ("password", WRONG_PASSWORD),
            ]);
            async move { request.send().await.expect("POST /login").status().as_u16() }
        });
        let statuses = burst(requests).await;

        assert_eq!(count(&statuses, 401), 20, "exactly the budget was checked: {statuses:?}");
        assert_eq!(count(&statuses, 429), 80, "{statuses:?}");
    }

}

backend_tests! {
    settings = "lockout_threshold = 3\nlockout_secs = 2";

    async fn a_short_configured_lock_ends_by_itself_and_the_next_one_is_twice_as_long(app) {
        let user = app.activated_user().await;
        for _ in 0..3 {
            assert_eq!(app.sign_in_form(&user.login, WRONG_PASSWORD, None).await.status(), 401);
        }
        let first = user_row(&app, &user).await.locked_until.expect("locked after three failures");
        assert!((1..=2).contains(&(first - app.clock.now()).whole_seconds()), "the first lock lasts 2 s");
        app.clock.advance(Duration::from_secs(3));
        for _ in 0..3 {
            app.sign_in_form(&user.login, WRONG_PASSWORD, None).await;
        }
        let second = user_row(&app, &user).await.locked_until.expect("locked again");
        assert!((3..=4).contains(&(second - app.clock.now()).whole_seconds()), "the second lock lasts 4 s");
        app.clock.advance(Duration::from_secs(5));

        let after = app.sign_in_form(&user.login, GOOD_PASSWORD, None).await;

        assert_eq!(after.headers()["location"], "/login/code", "the lock ended by itself");
    }
}

/// GET `link` from client address `from`; returns the status and the page.
async fn open_link_from(app: &TestApp, link: &str, from: &str) -> (u16, String) {
    let response = app.http.get(app.url(link)).header("x-forwarded-for", from).send().await.expect("GET link");
    (response.status().as_u16(), response.text().await.expect("page"))
}

fn random_link() -> String {
    format!("/activate?token={}", kuke_id::tokens::opaque::random_token())
}

backend_tests! {
    settings = "trust_forwarded_for = true\naddress_failures_limit = 5";

    async fn guessed_links_are_throttled_per_address_and_then_every_link_gets_the_same_neutral_page(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        for _ in 0..5 {
            assert_eq!(open_link_from(&app, &random_link(), "127.0.0.2").await.0, 410);
        }

        let (guess, guess_page) = open_link_from(&app, &random_link(), "127.0.0.2").await;
        let (valid, valid_page) = open_link_from(&app, &link, "127.0.0.2").await;

        assert_eq!((guess, valid), (429, 429), "over the budget, a valid link looks like any other");
        for page in [guess_page, valid_page] {
            assert!(page.contains("Z Twojej sieci sprawdzono zbyt wiele linków"), "one neutral message");
            assert!(hidden(&page, "token").is_none(), "no password form");
        }
    }

    async fn a_neighbours_link_guessing_does_not_block_a_valid_link_from_another_address(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        for _ in 0..10 {
            open_link_from(&app, &random_link(), "127.0.0.2").await;
        }

        let (status, page) = open_link_from(&app, &link, "127.0.0.3").await;

        assert_eq!(status, 200);
        assert!(hidden(&page, "token").is_some(), "the password form is shown");
    }

    async fn a_throttled_address_may_use_links_again_when_its_window_ends(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;
        for _ in 0..6 {
            open_link_from(&app, &random_link(), "127.0.0.2").await;
        }
        assert_eq!(open_link_from(&app, &link, "127.0.0.2").await.0, 429);

        app.clock.advance(Duration::from_secs(301));

        assert_eq!(open_link_from(&app, &link, "127.0.0.2").await.0, 200);
    }

}

backend_tests! {
    settings = "trust_forwarded_for = true\naddress_failures_limit = 2";

    async fn opening_a_valid_link_does_not_use_up_the_address_budget(app) {
        let user = app.imported_user().await;
        let link = app.activation_link(&user, 0).await;

        for _ in 0..5 {
            assert_eq!(open_link_from(&app, &link, "127.0.0.2").await.0, 200, "an office opening its links");
        }
    }
}

backend_tests! {
    settings = "trusted_proxies = \"127.0.0.0/8\"\naddress_failures_limit = 3";

    async fn rotating_the_client_written_part_of_x_forwarded_for_does_not_escape_the_address_budget(app) {
        let (_, _, csrf) = app.page("/login").await;
        let mut statuses = Vec::new();
        for n in 0..6 {
            // What a proxy forwards: the client's own claim, then the address it saw.
            let header = format!("6.6.6.{n}, 203.0.113.5");
            statuses.push(sign_in_from(&app, &csrf, "123456", WRONG_PASSWORD, header).await);
        }

        assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    }

    async fn the_address_recorded_for_a_session_is_the_one_the_proxy_saw(app) {
        let user = app.activated_user().await;
        let (_, _, csrf) = app.page("/login").await;
        let started = sign_in_from(&app, &csrf, &user.login, GOOD_PASSWORD, "6.6.6.6, 203.0.113.5".into()).await;
        assert_eq!(started, 303);
        let code = app.code_of(&user, 0).await;
        let (_, _, csrf) = app.page("/login/code").await;
        let request = app.http.post(app.url("/login/code")).header("x-forwarded-for", "7.7.7.7, 203.0.113.5");
        request.form(&[("csrf", csrf.as_str()), ("code", code.as_str())]).send().await.expect("POST");

        let session = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.id))
            .one(app.state.store.conn())
            .await
            .expect("query")
            .expect("a session");
        assert_eq!(session.ip.as_deref(), Some("203.0.113.5"));
    }

    async fn a_forwarded_value_that_is_not_an_address_is_never_recorded(app) {
        let (_, _, csrf) = app.page("/login").await;
        let junk = "x".repeat(10_000);
        for _ in 0..4 {
            sign_in_from(&app, &csrf, "123456", WRONG_PASSWORD, junk.clone()).await;
        }
        let buckets = kuke_id::store::entities::rate_limits::Entity::find().all(app.state.store.conn()).await.expect("query");
        assert!(buckets.iter().all(|b| b.bucket.len() < 100), "no attacker-chosen text of any length is stored");
        assert!(buckets.iter().any(|b| b.bucket == "signin:ip:127.0.0.1"), "the proxy's own address is used");
    }
}
