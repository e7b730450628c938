//! Account lockout: after five consecutive failures (password or code) the account
//! is locked for a while, longer each time, but never for good — a stranger who
//! knows a login must not be able to shut its owner out (NIST SP 800-63B-4 §3.2.2).

/// Consecutive failures that lock the account.
pub const THRESHOLD: i32 = 5;

/// Lock length after the `lockouts`-th lock (0-based): 5 min doubling, at most 1 h.
pub fn duration(lockouts: i32) -> time::Duration {
    let exponent = u32::try_from(lockouts.clamp(0, 8)).unwrap_or(8);
    time::Duration::minutes((5i64 << exponent).min(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_and_stay_bounded() {
        assert_eq!(duration(0), time::Duration::minutes(5));
        assert_eq!(duration(1), time::Duration::minutes(10));
        assert_eq!(duration(10), time::Duration::minutes(60));
    }
}
