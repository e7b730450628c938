//! `authorization_code` (RFC 6749 §4.1.3, OIDC Core §3.1.3): one redemption per
//! code; a second one revokes everything the first produced (RFC 6749 §4.1.2,
//! RFC 9700 §4.5).

use time::OffsetDateTime;

use super::{Authentication, TokenError, TokenResponse, access_token, id_token};
use crate::domain::audit::AuditEvent;
use crate::domain::client::Client;
use crate::domain::oauth::error::OAuthError;
use crate::domain::oauth::grant_type::GrantType;
use crate::domain::oauth::{pkce, scope};
use crate::domain::user::User;
use crate::state::AppState;
use crate::store::{self, authorization_codes::Redemption, grants::NewGrant};
use crate::tokens::opaque;

pub(super) async fn exchange(
    state: &AppState,
    client: &Client,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    let code = code.ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let redirect_uri = redirect_uri.ok_or_else(|| OAuthError::invalid_request("redirect_uri is required"))?;
    let now = state.clock.now();
    let tx = state.store.begin().await?;
    let row = match store::authorization_codes::redeem(tx.conn(), &opaque::hash(code), now).await? {
        Redemption::Unknown => {
            return Err(OAuthError::invalid_grant("unknown authorization code").into());
        }
        Redemption::Replayed(row) => {
            // Only the code's own client replaying it is the theft RFC 6749 §4.1.2 means;
            // another client presenting a leaked code must not be able to end the
            // owner's tokens.
            if let Some(grant) = row.grant_id.filter(|_| row.client_id == client.id) {
                store::grants::revoke(tx.conn(), grant, now).await?;
                let mut event =
                    AuditEvent::new(format!("client:{}", client.id), "code.replayed", Some(grant.to_string()));
                event.subject_user_id = Some(row.user_id);
                store::audit::record(tx.conn(), &event, now).await?;
            }
            tx.commit().await?;
            return Err(OAuthError::invalid_grant(
                "authorization code was already used; tokens issued from it are revoked",
            )
            .into());
        }
        Redemption::Redeemed(row) => row,
    };
    // Every check below fails with the code spent: a code is good for one try only.
    let fail =
        |description: &str| -> Result<TokenResponse, TokenError> { Err(OAuthError::invalid_grant(description).into()) };
    if row.client_id != client.id {
        tx.commit().await?;
        return fail("authorization code was issued to another client");
    }
    if row.expires_at <= now {
        tx.commit().await?;
        return fail("authorization code has expired");
    }
    if row.redirect_uri != redirect_uri {
        tx.commit().await?;
        return fail("redirect_uri does not match the authorization request");
    }
    match (&row.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) if pkce::verify(verifier, challenge) => {}
        (Some(_), _) => {
            tx.commit().await?;
            return fail("code_verifier does not match the code_challenge");
        }
        // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
        (None, Some(_)) => {
            tx.commit().await?;
            return fail("code_verifier sent but the authorization request had no code_challenge");
        }
        (None, None) => {}
    }
    let Some(user) = store::users::find(tx.conn(), row.user_id).await?.filter(User::can_sign_in) else {
        tx.commit().await?;
        return fail("the account can no longer sign in");
    };
    let offline = scope::contains(&row.scope, "offline_access");
    let grant = store::grants::insert(
        tx.conn(),
        NewGrant {
            client_id: &client.id,
            user_id: Some(user.id),
            session_id: row.session_id,
            scope: &row.scope,
            auth_time: Some(row.auth_time),
            amr: Some(row.amr.clone()),
            acr: row.acr.as_deref(),
            offline,
        },
        now,
    )
    .await?;
    store::authorization_codes::set_grant(tx.conn(), row.id, grant).await?;
    let refresh_token = issue_refresh(state, client, grant, now, &tx).await?;
    tx.commit().await?;

    let subject = user.subject();
    let auth_time = row.auth_time.unix_timestamp();
    let (access, expires_in) = access_token(state, client, &subject, &row.scope, Some(auth_time), Some(grant))?;
    let authentication = Authentication {
        issued_at: now.unix_timestamp(),
        auth_time,
        nonce: row.nonce.as_deref(),
        acr: row.acr.as_deref(),
        amr_json: Some(&row.amr),
        session: row.session_id,
    };
    let id_token = id_token(state, client, &user, &row.scope, &access, authentication)?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in,
        scope: row.scope,
        id_token: Some(id_token),
        refresh_token,
    })
}

/// A refresh token for clients allowed the refresh grant.
pub(super) async fn issue_refresh(
    state: &AppState,
    client: &Client,
    grant: uuid::Uuid,
    now: OffsetDateTime,
    tx: &store::Tx,
) -> Result<Option<String>, TokenError> {
    if !client.allows(GrantType::RefreshToken) {
        return Ok(None);
    }
    let token = opaque::random_token();
    let ttl = time::Duration::try_from(state.settings.refresh_token_ttl).unwrap_or(time::Duration::days(30));
    store::refresh_tokens::insert(tx.conn(), grant, &opaque::hash(&token), now, now + ttl).await?;
    Ok(Some(token))
}
