//! `refresh_token` (RFC 6749 §6, RFC 9700 §4.14.2): every use rotates the token;
//! presenting a rotated one revokes the whole family.

use super::authorization_code::issue_refresh;
use super::{Authentication, TokenError, TokenResponse, access_token, id_token};
use crate::domain::audit::AuditEvent;
use crate::domain::client::Client;
use crate::domain::oauth::error::OAuthError;
use crate::domain::oauth::scope;
use crate::domain::secret::RefreshToken;
use crate::domain::user::User;
use crate::state::AppState;
use crate::store::{self, refresh_tokens::Rotation};
use crate::tokens::opaque;

pub(super) async fn exchange(
    state: &AppState,
    client: &Client,
    token: Option<RefreshToken>,
    requested: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let token = token.ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = match store::refresh_tokens::rotate(tx.conn(), &opaque::hash(token.expose()), now).await? {
        Rotation::Unknown => return Err(OAuthError::invalid_grant("unknown refresh token").into()),
        Rotation::Reused(row) => {
            let grant = store::grants::find(tx.conn(), row.grant_id).await?;
            // Only the owner's reuse revokes: another client must not be able to kill a family.
            if grant.as_ref().is_some_and(|g| g.client_id == client.id) {
                store::grants::revoke(tx.conn(), row.grant_id, now).await?;
                let mut event = AuditEvent::new(
                    format!("client:{}", client.id),
                    "refresh_token.reused",
                    Some(row.grant_id.to_string()),
                );
                event.subject_user_id = grant.and_then(|g| g.user_id);
                store::audit::record(tx.conn(), &event, now).await?;
                tx.commit().await?;
            }
            return Err(OAuthError::invalid_grant("refresh token was already used or revoked").into());
        }
        Rotation::Used(row) => row,
    };
    let Some(grant) = store::grants::find(tx.conn(), row.grant_id).await? else {
        return Err(OAuthError::invalid_grant("unknown refresh token").into());
    };
    if grant.client_id != client.id {
        // Not this client's token: leave it untouched (the transaction rolls back).
        return Err(OAuthError::invalid_grant("refresh token was issued to another client").into());
    }
    let fail =
        |description: &str| -> Result<TokenResponse, TokenError> { Err(OAuthError::invalid_grant(description).into()) };
    if grant.revoked_at.is_some() {
        return fail("the grant was revoked");
    }
    if row.expires_at <= now {
        return fail("refresh token has expired");
    }
    let Some(user) = grant.user_id else {
        return fail("not a user grant");
    };
    let Some(user) = store::users::find(tx.conn(), user).await?.filter(User::can_sign_in) else {
        return fail("the account can no longer sign in");
    };
    if !grant.offline
        && let Some(session) = grant.session_id
    {
        let alive = store::sessions::find(tx.conn(), session)
            .await?
            .is_some_and(|s| s.is_valid(now, state.settings.session_idle));
        if !alive {
            return fail("the browser session has ended (ask for offline_access to refresh without one)");
        }
    }
    let scope = match requested {
        None => grant.scope.clone(),
        Some(text) => {
            let requested = scope::parse_requested(text)?;
            if requested.iter().any(|s| !scope::contains(&grant.scope, s)) {
                return Err(OAuthError::new(
                    crate::domain::oauth::error::ErrorCode::InvalidScope,
                    "scope exceeds the original grant",
                )
                .into());
            }
            scope::join(&requested)
        }
    };
    // The client and the person as they are now: a scope the client was since
    // registered without, or an admin scope of a person who lost idp-admin, ends here.
    let scope =
        scope::for_person(&scope::join(&scope::grantable(&scope::parse(&scope), &client.scopes)), user.idp_admin);
    let refresh_token = issue_refresh(state, client, grant.id, now, &tx).await?;
    tx.commit().await?;

    let subject = user.subject();
    let auth_time = grant.auth_time.map(|t| t.unix_timestamp());
    let (access, expires_in) = access_token(state, client, &subject, &scope, auth_time, Some(grant.id))?;
    let id_token = if scope::contains(&scope, "openid") {
        let authentication = Authentication {
            issued_at: now.unix_timestamp(),
            auth_time: auth_time.unwrap_or_else(|| now.unix_timestamp()),
            nonce: None,
            acr: grant.acr.as_deref(),
            amr_json: grant.amr.as_deref(),
            session: grant.session_id,
        };
        Some(id_token(state, client, &user, &scope, &access, authentication)?)
    } else {
        None
    };
    Ok(TokenResponse { access_token: access, token_type: "Bearer", expires_in, scope, id_token, refresh_token })
}
