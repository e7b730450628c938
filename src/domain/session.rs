//! Browser sessions (SSO): when one is still valid.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Session id (`sid` claim).
    pub id: Uuid,
    /// The account.
    pub user_id: Uuid,
    /// When the user authenticated.
    pub auth_time: OffsetDateTime,
    /// Methods used (`pwd`, `otp`).
    pub amr: Vec<String>,
    /// Authentication context class.
    pub acr: Option<String>,
    /// Last request that used the session.
    pub last_seen_at: OffsetDateTime,
    /// Absolute end.
    pub expires_at: OffsetDateTime,
    /// Ended by logout or an administrator.
    pub ended_at: Option<OffsetDateTime>,
}

impl Session {
    /// Valid at `now`: not ended, before its absolute end, and used within `idle`.
    pub fn is_valid(&self, now: OffsetDateTime, idle: std::time::Duration) -> bool {
        let idle = Duration::try_from(idle).unwrap_or(Duration::MAX);
        self.ended_at.is_none() && now < self.expires_at && now < self.last_seen_at.saturating_add(idle)
    }
}

/// The acr value kuke-id asserts after password + e-mailed code.
pub const ACR_TWO_FACTOR: &str = "urn:kuke:acr:pwd-otp";

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: OffsetDateTime) -> Session {
        Session {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            auth_time: now,
            amr: vec![],
            acr: None,
            last_seen_at: now,
            expires_at: now + Duration::hours(12),
            ended_at: None,
        }
    }

    #[test]
    fn idle_session_expires() {
        let now = OffsetDateTime::now_utc();
        let s = session(now);
        assert!(s.is_valid(now + Duration::minutes(59), std::time::Duration::from_secs(3600)));
        assert!(!s.is_valid(now + Duration::minutes(61), std::time::Duration::from_secs(3600)));
    }

    #[test]
    fn absolute_lifetime_wins_over_activity() {
        let now = OffsetDateTime::now_utc();
        let mut s = session(now);
        s.last_seen_at = now + Duration::hours(12);
        assert!(!s.is_valid(now + Duration::hours(12), std::time::Duration::from_secs(3600)));
    }

    #[test]
    fn ended_session_is_invalid() {
        let now = OffsetDateTime::now_utc();
        let mut s = session(now);
        s.ended_at = Some(now);
        assert!(!s.is_valid(now, std::time::Duration::from_secs(3600)));
    }
}
