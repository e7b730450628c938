//! `GET /admin` (the dashboard) and `GET /admin/dashboard.csv`: the migration
//! funnel overall (a chart), per organisation (a sortable table with small bars,
//! also as CSV) and the last 30 days (a line chart), numbers always beside.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::Console;
use super::charts::{self, Bar, Series};
use crate::domain::endpoints;
use crate::domain::user::StaffPermission;
use crate::flows::console::dashboard::{self, Dashboard};
use crate::flows::stats::Funnel;
use crate::i18n::Lang;
use crate::state::AppState;

/// The per-organisation table's order.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SortQuery {
    sort: Option<String>,
    dir: Option<String>,
}

/// The columns of the per-organisation table, in order (also the CSV's).
const COLUMNS: [&str; 7] =
    ["total", "imported", "invited", "link_expired", "password_set", "first_sign_in_done", "terms_accepted"];

fn column(funnel: &Funnel, name: &str) -> usize {
    match name {
        "imported" => funnel.imported,
        "invited" => funnel.invited,
        "link_expired" => funnel.link_expired,
        "password_set" => funnel.password_set,
        "first_sign_in_done" => funnel.first_sign_in_done,
        "terms_accepted" => funnel.terms_accepted,
        _ => funnel.total,
    }
}

/// The funnel's stages, each counting every account that got at least that far,
/// and the expired links apart.
fn stages(lang: Lang, funnel: &Funnel) -> Vec<Bar> {
    let bar = |key: &str, value: usize, warning: bool| Bar { label: lang.text(key), value, warning };
    vec![
        bar("console_stage_imported", funnel.total, false),
        bar("console_stage_invited", funnel.total - funnel.imported, false),
        bar("console_stage_password_set", funnel.password_set, false),
        bar("console_stage_first_sign_in", funnel.first_sign_in_done, false),
        bar("console_stage_terms_accepted", funnel.terms_accepted, false),
        bar("console_stage_link_expired", funnel.link_expired, true),
    ]
}

fn sorted<'a>(board: &'a Dashboard, sort: &str, descending: bool) -> Vec<(&'a String, &'a Funnel)> {
    let mut rows: Vec<(&String, &Funnel)> = board.funnel.organizations.iter().collect();
    if sort == "name" {
        rows.sort_by_key(|row| row.0.to_lowercase());
    } else {
        rows.sort_by(|a, b| column(a.1, sort).cmp(&column(b.1, sort)).then_with(|| a.0.cmp(b.0)));
    }
    if descending {
        rows.reverse();
    }
    rows
}

/// The dashboard (the help desk, which may not see it, starts at the people search).
pub async fn get(State(state): State<AppState>, console: Console, Query(query): Query<SortQuery>) -> Response {
    if !console.staff.may(StaffPermission::Dashboard) {
        return Redirect::to(endpoints::CONSOLE_PEOPLE).into_response();
    }
    let board = match dashboard::dashboard(&state).await {
        Ok(board) => board,
        Err(error) => return console.page.internal(&error, "reading the dashboard failed"),
    };
    let lang = console.page.lang;
    let sort = query.sort.as_deref().filter(|s| *s == "name" || COLUMNS.contains(s)).unwrap_or("total");
    let descending = match query.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => sort != "name",
    };
    let stages = stages(lang, &board.funnel.overall);
    let funnel_svg = charts::bars("funnel", &lang.text("console_funnel_title"), &stages);
    let stage_rows: Vec<Value> =
        stages.iter().map(|b| context! { label => b.label.clone(), value => b.value }).collect();
    let organizations: Vec<Value> = sorted(&board, sort, descending)
        .into_iter()
        .map(|(name, f)| {
            let label = format!("{}: {} / {}", lang.text("console_stage_password_set"), f.password_set, f.total);
            context! {
                name => name.clone(),
                cells => COLUMNS.map(|c| column(f, c)),
                bar => Value::from_safe_string(charts::share(f.password_set, f.total, &label)),
            }
        })
        .collect();
    let series = [
        ("console_series_invitations", board.days.iter().map(|d| d.invitations).collect::<Vec<_>>(), "s1"),
        ("console_series_activations", board.days.iter().map(|d| d.activations).collect(), "s2"),
        ("console_series_sign_ins", board.days.iter().map(|d| d.sign_ins).collect(), "s3"),
    ]
    .map(|(key, values, class)| Series { name: lang.text(key), values, class });
    let totals: Vec<String> =
        series.iter().map(|s| format!("{}: {}", s.name, s.values.iter().sum::<usize>())).collect();
    let first = board.days.first().map(|d| d.date.to_string()).unwrap_or_default();
    let last = board.days.last().map(|d| d.date.to_string()).unwrap_or_default();
    let activity_svg = charts::lines(
        "activity",
        &lang.text("console_activity_title"),
        &format!("{first} – {last}. {}", totals.join("; ")),
        &first,
        &last,
        &series,
    );
    let days: Vec<Value> = board
        .days
        .iter()
        .rev()
        .map(|d| context! { date => d.date.to_string(), invitations => d.invitations, activations => d.activations, sign_ins => d.sign_ins })
        .collect();
    console.render(
        &state,
        "console/dashboard.html",
        context! {
            funnel_svg => Value::from_safe_string(funnel_svg),
            activity_svg => Value::from_safe_string(activity_svg),
            stages => stage_rows,
            overall => context! { total => board.funnel.overall.total },
            columns => COLUMNS,
            organizations,
            sort,
            descending,
            days,
            totals,
        },
        StatusCode::OK,
    )
}

/// A CSV field: quoted when it must be, and never read as a formula by a
/// spreadsheet (organisation names come from imported files).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// The per-organisation table as CSV (admin only).
pub async fn csv(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Dashboard).await {
        return refused;
    }
    let board = match dashboard::dashboard(&state).await {
        Ok(board) => board,
        Err(error) => return console.page.internal(&error, "reading the dashboard failed"),
    };
    let mut out = format!("organization,{}\r\n", COLUMNS.join(","));
    for (name, funnel) in sorted(&board, "name", false) {
        let cells: Vec<String> = COLUMNS.iter().map(|c| column(funnel, c).to_string()).collect();
        out.push_str(&format!("{},{}\r\n", csv_field(name), cells.join(",")));
    }
    let mut response = (StatusCode::OK, out).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"migration-funnel.csv\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("ACME"), "ACME");
        assert_eq!(csv_field("A, B"), "\"A, B\"");
        assert_eq!(csv_field("Say \"hi\""), "\"Say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
