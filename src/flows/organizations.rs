//! Customer organisations (admin API): created by imports or by hand, found by
//! kuke-id id or Ekstranet external id; every change audited. The admin API
//! and `kuke-id users` find them through here.

use time::OffsetDateTime;
use uuid::Uuid;

use super::Internal;
use crate::domain::audit::Actor;
use crate::domain::clock::Clock;
use crate::domain::import::{self, RowError};
use crate::store::organizations::OrganizationRow;
use crate::store::{self, Store, StoreError};

/// Why a change to an organisation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrganizationError {
    /// No such organisation.
    #[error("no such organisation")]
    NotFound,
    /// A field breaks a rule.
    #[error(transparent)]
    Invalid(#[from] RowError),
    /// Another organisation has the external id.
    #[error("another organisation has this external id")]
    ExternalIdTaken,
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<StoreError> for OrganizationError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(_) => Self::ExternalIdTaken,
            other => Self::Internal(Internal(other)),
        }
    }
}

/// A customer organisation, as callers above the flows see it.
#[derive(Debug, Clone)]
pub struct Organization {
    /// kuke-id id.
    pub id: Uuid,
    /// Ekstranet id, when imported from there.
    pub external_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

impl From<OrganizationRow> for Organization {
    fn from(row: OrganizationRow) -> Self {
        Self {
            id: row.id,
            external_id: row.external_id,
            name: row.name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// One page of the organisations whose name or external id contains `text`,
/// each with its number of accounts, and how many match in all.
pub async fn search(
    store: &Store,
    text: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<(Organization, u64)>, u64), Internal> {
    let (rows, total) = store::organizations::search(store.conn(), text, offset, limit).await?;
    Ok((rows.into_iter().map(|(row, accounts)| (row.into(), accounts)).collect(), total))
}

/// The organisation with `id`.
pub async fn find(store: &Store, id: Uuid) -> Result<Option<Organization>, Internal> {
    Ok(store::organizations::find(store.conn(), id).await?.map(Organization::from))
}

/// The organisation with Ekstranet id `external_id`.
pub async fn find_by_external_id(store: &Store, external_id: &str) -> Result<Option<Organization>, Internal> {
    Ok(store::organizations::find_by_external_id(store.conn(), external_id).await?.map(Organization::from))
}

/// An organisation named by its id or its Ekstranet id.
pub async fn resolve(store: &Store, name: &str) -> Result<Option<Organization>, Internal> {
    match Uuid::parse_str(name) {
        Ok(id) => find(store, id).await,
        Err(_) => find_by_external_id(store, name).await,
    }
}

fn external_id(value: Option<&str>) -> Result<Option<String>, RowError> {
    value.map(|v| import::clean(v, "external_id")).transpose()
}

/// Creates an organisation; audited as `organization.created`.
pub async fn create(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    external: Option<&str>,
    name: &str,
) -> Result<Organization, OrganizationError> {
    let name = import::clean(name, "name")?;
    let external = external_id(external)?;
    let now = clock.now();
    let tx = store.begin().await?;
    if let Some(external) = &external
        && store::organizations::find_by_external_id(tx.conn(), external).await?.is_some()
    {
        return Err(OrganizationError::ExternalIdTaken);
    }
    let row = store::organizations::insert(tx.conn(), external.as_deref(), &name, now).await?;
    store::audit::record(tx.conn(), &actor.event("organization.created", Some(row.id.to_string())), now).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Changes the name and/or external id; audited as `organization.updated`.
pub async fn update(
    store: &Store,
    clock: &Clock,
    actor: &Actor,
    id: Uuid,
    external: Option<Option<&str>>,
    name: Option<&str>,
) -> Result<Organization, OrganizationError> {
    let now = clock.now();
    let tx = store.begin().await?;
    let current = store::organizations::find(tx.conn(), id).await?.ok_or(OrganizationError::NotFound)?;
    let name = name.map(|n| import::clean(n, "name")).transpose()?.unwrap_or(current.name.clone());
    let external = match external {
        Some(value) => external_id(value)?,
        None => current.external_id.clone(),
    };
    if let Some(wanted) = &external
        && store::organizations::find_by_external_id(tx.conn(), wanted).await?.is_some_and(|other| other.id != id)
    {
        return Err(OrganizationError::ExternalIdTaken);
    }
    if name != current.name || external != current.external_id {
        store::organizations::update(tx.conn(), id, external.as_deref(), &name, now).await?;
        let event = actor.event("organization.updated", Some(id.to_string()));
        store::audit::record(tx.conn(), &event, now).await?;
    }
    let updated = store::organizations::find(tx.conn(), id).await?.ok_or(OrganizationError::NotFound)?;
    tx.commit().await?;
    Ok(updated.into())
}
