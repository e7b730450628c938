//! A short-lived cache of client registrations for the token endpoint, the
//! hottest path: a machine client may ask for tokens thousands of times a second,
//! and its registration changes rarely. A change is announced to every node,
//! which forgets the client at once (see `flows::changes`); entries live only a
//! few seconds anyway, for an announcement that was missed.
//!
//! Unknown ids are cached too (a flood of them should not reach the database
//! every time), so anyone can add entries: only ids that follow the client-id
//! rules are looked up at all, and the cache is bounded by entries and by
//! bytes, the oldest entries going first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::client::{self, Client};
use crate::store::{self, Store, StoreError};

/// How long a looked-up client (or its absence) is trusted.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries kept at most.
pub const MAX_ENTRIES: usize = 10_000;
/// Approximate memory the entries may take, ids and registrations included.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// Clients by id, with the time they were read.
#[derive(Debug)]
pub struct ClientCache {
    entries: Mutex<Entries>,
}

impl Default for ClientCache {
    fn default() -> Self {
        Self::with_bounds(MAX_ENTRIES, MAX_BYTES)
    }
}

impl ClientCache {
    /// A cache holding at most `max_entries` entries and about `max_bytes` bytes.
    pub fn with_bounds(max_entries: usize, max_bytes: usize) -> Self {
        Self { entries: Mutex::new(Entries::new(max_entries, max_bytes)) }
    }

    /// The client with `id`, from the cache when fresh, else from the store.
    /// An id no client can have is answered `None` without a lookup and not kept.
    pub async fn get(&self, store: &Store, id: &str) -> Result<Option<Client>, StoreError> {
        if client::check_id(id).is_err() {
            return Ok(None);
        }
        if let Some(client) = self.lock().fresh(id, Instant::now()) {
            return Ok(client);
        }
        let client = store::clients::find(store.conn(), id).await?;
        self.lock().insert(id, client.clone(), Instant::now());
        Ok(client)
    }

    /// Forgets a client at once (after a change made on this node).
    pub fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Forgets every client (after announcements may have been missed).
    pub fn forget_all(&self) {
        let mut entries = self.lock();
        let ids: Vec<String> = entries.map.keys().cloned().collect();
        for id in ids {
            entries.remove(&id);
        }
    }

    /// Entries held, fresh or not yet evicted.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One cached answer.
#[derive(Debug)]
struct Entry {
    read: Instant,
    client: Option<Client>,
    cost: usize,
}

/// The map, and the order entries were read in (oldest first) for eviction.
/// A queue item whose time differs from its map entry's is left over from an
/// entry since replaced or forgotten, and is skipped.
#[derive(Debug)]
struct Entries {
    map: HashMap<String, Entry>,
    order: VecDeque<(String, Instant)>,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
}

impl Entries {
    fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self { map: HashMap::new(), order: VecDeque::new(), bytes: 0, max_entries, max_bytes }
    }

    /// The cached answer for `id`, if read less than [`TTL`] before `now`.
    fn fresh(&self, id: &str, now: Instant) -> Option<Option<Client>> {
        self.map.get(id).filter(|entry| now.saturating_duration_since(entry.read) < TTL).map(|e| e.client.clone())
    }

    fn insert(&mut self, id: &str, client: Option<Client>, now: Instant) {
        self.remove(id);
        let cost = cost(id, client.as_ref());
        if cost > self.max_bytes || self.max_entries == 0 {
            return;
        }
        self.evict(now, cost);
        self.map.insert(id.to_string(), Entry { read: now, client, cost });
        self.order.push_back((id.to_string(), now));
        self.bytes += cost;
    }

    fn remove(&mut self, id: &str) {
        if let Some(entry) = self.map.remove(id) {
            self.bytes -= entry.cost;
        }
    }

    /// Drops what has expired, then the oldest entries until one of `incoming`
    /// bytes fits.
    fn evict(&mut self, now: Instant, incoming: usize) {
        while let Some((id, read)) = self.order.front() {
            let current = self.map.get(id).is_some_and(|entry| entry.read == *read);
            let expired = now.saturating_duration_since(*read) >= TTL;
            let full = self.map.len() >= self.max_entries || self.bytes + incoming > self.max_bytes;
            if current && !expired && !full {
                break;
            }
            if let Some((id, _)) = self.order.pop_front()
                && current
            {
                self.remove(&id);
            }
        }
        // Left-over items sit behind fresh entries only when the same id was
        // read again and again within the TTL (concurrent misses): rare, but
        // never let them pile up.
        if self.order.len() > 2 * self.max_entries + 16 {
            let map = &self.map;
            self.order.retain(|(id, read)| map.get(id).is_some_and(|entry| entry.read == *read));
        }
    }
}

/// About what an entry holds in memory: the id twice (map and queue), the
/// entry, and the registration's strings.
fn cost(id: &str, client: Option<&Client>) -> usize {
    let strings = |values: &[String]| values.iter().map(|v| v.len() + size_of::<String>()).sum::<usize>();
    let registration = client.map_or(0, |c| {
        c.id.len()
            + c.name.len()
            + strings(&c.redirect_uris)
            + strings(&c.post_logout_redirect_uris)
            + strings(&c.grant_types)
            + strings(&c.scopes)
            + c.backchannel_logout_uri.as_ref().map_or(0, String::len)
            + c.secret_hash.as_ref().map_or(0, String::len)
            + c.previous_secret.as_ref().map_or(0, |p| p.hash.len())
    });
    2 * id.len() + size_of::<Entry>() + size_of::<(String, Instant)>() + registration
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::client::ClientKind;
    use crate::domain::signing_alg::SigningAlg;

    fn client(id: &str, redirect_uris: usize) -> Client {
        Client {
            id: id.into(),
            name: "A relying party".into(),
            kind: ClientKind::Confidential,
            first_party: true,
            require_pkce: true,
            redirect_uris: (0..redirect_uris).map(|i| format!("https://rp.example/callback/{i:0>100}")).collect(),
            post_logout_redirect_uris: vec![],
            grant_types: vec!["authorization_code".into()],
            scopes: vec![],
            id_token_alg: SigningAlg::Rs256,
            backchannel_logout_uri: None,
            secret_hash: Some("0".repeat(64)),
            previous_secret: None,
        }
    }

    /// The longest id the client-id rules allow, different for every `n`.
    fn longest_id(n: usize) -> String {
        format!("{n:0>128}")
    }

    #[test]
    fn many_unknown_ids_never_grow_the_cache_beyond_its_bounds() {
        let mut entries = Entries::new(100, 64 * 1024);
        let start = Instant::now();
        for n in 0..20_000 {
            entries.insert(&longest_id(n), None, start + Duration::from_micros(n as u64));
            assert!(entries.map.len() <= 100, "{} entries after {n}", entries.map.len());
            assert!(entries.bytes <= 64 * 1024, "{} bytes after {n}", entries.bytes);
            assert!(entries.order.len() <= 2 * 100 + 16);
        }
        assert!(entries.fresh(&longest_id(19_999), start + Duration::from_secs(1)).is_some(), "the newest is kept");
        assert!(entries.fresh(&longest_id(0), start + Duration::from_secs(1)).is_none(), "the oldest went first");
    }

    #[test]
    fn large_registrations_are_held_to_the_byte_bound() {
        let mut entries = Entries::new(1_000, 16 * 1024);
        let now = Instant::now();
        for n in 0..100 {
            let id = format!("client-{n}");
            entries.insert(&id, Some(client(&id, 20)), now);
            assert!(entries.bytes <= 16 * 1024, "{} bytes after {n}", entries.bytes);
        }
        assert!(entries.map.len() < 100);
    }

    #[test]
    fn an_entry_larger_than_the_byte_bound_is_not_kept() {
        let mut entries = Entries::new(1_000, 4 * 1024);
        entries.insert("huge", Some(client("huge", 100)), Instant::now());
        assert!(entries.map.is_empty());
        assert_eq!(entries.bytes, 0);
    }

    #[test]
    fn an_entry_is_trusted_for_the_ttl_only() {
        let mut entries = Entries::new(10, 64 * 1024);
        let read = Instant::now();
        entries.insert("rp", Some(client("rp", 1)), read);
        assert!(entries.fresh("rp", read + TTL - Duration::from_millis(1)).is_some());
        assert!(entries.fresh("rp", read + TTL).is_none());
    }

    #[test]
    fn expired_entries_are_dropped_when_another_is_read() {
        let mut entries = Entries::new(10, 64 * 1024);
        let read = Instant::now();
        entries.insert("old", None, read);
        entries.insert("new", None, read + TTL);
        assert_eq!(entries.map.len(), 1);
        assert_eq!(entries.bytes, cost("new", None));
    }

    #[test]
    fn reading_an_id_again_replaces_its_entry_and_its_bytes() {
        let mut entries = Entries::new(10, 64 * 1024);
        let read = Instant::now();
        entries.insert("rp", None, read);
        entries.insert("rp", Some(client("rp", 1)), read + Duration::from_millis(1));
        assert_eq!(entries.map.len(), 1);
        assert_eq!(entries.bytes, cost("rp", Some(&client("rp", 1))));
        assert!(entries.fresh("rp", read + Duration::from_millis(2)).is_some_and(|c| c.is_some()));
    }

    #[test]
    fn forgetting_an_entry_gives_back_its_bytes() {
        let mut entries = Entries::new(10, 64 * 1024);
        entries.insert("rp", Some(client("rp", 1)), Instant::now());
        entries.remove("rp");
        assert!(entries.map.is_empty());
        assert_eq!(entries.bytes, 0);
    }
}
