//! "The database is unavailable": a failure that is nobody's fault in the
//! request and passes when the database is back. The store raises it for lost
//! connections and pool timeouts; every surface answers it with 503 (come back
//! later) instead of an opaque 500.

use std::error::Error;

/// The database could not be reached (its cause, as text).
#[derive(Debug, thiserror::Error)]
#[error("the database is unavailable: {0}")]
pub struct Unavailable(pub String);

/// Whether `error` or any cause below it is [`Unavailable`].
pub fn caused(error: &(dyn Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<Unavailable>() {
            return true;
        }
        current = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("wrapped")]
    struct Wrapped(#[source] Unavailable);

    #[test]
    fn it_is_found_anywhere_in_the_chain() {
        assert!(caused(&Wrapped(Unavailable("connection refused".into()))));
        assert!(!caused(&std::io::Error::other("disk full")));
    }
}
