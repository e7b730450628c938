//! A short-lived cache of client registrations for the token endpoint, the
//! hottest path: a machine client may ask for tokens thousands of times a second,
//! and its registration changes rarely. Entries live a few seconds, so a removed
//! client or a reset secret takes effect on every node within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::client::Client;
use crate::store::{self, Store, StoreError};

/// How long a looked-up client (or its absence) is trusted.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries kept at most (unknown ids are cached too, so a flood of random ids
/// must not grow the map without bound).
const CAPACITY: usize = 10_000;

/// Clients by id, with the time they were read.
#[derive(Debug, Default)]
pub struct ClientCache {
    entries: Mutex<HashMap<String, (Instant, Option<Client>)>>,
}

impl ClientCache {
    /// The client with `id`, from the cache when fresh, else from the store.
    pub async fn get(&self, store: &Store, id: &str) -> Result<Option<Client>, StoreError> {
        if let Some((read, client)) = self.lock().get(id)
            && read.elapsed() < TTL
        {
            return Ok(client.clone());
        }
        let client = store::clients::find(store.conn(), id).await?;
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, (read, _)| read.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(id.to_string(), (Instant::now(), client.clone()));
        Ok(client)
    }

    /// Forgets a client at once (after a change made on this node).
    pub fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Option<Client>)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
