//! Changes one node makes that the others must see at once: they keep some
//! things in memory (client registrations for a few seconds, the key ring), so
//! each such change is announced to every node (on PostgreSQL by
//! `LISTEN/NOTIFY`). Sessions, locks and disabled accounts are read from the
//! database on every request and need no announcement.

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A client was registered, changed, removed or got a new secret.
    Client(String),
    /// A signing key was added, rotated, retired or restored.
    Keys,
}

impl Change {
    /// The wire form: `client:<id>` or `keys`.
    pub fn to_payload(&self) -> String {
        match self {
            Change::Client(id) => format!("client:{id}"),
            Change::Keys => "keys".to_string(),
        }
    }

    /// Reads the wire form; `None` for anything this version does not know
    /// (sent by a newer node), which the listener treats as "reload everything".
    pub fn from_payload(payload: &str) -> Option<Change> {
        match payload.split_once(':') {
            Some(("client", id)) if !id.is_empty() => Some(Change::Client(id.to_string())),
            None if payload == "keys" => Some(Change::Keys),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_reads_back_from_its_payload() {
        for change in [Change::Client("portal:web-1".into()), Change::Keys] {
            assert_eq!(Change::from_payload(&change.to_payload()), Some(change));
        }
    }

    #[test]
    fn an_unknown_payload_is_not_a_change() {
        assert_eq!(Change::from_payload("client:"), None);
        assert_eq!(Change::from_payload("sessions"), None);
        assert_eq!(Change::from_payload(""), None);
    }
}
