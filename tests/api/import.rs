//! Importing Ekstranet accounts: idempotent, validated row by row, bad files refused whole.

use kuke_id::domain::audit::Actor;
use kuke_id::flows::import::{self, Format, ImportError, Report, RowOutcome};

use crate::support::TestApp;

const HEADER: &str = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\n";

async fn run(app: &TestApp, text: &str, dry_run: bool) -> Result<Report, ImportError> {
    import::import(&app.state.store, &app.clock, &Actor::named("test"), text.as_bytes(), Format::Csv, dry_run).await
}

fn csv(rows: &[&str]) -> String {
    let mut text = HEADER.to_string();
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

fn outcome(report: &Report, row: usize) -> RowOutcome {
    report.rows.get(row).expect("row in report").outcome
}

const ANNA: &str = "EX-1,anna@example.com,Anna,Nowak,ORG-1,ACME Sp. z o.o.,administrator";
const JAN: &str = "EX-2,jan@example.com,Jan,Kowalski,ORG-1,ACME Sp. z o.o.,user";

backend_tests! {
    async fn a_csv_creates_imported_accounts_with_unique_random_logins(app) {
        let report = run(&app, &csv(&[ANNA, JAN]), false).await.expect("import");
        assert_eq!((report.created, report.rejected), (2, 0));
        let conn = app.state.store.conn();
        let (anna, anna_login) = kuke_id::store::users::find_by_legacy_id(conn, "EX-1").await.expect("db").expect("anna");
        let (_, jan_login) = kuke_id::store::users::find_by_legacy_id(conn, "EX-2").await.expect("db").expect("jan");
        assert!(kuke_id::domain::login_number::is_well_formed(&anna_login));
        assert_ne!(anna_login, jan_login);
        let user = kuke_id::store::users::find(conn, anna).await.expect("db").expect("user");
        assert_eq!(user.status, kuke_id::domain::user::Status::Imported);
        assert_eq!(user.organization.map(|o| o.name).as_deref(), Some("ACME Sp. z o.o."));
    }

    async fn importing_the_same_file_twice_creates_nothing_new(app) {
        run(&app, &csv(&[ANNA, JAN]), false).await.expect("first");
        let second = run(&app, &csv(&[ANNA, JAN]), false).await.expect("second");
        assert_eq!((second.created, second.updated, second.unchanged), (0, 0, 2));
    }

    async fn a_changed_email_updates_an_account_not_yet_activated(app) {
        run(&app, &csv(&[ANNA]), false).await.expect("first");
        let report = run(&app, &csv(&["EX-1,anna.nowak@example.com,Anna,Nowak,ORG-1,ACME Sp. z o.o.,administrator"]), false).await.expect("second");
        assert_eq!(outcome(&report, 1), RowOutcome::Updated);
    }

    async fn an_activated_account_keeps_its_own_data(app) {
        run(&app, &csv(&[ANNA]), false).await.expect("first");
        let conn = app.state.store.conn();
        let (id, _) = kuke_id::store::users::find_by_legacy_id(conn, "EX-1").await.expect("db").expect("anna");
        kuke_id::store::users::set_status(conn, id, kuke_id::domain::user::Status::Active, app.clock.now()).await.expect("activate");
        let report = run(&app, &csv(&["EX-1,other@example.com,Anna,Nowak,ORG-1,ACME Sp. z o.o.,administrator"]), false).await.expect("second");
        assert_eq!(outcome(&report, 1), RowOutcome::Unchanged);
    }

    async fn a_dry_run_reports_but_writes_nothing(app) {
        let report = run(&app, &csv(&[ANNA, JAN]), true).await.expect("dry run");
        assert!(report.dry_run);
        assert_eq!(report.created, 2);
        let conn = app.state.store.conn();
        assert!(kuke_id::store::users::find_by_legacy_id(conn, "EX-1").await.expect("db").is_none());
        let real = run(&app, &csv(&[ANNA, JAN]), false).await.expect("real run");
        assert_eq!(real.created, 2, "the dry run's report was exact");
    }

    async fn bad_rows_are_rejected_with_their_reason(app) {
        let rows = [
            ANNA,
            "EX-1,other@example.com,A,B,ORG-1,ACME,user",
            "EX-3,anna@example.com,A,B,ORG-1,ACME,user",
            "EX-4,not-an-email,A,B,ORG-1,ACME,user",
            "EX-5,e5@example.com,A,B,ORG-1,ACME,owner",
            "EX-6,e6@example.com,,B,ORG-1,ACME,user",
            "EX-7,e7@example.com,A,B",
        ];
        let report = run(&app, &csv(&rows), false).await.expect("import");
        assert_eq!(report.created, 1);
        let reason = |row| match outcome(&report, row) {
            RowOutcome::Rejected(reason) => reason,
            other => panic!("row {row}: {other:?}"),
        };
        assert!(reason(2).contains("duplicate legacy_id"));
        assert!(reason(3).contains("duplicate e-mail"));
        assert!(reason(4).contains("invalid e-mail"));
        assert!(reason(5).contains("unknown role"));
        assert!(reason(6).contains("missing field: first_name"));
        assert!(reason(7).contains("number of fields"));
        for row in report.rows.iter() {
            assert_eq!(row.legacy_id.as_deref(), Some(format!("EX-{}", if row.row == 2 { 1 } else { row.row }).as_str()), "row {} names its legacy id", row.row);
        }
    }

    async fn a_rejected_json_row_names_its_legacy_id_and_outcomes_are_lower_case(app) {
        let json = r#"[{"legacy_id":"J-1","email":"j1@example.com","first_name":"Ewa","last_name":"Lis","organization_external_id":"O","organization_name":"Org","role":"user"},
                       {"legacy_id":"J-2","email":"j2@example.com","extra":1},
                       {"legacy_id":" ","email":"j3@example.com"}]"#;
        let report = import::import(&app.state.store, &app.clock, &Actor::named("test"), json.as_bytes(), Format::Json, false).await.expect("import");
        let ids: Vec<Option<String>> = report.rows.iter().map(|r| r.legacy_id).collect();
        assert_eq!(ids, [Some("J-1".to_string()), Some("J-2".to_string()), None], "a row without a legacy id names none");
        let labels: Vec<&str> = report.rows.iter().map(|r| r.outcome.label()).collect();
        assert_eq!(labels, ["created", "rejected", "rejected"]);
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["rows"][1]["legacy_id"], "J-2");
        assert_eq!(json["rows"][1]["outcome"], "rejected");
    }

    async fn an_address_of_another_account_in_the_database_is_rejected(app) {
        run(&app, &csv(&[ANNA]), false).await.expect("first");
        let report = run(&app, &csv(&["EX-9,anna@example.com,Anna,Inna,ORG-2,Other,user"]), false).await.expect("second");
        assert!(matches!(outcome(&report, 1), RowOutcome::Rejected(r) if r.contains("another account")));
    }

    async fn hostile_strings_are_stored_verbatim_or_refused(app) {
        let rows = [
            "EX-10,h1@example.com,\"Robert'); DROP TABLE users;--\",\"<script>alert(1)</script>\",ORG-9,\"Zażółć \"\"gęślą\"\" jaźń\",user",
            "EX-11,h2@example.com,\"A\u{7}B\",C,ORG-9,X,user",
        ];
        let report = run(&app, &csv(&rows), false).await.expect("import");
        assert_eq!(outcome(&report, 1), RowOutcome::Created);
        assert!(matches!(outcome(&report, 2), RowOutcome::Rejected(_)), "control characters");
        let conn = app.state.store.conn();
        let (id, _) = kuke_id::store::users::find_by_legacy_id(conn, "EX-10").await.expect("db").expect("row");
        let user = kuke_id::store::users::find(conn, id).await.expect("db").expect("user");
        assert_eq!(user.given_name, "Robert'); DROP TABLE users;--");
        assert_eq!(user.organization.map(|o| o.name).as_deref(), Some("Zażółć \"gęślą\" jaźń"));
    }

    async fn a_non_utf8_file_is_refused(app) {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"EX-1,a@example.com,Zo\xbf,B,ORG,ACME,user\n");
        let result = import::import(&app.state.store, &app.clock, &Actor::named("test"), bytes.as_slice(), Format::Csv, false).await;
        assert!(matches!(result, Err(ImportError::NotUtf8)), "{result:?}");
    }

    async fn an_unknown_column_is_refused_by_name(app) {
        let text = "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role,nickname\n";
        let result = run(&app, text, false).await;
        assert!(matches!(result, Err(ImportError::UnknownColumn(c)) if c == "nickname"));
    }

    async fn a_missing_column_is_refused(app) {
        let result = run(&app, "legacy_id,email\nEX-1,a@example.com\n", false).await;
        assert!(matches!(result, Err(ImportError::MissingColumns(_))));
    }

    async fn a_json_array_is_imported_too(app) {
        let json = r#"[{"legacy_id":"J-1","email":"j1@example.com","first_name":"Ewa","last_name":"Lis","organization_external_id":"O","organization_name":"Org","role":"user"},
                       {"legacy_id":"J-2","email":"j2@example.com","first_name":"Ewa","last_name":"Lis","organization_external_id":"O","organization_name":"Org","role":"user","extra":1}]"#;
        let report = import::import(&app.state.store, &app.clock, &Actor::named("test"), json.as_bytes(), Format::Json, false).await.expect("import");
        assert_eq!(outcome(&report, 1), RowOutcome::Created);
        assert!(matches!(outcome(&report, 2), RowOutcome::Rejected(_)), "unknown field");
        let bad = import::import(&app.state.store, &app.clock, &Actor::named("test"), b"{\"a\":1}".as_slice(), Format::Json, false).await;
        assert!(matches!(bad, Err(ImportError::Malformed(_))));
    }
    async fn an_account_inserted_in_bulk_is_stored_like_one_inserted_alone(app) {
        use kuke_id::store::entities::users;
        use sea_orm::EntityTrait;
        let conn = app.state.store.conn();
        let now = app.clock.now();
        let org = kuke_id::store::organizations::insert(conn, Some("ORG-B"), "Bulk", now).await.expect("org");
        let person = |n: u32| kuke_id::store::users::NewUser {
            legacy_id: Some(format!("EX-B{n}")),
            login: format!("{}", 700_000 + n),
            email: format!("b{n}@example.com"),
            given_name: "Zażółć".into(),
            family_name: "O'Brien".into(),
            organization_id: Some(org.id),
            role: kuke_id::domain::user::Role::Administrator,
        };
        let alone = kuke_id::store::users::insert(conn, &person(1), now).await.expect("insert");
        kuke_id::store::users::insert_many(conn, &[person(2), person(3)], now).await.expect("insert many");
        let rows = users::Entity::find().all(conn).await.expect("rows");
        assert_eq!(rows.len(), 3);
        let single = rows.iter().find(|r| r.id == alone).expect("alone").clone();
        for bulk in rows.iter().filter(|r| r.id != alone) {
            let n = bulk.legacy_id.as_deref().and_then(|id| id.strip_prefix("EX-B")).expect("legacy id");
            assert_eq!(bulk.login, format!("70000{n}"));
            assert_eq!(bulk.email, format!("b{n}@example.com"));
            let same = users::Model {
                id: bulk.id,
                legacy_id: bulk.legacy_id.clone(),
                login: bulk.login.clone(),
                email: bulk.email.clone(),
                ..single.clone()
            };
            assert_eq!(bulk, &same, "every other column as a single insert writes it");
        }
    }
}

#[test]
fn the_cli_import_dry_run_prints_a_summary() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("accounts.csv");
    std::fs::write(&file, csv(&[ANNA, JAN, "EX-3,bad,A,B,O,N,user"])).expect("write");
    let db = format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display());
    let keys = dir.path().join("keys").display().to_string();
    let env = [("KUKE_ID_DATABASE_URL", db.as_str()), ("KUKE_ID_KEYS_DIR", keys.as_str())];
    assert_eq!(crate::support::cli::run(dir.path(), &env, &["migrate"]).code, 0);
    let out = crate::support::cli::run(dir.path(), &env, &["import", file.to_str().expect("utf-8"), "--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("dry run, nothing written: created 2, updated 0, unchanged 0, rejected 1"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("row 3: rejected (EX-3): invalid e-mail address"), "{}", out.stdout);
    let verbose = crate::support::cli::run(
        dir.path(),
        &env,
        &["import", file.to_str().expect("utf-8"), "--dry-run", "--verbose"],
    );
    assert!(verbose.stdout.contains("row 1: created (EX-1)"), "lower case, like the JSON report: {}", verbose.stdout);
    assert!(!verbose.stdout.contains("Created"), "{}", verbose.stdout);
}
