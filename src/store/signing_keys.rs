//! Signing keys as stored: public facts in columns, the private part sealed by
//! the caller (this module never sees a key in clear), and the one-row
//! `signing_key_set` whose lock serialises every change of the key set across
//! nodes. Every change is announced to the other nodes (see [`super::changes`]),
//! which read the key set again at once.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TryInsertResult};
use time::OffsetDateTime;

use super::StoreError;
use super::entities::signing_key_set as key_set;
use super::entities::signing_keys as keys;
use crate::domain::change::Change;
use crate::domain::signing_alg::SigningAlg;

/// The id of the single `signing_key_set` row.
const KEY_SET_ROW: i32 = 1;

/// One stored key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// When it was generated (or imported).
    pub created_at: OffsetDateTime,
    /// When it starts to sign; published from `created_at`.
    pub signs_from: OffsetDateTime,
    /// When it leaves the JWK set by itself (set once a newer key replaces it).
    pub retire_after: Option<OffsetDateTime>,
    /// When it was retired, by an operator or by itself.
    pub retired_at: Option<OffsetDateTime>,
    /// The private key, sealed with the key-encryption key.
    pub sealed_key: Vec<u8>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

fn from_row(row: keys::Model) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        alg: row.alg.parse().map_err(|e: crate::domain::signing_alg::UnknownAlg| StoreError::Corrupt(e.to_string()))?,
        kid: row.kid,
        created_at: row.created_at,
        signs_from: row.signs_from,
        retire_after: row.retire_after,
        retired_at: row.retired_at,
        sealed_key: row.sealed_key,
    })
}

/// Takes the key-set lock until the end of the transaction `conn` (the row is
/// created on first use); answers whether this call created it, i.e. whether
/// the database had never held a key set. Concurrent callers wait for each
/// other here: on PostgreSQL the row lock, on SQLite the write lock.
pub async fn lock_key_set(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<bool, StoreError> {
    let row = key_set::ActiveModel { id: Set(KEY_SET_ROW), created_at: Set(now), locked_at: Set(now) };
    let created = matches!(
        key_set::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(conn).await?,
        TryInsertResult::Inserted(n) if n > 0
    );
    key_set::Entity::update_many()
        .col_expr(key_set::Column::LockedAt, Expr::value(now))
        .filter(key_set::Column::Id.eq(KEY_SET_ROW))
        .exec(conn)
        .await?;
    Ok(created)
}

/// Every stored key, retired ones included, oldest first.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<StoredKey>, StoreError> {
    let rows = keys::Entity::find()
        .order_by_asc(keys::Column::SignsFrom)
        .order_by_asc(keys::Column::CreatedAt)
        .order_by_asc(keys::Column::Kid)
        .all(conn)
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// Whether any key is stored (retired ones included).
pub async fn any(conn: &impl ConnectionTrait) -> Result<bool, StoreError> {
    Ok(keys::Entity::find().one(conn).await?.is_some())
}

/// Stores a key; answers false when its kid is stored already (an import run twice).
pub async fn insert(conn: &impl ConnectionTrait, key: &StoredKey) -> Result<bool, StoreError> {
    let row = keys::ActiveModel {
        kid: Set(key.kid.clone()),
        alg: Set(key.alg.as_str().to_string()),
        created_at: Set(key.created_at),
        signs_from: Set(key.signs_from),
        retire_after: Set(key.retire_after),
        retired_at: Set(key.retired_at),
        sealed_key: Set(key.sealed_key.clone()),
    };
    let result = keys::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(conn).await?;
    let inserted = matches!(result, TryInsertResult::Inserted(n) if n > 0);
    if inserted {
        super::changes::announce(conn, &Change::Keys).await?;
    }
    Ok(inserted)
}

/// Schedules the retirement of the published keys of `alg` other than `newest`
/// that have no date yet: they stop signing when `newest` starts.
pub async fn schedule_retirement(
    conn: &impl ConnectionTrait,
    alg: SigningAlg,
    newest: &str,
    at: OffsetDateTime,
) -> Result<u64, StoreError> {
    let result = keys::Entity::update_many()
        .col_expr(keys::Column::RetireAfter, Expr::value(Some(at)))
        .filter(keys::Column::Alg.eq(alg.as_str()))
        .filter(keys::Column::Kid.ne(newest))
        .filter(keys::Column::RetireAfter.is_null())
        .filter(keys::Column::RetiredAt.is_null())
        .exec(conn)
        .await?;
    if result.rows_affected > 0 {
        super::changes::announce(conn, &Change::Keys).await?;
    }
    Ok(result.rows_affected)
}

/// Retires key `kid` now; answers false when it is unknown or retired already.
pub async fn retire(conn: &impl ConnectionTrait, kid: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = keys::Entity::update_many()
        .col_expr(keys::Column::RetiredAt, Expr::value(Some(now)))
        .filter(keys::Column::Kid.eq(kid))
        .filter(keys::Column::RetiredAt.is_null())
        .exec(conn)
        .await?;
    if result.rows_affected > 0 {
        super::changes::announce(conn, &Change::Keys).await?;
    }
    Ok(result.rows_affected > 0)
}

/// The published keys whose retirement date has passed.
pub async fn due_for_retirement(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<Vec<String>, StoreError> {
    let rows = keys::Entity::find()
        .filter(keys::Column::RetiredAt.is_null())
        .filter(keys::Column::RetireAfter.lte(now))
        .order_by_asc(keys::Column::Kid)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|row| row.kid).collect())
}
