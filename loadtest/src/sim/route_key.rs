//! The cache keyed by token, method and concrete path (`gateway.cache_key =
//! "route"`): each user's token has a slot per path it calls, so a request
//! hits only if the same token called the same path within the TTL. This
//! is how a per-route answer must be cached (scopegate's overflow
//! fallback, and Amazon Verified Permissions' quick-start authorizer,
//! keyed by `Authorization`, `$context.httpMethod` and `$context.path`).
//! Paths are drawn per request by popularity (Zipf over `gateway.paths`).

use crate::rng::{Rng, Zipf};
use std::collections::HashMap;

/// Slots by (user, topology slot, path): the token generation they were
/// filled for and until when they answer.
#[derive(Debug, Clone)]
pub(super) struct RouteSlots {
    paths: Zipf,
    slots: HashMap<(u32, u32, u32), (u32, f64)>,
}

impl RouteSlots {
    pub(super) fn new(paths: u32, exponent: f64) -> RouteSlots {
        RouteSlots {
            paths: Zipf::new(paths as usize, exponent),
            slots: HashMap::new(),
        }
    }

    /// The path of the next request.
    pub(super) fn draw(&self, rng: &mut Rng) -> u32 {
        self.paths.sample(rng) as u32
    }

    /// Until when the slot answers for this token generation.
    pub(super) fn cached_until(&self, user: usize, slot: usize, path: u32, generation: u32) -> f64 {
        match self.slots.get(&(user as u32, slot as u32, path)) {
            Some(&(g, until)) if g == generation => until,
            _ => f64::NEG_INFINITY,
        }
    }

    pub(super) fn cache(
        &mut self,
        user: usize,
        slot: usize,
        path: u32,
        generation: u32,
        until: f64,
    ) {
        self.slots
            .insert((user as u32, slot as u32, path), (generation, until));
    }
}
