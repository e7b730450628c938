//! `GET /admin/api/v1/audit`: the audit trail, newest first, filtered by time
//! range (`from` inclusive, `to` exclusive, RFC 3339), actor, subject account and
//! action (exact, or a prefix when it ends with a dot: `user.`).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::body::{self, Paging};
use super::problem::Problem;
use crate::flows;
use crate::flows::audit::{AuditFilter, AuditRecord};
use crate::state::AppState;

/// Query of the audit search; times stay text here so a bad one is a clear 400.
#[derive(Debug, serde::Deserialize)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    actor: Option<String>,
    subject: Option<String>,
    action: Option<String>,
}

fn view(record: &AuditRecord) -> serde_json::Value {
    json!({
        "id": record.id,
        "at": body::time(record.at),
        "actor": record.actor,
        "action": record.action,
        "target": record.target,
        "subject_user_id": record.subject_user_id,
        "ip": record.ip,
        "request_id": record.request_id,
        "details": record.details,
    })
}

/// An empty parameter (`?actor=`) means "no filter", as forms send them.
fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `GET /audit`.
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
    Query(paging): Query<Paging>,
) -> Result<Response, Problem> {
    let filter = AuditFilter {
        from: given(query.from).map(|t| body::parse_time("from", &t)).transpose()?,
        to: given(query.to).map(|t| body::parse_time("to", &t)).transpose()?,
        actor: given(query.actor),
        subject_user_id: given(query.subject)
            .map(|s| Uuid::parse_str(&s).map_err(|_| Problem::bad_request("subject must be an account id (UUID)")))
            .transpose()?,
        action: given(query.action),
    };
    let (records, total) = flows::audit::search(&state.store, &filter, paging.offset(), paging.per_page()).await?;
    Ok(Json(paging.answer(total, records.iter().map(view).collect())).into_response())
}
