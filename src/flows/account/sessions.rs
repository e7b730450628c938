//! "Moje sesje": the person's own open browser sessions, and ending one of them
//! or all but the current one — the same ending as the administrator's action,
//! with back-channel logout to the relying parties.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::audit::Actor;
use crate::domain::user::User;
use crate::flows::Internal;
use crate::state::AppState;
use crate::store;

/// One open session as its owner sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OwnSession {
    /// Session id (names the "sign out" button).
    pub id: Uuid,
    /// Started.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last used.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// Browser and system, read from the user agent (`None`: unknown).
    pub browser: Option<String>,
    /// The address at sign-in, shortened (the last part hidden).
    pub address: Option<String>,
    /// This is the session of the browser asking.
    pub current: bool,
}

/// The open, unexpired sessions of `user`, newest first; `current` marks the
/// asking browser's.
pub async fn list(state: &AppState, user: &User, current: Option<Uuid>) -> Result<Vec<OwnSession>, Internal> {
    let now = state.clock.now();
    let mut rows = store::sessions::open_rows_for_user(state.store.conn(), user.id).await?;
    // The asking browser first, then the others newest first.
    rows.sort_by_key(|s| Some(s.id) != current);
    Ok(rows
        .into_iter()
        .filter(|s| s.expires_at > now)
        .map(|s| OwnSession {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            browser: browser(s.user_agent.as_deref()),
            address: s.ip.as_deref().and_then(approximate),
            current: Some(s.id) == current,
        })
        .collect())
}

/// Ends one session of `user`; false when it is not an open session of theirs.
pub async fn end_one(state: &AppState, user: &User, actor: &Actor, session_id: Uuid) -> Result<bool, Internal> {
    let Some(session) = store::sessions::find(state.store.conn(), session_id).await? else { return Ok(false) };
    if session.user_id != user.id || session.ended_at.is_some() {
        return Ok(false);
    }
    crate::flows::logout::end_session(state, &session, actor).await?;
    Ok(true)
}

/// Ends every session of `user` except `keep`; returns how many ended.
pub async fn end_others(state: &AppState, user: &User, actor: &Actor, keep: Uuid) -> Result<usize, Internal> {
    let sessions = store::sessions::open_for_user(state.store.conn(), user.id).await?;
    let mut ended = 0;
    for session in sessions.iter().filter(|s| s.id != keep) {
        crate::flows::logout::end_session(state, session, actor).await?;
        ended += 1;
    }
    Ok(ended)
}

/// A short "browser, system" from a user agent.
pub fn browser(user_agent: Option<&str>) -> Option<String> {
    let ua = user_agent.filter(|ua| !ua.trim().is_empty())?;
    let name =
        [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
            .iter()
            .find(|(marker, _)| ua.contains(marker))
            .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| *name);
    Some(match (name, system) {
        (Some(name), Some(system)) => format!("{name}, {system}"),
        (Some(name), None) => name.to_string(),
        (None, Some(system)) => system.to_string(),
        (None, None) => ua.chars().take(40).collect(),
    })
}

/// An address with its last part hidden: enough to recognise a network, not a
/// device (`203.0.113.x`, `2001:db8:1::/48`).
pub fn approximate(ip: &str) -> Option<String> {
    Some(match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_with_their_system() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(browser(Some(chrome)).as_deref(), Some("Chrome, Linux"));
        let firefox = "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/121.0";
        assert_eq!(browser(Some(firefox)).as_deref(), Some("Firefox, Windows"));
        assert_eq!(browser(None), None);
    }

    #[test]
    fn addresses_lose_their_last_part() {
        assert_eq!(approximate("203.0.113.77").as_deref(), Some("203.0.113.x"));
        assert_eq!(approximate("2001:db8:1:2::5").as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(approximate("nonsense"), None);
    }
}
