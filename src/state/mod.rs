//! The state flows and handlers share: settings, store, clock, keys and the
//! two shared resources every node keeps in memory (the client cache and the
//! bounded password hasher).
//!
//! Those two live here rather than in `flows` because they are resources, not use
//! cases: the state holds them, and the state sits below the flows (`flows →
//! state`, never back). The demo relying party is not part of it: `app` gives
//! the demo its own router state.

pub mod client_cache;
pub mod hasher;

use std::sync::{Arc, RwLock};

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::store::Store;
use crate::tokens::keys::{KeyEncryptionKey, KeyRing};
use client_cache::ClientCache;
use hasher::Hasher;

/// Everything a handler may need. One shared allocation: every extractor and
/// every route clones the state, so a clone is a single reference count
/// rather than one per part. The parts are read through [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// Database pool.
    pub store: Store,
    /// The clock flows read.
    pub clock: Clock,
    /// Wakes the mail worker when a flow has queued mail.
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// Recently read client registrations (token endpoint).
    pub clients: Arc<ClientCache>,
    /// argon2id, bounded and off the runtime.
    pub hasher: Hasher,
    /// This provider's counters, served at `/metrics`.
    pub metrics: Arc<crate::metrics::Registry>,
    /// Serving in demo mode (`serve --demo`, set by `app` with the demo relying
    /// party): the development mailbox is open and the welcome page links to `/demo`.
    pub demo_mode: bool,
    /// The key that seals signing keys in the database; `None` for commands
    /// that neither sign nor change keys.
    pub key_encryption_key: Option<Arc<KeyEncryptionKey>>,
    keys: Arc<RwLock<Arc<KeyRing>>>,
    /// The discovery document and the JWK set as last sent, with the ring they
    /// were made from; made again whenever the ring is another one.
    pub published: Arc<RwLock<Option<Published>>>,
}

/// Documents that depend only on the settings and the key ring, serialized once
/// per ring instead of once per request.
#[derive(Debug)]
pub struct Published {
    /// The ring they describe.
    pub ring: Arc<KeyRing>,
    /// `/.well-known/openid-configuration`, as JSON.
    pub discovery: Arc<[u8]>,
    /// `/jwks`, as JSON.
    pub jwks: Arc<[u8]>,
}

impl AppState {
    /// Bundles the parts of a running provider.
    pub fn new(settings: Settings, store: Store, clock: Clock, keys: KeyRing) -> Self {
        Self(Arc::new(Shared {
            hasher: Hasher::new(settings.argon2),
            mail_queued: Arc::new(tokio::sync::Notify::new()),
            clients: Arc::default(),
            metrics: Arc::default(),
            settings: Arc::new(settings),
            store,
            clock,
            demo_mode: false,
            key_encryption_key: None,
            keys: Arc::new(RwLock::new(Arc::new(keys))),
            published: Arc::default(),
        }))
    }

    /// Changes a part while the provider is being put together (before it
    /// serves: later, clones made before the change would not see it).
    pub fn modify(&mut self, change: impl FnOnce(&mut Shared)) {
        change(Arc::make_mut(&mut self.0));
    }

    /// The current key ring (a snapshot: a reload does not change it under the
    /// caller). When the clock has passed a key's `signs_from` or `retire_after`,
    /// the ring is moved on first, so a staged key signs on time on every node
    /// without waiting for a reload.
    pub fn keys(&self) -> Arc<KeyRing> {
        let ring = match self.keys.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let now = self.clock.now();
        if ring.next_change().is_none_or(|at| at > now) {
            return ring;
        }
        let moved = Arc::new(ring.at(now));
        let mut guard = match self.keys.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A reload may have installed a newer ring meanwhile: keep that one.
        if Arc::ptr_eq(&guard, &ring) {
            *guard = moved.clone();
        }
        moved
    }

    /// Installs a reloaded key ring.
    pub fn replace_keys(&self, ring: KeyRing) {
        let ring = Arc::new(ring);
        match self.keys.write() {
            Ok(mut guard) => *guard = ring,
            Err(poisoned) => *poisoned.into_inner() = ring,
        }
    }
}
