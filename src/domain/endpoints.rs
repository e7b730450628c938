//! Every public path, once. Routers and discovery both read this table, so the
//! document can never advertise a path the server does not route.

/// OIDC Discovery 1.0 §4.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// RFC 7517 JWK set of the signing keys.
pub const JWKS: &str = "/jwks";
/// Liveness.
pub const HEALTHZ: &str = "/healthz";
/// Readiness (the database answers).
pub const READYZ: &str = "/readyz";
/// Prometheus metrics for operators' scrapers (not advertised in discovery).
pub const METRICS: &str = "/metrics";

/// Joins the issuer and a path into an absolute URL.
pub fn url(issuer: &str, path: &str) -> String {
    format!("{issuer}{path}")
}
/// OIDC Core §3.1.2 authorization endpoint.
pub const AUTHORIZE: &str = "/authorize";
/// Where a parked authorization request continues after sign-in or consent.
pub const AUTHORIZE_RESUME: &str = "/authorize/resume";
/// RFC 6749 §3.2 token endpoint.
pub const TOKEN: &str = "/token";
/// OIDC Core §5.3 UserInfo endpoint.
pub const USERINFO: &str = "/userinfo";
/// RFC 7662 introspection endpoint.
pub const INTROSPECT: &str = "/introspect";
/// RFC 7009 revocation endpoint.
pub const REVOKE: &str = "/revoke";
/// RP-Initiated Logout 1.0 end-session endpoint.
pub const END_SESSION: &str = "/logout";
/// The logout confirmation form's target.
pub const END_SESSION_CONFIRM: &str = "/logout/confirm";
/// Consent page for third-party clients.
pub const CONSENT: &str = "/consent";
/// The hosted sign-in page.
pub const SIGN_IN: &str = "/login";
/// Static CSS and images.
pub const ASSETS: &str = "/assets/{file}";

// The hosted journey pages, in journey order.

/// Activation (and reset) link: set a password.
pub const ACTIVATE: &str = "/activate";
/// Ask for a new activation link.
pub const ACTIVATE_RESEND: &str = "/activate/resend";
/// Ask for a reset link.
pub const PASSWORD_FORGOT: &str = "/password/forgot";
/// The e-mailed one-time code of a sign-in.
pub const SIGN_IN_CODE: &str = "/login/code";
/// Send the sign-in code again.
pub const SIGN_IN_CODE_RESEND: &str = "/login/code/resend";
/// The terms of service, when newer than the account's acceptance.
pub const TERMS: &str = "/terms";
/// Confirmation link of a changed e-mail address.
pub const EMAIL_CONFIRM: &str = "/email/confirm";
/// The development mailbox (demo mode without SMTP).
pub const DEV_MAIL: &str = "/dev/mail";
/// One mail of the development mailbox.
pub const DEV_MAIL_ONE: &str = "/dev/mail/{id}";
/// The HTML part of one mail, framed by its page.
pub const DEV_MAIL_HTML: &str = "/dev/mail/{id}/html";
/// The sign-in page telling the user that the sign-in in progress ended.
pub const SIGN_IN_RESTART: &str = "/login?notice=sign_in_restart";

// The demo relying party (`serve --demo`).

/// Demo home page.
pub const DEMO: &str = "/demo";
/// Starts the demo's authorization request.
pub const DEMO_LOGIN: &str = "/demo/login";
/// The demo's redirect URI.
pub const DEMO_CALLBACK: &str = "/demo/callback";
/// Signs out of the demo (RP-initiated logout).
pub const DEMO_LOGOUT: &str = "/demo/logout";

// The account area ("Moje konto").

/// Overview of the signed-in person's account.
pub const ACCOUNT: &str = "/account";
/// Change the password.
pub const ACCOUNT_PASSWORD: &str = "/account/password";
/// The authenticator app: status (GET), start a setup (POST).
pub const ACCOUNT_AUTHENTICATOR: &str = "/account/authenticator";
/// Confirm a setup with a current code.
pub const ACCOUNT_AUTHENTICATOR_CONFIRM: &str = "/account/authenticator/confirm";
/// Remove the authenticator app.
pub const ACCOUNT_AUTHENTICATOR_REMOVE: &str = "/account/authenticator/remove";
/// New recovery codes.
pub const ACCOUNT_RECOVERY_CODES: &str = "/account/recovery-codes";
/// The person's own sessions.
pub const ACCOUNT_SESSIONS: &str = "/account/sessions";
/// End one session.
pub const ACCOUNT_SESSIONS_END: &str = "/account/sessions/end";
/// End every session but this one.
pub const ACCOUNT_SESSIONS_END_OTHERS: &str = "/account/sessions/end-others";
/// Sign in again before a sensitive change, then come back.
pub const ACCOUNT_REAUTH: &str = "/account/reauth";

// The admin console (a relying party of kuke-id itself).

/// The console's home: the dashboard (the people search for the help desk).
pub const CONSOLE: &str = "/admin";
/// The console's sign-in page and the form that starts a sign-in.
pub const CONSOLE_SIGN_IN: &str = "/admin/sign-in";
/// The console's redirect URI.
pub const CONSOLE_CALLBACK: &str = "/admin/callback";
/// Signs out of the console (RP-initiated logout).
pub const CONSOLE_LOGOUT: &str = "/admin/logout";
/// Where kuke-id sends the browser after a console logout.
pub const CONSOLE_SIGNED_OUT: &str = "/admin/signed-out";
/// The people search.
pub const CONSOLE_PEOPLE: &str = "/admin/people";
/// One person's page.
pub const CONSOLE_PERSON: &str = "/admin/people/{id}";
/// The form that edits a person.
pub const CONSOLE_PERSON_EDIT: &str = "/admin/people/{id}/edit";
/// The confirmation page of an action (GET) and the action itself (POST).
pub const CONSOLE_PERSON_ACTION: &str = "/admin/people/{id}/actions/{action}";
/// The per-organisation funnel as CSV.
pub const CONSOLE_DASHBOARD_CSV: &str = "/admin/dashboard.csv";
/// The organisations, with their accounts and funnel.
pub const CONSOLE_ORGANIZATIONS: &str = "/admin/organizations";
/// One organisation: its name and Ekstranet id (GET form, POST save).
pub const CONSOLE_ORGANIZATION: &str = "/admin/organizations/{id}";

// The console's migration pages (import, campaign, re-invite).

/// The import: upload, dry-run report, apply.
pub const CONSOLE_IMPORT: &str = "/admin/import";
/// The activation campaign: start it, see its pace and progress.
pub const CONSOLE_CAMPAIGN: &str = "/admin/campaign";
/// One upload's report (the dry run's, then the apply's).
pub const CONSOLE_IMPORT_UPLOAD: &str = "/admin/import/{id}";
/// Applies an upload (POST).
pub const CONSOLE_IMPORT_APPLY: &str = "/admin/import/{id}/apply";
/// How many people a campaign will mail, before it starts (POST, changes nothing).
pub const CONSOLE_CAMPAIGN_CONFIRM: &str = "/admin/campaign/confirm";
/// Starts a campaign (POST).
pub const CONSOLE_CAMPAIGN_START: &str = "/admin/campaign/start";
/// The campaign's progress, read from the outbox.
pub const CONSOLE_CAMPAIGN_PROGRESS: &str = "/admin/campaign/progress";

// The console's provider pages (clients, keys, terms, audit).

/// The relying parties.
pub const CONSOLE_CLIENTS: &str = "/admin/clients";
/// The signing keys.
pub const CONSOLE_KEYS: &str = "/admin/keys";
/// The terms and their acceptance.
pub const CONSOLE_TERMS: &str = "/admin/terms";
/// The audit trail's search.
pub const CONSOLE_AUDIT: &str = "/admin/audit";
/// The form that registers a relying party (GET form, POST register).
pub const CONSOLE_CLIENT_NEW: &str = "/admin/clients/new";
/// One relying party's page.
pub const CONSOLE_CLIENT: &str = "/admin/clients/{id}";
/// The form that changes a relying party.
pub const CONSOLE_CLIENT_EDIT: &str = "/admin/clients/{id}/edit";
/// A secret rotation: confirmation (GET) and rotation (POST).
pub const CONSOLE_CLIENT_SECRET: &str = "/admin/clients/{id}/secret";
/// Removing a relying party: typed confirmation (GET) and removal (POST).
pub const CONSOLE_CLIENT_DELETE: &str = "/admin/clients/{id}/delete";
/// A key rotation: confirmation (GET) and rotation (POST).
pub const CONSOLE_KEYS_ROTATE: &str = "/admin/keys/rotate";
/// Retiring a key: confirmation (GET) and retirement (POST).
pub const CONSOLE_KEY_RETIRE: &str = "/admin/keys/{kid}/retire";
/// The form that publishes a terms version (GET form, POST check then publish).
pub const CONSOLE_TERMS_NEW: &str = "/admin/terms/new";
/// One terms version and its acceptance report.
pub const CONSOLE_TERMS_VERSION: &str = "/admin/terms/{version}";
/// A terms version's acceptances as CSV.
pub const CONSOLE_TERMS_CSV: &str = "/admin/terms/{version}/acceptances.csv";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restart_notice_is_on_the_sign_in_page() {
        assert!(SIGN_IN_RESTART.starts_with(&format!("{SIGN_IN}?")));
    }

    #[test]
    fn the_code_pages_are_under_the_sign_in_page() {
        assert!(SIGN_IN_CODE.starts_with(SIGN_IN));
        assert!(SIGN_IN_CODE_RESEND.starts_with(SIGN_IN_CODE));
    }
}
