//! `GET /admin/api/v1/openapi.json`, generated from [`super::ROUTES`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{PREFIX, ROUTES};
use crate::state::AppState;

/// The OpenAPI 3.1 document of the admin API.
pub fn document(issuer: &str) -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths.entry(format!("{PREFIX}{}", route.path)).or_insert_with(|| json!({}));
        let status = route.status.as_str();
        let success = match route.status {
            StatusCode::NO_CONTENT => json!({"description": "Done"}),
            StatusCode::CREATED => json!({"description": "Created", "content": {"application/json": {}}}),
            _ => json!({"description": "OK", "content": {"application/json": {}}}),
        };
        let mut operation = json!({
            "summary": route.summary,
            "responses": {
                status: success,
                "default": {"description": "Problem (RFC 9457)", "content": {"application/problem+json": {}}}
            }
        });
        if let Some(scope) = route.scope {
            operation["security"] = json!([{"bearer": [scope]}]);
        }
        let parameters: Vec<Value> = path_parameters(route.path)
            .map(|name| {
                // Account, session and organisation ids are UUIDs; client ids, key ids,
                // Ekstranet ids and terms versions are free-form.
                let uuid = name == "session_id"
                    || (name == "id"
                        && (route.path.starts_with("/users/") || route.path.starts_with("/organizations/")));
                let schema = if uuid { json!({"type": "string", "format": "uuid"}) } else { json!({"type": "string"}) };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        entry[route.method.as_str()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "kuke-id admin API", "version": "1"},
        "servers": [{"url": issuer}],
        "components": {"securitySchemes": {"bearer": {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": format!("{issuer}/token"),
            "scopes": {
                "admin": "everything",
                "admin:users": "accounts and imports",
                "admin:stats": "the migration funnel",
                "admin:clients": "relying parties and their secrets",
                "admin:keys": "signing keys",
                "admin:terms": "terms versions and their acceptances",
                "admin:audit": "the audit trail"
            }
        }}}}},
        "paths": paths,
    })
}

/// The `{name}` segments of a route path.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// Serves the document.
pub async fn get(State(state): State<AppState>) -> Json<Value> {
    Json(document(&state.settings.issuer))
}
