//! Authorization codes: stored hashed, redeemed at most once.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::authorization_codes as codes;

pub use codes::Model as CodeRow;

/// A code to store.
pub struct NewCode<'a> {
    /// SHA-256 of the code.
    pub code_hash: &'a str,
    /// The client it was issued to.
    pub client_id: &'a str,
    /// The account.
    pub user_id: Uuid,
    /// The browser session.
    pub session_id: Option<Uuid>,
    /// Exact redirect URI of the request.
    pub redirect_uri: &'a str,
    /// Granted scope.
    pub scope: &'a str,
    /// Request nonce.
    pub nonce: Option<&'a str>,
    /// PKCE challenge.
    pub code_challenge: Option<&'a str>,
    /// When the user authenticated.
    pub auth_time: OffsetDateTime,
    /// Authentication methods.
    pub amr: &'a [String],
    /// Authentication context class.
    pub acr: Option<&'a str>,
    /// Expiry.
    pub expires_at: OffsetDateTime,
}

/// Stores a new code.
pub async fn insert(conn: &impl ConnectionTrait, new: NewCode<'_>, now: OffsetDateTime) -> Result<(), StoreError> {
    codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        code_hash: Set(new.code_hash.to_string()),
        client_id: Set(new.client_id.to_string()),
        user_id: Set(new.user_id),
        session_id: Set(new.session_id),
        redirect_uri: Set(new.redirect_uri.to_string()),
        scope: Set(new.scope.to_string()),
        nonce: Set(new.nonce.map(str::to_string)),
        code_challenge: Set(new.code_challenge.map(str::to_string)),
        code_challenge_method: Set(new.code_challenge.map(|_| "S256".to_string())),
        auth_time: Set(new.auth_time),
        amr: Set(super::to_json_list(new.amr)),
        acr: Set(new.acr.map(str::to_string)),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        redeemed_at: Set(None),
        grant_id: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Result of presenting a code.
pub enum Redemption {
    /// This call redeemed it.
    Redeemed(CodeRow),
    /// It had been redeemed before (replay).
    Replayed(CodeRow),
    /// No such code.
    Unknown,
}

/// Redeems a code atomically: the conditional UPDATE comes first, so that of any
/// number of concurrent redemptions exactly one sees a changed row (and on SQLite the
/// transaction takes the write lock before reading anything).
pub async fn redeem(
    conn: &impl ConnectionTrait,
    code_hash: &str,
    now: OffsetDateTime,
) -> Result<Redemption, StoreError> {
    // One statement on the way every honest client takes: the row comes back
    // from the conditional UPDATE itself. Only a code that did not redeem is
    // read again, to tell a replay from a code never issued.
    let mut redeemed = codes::Entity::update_many()
        .col_expr(codes::Column::RedeemedAt, Expr::value(now))
        .filter(codes::Column::CodeHash.eq(code_hash))
        .filter(codes::Column::RedeemedAt.is_null())
        .exec_with_returning(conn)
        .await?;
    if let Some(row) = redeemed.pop() {
        return Ok(Redemption::Redeemed(row));
    }
    let row = codes::Entity::find().filter(codes::Column::CodeHash.eq(code_hash)).one(conn).await?;
    Ok(row.map_or(Redemption::Unknown, Redemption::Replayed))
}

/// Links a redeemed code to the grant it produced (for replay revocation).
pub async fn set_grant(conn: &impl ConnectionTrait, id: Uuid, grant_id: Uuid) -> Result<(), StoreError> {
    codes::Entity::update_many()
        .col_expr(codes::Column::GrantId, Expr::value(grant_id))
        .filter(codes::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
