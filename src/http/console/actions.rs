//! `GET|POST /admin/people/{id}/actions/{action}`: each action on a person has a
//! confirmation page (GET, changes nothing) and is done by the POST of its form,
//! through the same account flows as the admin API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use uuid::Uuid;

use super::Console;
use crate::domain::unknown_name::closed_set;
use crate::domain::user::StaffPermission;
use crate::flows::accounts::{self, AccountError};
use crate::flows::console::person;
use crate::http::form;
use crate::http::journey::checked_form;
use crate::state::AppState;

closed_set! {
    /// An action on one person, as named in its path.
    pub enum PersonAction("action") {
        /// Mail a new activation link.
        ResendActivation = "resend_activation",
        /// Lift a lock.
        Unlock = "unlock",
        /// Lock until unlocked.
        Lock = "lock",
        /// Disable.
        Disable = "disable",
        /// Enable.
        Enable = "enable",
        /// Forget the password, mail a fresh activation link.
        Reset = "reset",
        /// End every browser session.
        EndSessions = "end_sessions",
        /// End one browser session.
        EndSession = "end_session",
        /// Delete (anonymise) the account.
        Delete = "delete",
    }
}

impl PersonAction {
    /// The permission the action needs.
    pub fn permission(self) -> StaffPermission {
        match self {
            PersonAction::ResendActivation => StaffPermission::ResendActivation,
            PersonAction::Unlock => StaffPermission::Unlock,
            PersonAction::Lock => StaffPermission::Lock,
            PersonAction::Disable | PersonAction::Enable => StaffPermission::Disable,
            PersonAction::Reset => StaffPermission::Reset,
            PersonAction::EndSessions | PersonAction::EndSession => StaffPermission::EndSessions,
            PersonAction::Delete => StaffPermission::Delete,
        }
    }
}

/// The person and the action named by the path, once the permission is checked.
async fn resolve(
    state: &AppState,
    console: &Console,
    id: &str,
    action: &str,
) -> Result<(Uuid, PersonAction, person::PersonView), Response> {
    let Some(action) = PersonAction::parse(action) else { return Err(super::people::not_found(state, console)) };
    console.require(state, action.permission()).await?;
    let Ok(id) = Uuid::parse_str(id) else { return Err(super::people::not_found(state, console)) };
    match person::person(state, id).await {
        Ok(Some(view)) => Ok((id, action, view)),
        Ok(None) => Err(super::people::not_found(state, console)),
        Err(error) => Err(console.page.internal(&error, "reading a person failed")),
    }
}

fn confirmation(
    state: &AppState,
    console: &Console,
    view: &person::PersonView,
    action: PersonAction,
    session: Option<String>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let d = &view.details;
    console.render(
        state,
        "console/confirm.html",
        context! {
            person => context! { id => d.id.to_string(), login => d.login.clone(), name => format!("{} {}", d.given_name, d.family_name), email => d.email.clone() },
            action => action.as_str(),
            session,
            error,
        },
        status,
    )
}

/// The confirmation page of an action.
pub async fn confirm(
    State(state): State<AppState>,
    console: Console,
    Path((id, action)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let (_, action, view) = match resolve(&state, &console, &id, &action).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let query = form::query(uri.query());
    let session = form::first(&query, "session").filter(|s| Uuid::parse_str(s).is_ok()).map(str::to_string);
    if action == PersonAction::EndSession && session.is_none() {
        return super::people::not_found(&state, &console);
    }
    confirmation(&state, &console, &view, action, session, None, StatusCode::OK)
}

/// Does the action (CSRF-checked form), then back to the person's page.
pub async fn run(
    State(state): State<AppState>,
    console: Console,
    Path((id, action)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields = match checked_form(&console.jar, state.settings.is_https(), &console.page, &headers, &body) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (id, action, view) = match resolve(&state, &console, &id, &action).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let actor = console.staff.actor(&console.origin);
    let session = form::first(&fields, "session").map(str::to_string);
    let outcome = match action {
        PersonAction::ResendActivation => accounts::resend_activation(&state, &actor, id).await,
        PersonAction::Unlock => accounts::set_locked(&state, &actor, id, false).await,
        PersonAction::Lock => accounts::set_locked(&state, &actor, id, true).await,
        PersonAction::Disable => accounts::set_disabled(&state, &actor, id, true).await,
        PersonAction::Enable => accounts::set_disabled(&state, &actor, id, false).await,
        PersonAction::Reset => accounts::reset(&state, &actor, id).await,
        PersonAction::EndSessions => accounts::end_all_sessions(&state, &actor, id).await,
        PersonAction::EndSession => {
            let Some(session_id) = session.as_deref().and_then(|s| Uuid::parse_str(s).ok()) else {
                return super::people::not_found(&state, &console);
            };
            match accounts::end_session(&state, &actor, id, session_id).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(AccountError::WrongState("the session is no longer open")),
                Err(error) => Err(error),
            }
        }
        PersonAction::Delete => {
            // Typed confirmation: the person's login, so that no stray click deletes.
            if form::first(&fields, "confirm").map(str::trim) != Some(view.details.login.as_str()) {
                return confirmation(
                    &state,
                    &console,
                    &view,
                    action,
                    None,
                    Some("console_error_confirm_login"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
            }
            accounts::delete(&state, &actor, id).await
        }
    };
    match outcome {
        Ok(()) if action == PersonAction::Delete => {
            Redirect::to(&format!("{}?done=delete", crate::domain::endpoints::CONSOLE_PEOPLE)).into_response()
        }
        Ok(()) => Redirect::to(&format!("/admin/people/{id}?done={}", action.as_str())).into_response(),
        Err(AccountError::WrongState(_)) => confirmation(
            &state,
            &console,
            &view,
            action,
            session,
            Some("console_error_wrong_state"),
            StatusCode::CONFLICT,
        ),
        Err(AccountError::Forbidden(_)) => match console.refuse(&state, "staff_account").await {
            Ok(()) => super::people::not_found(&state, &console),
            Err(refused) => refused,
        },
        Err(AccountError::NotFound) => super::people::not_found(&state, &console),
        Err(AccountError::Internal(error)) => console.page.internal(&error, "a console action failed"),
        Err(other) => {
            tracing::warn!(error = %other, "unexpected answer to a console action");
            confirmation(
                &state,
                &console,
                &view,
                action,
                session,
                Some("console_error_wrong_state"),
                StatusCode::CONFLICT,
            )
        }
    }
}
