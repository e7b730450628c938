//! Raw facts for the migration funnel.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::{activation_tokens, organizations, terms_acceptances, users};
use crate::domain::user::Status;

/// One account's funnel-relevant fields.
#[derive(Debug, Clone)]
pub struct AccountFacts {
    /// Account.
    pub id: Uuid,
    /// Journey state.
    pub status: Status,
    /// Organisation.
    pub organization_id: Option<Uuid>,
    /// Signed in at least once.
    pub signed_in: bool,
}

/// Every account (anonymised ones excluded).
pub async fn accounts(conn: &impl ConnectionTrait) -> Result<Vec<AccountFacts>, StoreError> {
    let rows: Vec<(Uuid, String, Option<Uuid>, Option<OffsetDateTime>)> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Status)
        .column(users::Column::OrganizationId)
        .column(users::Column::FirstSignInAt)
        .filter(users::Column::AnonymizedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|(id, status, organization_id, first)| {
            Ok(AccountFacts { id, status: status.parse()?, organization_id, signed_in: first.is_some() })
        })
        .collect()
}

/// Accounts holding a usable (unused, not voided, not expired) link at `now`.
pub async fn with_live_link(conn: &impl ConnectionTrait, now: OffsetDateTime) -> Result<HashSet<Uuid>, StoreError> {
    let ids: Vec<Uuid> = activation_tokens::Entity::find()
        .select_only()
        .column(activation_tokens::Column::UserId)
        .filter(activation_tokens::Column::UsedAt.is_null())
        .filter(activation_tokens::Column::VoidedAt.is_null())
        .filter(activation_tokens::Column::ExpiresAt.gt(now))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Accounts that accepted terms version `terms_id`.
pub async fn accepted(conn: &impl ConnectionTrait, terms_id: Uuid) -> Result<HashSet<Uuid>, StoreError> {
    let ids: Vec<Uuid> = terms_acceptances::Entity::find()
        .select_only()
        .column(terms_acceptances::Column::UserId)
        .filter(terms_acceptances::Column::TermsVersionId.eq(terms_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Organisation names by id.
pub async fn organization_names(conn: &impl ConnectionTrait) -> Result<HashMap<Uuid, String>, StoreError> {
    Ok(organizations::Entity::find().all(conn).await?.into_iter().map(|o| (o.id, o.name)).collect())
}

/// When each audit event `action` at or after `from` happened (the dashboard's
/// daily series: invitations, passwords set, sign-ins).
pub async fn action_times(
    conn: &impl ConnectionTrait,
    action: &str,
    from: OffsetDateTime,
) -> Result<Vec<OffsetDateTime>, StoreError> {
    use crate::store::entities::audit_events as events;
    let times: Vec<OffsetDateTime> = events::Entity::find()
        .select_only()
        .column(events::Column::At)
        .filter(events::Column::Action.eq(action))
        .filter(events::Column::At.gte(from))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(times)
}
