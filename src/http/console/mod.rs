//! The admin console's pages (`/admin`): server-rendered, in the hosted pages'
//! style, working without JavaScript. Every page asks [`Console`] who is
//! calling (from the database, on every request); every action is a CSRF-checked
//! POST whose permission the server checks whatever the page offered.

pub mod actions;
pub mod charts;
pub mod dashboard;
pub mod edit;
pub mod migration;
pub mod organizations;
pub mod people;
pub mod provider;
pub mod sign_in;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use minijinja::{Value, context};

use super::journey::{ClientOrigin, form_page_with_status};
use super::render::PageContext;
use crate::domain::endpoints;
use crate::domain::user::{StaffPermission, StaffRole};
use crate::flows::console::{self, RequestOrigin, Staff, Visitor};
use crate::state::AppState;

/// Cookie naming the console session. SameSite=Strict: no other site can make
/// the browser send it, on top of the CSRF token every form carries.
pub const SESSION_COOKIE: &str = "kuke_console";
/// Cookie naming the console's sign-in in progress (Lax: it must come back with
/// the redirect from the sign-in pages).
pub const SIGN_IN_COOKIE: &str = "kuke_console_sign_in";

/// Routes of the console.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(endpoints::CONSOLE, get(dashboard::get))
        .route(endpoints::CONSOLE_DASHBOARD_CSV, get(dashboard::csv))
        .route(endpoints::CONSOLE_SIGN_IN, get(sign_in::page).post(sign_in::start))
        .route(endpoints::CONSOLE_CALLBACK, get(sign_in::callback))
        .route(endpoints::CONSOLE_LOGOUT, axum::routing::post(sign_in::logout))
        .route(endpoints::CONSOLE_SIGNED_OUT, get(sign_in::signed_out))
        .route(endpoints::CONSOLE_PEOPLE, get(people::search))
        .route(endpoints::CONSOLE_PERSON, get(people::person))
        .route(endpoints::CONSOLE_PERSON_EDIT, get(edit::form).post(edit::save))
        .route(endpoints::CONSOLE_PERSON_ACTION, get(actions::confirm).post(actions::run))
        .route(endpoints::CONSOLE_ORGANIZATIONS, get(organizations::list))
        .route(endpoints::CONSOLE_ORGANIZATION, get(organizations::form).post(organizations::save))
        .merge(migration::router())
        .merge(provider::router())
}

/// The cookie's name on the wire: `__Host-` on https, like the provider's own.
fn wire_name(base: &str, secure: bool) -> String {
    if secure { format!("__Host-{base}") } else { base.to_string() }
}

/// A `Set-Cookie` value for a console cookie.
pub fn set_cookie(name: &str, value: &str, same_site: &str, secure: bool) -> HeaderValue {
    let wire = wire_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{wire}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A `Set-Cookie` value that deletes a console cookie.
pub fn clear_cookie(name: &str, same_site: &str, secure: bool) -> HeaderValue {
    let wire = wire_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{wire}=; Path=/; HttpOnly; SameSite={same_site}; Max-Age=0{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A console cookie's value.
pub fn cookie(jar: &CookieJar, name: &str, secure: bool) -> Option<String> {
    jar.get(&wire_name(name, secure)).map(|c| c.value().to_string())
}

/// A staff member calling the console, with what every page needs. Rejected
/// with a redirect to the sign-in page (no valid console session) or a 403 page
/// (the account holds no staff role).
pub struct Console {
    /// The staff member.
    pub staff: Staff,
    /// The page context (language, request id).
    pub page: PageContext,
    /// The browser's cookies.
    pub jar: CookieJar,
    /// Where the request comes from, for the audit trail.
    pub origin: RequestOrigin,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Ok(page) = PageContext::from_request_parts(parts, state).await;
        let Ok(ClientOrigin(client)) = ClientOrigin::from_request_parts(parts, state).await;
        let jar = CookieJar::from_headers(&parts.headers);
        let origin = RequestOrigin { ip: client.ip, request_id: page.request_id.clone() };
        let cookie = cookie(&jar, SESSION_COOKIE, state.settings.is_https());
        match console::staff::visitor(state, cookie.as_deref()).await {
            Ok(Visitor::Staff(staff)) => Ok(Self { staff, page, jar, origin }),
            Ok(Visitor::Anonymous) => Err(Redirect::to(endpoints::CONSOLE_SIGN_IN).into_response()),
            Ok(Visitor::NotStaff(user_id)) => {
                if let Err(error) =
                    console::staff::record_denial(state, user_id, "not_staff", parts.uri.path(), Some(&origin)).await
                {
                    return Err(page.internal(&error, "recording a console refusal failed"));
                }
                Err(page.page("console/not_staff.html", context! {}).with_status(StatusCode::FORBIDDEN).into_response())
            }
            Err(error) => Err(page.internal(&error, "reading the console session failed")),
        }
    }
}

impl Console {
    /// Renders a console page: the CSRF token, the staff member and what their
    /// role may do (the navigation shows only that) are added to `values`.
    pub fn render(&self, state: &AppState, template: &str, values: Value, status: StatusCode) -> Response {
        let may: std::collections::BTreeMap<&str, bool> =
            StaffPermission::ALL.into_iter().map(|p| (p.as_str(), self.staff.may(p))).collect();
        let role_key = match self.staff.role {
            StaffRole::Admin => "console_role_admin",
            StaffRole::Helpdesk => "console_role_helpdesk",
        };
        let section = match template {
            "console/dashboard.html" => "dashboard",
            "console/organizations.html" | "console/organization.html" => "organizations",
            // Pages in a section's folder, e.g. `console/keys/list.html`.
            _ => match template.strip_prefix("console/").and_then(|rest| rest.split_once('/')) {
                Some((section @ ("migration" | "clients" | "keys" | "terms" | "audit"), _)) => section,
                _ => "people",
            },
        };
        let values = context! {
            section,
            me => context! {
                name => format!("{} {}", self.staff.user.given_name, self.staff.user.family_name),
                role_key,
            },
            may,
            ..values
        };
        let mut response = form_page_with_status(state, &self.jar, &self.page, template, values, status);
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    /// The fields of a form posted to do `what`: its CSRF token checked first,
    /// then the permission (a refusal is recorded and answered with the 403 page).
    pub async fn checked_form(
        &self,
        state: &AppState,
        what: StaffPermission,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, Response> {
        let fields = super::journey::checked_form(&self.jar, state.settings.is_https(), &self.page, headers, body)
            .map_err(|refused| *refused)?;
        self.require(state, what).await?;
        Ok(fields)
    }

    /// Checks that the staff member may do `what`; otherwise records the refusal
    /// (`console.denied`) and answers the 403 page.
    pub async fn require(&self, state: &AppState, what: StaffPermission) -> Result<(), Response> {
        if self.staff.may(what) {
            return Ok(());
        }
        self.refuse(state, what.as_str()).await
    }

    /// Records a refusal and answers the 403 page.
    pub async fn refuse(&self, state: &AppState, what: &str) -> Result<(), Response> {
        if let Err(error) =
            console::staff::record_denial(state, self.staff.user.id, "not_permitted", what, Some(&self.origin)).await
        {
            return Err(self.page.internal(&error, "recording a console refusal failed"));
        }
        Err(self.render(state, "console/forbidden.html", context! {}, StatusCode::FORBIDDEN))
    }
}
