//! API Gateway's authorizer result cache: keyed by the token (TOKEN
//! authorizers) or by the identity source values (REQUEST), one entry per
//! key for the whole API — so a policy cached while calling one route
//! answers every other route for the TTL, whatever the route. TTL 0 turns
//! it off. Only successful policies are cached; 401s and 500s are not.
//!
//! It may be split into partitions that know nothing of each other (AWS
//! documents no topology; `serve --cache-partitions N` lets the lab show
//! and calibrate what a split does). The caller picks the partition.

use super::policy::Policy;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Entries = HashMap<String, (f64, Arc<Policy>)>;

pub struct AuthorizerCache {
    ttl: f64,
    partitions: Vec<Mutex<Entries>>,
}

impl AuthorizerCache {
    pub fn new(ttl: f64, partitions: usize) -> AuthorizerCache {
        AuthorizerCache {
            ttl,
            partitions: (0..partitions.max(1))
                .map(|_| Mutex::new(HashMap::new()))
                .collect(),
        }
    }

    pub fn ttl(&self) -> f64 {
        self.ttl
    }

    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    fn entries(&self, partition: usize) -> std::sync::MutexGuard<'_, Entries> {
        self.partitions[partition % self.partitions.len()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, partition: usize, key: &str, now: f64) -> Option<Arc<Policy>> {
        if self.ttl <= 0.0 {
            return None;
        }
        let mut entries = self.entries(partition);
        match entries.get(key) {
            Some((expires, policy)) if now < *expires => Some(Arc::clone(policy)),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, partition: usize, key: &str, policy: Arc<Policy>, now: f64) {
        if self.ttl > 0.0 {
            self.entries(partition)
                .insert(key.to_string(), (now + self.ttl, policy));
        }
    }
}
