//! `GET /account`: "Moje konto" — who is signed in, the second step in use, the
//! recovery codes left, the sessions, and the way to each change.

use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use minijinja::context;

use super::{Target, no_store, signed_in};
use crate::flows::account;
use crate::http::journey::form_page;
use crate::http::render::PageContext;
use crate::state::AppState;

/// The overview page.
pub async fn get(State(state): State<AppState>, jar: CookieJar, page: PageContext) -> Response {
    let (_, user) = match signed_in(&state, &jar, &page, Target::Overview).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    match account::overview(&state, &user).await {
        Ok(overview) => no_store(form_page(
            &state,
            &jar,
            &page,
            "pages/account.html",
            context! {
                name => format!("{} {}", user.given_name, user.family_name),
                login => user.login,
                email => user.email,
                authenticator => overview.authenticator,
                recovery_codes_left => overview.recovery_codes_left,
                sessions => overview.sessions,
            },
        )),
        Err(error) => page.internal(&error, "account overview failed"),
    }
}
