//! `POST /retention/run` (scope `admin`): one round of the retention job now,
//! as `kuke-id retention run` does; answered with the counts per table.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::auth::Admin;
use super::problem::Problem;
use crate::flows::retention;
use crate::state::AppState;

/// Runs a round and answers `{"deleted": {table: n}, "erased": {table: n}, "batches": n}`.
pub async fn run(State(state): State<AppState>, Admin(actor): Admin) -> Result<Response, Problem> {
    Ok(Json(retention::run_for(&state, &actor).await?.to_json()).into_response())
}
