//! The tables retention visits, and the names reports and metrics give them.

/// A table whose rows retention deletes, in the order a sweep visits them
/// (refresh tokens before their grants, grants before their sessions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sweep {
    /// Expired authorization codes.
    AuthorizationCodes,
    /// Expired parked authorization requests.
    AuthorizationRequests,
    /// Expired sign-ins in progress.
    LoginTransactions,
    /// Expired refresh tokens, and every token of an ended grant.
    RefreshTokens,
    /// Ended grants: revoked, bound to an ended session, or with nothing left to use.
    Grants,
    /// Ended sessions that no live session-bound grant refers to.
    Sessions,
    /// Revoked access-token ids whose tokens have expired.
    RevokedAccessTokens,
    /// Rate-limit windows that have ended.
    RateLimits,
    /// Sent mails, and mails given up long ago.
    MailOutbox,
    /// Delivered back-channel logouts, and ones given up long ago.
    BackchannelDeliveries,
    /// Activation and reset links long past their end.
    ActivationTokens,
    /// E-mail changes long past their end.
    EmailChanges,
    /// Withdrawn consents.
    Consents,
    /// Audit events older than the audit retention.
    AuditEvents,
}

impl Sweep {
    /// Every table, in sweep order.
    pub const ALL: [Sweep; 14] = [
        Sweep::AuthorizationCodes,
        Sweep::AuthorizationRequests,
        Sweep::LoginTransactions,
        Sweep::RefreshTokens,
        Sweep::Grants,
        Sweep::Sessions,
        Sweep::RevokedAccessTokens,
        Sweep::RateLimits,
        Sweep::MailOutbox,
        Sweep::BackchannelDeliveries,
        Sweep::ActivationTokens,
        Sweep::EmailChanges,
        Sweep::Consents,
        Sweep::AuditEvents,
    ];

    /// The table's name (reports, logs, the metrics label).
    pub const fn table(self) -> &'static str {
        match self {
            Sweep::AuthorizationCodes => "authorization_codes",
            Sweep::AuthorizationRequests => "authorization_requests",
            Sweep::LoginTransactions => "login_transactions",
            Sweep::RefreshTokens => "refresh_tokens",
            Sweep::Grants => "grants",
            Sweep::Sessions => "sessions",
            Sweep::RevokedAccessTokens => "revoked_access_tokens",
            Sweep::RateLimits => "rate_limits",
            Sweep::MailOutbox => "mail_outbox",
            Sweep::BackchannelDeliveries => "backchannel_deliveries",
            Sweep::ActivationTokens => "activation_tokens",
            Sweep::EmailChanges => "email_changes",
            Sweep::Consents => "consents",
            Sweep::AuditEvents => "audit_events",
        }
    }
}

/// A table whose rows stay but whose client addresses and user agents are erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Erasure {
    /// Browser sessions.
    Sessions,
    /// Sign-ins in progress.
    LoginTransactions,
    /// Acceptances of the terms.
    TermsAcceptances,
}

impl Erasure {
    /// Every table with addresses to erase.
    pub const ALL: [Erasure; 3] = [Erasure::Sessions, Erasure::LoginTransactions, Erasure::TermsAcceptances];

    /// The table's name.
    pub const fn table(self) -> &'static str {
        match self {
            Erasure::Sessions => "sessions",
            Erasure::LoginTransactions => "login_transactions",
            Erasure::TermsAcceptances => "terms_acceptances",
        }
    }
}
