//! Attempt limits. After `threshold` consecutive failures (password or code) the
//! account is locked for a while, longer each time, but never for good — a stranger
//! who knows a login must not be able to shut its owner out (NIST SP 800-63B-4
//! §3.2.2). Failures from one client address are budgeted per window as well.
//!
//! Every limited attempt takes its slot *before* it is verified (see
//! `store::users::reserve_attempt` and `store::rate_limits::reserve`), so parallel
//! requests can never verify more guesses than the budget has left.

/// The longest lock: later locks double up to this.
pub const MAX_LOCK: time::Duration = time::Duration::hours(1);

/// How many locks the doubling is computed for; later ones stay at [`MAX_LOCK`].
pub const DOUBLINGS: i32 = 12;

/// The attempt budgets of one deployment (settings `KUKE_ID_LOCKOUT_*` and
/// `KUKE_ID_ADDRESS_FAILURES_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Consecutive failures that lock the account.
    pub threshold: i32,
    /// Length of the first lock.
    pub first_lock: time::Duration,
    /// Failures one client address may make per window.
    pub address_failures: i32,
    /// The window of `address_failures`.
    pub address_window: time::Duration,
}

impl Limits {
    /// Lock length after the `lockouts`-th lock (0-based): the first lock, doubling,
    /// at most [`MAX_LOCK`].
    pub fn lock_length(&self, lockouts: i32) -> time::Duration {
        let exponent = u32::try_from(lockouts.clamp(0, DOUBLINGS)).unwrap_or(0);
        let seconds = self.first_lock.whole_seconds().saturating_mul(1i64 << exponent);
        time::Duration::seconds(seconds.min(MAX_LOCK.whole_seconds()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(first_lock: time::Duration) -> Limits {
        Limits { threshold: 5, first_lock, address_failures: 50, address_window: time::Duration::minutes(5) }
    }

    #[test]
    fn locks_grow_and_stay_bounded() {
        let limits = limits(time::Duration::minutes(5));
        assert_eq!(limits.lock_length(0), time::Duration::minutes(5));
        assert_eq!(limits.lock_length(1), time::Duration::minutes(10));
        assert_eq!(limits.lock_length(10), time::Duration::minutes(60));
        assert_eq!(limits.lock_length(i32::MAX), MAX_LOCK);
    }

    #[test]
    fn a_short_first_lock_doubles_from_its_own_length() {
        let limits = limits(time::Duration::seconds(2));
        assert_eq!(limits.lock_length(0), time::Duration::seconds(2));
        assert_eq!(limits.lock_length(3), time::Duration::seconds(16));
    }
}
