//! Whether a trusted key has left its issuer's set. A key is shared by
//! every set that still holds it, so the verified-token memo can keep the
//! flag of the key that verified an entry and stop answering once the IdP
//! removes that key (the usual answer to a compromise), at the cost of one
//! atomic load per hit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once, when a refreshed set no longer holds the key.
#[derive(Clone, Default)]
pub struct Retired(Arc<AtomicBool>);

impl Retired {
    /// The key has been removed from its issuer's set.
    #[inline]
    pub fn is_retired(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Marks the key removed: entries it verified stop answering.
    pub fn retire(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Both name the same key's flag.
    pub fn same_as(&self, other: &Retired) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Retired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Retired({})", self.is_retired())
    }
}

/// The flag is bookkeeping, not part of the key: keys compare by material.
impl PartialEq for Retired {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Retired {}
