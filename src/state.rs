//! The state flows and handlers share: settings, store, clock and keys.

use std::sync::{Arc, RwLock};

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::store::Store;
use crate::tokens::keys::KeyRing;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// Database pool.
    pub store: Store,
    /// The clock flows read.
    pub clock: Clock,
    /// The built-in demo relying party (`serve --demo` only).
    pub demo: Option<Arc<crate::demo::DemoRp>>,
    keys: Arc<RwLock<Arc<KeyRing>>>,
}

impl AppState {
    /// Bundles the parts of a running provider.
    pub fn new(settings: Settings, store: Store, clock: Clock, keys: KeyRing) -> Self {
        Self {
            settings: Arc::new(settings),
            store,
            clock,
            demo: None,
            keys: Arc::new(RwLock::new(Arc::new(keys))),
        }
    }

    /// The current key ring (a snapshot: a reload does not change it under the caller).
    pub fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
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
