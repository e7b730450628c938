//! Audit events: who did what to whom, kept after the data they describe is gone.

use serde_json::Value;
use uuid::Uuid;

/// One entry of the audit trail.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// `cli`, `system`, `client:<id>`, `user:<uuid>`.
    pub actor: String,
    /// Dotted verb, e.g. `client.created`.
    pub action: &'static str,
    /// The object acted upon (client id, key id, …).
    pub target: Option<String>,
    /// The account the event is about, when there is one.
    pub subject_user_id: Option<Uuid>,
    /// Caller's address, for HTTP requests.
    pub ip: Option<String>,
    /// Request id, to join the event with logs.
    pub request_id: Option<String>,
    /// Extra facts, never secrets.
    pub details: Value,
}

impl AuditEvent {
    /// An event with no subject, address or details.
    pub fn new(actor: impl Into<String>, action: &'static str, target: Option<String>) -> Self {
        Self {
            actor: actor.into(),
            action,
            target,
            subject_user_id: None,
            ip: None,
            request_id: None,
            details: Value::Object(Default::default()),
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}
