//! API Gateway's authorizer result cache: keyed by the token (TOKEN
//! authorizers) or by the identity source values (REQUEST), one entry per
//! key for the whole API — so a policy cached while calling one route
//! answers every other route for the TTL, whatever the route. TTL 0 turns
//! it off. Only successful policies are cached; 401s and 500s are not.

use super::policy::Policy;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

pub struct AuthorizerCache {
    ttl: f64,
    entries: Mutex<HashMap<String, (f64, Arc<Policy>)>>,
}

impl AuthorizerCache {
    pub fn new(ttl: f64) -> AuthorizerCache {
        AuthorizerCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> f64 {
        self.ttl
    }

    pub fn get(&self, key: &str, now: f64) -> Option<Arc<Policy>> {
        if self.ttl <= 0.0 {
            return None;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some((expires, policy)) if now < *expires => Some(Arc::clone(policy)),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, key: &str, policy: Arc<Policy>, now: f64) {
        if self.ttl > 0.0 {
            self.entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key.to_string(), (now + self.ttl, policy));
        }
    }
}
