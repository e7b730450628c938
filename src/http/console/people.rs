//! `GET /admin/people` (search) and `GET /admin/people/{id}` (a person's page).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use uuid::Uuid;

use super::Console;
use crate::domain::user::{StaffPermission, StaffRole, Status, User, UserFilter};
use crate::flows::accounts;
use crate::flows::console::person;
use crate::state::AppState;

/// How many people a result page lists.
const PER_PAGE: u64 = 25;

/// The search form's fields.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    status: Option<String>,
    organization: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

/// The statuses the search offers (`link_expired` is an invited account whose
/// link can no longer be used).
const STATUSES: [&str; 4] = ["imported", "invited", "link_expired", "active"];

#[derive(Serialize)]
struct Row {
    id: Uuid,
    login: String,
    name: String,
    email: String,
    organization: Option<String>,
    status: &'static str,
    disabled: bool,
    locked: bool,
}

fn row(user: &User) -> Row {
    Row {
        id: user.id,
        login: user.login.clone(),
        name: format!("{} {}", user.given_name, user.family_name),
        email: user.email.clone(),
        organization: user.organization.as_ref().map(|o| o.name.clone()),
        status: match user.status {
            Status::Imported => "imported",
            Status::Invited => "invited",
            Status::Active => "active",
        },
        disabled: user.disabled,
        locked: user.admin_locked,
    }
}

/// The people search: a login (six digits), an e-mail address, a name or part
/// of one, narrowed by organisation and status.
pub async fn search(State(state): State<AppState>, console: Console, Query(query): Query<SearchQuery>) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::ViewPeople).await {
        return refused;
    }
    let text =
        query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(|q| q.chars().take(200).collect::<String>());
    let status = query.status.as_deref().filter(|s| STATUSES.contains(s)).map(str::to_string);
    let organization_id = query.organization.as_deref().and_then(|o| Uuid::parse_str(o).ok());
    let mut filter = UserFilter { status: status.clone(), organization_id, ..UserFilter::default() };
    match text.as_deref() {
        Some(q) if q.len() == 6 && q.bytes().all(|b| b.is_ascii_digit()) => filter.login = Some(q.to_string()),
        Some(q) => filter.text = Some(q.to_string()),
        None => {}
    }
    let page = query.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(0).min(10_000);
    let organizations = match person::organizations(&state).await {
        Ok(all) => all,
        Err(error) => return console.page.internal(&error, "listing organisations failed"),
    };
    let (found, total) = match accounts::search(&state, &filter, page, PER_PAGE).await {
        Ok(found) => found,
        Err(error) => return console.page.internal(&error, "searching people failed"),
    };
    let rows: Vec<Row> = found.iter().map(row).collect();
    let pages = total.div_ceil(PER_PAGE);
    let next = (page + 1 < pages).then_some(page + 1);
    let previous = page.checked_sub(1);
    let paging_query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", text.as_deref().unwrap_or_default())
        .append_pair("status", status.as_deref().unwrap_or_default())
        .append_pair("organization", &organization_id.map(|o| o.to_string()).unwrap_or_default())
        .finish();
    let organizations: Vec<_> =
        organizations.into_iter().map(|(id, name)| context! { id => id.to_string(), name }).collect();
    console.render(
        &state,
        "console/people.html",
        context! {
            q => text, status, organization => organization_id.map(|o| o.to_string()),
            statuses => STATUSES, organizations, rows => minijinja::value::Serde(&rows), total, page, next, previous, paging_query,
            deleted => query.done.as_deref() == Some("delete"),
        },
        StatusCode::OK,
    )
}

/// The action just done, for the notice on the person's page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// A person's page: state, sessions, recent events and mails, and the actions
/// the staff member's role allows.
pub async fn person(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(done): Query<DoneQuery>,
) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::ViewPeople).await {
        return refused;
    }
    let Ok(id) = Uuid::parse_str(&id) else { return not_found(&state, &console) };
    let view = match person::person(&state, id).await {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(&state, &console),
        Err(error) => return console.page.internal(&error, "reading a person failed"),
    };
    let d = &view.details;
    let staff_role = StaffRole::from_flags(d.idp_admin, d.idp_helpdesk).map(StaffRole::as_str);
    let locked = d.admin_locked || d.locked_until.is_some();
    let sessions: Vec<_> = view
        .sessions
        .iter()
        .map(|s| context! { id => s.id.to_string(), started => rfc3339(s.created_at), last_seen => rfc3339(s.last_seen_at), ip => s.ip.clone(), user_agent => s.user_agent.clone() })
        .collect();
    let events: Vec<_> = view
        .events
        .iter()
        .map(|e| context! { at => rfc3339(e.at), action => e.action.clone(), actor => e.actor.clone() })
        .collect();
    let mails: Vec<_> = view
        .mails
        .iter()
        .map(|m| context! { kind => m.kind.clone(), queued => rfc3339(m.queued_at), sent => m.sent_at.map(rfc3339) })
        .collect();
    let person = context! {
        id => d.id.to_string(),
        login => d.login.clone(),
        name => format!("{} {}", d.given_name, d.family_name),
        email => d.email.clone(),
        pending_email => d.pending_email.clone(),
        organization => d.organization.as_ref().and_then(|o| o.get("name")).and_then(|n| n.as_str()).map(str::to_string),
        role => d.role.clone(),
        staff_role,
        status => d.status.clone(),
        disabled => d.disabled,
        admin_locked => d.admin_locked,
        locked,
        locked_until => d.locked_until.map(rfc3339),
        failed_attempts => d.failed_attempts,
        last_sign_in => d.last_sign_in_at.map(rfc3339),
        first_sign_in => d.first_sign_in_at.map(rfc3339),
        password_set => d.password_set_at.map(rfc3339),
        invited => d.invited_at.map(rfc3339),
        link_expires => d.link_expires_at.map(rfc3339),
        terms_version => d.terms_version_accepted.clone(),
        terms_accepted => d.terms_accepted_at.map(rfc3339),
        can_resend => d.status != "active" && !d.disabled,
        // A staff account is changed by administrators only (the flows refuse
        // the help desk): offer the help desk no action on one.
        protected => staff_role.is_some() && !console.staff.may(StaffPermission::GrantRoles),
    };
    console.render(
        &state,
        "console/person.html",
        context! {
            person, sessions, events, mails,
            done => match done.done.as_deref() {
                Some("edit") => Some("edit"),
                other => other.and_then(super::actions::PersonAction::parse).map(|a| a.as_str()),
            },
        },
        StatusCode::OK,
    )
}

/// The "no such person" page.
pub fn not_found(state: &AppState, console: &Console) -> Response {
    console.render(state, "console/not_found.html", context! {}, StatusCode::NOT_FOUND)
}

/// A time as the pages show it (UTC, to the minute).
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
}
