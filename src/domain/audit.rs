//! Audit events: who did what to whom, kept after the data they describe is gone.

use serde_json::Value;
use time::OffsetDateTime;
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

/// Who causes a change, and from where: every audit event of a call carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `cli`, `system`, `client:<id>`, `user:<uuid>`.
    pub name: String,
    /// The caller's address, for HTTP requests.
    pub ip: Option<String>,
    /// The request id, for HTTP requests.
    pub request_id: Option<String>,
    /// What the actor may do beyond the scope of the route it called.
    pub authority: Authority,
}

/// How far an actor's power reaches. Flows consult it where a narrower scope
/// could otherwise be turned into a wider one (an admin scope put on a client,
/// a provider administrator's account changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// Everything: the command line, the provider itself, a caller holding `admin`.
    Full,
    /// Only the admin scopes the caller holds (never `admin` itself).
    Scoped(Vec<String>),
}

impl Actor {
    /// An operator at the command line.
    pub fn cli() -> Self {
        Self::named("cli")
    }

    /// An actor known by name only (no request behind it).
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), ip: None, request_id: None, authority: Authority::Full }
    }

    /// Whether the actor holds full administrative power (`admin`).
    pub fn is_full_admin(&self) -> bool {
        self.authority == Authority::Full
    }

    /// Whether the actor holds `scope` (full power holds every scope).
    pub fn holds(&self, scope: &str) -> bool {
        match &self.authority {
            Authority::Full => true,
            Authority::Scoped(scopes) => scopes.iter().any(|held| held == scope),
        }
    }

    /// An event by this actor.
    pub fn event(&self, action: &'static str, target: Option<String>) -> AuditEvent {
        let mut event = AuditEvent::new(self.name.clone(), action, target);
        event.ip = self.ip.clone();
        event.request_id = self.request_id.clone();
        event
    }
}

/// What to look for in the audit trail; every field left `None` matches all.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// At or after this time.
    pub from: Option<OffsetDateTime>,
    /// Before this time.
    pub to: Option<OffsetDateTime>,
    /// Exactly this actor (`cli`, `system`, `client:<id>`, `user:<uuid>`).
    pub actor: Option<String>,
    /// The account the event is about.
    pub subject_user_id: Option<Uuid>,
    /// Exactly this action, or every action starting with it when it ends with a dot (`user.`).
    pub action: Option<String>,
}

/// One stored event, as read back.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// Row id (UUIDv7, so it sorts by time too).
    pub id: Uuid,
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// Dotted verb.
    pub action: String,
    /// The object acted upon.
    pub target: Option<String>,
    /// The account it is about.
    pub subject_user_id: Option<Uuid>,
    /// The caller's address.
    pub ip: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// Extra facts (a JSON object).
    pub details: Value,
}
