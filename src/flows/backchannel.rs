//! OIDC Back-Channel Logout 1.0: when a session ends, each client that registered a
//! `backchannel_logout_uri` and holds a grant from that session gets a signed
//! logout token by POST. Deliveries are queued in the same transaction as the
//! logout and retried with exponential back-off, like mail.

use std::time::Duration;

use time::OffsetDateTime;

use super::Internal;
use crate::domain::session::Session;
use crate::state::AppState;
use crate::store::{self, Tx};
use crate::tokens::id_token;

/// Attempts before a delivery is given up (about a day of back-off).
const MAX_ATTEMPTS: i32 = 12;

/// Queues logout tokens for the clients of an ending session.
pub(super) async fn enqueue(
    state: &AppState,
    tx: &Tx,
    session: &Session,
    client_ids: &[String],
    now: OffsetDateTime,
) -> Result<(), Internal> {
    for client_id in client_ids {
        let Some(client) = store::clients::find(tx.conn(), client_id).await? else {
            continue;
        };
        let Some(uri) = client.backchannel_logout_uri.as_deref() else {
            continue;
        };
        let token = id_token::logout_token(
            &state.keys(),
            &state.settings.issuer,
            &client.id,
            &session.user_id.to_string(),
            &session.id.to_string(),
            now.unix_timestamp(),
            client.id_token_alg,
        );
        match token {
            Ok(token) => store::backchannel::enqueue(tx.conn(), &client.id, uri, &token, now).await?,
            Err(error) => {
                tracing::error!(%error, client = %client.id, "cannot sign a logout token")
            }
        }
    }
    Ok(())
}

/// Sends the deliveries that are due; returns how many succeeded.
pub async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<usize, Internal> {
    let now = state.clock.now();
    let due = store::backchannel::claim_due(state.store.conn(), now, 20, time::Duration::minutes(2)).await?;
    let mut sent = 0;
    for row in due {
        if !state.settings.backchannel_allow_internal && crate::domain::client::is_internal_target(&row.uri) {
            let error = "refused: the URI names an internal address (KUKE_ID_BACKCHANNEL_ALLOW_INTERNAL is off)";
            tracing::warn!(client = %row.client_id, "back-channel logout to an internal address refused");
            store::backchannel::attempt_failed(state.store.conn(), &row, error, None, state.clock.now()).await?;
            continue;
        }
        let result = http
            .post(&row.uri)
            .form(&[("logout_token", row.logout_token.as_str())])
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let now = state.clock.now();
        match result {
            // §2.8: the RP answers 200 (or 204) when it has logged the session out.
            Ok(response) if response.status().is_success() => {
                store::backchannel::delivered(state.store.conn(), row.id, now).await?;
                sent += 1;
            }
            outcome => {
                let error = match outcome {
                    Ok(response) => format!("HTTP {}", response.status()),
                    Err(error) => error.to_string(),
                };
                let retry = (row.attempts + 1 < MAX_ATTEMPTS).then(|| now + backoff(row.attempts));
                tracing::warn!(client = %row.client_id, attempts = row.attempts + 1, %error, "back-channel logout delivery failed");
                store::backchannel::attempt_failed(state.store.conn(), &row, &error, retry, now).await?;
            }
        }
    }
    Ok(sent)
}

/// 10 s, 20 s, 40 s … capped at 4 h.
pub fn backoff(attempts: i32) -> time::Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    let secs = 10i64.saturating_mul(2i64.saturating_pow(exponent));
    time::Duration::seconds(secs.min(4 * 3600))
}
