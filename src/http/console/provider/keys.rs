//! `/admin/keys…`: the signing keys (public facts only), a rotation and the
//! retirement of a key, each after a confirmation page, through `flows::keys`
//! like the admin API (`key.rotated`, `key.retired`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::domain::signing_alg::SigningAlg;
use crate::domain::user::StaffPermission;
use crate::flows::console::provider;
use crate::flows::keys::{self, KeyInfo, KeyState, KeysError};
use crate::http::console::Console;
use crate::http::console::people::rfc3339;
use crate::http::form;
use crate::http::journey::checked_form;
use crate::state::AppState;

fn view(key: &KeyInfo) -> Value {
    context! {
        kid => key.kid.clone(),
        alg => key.alg.as_str(),
        state => minijinja::value::Serde(key.state),
        created => rfc3339(key.created),
        signs_from => rfc3339(key.signs_from),
        retires => key.retires.map(rfc3339),
        // The flows refuse to retire the key that signs and the one about to.
        retirable => matches!(key.state, KeyState::Published),
    }
}

/// Every key, newest first, retired ones last.
async fn all(state: &AppState, console: &Console) -> Result<Vec<KeyInfo>, Response> {
    console.require(state, StaffPermission::Keys).await?;
    keys::list(&state.store, &state.clock, true)
        .await
        .map_err(|error| console.page.internal(&error, "listing keys failed"))
}

/// `GET /admin/keys`.
pub async fn list(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    let all = match all(&state, &console).await {
        Ok(all) => all,
        Err(response) => return response,
    };
    let query = form::query(uri.query());
    let done = form::first(&query, "done").filter(|d| ["rotated", "retired"].contains(d));
    let publish_ahead = time::Duration::try_from(state.settings.key_publish_ahead).unwrap_or(time::Duration::ZERO);
    console.render(
        &state,
        "console/keys/list.html",
        context! {
            rows => all.iter().map(view).collect::<Vec<_>>(),
            done,
            publish_ahead_minutes => publish_ahead.whole_minutes(),
        },
        StatusCode::OK,
    )
}

fn rotate_page(state: &AppState, console: &Console, error: Option<&str>, status: StatusCode) -> Response {
    let publish_ahead = time::Duration::try_from(state.settings.key_publish_ahead).unwrap_or(time::Duration::ZERO);
    console.render(
        state,
        "console/keys/rotate.html",
        context! {
            algs => SigningAlg::ALL.map(SigningAlg::as_str),
            publish_ahead_minutes => publish_ahead.whole_minutes(),
            error,
        },
        status,
    )
}

/// `GET /admin/keys/rotate`: asks which algorithm to rotate.
pub async fn rotate_form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Keys).await {
        return refused;
    }
    rotate_page(&state, &console, None, StatusCode::OK)
}

/// `POST /admin/keys/rotate`: a new key for one algorithm or for all.
pub async fn rotate(State(state): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match console.checked_form(&state, StaffPermission::Keys, &headers, &body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let alg = match provider::field(&fields, "alg").as_str() {
        "all" => None,
        name => match name.parse::<SigningAlg>() {
            Ok(alg) => Some(alg),
            Err(_) => {
                return rotate_page(
                    &state,
                    &console,
                    Some("console_prov_error_choice"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
            }
        },
    };
    match keys::rotate_here(&state, &console.staff.actor(&console.origin), alg).await {
        Ok(_) => Redirect::to("/admin/keys?done=rotated").into_response(),
        Err(KeysError::NoKeys) => {
            rotate_page(&state, &console, Some("console_prov_error_no_kek"), StatusCode::CONFLICT)
        }
        Err(error) => console.page.internal(&error, "rotating keys failed"),
    }
}

fn retire_page(state: &AppState, console: &Console, key: &KeyInfo, status: StatusCode) -> Response {
    console.render(state, "console/keys/retire.html", context! { key => view(key) }, status)
}

fn missing(state: &AppState, console: &Console) -> Response {
    console.render(state, "console/keys/missing.html", context! {}, StatusCode::NOT_FOUND)
}

/// The published key named by the path.
async fn published(state: &AppState, console: &Console, kid: &str) -> Result<KeyInfo, Response> {
    let all = all(state, console).await?;
    all.into_iter().find(|key| key.kid == kid && key.state != KeyState::Retired).ok_or_else(|| missing(state, console))
}

/// `GET /admin/keys/{kid}/retire`: asks before retiring, or says why the key cannot be.
pub async fn retire_form(State(state): State<AppState>, console: Console, Path(kid): Path<String>) -> Response {
    match published(&state, &console, &kid).await {
        Ok(key) if key.state == KeyState::Published => retire_page(&state, &console, &key, StatusCode::OK),
        Ok(key) => retire_page(&state, &console, &key, StatusCode::CONFLICT),
        Err(response) => response,
    }
}

/// `POST /admin/keys/{kid}/retire`: stops publishing the key at once.
pub async fn retire(
    State(state): State<AppState>,
    console: Console,
    Path(kid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = checked_form(&console.jar, state.settings.is_https(), &console.page, &headers, &body) {
        return *refused;
    }
    let key = match published(&state, &console, &kid).await {
        Ok(key) => key,
        Err(response) => return response,
    };
    match keys::retire_here(&state, &console.staff.actor(&console.origin), &kid).await {
        Ok(()) => Redirect::to("/admin/keys?done=retired").into_response(),
        Err(KeysError::Active(..) | KeysError::Next(..)) => retire_page(&state, &console, &key, StatusCode::CONFLICT),
        Err(KeysError::UnknownKid(_)) => missing(&state, &console),
        Err(error) => console.page.internal(&error, "retiring a key failed"),
    }
}
