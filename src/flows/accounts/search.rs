//! Finding accounts: the admin API's list and `kuke-id users list` run the same
//! search, and both name single accounts the same way.

use uuid::Uuid;

use crate::domain::user::User;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// The filters of the account search. Defined with the query it drives (in
/// `store`); named here so callers above the flows never reach the store.
pub use crate::domain::user::UserFilter;

/// One page (`page` counts from 0) of the accounts matching `filter`, and how
/// many match in all.
pub async fn search(
    state: &AppState,
    filter: &UserFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<User>, u64), Internal> {
    Ok(store::users::search(state.store.conn(), filter, page, per_page, state.clock.now()).await?)
}

/// The id of an account named by id, e-mail address or login number; `None`
/// when there is no such account.
pub async fn find(state: &AppState, account: &str) -> Result<Option<Uuid>, Internal> {
    let conn = state.store.conn();
    let found = if let Ok(id) = Uuid::parse_str(account) {
        store::users::row(conn, id).await?.map(|r| r.id)
    } else if account.contains('@') {
        store::users::find_by_email(conn, account).await?.map(|u| u.id)
    } else {
        store::users::find_by_login(conn, account.trim()).await?.map(|u| u.id)
    };
    Ok(found)
}

/// The account with login number `login`.
pub async fn find_by_login(state: &AppState, login: &str) -> Result<Option<User>, Internal> {
    Ok(store::users::find_by_login(state.store.conn(), login).await?)
}
