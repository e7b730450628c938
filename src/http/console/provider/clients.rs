//! `/admin/clients…`: the relying parties. Register (the secret is shown once,
//! on the page that answers the POST), show, change, rotate a secret with a
//! grace for the old one, remove with a typed confirmation — through
//! `flows::clients`, the admin API's flows, under the same rules.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::segment;
use crate::domain::client::{Client, ClientKind};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::user::StaffPermission;
use crate::flows::clients::{self, ClientError, RegisterError};
use crate::flows::console::provider::{self, ClientForm, FieldError, FieldErrors, hands_off};
use crate::http::console::Console;
use crate::http::console::people::rfc3339;
use crate::http::form;
use crate::http::journey::checked_form;
use crate::state::AppState;

/// A client as the pages show it.
fn view(client: &Client, state: &AppState, created: Option<time::OffsetDateTime>) -> Value {
    context! {
        id => client.id.clone(),
        name => client.name.clone(),
        kind => provider::kind_name(client.kind),
        first_party => client.first_party,
        require_pkce => client.require_pkce,
        redirect_uris => client.redirect_uris.clone(),
        post_logout_redirect_uris => client.post_logout_redirect_uris.clone(),
        grant_types => client.grant_types.clone(),
        scopes => client.scopes.clone(),
        id_token_alg => client.id_token_alg.as_str(),
        backchannel_logout_uri => client.backchannel_logout_uri.clone(),
        previous_secret_valid_until => client.previous_secret_valid_until(state.clock.now()).map(rfc3339),
        created => created.map(rfc3339),
        link => format!("/admin/clients/{}", segment(&client.id)),
        hands_off => hands_off(&client.id),
    }
}

fn missing(state: &AppState, console: &Console) -> Response {
    console.render(state, "console/clients/missing.html", context! {}, StatusCode::NOT_FOUND)
}

/// The client named by the path, once the permission is checked.
async fn find(state: &AppState, console: &Console, id: &str) -> Result<Client, Response> {
    console.require(state, StaffPermission::Clients).await?;
    match clients::show(&state.store, id).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(missing(state, console)),
        Err(error) => Err(console.page.internal(&error.0, "reading a client failed")),
    }
}

/// Parses the CSRF-checked form of a POST, then finds the client.
async fn posted(
    state: &AppState,
    console: &Console,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Vec<(String, String)>, Client), Response> {
    let fields = checked_form(&console.jar, state.settings.is_https(), &console.page, headers, body).map_err(|r| *r)?;
    let client = find(state, console, id).await?;
    Ok((fields, client))
}

/// [`find`], for a change: the built-in console client is refused with its reason.
async fn find_changeable(state: &AppState, console: &Console, id: &str) -> Result<Client, Response> {
    let client = find(state, console, id).await?;
    refused_change(state, console, &client).map_or(Ok(client), Err)
}

/// [`posted`], for a change: the built-in console client is refused with its reason.
async fn posted_changeable(
    state: &AppState,
    console: &Console,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Vec<(String, String)>, Client), Response> {
    let (fields, client) = posted(state, console, id, headers, body).await?;
    refused_change(state, console, &client).map_or(Ok((fields, client)), Err)
}

/// The refusal when `client` is the built-in console client, which no change may touch.
fn refused_change(state: &AppState, console: &Console, client: &Client) -> Option<Response> {
    hands_off(&client.id).map(|_| left_alone(state, console, client))
}

/// `GET /admin/clients`: every relying party.
pub async fn list(State(state): State<AppState>, console: Console, uri: Uri) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Clients).await {
        return refused;
    }
    let (all, created) = match (clients::list(&state.store).await, clients::created_times(&state.store).await) {
        (Ok(all), Ok(created)) => (all, created),
        (Err(error), _) | (_, Err(error)) => return console.page.internal(&error.0, "listing clients failed"),
    };
    let created: std::collections::HashMap<_, _> = created.into_iter().collect();
    let rows: Vec<Value> = all.iter().map(|c| view(c, &state, created.get(&c.id).copied())).collect();
    let query = form::query(uri.query());
    let done = form::first(&query, "done").filter(|d| *d == "deleted");
    console.render(&state, "console/clients/list.html", context! { rows, done }, StatusCode::OK)
}

fn form_page(
    state: &AppState,
    console: &Console,
    client: Option<&Client>,
    values: &ClientForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    console.render(
        state,
        "console/clients/form.html",
        context! {
            client => client.map(|c| view(c, state, None)),
            values => minijinja::value::Serde(values),
            errors => minijinja::value::Serde(errors),
            algs => SigningAlg::ALL.map(SigningAlg::as_str),
        },
        status,
    )
}

/// `GET /admin/clients/new`: the registration form.
pub async fn new_form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Clients).await {
        return refused;
    }
    form_page(&state, &console, None, &ClientForm::blank(), &FieldErrors::new(), StatusCode::OK)
}

/// `POST /admin/clients/new`: registers the client and answers its secret,
/// once; the page is `no-store` like every console page.
pub async fn register(State(state): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match console.checked_form(&state, StaffPermission::Clients, &headers, &body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let values = ClientForm::posted(&fields);
    let refused =
        |errors: FieldErrors| form_page(&state, &console, None, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    let registration = match values.registration() {
        Ok(registration) => registration,
        Err(errors) => return refused(errors),
    };
    let actor = console.staff.actor(&console.origin);
    match clients::register(&state.store, &state.clock, &actor, registration).await {
        Ok(registered) => match registered.secret {
            Some(secret) => console.render(
                &state,
                "console/clients/secret.html",
                context! { client => view(&registered.client, &state, None), secret, registered => true },
                StatusCode::CREATED,
            ),
            None => {
                Redirect::to(&format!("/admin/clients/{}?done=created", segment(&registered.client.id))).into_response()
            }
        },
        Err(RegisterError::Rule(rule)) => refused(values.refused(&rule)),
        Err(RegisterError::Taken(_)) => {
            refused(FieldErrors::from([("id", FieldError { key: "console_prov_error_client_taken", detail: None })]))
        }
        Err(RegisterError::Forbidden(_)) => {
            console.refuse(&state, "clients.admin_scope").await.err().unwrap_or_else(|| missing(&state, &console))
        }
        Err(RegisterError::Store(error)) => console.page.internal(&error.0, "registering a client failed"),
    }
}

/// `GET /admin/clients/{id}`: the client's settings and what may be done with it.
pub async fn show(State(state): State<AppState>, console: Console, Path(id): Path<String>, uri: Uri) -> Response {
    let client = match find(&state, &console, &id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let query = form::query(uri.query());
    let done = form::first(&query, "done").filter(|d| ["created", "edited"].contains(d));
    console.render(
        &state,
        "console/clients/client.html",
        context! { client => view(&client, &state, None), done },
        StatusCode::OK,
    )
}

/// The client's page saying why the console leaves it alone (409).
fn left_alone(state: &AppState, console: &Console, client: &Client) -> Response {
    console.render(
        state,
        "console/clients/client.html",
        context! { client => view(client, state, None), refused => true },
        StatusCode::CONFLICT,
    )
}

/// `GET /admin/clients/{id}/edit`: the form, filled with the client's settings.
pub async fn edit_form(State(state): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    let client = match find_changeable(&state, &console, &id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    form_page(&state, &console, Some(&client), &ClientForm::of(&client), &FieldErrors::new(), StatusCode::OK)
}

/// `POST /admin/clients/{id}/edit`: saves the changes (`client.updated`).
pub async fn save(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fields, client) = match posted_changeable(&state, &console, &id, &headers, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let values = ClientForm {
        id: client.id.clone(),
        kind: provider::kind_name(client.kind).into(),
        ..ClientForm::posted(&fields)
    };
    let refused = |errors: FieldErrors| {
        form_page(&state, &console, Some(&client), &values, &errors, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let changes = match values.changes() {
        Ok(changes) => changes,
        Err(errors) => return refused(errors),
    };
    let actor = console.staff.actor(&console.origin);
    match clients::update(&state.store, &state.clock, &state.clients, &actor, &client.id, changes).await {
        Ok(_) => Redirect::to(&format!("/admin/clients/{}?done=edited", segment(&client.id))).into_response(),
        Err(ClientError::Rule(rule)) => refused(values.refused(&rule)),
        Err(ClientError::NotFound(_)) => missing(&state, &console),
        Err(ClientError::Public(_)) => left_alone(&state, &console, &client),
        Err(ClientError::Forbidden(_)) => {
            console.refuse(&state, "clients.admin_scope").await.err().unwrap_or_else(|| missing(&state, &console))
        }
        Err(ClientError::Store(error)) => console.page.internal(&error.0, "changing a client failed"),
    }
}

fn rotate_page(
    state: &AppState,
    console: &Console,
    client: &Client,
    grace_hours: &str,
    error: Option<FieldError>,
    status: StatusCode,
) -> Response {
    console.render(
        state,
        "console/clients/rotate.html",
        context! { client => view(client, state, None), grace_hours, error => minijinja::value::Serde(error) },
        status,
    )
}

fn default_grace(state: &AppState) -> time::Duration {
    time::Duration::try_from(state.settings.client_secret_grace).unwrap_or(time::Duration::ZERO)
}

/// `GET /admin/clients/{id}/secret`: asks before rotating, with the grace to give the old secret.
pub async fn rotate_form(State(state): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    let client = match find(&state, &console, &id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    let status = if client.kind == ClientKind::Public { StatusCode::CONFLICT } else { StatusCode::OK };
    rotate_page(&state, &console, &client, &default_grace(&state).whole_hours().to_string(), None, status)
}

/// `POST /admin/clients/{id}/secret`: a new secret, shown once, and until when
/// the old one still works (`client.secret_rotated`).
pub async fn rotate(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fields, client) = match posted(&state, &console, &id, &headers, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let typed = provider::field(&fields, "grace_hours").chars().take(12).collect::<String>();
    let grace = match provider::grace(&typed, default_grace(&state)) {
        Ok(grace) => grace,
        Err(error) => {
            return rotate_page(&state, &console, &client, &typed, Some(error), StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let actor = console.staff.actor(&console.origin);
    match clients::rotate_secret(&state.store, &state.clock, &state.clients, &actor, &client.id, grace).await {
        Ok(rotated) => console.render(
            &state,
            "console/clients/secret.html",
            context! {
                client => view(&client, &state, None),
                secret => rotated.secret,
                previous_valid_until => rotated.previous_valid_until.map(rfc3339),
            },
            StatusCode::OK,
        ),
        // The only rule a rotation applies is the grace's.
        Err(ClientError::Rule(_)) => {
            let error = FieldError { key: "console_prov_error_grace", detail: None };
            rotate_page(&state, &console, &client, &typed, Some(error), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(ClientError::Public(_)) => rotate_page(&state, &console, &client, &typed, None, StatusCode::CONFLICT),
        Err(ClientError::NotFound(_)) => missing(&state, &console),
        Err(ClientError::Forbidden(_)) => {
            console.refuse(&state, "clients.admin_scope").await.err().unwrap_or_else(|| missing(&state, &console))
        }
        Err(ClientError::Store(error)) => console.page.internal(&error.0, "rotating a client secret failed"),
    }
}

fn delete_page(state: &AppState, console: &Console, client: &Client, error: bool, status: StatusCode) -> Response {
    console.render(
        state,
        "console/clients/delete.html",
        context! { client => view(client, state, None), error },
        status,
    )
}

/// `GET /admin/clients/{id}/delete`: asks for the client id typed out.
pub async fn delete_form(State(state): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    let client = match find_changeable(&state, &console, &id).await {
        Ok(client) => client,
        Err(response) => return response,
    };
    delete_page(&state, &console, &client, false, StatusCode::OK)
}

/// `POST /admin/clients/{id}/delete`: removes the client with everything issued
/// to it (`client.removed`), when its id was typed out.
pub async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fields, client) = match posted_changeable(&state, &console, &id, &headers, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // Typed confirmation: no stray click removes a relying party.
    if provider::field(&fields, "confirm") != client.id {
        return delete_page(&state, &console, &client, true, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let actor = console.staff.actor(&console.origin);
    match clients::remove(&state.store, &state.clock, &state.clients, &actor, &client.id).await {
        Ok(true) => Redirect::to("/admin/clients?done=deleted").into_response(),
        Ok(false) => missing(&state, &console),
        Err(error) => console.page.internal(&error.0, "removing a client failed"),
    }
}
