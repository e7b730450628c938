//! `GET /admin/audit`: the audit trail's search with the admin API's filters
//! (time range, actor, action or action prefix, subject account), newest first,
//! a page at a time, each event's details readable. A filter the search cannot
//! read is named next to its field; the search is a GET and changes nothing.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use minijinja::{Value, context};

use super::page_of;
use crate::domain::user::StaffPermission;
use crate::flows::audit::{self, AuditRecord};
use crate::flows::console::provider::{AuditForm, FieldErrors};
use crate::http::console::Console;
use crate::http::console::people::rfc3339;
use crate::http::form;
use crate::state::AppState;

/// Events on one page.
const PER_PAGE: u64 = 50;

fn view(record: &AuditRecord) -> Value {
    let details = match &record.details {
        serde_json::Value::Object(map) if map.is_empty() => None,
        details => serde_json::to_string_pretty(details).ok(),
    };
    // A staff member or a person as actor links to their page.
    let actor_person =
        record.actor.strip_prefix("user:").and_then(|id| uuid::Uuid::parse_str(id).ok()).map(|id| id.to_string());
    context! {
        id => record.id.to_string(),
        at => rfc3339(record.at),
        actor => record.actor.clone(),
        actor_person,
        action => record.action.clone(),
        target => record.target.clone(),
        subject => record.subject_user_id.map(|id| id.to_string()),
        ip => record.ip.clone(),
        request_id => record.request_id.clone(),
        details,
    }
}

/// The search's query string for another page.
fn page_link(form: &AuditForm, page: u64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("from", &form.from),
        ("to", &form.to),
        ("actor", &form.actor),
        ("action", &form.action),
        ("subject", &form.subject),
    ] {
        if !value.is_empty() {
            query.append_pair(name, value);
        }
    }
    query.append_pair("page", &page.to_string());
    format!("/admin/audit?{}", query.finish())
}

/// `GET /admin/audit`.
pub async fn search(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Audit).await {
        return refused;
    }
    let query = form::query(uri.query());
    let asked = AuditForm::asked(&query);
    let (page, offset) = page_of(&query, PER_PAGE);
    let filter = match asked.filter() {
        Ok(filter) => filter,
        Err(errors) => {
            return console.render(
                &state,
                "console/audit/search.html",
                context! { values => minijinja::value::Serde(&asked), errors => minijinja::value::Serde(&errors), rows => Vec::<Value>::new() },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let (records, total) = match audit::search(&state.store, &filter, offset, PER_PAGE).await {
        Ok(found) => found,
        Err(error) => return console.page.internal(&error, "searching the audit trail failed"),
    };
    let next = (offset + PER_PAGE < total).then(|| page_link(&asked, page + 1));
    let previous = (page > 1).then(|| page_link(&asked, page - 1));
    console.render(
        &state,
        "console/audit/search.html",
        context! {
            values => minijinja::value::Serde(&asked),
            errors => minijinja::value::Serde(FieldErrors::new()),
            rows => records.iter().map(view).collect::<Vec<_>>(),
            total, page, next, previous,
            pages => total.div_ceil(PER_PAGE).max(1),
        },
        StatusCode::OK,
    )
}
