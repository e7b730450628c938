//! The console's migration pages over HTTP: the import (upload, dry-run report
//! with the rejected rows first, apply of exactly the uploaded file), the
//! activation campaign (one organisation, a selection, re-inviting expired
//! links; its pace and progress), and what the help desk and a forged or stale
//! request get.

use std::time::Duration;

use kuke_id::store;
use kuke_id::store::entities::{console_uploads, mail_outbox, users};
use reqwest::Response;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::console::{Staff, events, location, page, person_with, post, signed_in, walk_sign_in};
use crate::support::TestApp;

const HEADER: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n";

/// A file of two good rows in `ORG-A`, one in `ORG-B`, and two refused rows
/// (rows 2 and 4: a bad address and an unknown role).
fn export() -> String {
    format!(
        "{HEADER}M-1,maria.a@example.com,Maria,Kowalska,ORG-A,Alfa Sp. z o.o.,user\n\
         M-2,not-an-address,Jan,Nowak,ORG-A,Alfa Sp. z o.o.,user\n\
         M-3,piotr.a@example.com,Piotr,Wiśniewski,ORG-A,Alfa Sp. z o.o.,administrator\n\
         M-4,ewa.b@example.com,Ewa,Lis,ORG-B,Beta S.A.,boss\n\
         M-5,olga.b@example.com,Olga,Mazur,ORG-B,Beta S.A.,user\n"
    )
}

/// Uploads `content` as the import form does (multipart), with `csrf` when given.
async fn upload_with(
    app: &TestApp,
    csrf: Option<&str>,
    file_name: &str,
    content_type: &str,
    content: &[u8],
) -> Response {
    let boundary = "----kukeidTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.http
        .post(app.url("/admin/import"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("upload")
}

/// Uploads `content` with the form's CSRF token.
async fn upload(app: &TestApp, file_name: &str, content: &str) -> Response {
    let (_, _, csrf) = page(app, "/admin/import").await;
    upload_with(app, Some(&csrf), file_name, "text/csv", content.as_bytes()).await
}

/// Uploads the export and answers the report's address.
async fn uploaded(app: &TestApp) -> String {
    let answer = upload(app, "eksport.csv", &export()).await;
    let report = location(&answer);
    assert!(report.starts_with("/admin/import/"), "{report}");
    report
}

async fn accounts(app: &TestApp) -> u64 {
    users::Entity::find().count(app.state.store.conn()).await.expect("count")
}

async fn uploads(app: &TestApp) -> u64 {
    console_uploads::Entity::find().count(app.state.store.conn()).await.expect("count")
}

/// Activation mails in the outbox to the people of the test's file, by
/// recipient (the fixtures' accounts, staff included, are `import-…@`).
async fn activation_mails(app: &TestApp) -> Vec<String> {
    let mut to: Vec<String> = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Kind.eq("activation"))
        .all(app.state.store.conn())
        .await
        .expect("outbox")
        .into_iter()
        .map(|m| m.recipient)
        .filter(|to| !to.starts_with("import-"))
        .collect();
    to.sort();
    to
}

/// Every activation mail in the outbox.
async fn all_activation_mails(app: &TestApp) -> u64 {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Kind.eq("activation"))
        .count(app.state.store.conn())
        .await
        .expect("outbox")
}

async fn organization(app: &TestApp, external_id: &str) -> Uuid {
    store::organizations::by_external_id(app.state.store.conn()).await.expect("organisations")[external_id]
}

/// Actors of `action` who are staff members (not the fixtures' API clients).
async fn staff_events(app: &TestApp, action: &str) -> Vec<String> {
    events(app, action).await.into_iter().filter(|actor| actor.starts_with("user:")).collect()
}

/// Uploads and applies the export (as the signed-in administrator).
async fn imported(app: &TestApp) {
    let report = uploaded(app).await;
    let applied = post(app, &format!("{report}/apply"), &[]).await;
    assert_eq!(location(&applied), format!("{report}?done=applied"));
}

backend_tests! {
    async fn the_import_form_uploads_a_file(app) {
        signed_in(&app, Staff::Admin).await;
        let (status, html, _) = page(&app, "/admin/import").await;
        assert_eq!(status, 200);
        assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("type=\"file\""), "{html}");
        assert!(html.contains("aria-current=\"page\">Import i kampania"), "the menu shows the section: {html}");
    }

    async fn an_upload_shows_the_dry_run_with_the_rejected_rows_first_and_saves_nothing(app) {
        signed_in(&app, Staff::Admin).await;
        let before = accounts(&app).await;
        let report = uploaded(&app).await;
        let (status, html, _) = page(&app, &report).await;
        assert_eq!(status, 200);
        let rejected = html.find("id=\"rejected\"").expect("the rejected rows");
        let counts = html.find("id=\"dry-run-counts\"").expect("the counts");
        assert!(rejected < counts, "the rejected rows come first");
        assert!(html.contains("<td class=\"n\">2</td><td>M-2</td><td><code>email</code></td><td>To nie jest poprawny adres e-mail.</td>"), "{html}");
        assert!(html.contains("<td class=\"n\">4</td><td>M-4</td><td><code>role</code></td><td>Nieznana rola „boss”"), "{html}");
        assert!(html.contains("<th scope=\"row\">Nowe konta</th><td>3</td>"), "{html}");
        assert!(html.contains("<th scope=\"row\">Odrzucone wiersze</th><td>2</td>"), "{html}");
        assert!(html.contains(&format!("action=\"{report}/apply\"")), "{html}");
        let (_, english, _) = page(&app, &format!("{report}?lang=en")).await;
        assert!(english.contains("This is not a valid e-mail address."), "reasons in the page's language: {english}");
        assert_eq!(accounts(&app).await, before, "a dry run saves no account");
        assert!(staff_events(&app, "import.applied").await.is_empty());
    }

    async fn applying_creates_the_accounts_once_audited_as_the_administrator(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        let before = accounts(&app).await;
        let report = uploaded(&app).await;
        let applied = post(&app, &format!("{report}/apply"), &[]).await;
        assert_eq!(location(&applied), format!("{report}?done=applied"));
        assert_eq!(accounts(&app).await, before + 3);
        assert_eq!(staff_events(&app, "import.applied").await, vec![format!("user:{}", admin.id)]);
        let (status, html, _) = page(&app, &format!("{report}?done=applied")).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"applied-counts\"") && html.contains("href=\"/admin/campaign\""), "{html}");
        assert!(!html.contains("/apply\""), "no second apply is offered: {html}");
        let again = post(&app, &format!("{report}/apply"), &[]).await;
        assert_eq!(location(&again), format!("{report}?done=already"));
        assert_eq!(staff_events(&app, "import.applied").await.len(), 1, "applied once");
        let kept = console_uploads::Entity::find().one(app.state.store.conn()).await.expect("upload").expect("kept");
        assert!(kept.content.is_empty(), "the file is let go once applied");
    }

    async fn an_apply_of_a_wrong_expired_or_foreign_upload_is_refused_clearly(app) {
        signed_in(&app, Staff::Admin).await;
        let other = person_with(&app, Staff::Admin).await;
        let before = accounts(&app).await;
        let report = uploaded(&app).await;
        for (path, status) in [(format!("/admin/import/{}/apply", Uuid::new_v4()), 404), ("/admin/import/not-an-id/apply".to_string(), 404)] {
            let answer = post(&app, &path, &[]).await;
            assert_eq!(answer.status(), status, "{path}");
            assert!(answer.text().await.expect("html").contains("id=\"upload-gone\""));
        }
        // Another administrator, in this browser after the first signed out.
        post(&app, "/admin/logout", &[]).await;
        assert_eq!(location(&walk_sign_in(&app, &other, 0).await), "/admin");
        let foreign = post(&app, &format!("{report}/apply"), &[]).await;
        assert_eq!(foreign.status(), 403);
        assert!(foreign.text().await.expect("html").contains("inna osoba albo inna sesja"));
        assert_eq!(page(&app, &report).await.0, 403, "nor is its report shown");
        // The other administrator's own upload, left for over an hour.
        let own = uploaded(&app).await;
        // Past the upload's hour, the console kept in use (its session idles out after one).
        for _ in 0..2 {
            app.clock.advance(Duration::from_secs(31 * 60));
            assert_eq!(page(&app, "/admin/import").await.0, 200);
        }
        let expired = post(&app, &format!("{own}/apply"), &[]).await;
        assert_eq!(expired.status(), 410);
        assert!(expired.text().await.expect("html").contains("wygasł"));
        assert_eq!(accounts(&app).await, before, "nothing applied");
        assert!(staff_events(&app, "import.applied").await.is_empty());
    }

    async fn a_retention_round_empties_an_expired_upload_and_later_forgets_it(app) {
        signed_in(&app, Staff::Admin).await;
        uploaded(&app).await;
        let size = |rows: Vec<console_uploads::Model>| rows.iter().map(|r| r.content.len()).sum::<usize>();
        let kept = console_uploads::Entity::find().all(app.state.store.conn()).await.expect("read");
        assert!(size(kept) > 0, "the file is kept for its apply");
        app.clock.advance(Duration::from_secs(61 * 60));
        kuke_id::flows::retention::run_once(&app.state).await.expect("retention");
        let emptied = console_uploads::Entity::find().all(app.state.store.conn()).await.expect("read");
        assert_eq!((emptied.len(), size(emptied)), (1, 0), "the row stays to say it expired; its file is gone");
        app.clock.advance(Duration::from_secs(25 * 3600));
        kuke_id::flows::retention::run_once(&app.state).await.expect("retention");
        assert_eq!(uploads(&app).await, 0);
    }

    async fn a_file_of_the_wrong_type_or_shape_gets_a_message_beside_the_field(app) {
        signed_in(&app, Staff::Admin).await;
        let (_, _, csrf) = page(&app, "/admin/import").await;
        let png = upload_with(&app, Some(&csrf), "zdjecie.png", "image/png", b"\x89PNG\r\n\x1a\n").await;
        assert_eq!(png.status(), 415);
        assert!(png.text().await.expect("html").contains("id=\"file-error\""));
        let columns = upload(&app, "eksport.csv", "legacy_id,mail\nM-1,a@example.com\n").await;
        assert_eq!(columns.status(), 422);
        let html = columns.text().await.expect("html");
        assert!(html.contains("id=\"file-error\"") && html.contains("nieznaną kolumnę: mail"), "{html}");
        let empty = upload_with(&app, Some(&csrf), "", "application/octet-stream", b"").await;
        assert_eq!(empty.status(), 422);
        assert_eq!(uploads(&app).await, 0, "nothing kept");
    }

    async fn a_form_without_its_csrf_token_changes_nothing(app) {
        signed_in(&app, Staff::Admin).await;
        let before = accounts(&app).await;
        let refused = upload_with(&app, None, "eksport.csv", "text/csv", export().as_bytes()).await;
        assert_eq!(refused.status(), 403);
        let forged = upload_with(&app, Some("forged"), "eksport.csv", "text/csv", export().as_bytes()).await;
        assert_eq!(forged.status(), 403);
        assert_eq!(uploads(&app).await, 0);
        let report = uploaded(&app).await;
        let apply = app.http.post(app.url(&format!("{report}/apply"))).form(&[("x", "1")]).send().await.expect("post");
        assert_eq!(apply.status(), 403);
        assert_eq!(accounts(&app).await, before);
        app.imported_user().await;
        let mails = all_activation_mails(&app).await;
        let start = app.http.post(app.url("/admin/campaign/start")).form(&[("csrf", "forged"), ("scope", "everyone")]).send().await.expect("post");
        assert_eq!(start.status(), 403);
        assert_eq!(all_activation_mails(&app).await, mails);
    }

    async fn opening_the_pages_and_confirming_changes_nothing(app) {
        signed_in(&app, Staff::Admin).await;
        imported(&app).await;
        let before = (accounts(&app).await, uploads(&app).await);
        for path in ["/admin/import", "/admin/campaign", "/admin/campaign/progress", "/admin/campaign/progress?auto=1"] {
            assert_eq!(page(&app, path).await.0, 200, "{path}");
        }
        let confirm = post(&app, "/admin/campaign/confirm", &[("scope", "everyone")]).await;
        assert_eq!(confirm.status(), 200);
        let html = confirm.text().await.expect("html");
        assert!(html.contains("id=\"will-mail\">Liczba osób, do których wyślemy link aktywacyjny: 3"), "{html}");
        assert!(activation_mails(&app).await.is_empty(), "a confirmation sends nothing");
        assert_eq!((accounts(&app).await, uploads(&app).await), before);
        for (path, status) in [("/admin/campaign", 405), ("/admin/campaign/start", 405), ("/admin/campaign/confirm", 405)] {
            let answer = app.http.put(app.url(path)).send().await.expect("put");
            assert_eq!(answer.status(), status, "{path}");
        }
        assert_eq!(app.get("/admin/campaign/start").await.status(), 405, "starting is a POST");
    }

    async fn a_campaign_for_one_organisation_mails_exactly_its_people(app) {
        let admin = signed_in(&app, Staff::Admin).await;
        imported(&app).await;
        let org = organization(&app, "ORG-A").await.to_string();
        let (status, form, _) = page(&app, "/admin/campaign").await;
        assert_eq!(status, 200);
        assert!(form.contains(&format!("<option value=\"{org}\">Alfa Sp. z o.o.</option>")), "{form}");
        let confirm = post(&app, "/admin/campaign/confirm", &[("scope", "organization"), ("organization", &org)]).await;
        let html = confirm.text().await.expect("html");
        assert!(html.contains("wyślemy link aktywacyjny: 2<") && html.contains("Alfa Sp. z o.o."), "{html}");
        let started = post(&app, "/admin/campaign/start", &[("scope", "organization"), ("organization", &org), ("people", "")]).await;
        assert_eq!(location(&started), "/admin/campaign/progress?queued=2");
        assert_eq!(activation_mails(&app).await, ["maria.a@example.com", "piotr.a@example.com"]);
        let invited = staff_events(&app, "user.invited").await;
        assert_eq!(invited, vec![format!("user:{}", admin.id); 2]);
        app.mailbox.wait_until(|mails| mails.iter().any(|m| m.rcpt_to.iter().any(|to| to == "maria.a@example.com")).then_some(())).await;
    }

    async fn a_campaign_for_a_list_mails_only_the_people_listed(app) {
        signed_in(&app, Staff::Admin).await;
        imported(&app).await;
        let olga = store::users::find_by_email(app.state.store.conn(), "olga.b@example.com").await.expect("find").expect("olga");
        let unknown = post(&app, "/admin/campaign/confirm", &[("scope", "selection"), ("people", "nikt@example.com\n0000000")]).await;
        assert_eq!(unknown.status(), 422);
        let html = unknown.text().await.expect("html");
        assert!(html.contains("id=\"people-error\"") && html.contains("nikt@example.com, 0000000"), "{html}");
        let list = format!("{}\nMaria.A@example.com", olga.login);
        let confirm = post(&app, "/admin/campaign/confirm", &[("scope", "selection"), ("people", &list)]).await;
        assert!(confirm.text().await.expect("html").contains("wyślemy link aktywacyjny: 2<"));
        let started = post(&app, "/admin/campaign/start", &[("scope", "selection"), ("people", &list)]).await;
        assert_eq!(location(&started), "/admin/campaign/progress?queued=2");
        assert_eq!(activation_mails(&app).await, ["maria.a@example.com", "olga.b@example.com"]);
        let empty = post(&app, "/admin/campaign/start", &[("scope", "selection"), ("people", " ")]).await;
        assert_eq!(empty.status(), 422);
        assert_eq!(activation_mails(&app).await.len(), 2);
    }

    async fn re_inviting_mails_only_the_people_whose_link_expired(app) {
        let expired = app.imported_user().await;
        app.activation_link(&expired, 0).await;
        let never_invited = app.imported_user().await;
        app.clock.advance(Duration::from_secs(73 * 3600));
        signed_in(&app, Staff::Admin).await;
        let (_, html, _) = page(&app, "/admin/campaign").await;
        assert!(html.contains("id=\"expired-count\">Osoby, którym wygasł nieużyty link aktywacyjny: 1<"), "{html}");
        let confirm = post(&app, "/admin/campaign/confirm", &[("scope", "expired")]).await;
        assert!(confirm.text().await.expect("html").contains("wyślemy link aktywacyjny: 1<"));
        let mails = all_activation_mails(&app).await;
        let started = post(&app, "/admin/campaign/start", &[("scope", "expired")]).await;
        assert_eq!(location(&started), "/admin/campaign/progress?queued=1");
        let link = app.mail_to(&expired, "Aktywuj", 1).await.link_containing("/activate?token=");
        assert!(link.is_some(), "a new link");
        let still = store::users::row(app.state.store.conn(), never_invited.id).await.expect("row").expect("row");
        assert_eq!(still.status, "imported", "never-invited people are not re-invited");
        assert_eq!(all_activation_mails(&app).await, mails + 1, "one new link");
    }

    async fn the_help_desk_is_refused_every_migration_page_and_action_with_an_audit_event(app) {
        let helpdesk = signed_in(&app, Staff::Helpdesk).await;
        app.imported_user().await;
        let before = accounts(&app).await;
        let mails = all_activation_mails(&app).await;
        let upload_id = Uuid::new_v4();
        for path in ["/admin/import".to_string(), format!("/admin/import/{upload_id}"), "/admin/campaign".to_string(), "/admin/campaign/progress".to_string()] {
            let (status, html, _) = page(&app, &path).await;
            assert_eq!(status, 403, "{path}");
            assert!(html.contains("Brak uprawnień"), "{html}");
        }
        let (_, _, csrf) = page(&app, "/admin/people").await;
        let refused = upload_with(&app, Some(&csrf), "eksport.csv", "text/csv", export().as_bytes()).await;
        assert_eq!(refused.status(), 403);
        for (path, fields) in [
            (format!("/admin/import/{upload_id}/apply"), vec![]),
            ("/admin/campaign/confirm".to_string(), vec![("scope", "everyone")]),
            ("/admin/campaign/start".to_string(), vec![("scope", "everyone")]),
        ] {
            assert_eq!(app.submit(&path, &csrf, &fields).await.status(), 403, "{path}");
        }
        assert_eq!(accounts(&app).await, before);
        assert_eq!(uploads(&app).await, 0);
        assert_eq!(all_activation_mails(&app).await, mails);
        let denied = events(&app, "console.denied").await;
        assert_eq!(denied, vec![format!("user:{}", helpdesk.id); 8]);
        let (_, people, _) = page(&app, "/admin/people").await;
        assert!(!people.contains("href=\"/admin/import\""), "the menu does not offer the import: {people}");
    }
}

backend_tests! {
    settings = "import_body_limit_bytes = 2048\ncampaign_mails_per_minute = 2";

    async fn an_upload_over_the_import_limit_gets_a_message(app) {
        signed_in(&app, Staff::Admin).await;
        let mut large = HEADER.to_string();
        for i in 0..60 {
            large.push_str(&format!("X-{i},x{i}@example.com,Jan,Nowak,ORG-X,Iks,user\n"));
        }
        assert!(large.len() > 2048);
        let answer = upload(&app, "duzy.csv", &large).await;
        assert_eq!(answer.status(), 422);
        let html = answer.text().await.expect("html");
        assert!(html.contains("id=\"file-error\"") && html.contains("Plik jest za duży"), "{html}");
        assert_eq!(uploads(&app).await, 0);
        let small = upload(&app, "maly.csv", &format!("{HEADER}S-1,s1@example.com,Jan,Nowak,ORG-X,Iks,user\n")).await;
        assert!(location(&small).starts_with("/admin/import/"), "a file within the limit is read");
    }

    async fn the_progress_page_shows_the_pace_the_mails_and_the_expected_end(app) {
        signed_in(&app, Staff::Admin).await;
        for _ in 0..3 {
            app.imported_user().await;
        }
        let confirm = post(&app, "/admin/campaign/confirm", &[("scope", "everyone")]).await;
        assert!(confirm.text().await.expect("html").contains("Tempo: 2 wiadomości na minutę – wysyłka potrwa około 2 min."));
        let started = post(&app, "/admin/campaign/start", &[("scope", "everyone")]).await;
        assert_eq!(location(&started), "/admin/campaign/progress?queued=3");
        let (status, html, _) = page(&app, "/admin/campaign/progress?queued=3").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"started\"") && html.contains("2 wiadomości na minutę"), "{html}");
        assert!(html.contains("<th scope=\"row\">Przewidywany koniec</th><td>"), "{html}");
        assert!(html.contains("href=\"/admin/campaign/progress?auto=1\""), "{html}");
        let auto = app.get("/admin/campaign/progress?auto=1").await;
        assert_eq!(auto.headers()["refresh"], "30", "reloads itself only when asked");
        assert!(app.get("/admin/campaign/progress").await.headers().get("refresh").is_none());
    }
}
