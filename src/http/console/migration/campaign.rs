//! `GET /admin/campaign` (choose who: everyone, one organisation, a list; or
//! re-invite expired links), `POST /admin/campaign/confirm` (how many people it
//! will mail: changes nothing), `POST /admin/campaign/start` (runs the admin
//! API's campaign flow) and `GET /admin/campaign/progress` (its pace and
//! progress, from the outbox; reloads itself only when asked to).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::domain::endpoints;
use crate::domain::user::StaffPermission;
use crate::flows::console::campaign::{self as flow, FieldError};
use crate::flows::console::person;
use crate::flows::journey::campaign;
use crate::http::console::Console;
use crate::http::console::people::rfc3339;
use crate::state::AppState;

/// Longest list text read from the form (10 000 addresses of ordinary length).
const MAX_LIST_CHARS: usize = 1_000_000;

/// The form's values, as shown (and re-shown after an error).
#[derive(Debug, Clone, Default, serde::Serialize)]
struct Values {
    scope: String,
    organization: String,
    people: String,
}

impl Values {
    fn from(fields: &[(String, String)]) -> Self {
        let field = |name: &str, max: usize| -> String {
            fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.chars().take(max).collect()).unwrap_or_default()
        };
        Self {
            scope: field("scope", 32),
            organization: field("organization", 64),
            people: field("people", MAX_LIST_CHARS),
        }
    }
}

/// The campaign form, with the numbers it is chosen by.
async fn form_page(
    state: &AppState,
    console: &Console,
    values: &Values,
    error: Option<&FieldError>,
    status: StatusCode,
) -> Response {
    let organizations = match person::organizations(state).await {
        Ok(all) => all,
        Err(error) => return console.page.internal(&error, "listing organisations failed"),
    };
    let progress = match flow::progress(state).await {
        Ok(progress) => progress,
        Err(error) => return console.page.internal(&error, "reading the campaign's progress failed"),
    };
    let organizations: Vec<Value> =
        organizations.into_iter().map(|(id, name)| context! { id => id.to_string(), name }).collect();
    console.render(
        state,
        "console/migration/campaign.html",
        context! {
            values => minijinja::value::Serde(values),
            error => error.map(|e| context! {
                field => e.field,
                message => console.page.lang.text(e.key).replace("{value}", e.value.as_deref().unwrap_or_default()),
            }),
            organizations,
            progress => progress_value(&progress),
            max_selection => flow::MAX_SELECTION,
        },
        status,
    )
}

fn progress_value(progress: &flow::Progress) -> Value {
    let minutes = progress.finish_at.map(|at| (at - progress.now).whole_minutes().max(0));
    context! {
        mails_per_minute => progress.mails_per_minute,
        queued => progress.queued,
        sent => progress.sent,
        failed => progress.failed,
        finish_at => progress.finish_at.map(rfc3339),
        minutes_left => minutes,
        not_invited => progress.not_invited,
        link_expired => progress.link_expired,
        now => rfc3339(progress.now),
    }
}

/// `GET /admin/campaign`: the form.
pub async fn page(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Migration).await {
        return refused;
    }
    let values = Values { scope: "everyone".into(), ..Values::default() };
    form_page(&state, &console, &values, None, StatusCode::OK).await
}

/// The form's plan, or the form again with its error.
async fn planned(state: &AppState, console: &Console, values: &Values) -> Result<flow::Plan, Response> {
    let scope = match flow::scope(&values.scope, &values.organization, &values.people) {
        Ok(scope) => scope,
        Err(error) => {
            return Err(form_page(state, console, values, Some(&error), StatusCode::UNPROCESSABLE_ENTITY).await);
        }
    };
    match flow::plan(state, &scope).await {
        Ok(Ok(plan)) => Ok(plan),
        Ok(Err(error)) => Err(form_page(state, console, values, Some(&error), StatusCode::UNPROCESSABLE_ENTITY).await),
        Err(error) => Err(console.page.internal(&error, "planning a campaign failed")),
    }
}

/// The posted campaign form (its CSRF token and the permission checked) and
/// the people it chooses, chosen on the server.
async fn posted_plan(
    state: &AppState,
    console: &Console,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Values, flow::Plan), Response> {
    let fields = console.checked_form(state, StaffPermission::Migration, headers, body).await?;
    let values = Values::from(&fields);
    let plan = planned(state, console, &values).await?;
    Ok((values, plan))
}

/// `POST /admin/campaign/confirm`: how many people the campaign will mail, and
/// the button that starts it. Changes nothing.
pub async fn confirm(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (values, plan) = match posted_plan(&state, &console, &headers, &body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let progress = match flow::progress(&state).await {
        Ok(progress) => progress,
        Err(error) => return console.page.internal(&error, "reading the campaign's progress failed"),
    };
    let minutes = progress.mails_per_minute.map(|rate| plan.count.div_ceil(usize::try_from(rate.max(1)).unwrap_or(1)));
    console.render(
        &state,
        "console/migration/campaign_confirm.html",
        context! {
            values => minijinja::value::Serde(&values),
            count => plan.count,
            skipped => plan.skipped,
            organization_name => plan.organization_name,
            mails_per_minute => progress.mails_per_minute,
            minutes,
            already_queued => progress.queued,
        },
        StatusCode::OK,
    )
}

/// `POST /admin/campaign/start`: runs the campaign flow for the form's people
/// (chosen again now, not taken from the confirmation's count), then shows the progress.
pub async fn start(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (_, plan) = match posted_plan(&state, &console, &headers, &body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let actor = console.staff.actor(&console.origin);
    match campaign::run(&state, &plan.selection, &actor).await {
        Ok(queued) => {
            Redirect::to(&format!("{}?queued={}", endpoints::CONSOLE_CAMPAIGN_PROGRESS, queued.queued)).into_response()
        }
        Err(error) => console.page.internal(&error, "starting a campaign failed"),
    }
}

/// What the progress page's address may ask.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ProgressQuery {
    queued: Option<String>,
    auto: Option<String>,
}

/// Seconds between reloads of the progress page, when the reader asks for them.
const RELOAD_SECONDS: u32 = 30;

/// `GET /admin/campaign/progress`: the pace, the mails queued, sent and failed,
/// and the estimated end; reloads itself every [`RELOAD_SECONDS`] when asked
/// (`?auto=1`, a link on the page: a page that moves by itself unasked is a
/// barrier, WCAG 2.2.1).
pub async fn progress(State(state): State<AppState>, console: Console, Query(query): Query<ProgressQuery>) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Migration).await {
        return refused;
    }
    let progress = match flow::progress(&state).await {
        Ok(progress) => progress,
        Err(error) => return console.page.internal(&error, "reading the campaign's progress failed"),
    };
    let started = query.queued.as_deref().and_then(|q| q.parse::<u64>().ok());
    let auto = query.auto.as_deref() == Some("1");
    let reload = auto && progress.queued > 0;
    let mut response = console.render(
        &state,
        "console/migration/progress.html",
        context! {
            progress => progress_value(&progress),
            started,
            reload => reload.then_some(RELOAD_SECONDS),
            auto,
        },
        StatusCode::OK,
    );
    // The `Refresh` header reloads the page without any script.
    if reload {
        response.headers_mut().insert("refresh", axum::http::HeaderValue::from(RELOAD_SECONDS));
    }
    response
}
