//! OAuth error codes (RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6, RFC 6750,
//! RFC 7009) as data: the wire name lives in one table, round-trip tested.

use std::fmt;

/// An error code with its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed or missing parameter.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// Code or refresh token invalid, expired, revoked or not this client's.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// The grant type is unknown.
    UnsupportedGrantType,
    /// The response type is unknown.
    UnsupportedResponseType,
    /// The scope is unknown or not allowed.
    InvalidScope,
    /// The user or server refused.
    AccessDenied,
    /// Unexpected server condition.
    ServerError,
    /// Temporarily overloaded.
    TemporarilyUnavailable,
    /// `prompt=none` but the user must sign in.
    LoginRequired,
    /// `prompt=none` but the user must consent.
    ConsentRequired,
    /// `prompt=none` but the user must interact.
    InteractionRequired,
    /// `request` objects are not supported.
    RequestNotSupported,
    /// `request_uri` is not supported.
    RequestUriNotSupported,
    /// RFC 6750: the access token is invalid.
    InvalidToken,
    /// RFC 6750: the token lacks the scope.
    InsufficientScope,
    /// RFC 7009: this token type cannot be revoked.
    UnsupportedTokenType,
}

impl ErrorCode {
    /// Every code, for the round-trip test.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::UnauthorizedClient,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::UnsupportedResponseType,
        ErrorCode::InvalidScope,
        ErrorCode::AccessDenied,
        ErrorCode::ServerError,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::LoginRequired,
        ErrorCode::ConsentRequired,
        ErrorCode::InteractionRequired,
        ErrorCode::RequestNotSupported,
        ErrorCode::RequestUriNotSupported,
        ErrorCode::InvalidToken,
        ErrorCode::InsufficientScope,
        ErrorCode::UnsupportedTokenType,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error: code plus a description for the client developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    /// Wire code.
    pub code: ErrorCode,
    /// Human-readable description (never a secret).
    pub description: String,
}

impl OAuthError {
    /// A new error.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant` with a description.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `server_error`.
    pub fn server_error() -> Self {
        Self::new(ErrorCode::ServerError, "internal error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_name_round_trips() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn wire_names_are_snake_case_ascii() {
        for code in ErrorCode::ALL {
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }
}
