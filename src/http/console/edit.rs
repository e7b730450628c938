//! `GET|POST /admin/people/{id}/edit`: name, e-mail address, organisation,
//! customer role and staff role. Every field is checked on the server and a
//! refused one is named next to it; the change goes through the admin API's
//! account flow. Granting a staff role takes `idp-admin`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use uuid::Uuid;

use super::Console;
use crate::domain::import::{self, RowError};
use crate::domain::user::{Role, StaffPermission, StaffRole};
use crate::flows::accounts::{self, AccountError, Edit};
use crate::flows::console::person;
use crate::state::AppState;

/// The form's values, as shown (and re-shown after an error).
#[derive(Debug, Clone, Default, serde::Serialize)]
struct Values {
    given_name: String,
    family_name: String,
    email: String,
    organization: String,
    role: String,
    staff_role: String,
}

/// A field's error: the field's name and the message key.
type FieldErrors = std::collections::BTreeMap<&'static str, &'static str>;

async fn render(
    state: &AppState,
    console: &Console,
    id: Uuid,
    login: &str,
    values: &Values,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let organizations = match person::organizations(state).await {
        Ok(all) => all,
        Err(error) => return console.page.internal(&error, "listing organisations failed"),
    };
    let organizations: Vec<_> =
        organizations.into_iter().map(|(id, name)| context! { id => id.to_string(), name }).collect();
    console.render(
        state,
        "console/edit.html",
        context! {
            person => context! { id => id.to_string(), login },
            values => minijinja::value::Serde(values), errors, organizations,
            roles => Role::ALL.map(Role::as_str),
            staff_roles => StaffRole::ALL.map(StaffRole::as_str),
        },
        status,
    )
}

/// The edit form, filled with the person's values.
pub async fn form(State(state): State<AppState>, console: Console, Path(id): Path<String>) -> Response {
    if let Err(refused) = console.require(&state, StaffPermission::Edit).await {
        return refused;
    }
    let Ok(id) = Uuid::parse_str(&id) else { return super::people::not_found(&state, &console) };
    let details = match accounts::details(&state, id).await {
        Ok(Some(details)) => details,
        Ok(None) => return super::people::not_found(&state, &console),
        Err(error) => return console.page.internal(&error, "reading a person failed"),
    };
    let values = Values {
        given_name: details.given_name.clone(),
        family_name: details.family_name.clone(),
        email: details.pending_email.clone().unwrap_or_else(|| details.email.clone()),
        organization: details
            .organization
            .as_ref()
            .and_then(|o| o.get("id"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
        role: details.role.clone(),
        staff_role: StaffRole::from_flags(details.idp_admin, details.idp_helpdesk)
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    };
    render(&state, &console, id, &details.login, &values, &FieldErrors::new(), StatusCode::OK).await
}

/// Checks every field on its own, so that each refused one gets its message.
fn check(values: &Values) -> (Edit, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut edit = Edit::default();
    let message = |error: &RowError| match error {
        RowError::Missing(_) => "console_error_required",
        RowError::InvalidEmail => "console_error_email",
        _ => "console_error_text",
    };
    match import::clean(&values.given_name, "given_name") {
        Ok(name) => edit.given_name = Some(name),
        Err(error) => {
            errors.insert("given_name", message(&error));
        }
    }
    match import::clean(&values.family_name, "family_name") {
        Ok(name) => edit.family_name = Some(name),
        Err(error) => {
            errors.insert("family_name", message(&error));
        }
    }
    match import::email(&values.email) {
        Ok(email) => edit.email = Some(email),
        Err(error) => {
            errors.insert("email", message(&error));
        }
    }
    match Role::parse(&values.role) {
        Some(role) => edit.role = Some(role.as_str().to_string()),
        None => {
            errors.insert("role", "console_error_choice");
        }
    }
    match values.organization.as_str() {
        "" => edit.organization_id = Some(None),
        other => match Uuid::parse_str(other) {
            Ok(org) => edit.organization_id = Some(Some(org)),
            Err(_) => {
                errors.insert("organization", "console_error_choice");
            }
        },
    }
    match values.staff_role.as_str() {
        "" => (edit.idp_admin, edit.idp_helpdesk) = (Some(false), Some(false)),
        other => match StaffRole::parse(other) {
            Some(StaffRole::Admin) => (edit.idp_admin, edit.idp_helpdesk) = (Some(true), Some(false)),
            Some(StaffRole::Helpdesk) => (edit.idp_admin, edit.idp_helpdesk) = (Some(false), Some(true)),
            None => {
                errors.insert("staff_role", "console_error_choice");
            }
        },
    }
    (edit, errors)
}

/// Saves the form: back to the person's page, or the form with its errors.
pub async fn save(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields = match console.checked_form(&state, StaffPermission::Edit, &headers, &body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let Ok(id) = Uuid::parse_str(&id) else { return super::people::not_found(&state, &console) };
    let details = match accounts::details(&state, id).await {
        Ok(Some(details)) => details,
        Ok(None) => return super::people::not_found(&state, &console),
        Err(error) => return console.page.internal(&error, "reading a person failed"),
    };
    let field = |name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.chars().take(400).collect()).unwrap_or_default()
    };
    let values = Values {
        given_name: field("given_name"),
        family_name: field("family_name"),
        email: field("email"),
        organization: field("organization"),
        role: field("role"),
        staff_role: field("staff_role"),
    };
    let (mut edit, mut errors) = check(&values);
    let current = StaffRole::from_flags(details.idp_admin, details.idp_helpdesk);
    let wanted = StaffRole::parse(&values.staff_role);
    if errors.is_empty() && wanted != current {
        // A role grant is its own permission, refused and audited on its own.
        if let Err(refused) = console.require(&state, StaffPermission::GrantRoles).await {
            return refused;
        }
    } else {
        (edit.idp_admin, edit.idp_helpdesk) = (None, None);
    }
    // An unchanged address (or the one already waiting for confirmation) is no change.
    if edit.email.as_deref() == details.pending_email.as_deref() {
        edit.email = None;
    }
    if errors.is_empty() {
        match accounts::update(&state, &console.staff.actor(&console.origin), id, edit).await {
            Ok(()) => return Redirect::to(&format!("/admin/people/{id}?done=edit")).into_response(),
            Err(AccountError::EmailTaken) => {
                errors.insert("email", "console_error_email_taken");
            }
            Err(AccountError::UnknownOrganization) => {
                errors.insert("organization", "console_error_choice");
            }
            Err(AccountError::Invalid(error)) => {
                errors.insert(
                    "email",
                    if matches!(error, RowError::InvalidEmail) { "console_error_email" } else { "console_error_text" },
                );
            }
            Err(AccountError::Forbidden(_)) => {
                return match console.refuse(&state, "staff_account").await {
                    Ok(()) => super::people::not_found(&state, &console),
                    Err(refused) => refused,
                };
            }
            Err(AccountError::NotFound) => return super::people::not_found(&state, &console),
            Err(AccountError::WrongState(_)) => {
                errors.insert("email", "console_error_wrong_state");
            }
            Err(AccountError::Internal(error)) => return console.page.internal(&error, "editing a person failed"),
        }
    }
    render(&state, &console, id, &details.login, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
}
