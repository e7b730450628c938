//! `/admin/terms…`: the published versions, publishing a new one (the form is
//! checked, then shown back for confirmation, then published through
//! `flows::terms::publish`, `terms.published`), and each version's acceptance
//! report, also as CSV.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{page_of, segment};
use crate::domain::user::StaffPermission;
use crate::flows::console::provider::{FieldError, FieldErrors, TermsForm};
use crate::flows::terms::{self, Listed, Publication, PublishError};
use crate::http::console::Console;
use crate::http::console::people::rfc3339;
use crate::http::form;
use crate::state::AppState;

/// Acceptances on one page of the report.
const PER_PAGE: u64 = 50;

fn view(listed: &Listed) -> Value {
    let t = &listed.terms;
    context! {
        version => t.version.clone(),
        title => t.title.clone(),
        has_english_text => t.body_en.is_some(),
        effective_at => rfc3339(t.effective_at),
        published_at => rfc3339(t.published_at),
        current => listed.current,
        link => format!("/admin/terms/{}", segment(&t.version)),
    }
}

/// `GET /admin/terms`: every version, newest first, the one in force marked.
pub async fn list(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Terms).await {
        return refused;
    }
    match terms::list(&state.store, &state.clock).await {
        Ok(versions) => console.render(
            &state,
            "console/terms/list.html",
            context! { rows => versions.iter().map(view).collect::<Vec<_>>() },
            StatusCode::OK,
        ),
        Err(error) => console.page.internal(&error, "listing terms failed"),
    }
}

fn form_page(
    state: &AppState,
    console: &Console,
    values: &TermsForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    console.render(
        state,
        "console/terms/form.html",
        context! { values => minijinja::value::Serde(values), errors => minijinja::value::Serde(errors) },
        status,
    )
}

/// `GET /admin/terms/new`: the publishing form.
pub async fn new_form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Terms).await {
        return refused;
    }
    form_page(&state, &console, &TermsForm::default(), &FieldErrors::new(), StatusCode::OK)
}

/// `POST /admin/terms/new`: without `confirmed`, checks the form and shows it
/// back for confirmation; with it, publishes.
pub async fn publish(State(state): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match console.checked_form(&state, StaffPermission::Terms, &headers, &body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let values = TermsForm::posted(&fields);
    let effective_at = match values.check() {
        Ok(at) => at,
        Err(errors) => return form_page(&state, &console, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    if form::first(&fields, "confirmed") != Some("yes") {
        let effective = effective_at.map(rfc3339);
        return console.render(
            &state,
            "console/terms/confirm.html",
            context! { values => minijinja::value::Serde(&values), effective },
            StatusCode::OK,
        );
    }
    let publication = Publication {
        version: &values.version,
        title: &values.title,
        body: &values.body,
        body_en: values.body_en(),
        effective_at,
    };
    let refused = |name: &'static str, key: &'static str, detail: Option<String>| {
        let errors = FieldErrors::from([(name, FieldError { key, detail })]);
        form_page(&state, &console, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let actor = console.staff.actor(&console.origin);
    match terms::publish(&state.store, &state.clock, &actor, publication).await {
        Ok(published) => {
            Redirect::to(&format!("/admin/terms/{}?done=published", segment(&published.terms.version))).into_response()
        }
        Err(PublishError::Taken(_)) => refused("version", "console_prov_error_version_taken", None),
        Err(PublishError::Invalid(reason)) => refused("version", "console_prov_error_terms", Some(reason.to_string())),
        Err(PublishError::Store(error)) => console.page.internal(&error, "publishing terms failed"),
    }
}

/// `GET /admin/terms/{version}`: how many accepted and who, a page at a time.
pub async fn report(
    State(state): State<AppState>,
    console: Console,
    Path(version): Path<String>,
    uri: Uri,
) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Terms).await {
        return refused;
    }
    let query = form::query(uri.query());
    let (page, offset) = page_of(&query, PER_PAGE);
    let report = match terms::acceptances(&state.store, &version, offset, PER_PAGE).await {
        Ok(Some(report)) => report,
        Ok(None) => return console.render(&state, "console/terms/missing.html", context! {}, StatusCode::NOT_FOUND),
        Err(error) => return console.page.internal(&error, "reading a terms report failed"),
    };
    let current = match terms::list(&state.store, &state.clock).await {
        Ok(all) => all.iter().any(|l| l.current && l.terms.id == report.terms.id),
        Err(error) => return console.page.internal(&error, "listing terms failed"),
    };
    let rows: Vec<Value> = report
        .acceptances
        .iter()
        .map(|a| context! { user_id => a.user_id.to_string(), login => a.login.clone(), accepted_at => rfc3339(a.accepted_at) })
        .collect();
    let link = format!("/admin/terms/{}", segment(&report.terms.version));
    let next = (offset + PER_PAGE < report.accepted).then(|| format!("{link}?page={}", page + 1));
    let previous = (page > 1).then(|| format!("{link}?page={}", page - 1));
    let done = form::first(&query, "done").filter(|d| *d == "published");
    console.render(
        &state,
        "console/terms/report.html",
        context! {
            terms => view(&Listed { terms: report.terms.clone(), current }),
            body => report.terms.body.clone(),
            body_en => report.terms.body_en.clone(),
            accepted => report.accepted,
            pending => report.pending,
            rows, page, next, previous, done,
            csv => format!("{link}/acceptances.csv"),
        },
        StatusCode::OK,
    )
}

/// A CSV cell: quoted when it must be, and never read as a formula.
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// `GET /admin/terms/{version}/acceptances.csv`: every acceptance of the version.
pub async fn csv(State(state): State<AppState>, console: Console, Path(version): Path<String>) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Terms).await {
        return refused;
    }
    let report = match terms::acceptances(&state.store, &version, 0, 1_000_000).await {
        Ok(Some(report)) => report,
        Ok(None) => return console.render(&state, "console/terms/missing.html", context! {}, StatusCode::NOT_FOUND),
        Err(error) => return console.page.internal(&error, "reading a terms report failed"),
    };
    let mut out = String::from("version,login,user_id,accepted_at\r\n");
    for a in &report.acceptances {
        let at = a.accepted_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        out.push_str(&format!("{},{},{},{}\r\n", cell(&report.terms.version), cell(&a.login), a.user_id, at));
    }
    let name: String = report.terms.version.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"terms-{name}-acceptances.csv\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        out,
    )
        .into_response()
}
