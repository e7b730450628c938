//! `kuke-id users`: account administration from the command line, on the database.

use crate::support::cli::{Run, run};

struct Operator {
    dir: tempfile::TempDir,
    db: String,
    keys: String,
}

impl Operator {
    /// A database with two imported accounts of organisation O1.
    fn with_import() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let db = format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display());
        let keys = dir.path().join("keys").display().to_string();
        let operator = Self { dir, db, keys };
        let migrated = operator.run(&["migrate"]);
        assert_eq!(migrated.code, 0, "only migrate creates the database: {}", migrated.stderr);
        let file = operator.dir.path().join("a.csv");
        std::fs::write(&file, "legacy_id,email,first_name,last_name,organization_external_id,organization_name,role\nE1,e1@example.com,Anna,Nowak,O1,ACME,administrator\nE2,e2@example.com,Jan,Lis,O1,ACME,user\n").expect("write");
        let imported = operator.run(&["import", file.to_str().expect("utf-8")]);
        assert_eq!(imported.code, 0, "{}", imported.stderr);
        operator
    }

    fn run(&self, args: &[&str]) -> Run {
        let env = [("KUKE_ID_DATABASE_URL", self.db.as_str()), ("KUKE_ID_KEYS_DIR", self.keys.as_str())];
        run(self.dir.path(), &env, args)
    }

    fn show(&self, account: &str) -> serde_json::Value {
        let out = self.run(&["users", "show", account]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).expect("json")
    }
}

#[test]
fn users_are_listed_and_shown_by_e_mail_or_login() {
    let operator = Operator::with_import();
    let out = operator.run(&["users", "list", "--organization", "O1", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(list["total"], 2);
    let anna = operator.show("e1@example.com");
    assert_eq!(anna["given_name"], "Anna");
    let login = anna["login"].as_str().expect("login");
    assert_eq!(operator.show(login)["id"], anna["id"]);
}

#[test]
fn lock_disable_and_admin_role_are_set_from_the_command_line() {
    let operator = Operator::with_import();
    for args in [
        ["users", "lock", "e1@example.com"],
        ["users", "disable", "e1@example.com"],
        ["users", "grant-admin", "e1@example.com"],
    ] {
        let out = operator.run(&args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
    let anna = operator.show("e1@example.com");
    assert_eq!(
        (anna["admin_locked"].as_bool(), anna["disabled"].as_bool(), anna["idp_admin"].as_bool()),
        (Some(true), Some(true), Some(true))
    );
}

#[test]
fn the_help_desk_role_is_granted_and_taken_from_the_command_line() {
    let operator = Operator::with_import();
    let out = operator.run(&["users", "grant-helpdesk", "e2@example.com"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let jan = operator.show("e2@example.com");
    assert_eq!((jan["idp_helpdesk"].as_bool(), jan["idp_admin"].as_bool()), (Some(true), Some(false)));
    assert_eq!(operator.run(&["users", "revoke-helpdesk", "e2@example.com"]).code, 0);
    assert_eq!(operator.show("e2@example.com")["idp_helpdesk"], false);
}

#[test]
fn the_campaign_and_one_invitation_are_queued_from_the_command_line() {
    let operator = Operator::with_import();
    let out = operator.run(&["users", "campaign", "--organization", "O1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2 activation mails queued"), "{}", out.stdout);
    assert_eq!(operator.show("e2@example.com")["status"], "invited");
    assert_eq!(operator.run(&["users", "invite", "e2@example.com"]).code, 0);
}

#[test]
fn deleting_needs_confirmation_and_unknown_accounts_fail_clearly() {
    let operator = Operator::with_import();
    let refused = operator.run(&["users", "delete", "e2@example.com"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(operator.run(&["users", "delete", "e2@example.com", "--yes"]).code, 0);
    let gone = operator.run(&["users", "show", "e2@example.com"]);
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("no account"), "{}", gone.stderr);
}
