//! Reading the audit trail (admin API). Read-only: no transaction, no event.

use crate::flows::Internal;
use crate::store::{self, Store};

/// The filters of the audit search and the events it answers. Defined with the
/// query (in `store`); named here so callers above the flows never reach the store.
pub use crate::domain::audit::{AuditFilter, AuditRecord};

/// One page of the events matching `filter`, newest first, and how many match in all.
pub async fn search(
    store: &Store,
    filter: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<AuditRecord>, u64), Internal> {
    Ok(store::audit::search(store.conn(), filter, offset, limit).await?)
}
