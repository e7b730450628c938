//! `GET|POST /activate`: "Ustawienie hasła" from the activation (or reset) link.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{ClientOrigin, CsrfForm, form_page, form_page_with_status, resume};
use crate::domain::password::Rule;
use crate::domain::secret::Password;
use crate::flows::journey::activate::{self, LinkProblem, SetPassword};
use crate::http::form;
use crate::http::render::PageContext;
use crate::state::AppState;

/// Query of the link.
#[derive(serde::Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

fn checklist() -> Vec<&'static str> {
    Rule::CHECKLIST.iter().map(|r| r.key()).collect()
}

fn invalid(state: &AppState, jar: &CookieJar, page: &PageContext, problem: LinkProblem) -> Response {
    let reason = match problem {
        LinkProblem::Unknown => "link_unknown",
        LinkProblem::Expired => "link_expired",
        LinkProblem::Used => "link_used",
        LinkProblem::Throttled => "link_throttled",
    };
    // A throttled address learns nothing about the link it holds: 429, not 410.
    let status = if problem == LinkProblem::Throttled { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::GONE };
    form_page_with_status(state, jar, page, "pages/activation_invalid.html", context! { reason }, status)
}

/// Shows the password form for a valid link, or explains why the link is dead.
pub async fn get(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    Query(query): Query<LinkQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    match activate::check(&state, &token, &origin).await {
        Ok(Ok(_)) => form_page(
            &state,
            &jar,
            &page,
            "pages/set_password.html",
            context! { token, checklist => checklist(), errors => Vec::<&str>::new() },
        ),
        Ok(Err(problem)) => invalid(&state, &jar, &page, problem),
        Err(error) => page.internal(&error, "activation page failed"),
    }
}

/// Sets the password.
pub async fn post(
    State(state): State<AppState>,
    jar: CookieJar,
    page: PageContext,
    ClientOrigin(origin): ClientOrigin,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let token = form::first(&fields, "token").unwrap_or_default().to_string();
    let password = Password::new(form::first(&fields, "password").unwrap_or_default());
    let repeated = Password::new(form::first(&fields, "password_repeat").unwrap_or_default());
    match activate::set_password(&state, &token, &password, &repeated, &origin, page.lang).await {
        Ok(SetPassword::Done) => {
            // Back into the sign-in this browser started before asking for the link.
            let resume = resume::recall(&jar, state.settings.is_https());
            let resuming = resume.is_some();
            let mut response = page.page("pages/password_set.html", context! { resume }).into_response();
            if resuming {
                resume::forget(&mut response, state.settings.is_https());
            }
            response
        }
        Ok(SetPassword::Refused(broken)) => {
            let errors: Vec<&str> = broken.iter().map(|r| r.key()).collect();
            form_page_with_status(
                &state,
                &jar,
                &page,
                "pages/set_password.html",
                context! { token, checklist => checklist(), errors },
                StatusCode::BAD_REQUEST,
            )
        }
        Ok(SetPassword::Link(problem)) => invalid(&state, &jar, &page, problem),
        Err(error) => page.internal(&error, "setting a password failed"),
    }
}
