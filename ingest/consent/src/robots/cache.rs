//! A per-origin cache of robots.txt policies.
//!
//! RFC 9309 section 2.4: crawlers should not use a cached robots.txt for more than 24 hours.
//! Keyed by origin (`scheme://host:port`, the port always written) because a robots.txt
//! governs exactly one origin. The clock is passed in so that expiry is testable and follows
//! the crawler's notion of time.

use super::RobotsPolicy;
use crate::site::origin_key;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a cached policy is used (RFC 9309: no more than 24 hours).
pub const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Entries kept before expired ones are swept on insert.
const SWEEP_AT: usize = 10_000;

type Entry = (Arc<RobotsPolicy>, DateTime<Utc>);

/// Thread-safe cache of [`RobotsPolicy`] by origin.
#[derive(Debug)]
pub struct RobotsCache {
    max_age: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Default for RobotsCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The cache key for a URL: `scheme://host:port` ([`origin_key`]), or `None` for a URL
/// without a host.
pub fn origin_of(url: &str) -> Option<String> {
    origin_key(&url::Url::parse(url).ok()?)
}

impl RobotsCache {
    /// A cache with the RFC's 24-hour maximum age.
    pub fn new() -> Self {
        Self::with_max_age(MAX_AGE)
    }

    pub fn with_max_age(max_age: Duration) -> Self {
        RobotsCache {
            max_age,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn fresh(&self, stored: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match (now - stored).to_std() {
            Ok(age) => age < self.max_age,
            // A clock that went backwards: the entry is not older than max age.
            Err(_) => true,
        }
    }

    /// The policy for `origin` if one younger than the maximum age is cached.
    pub fn get(&self, origin: &str, now: DateTime<Utc>) -> Option<Arc<RobotsPolicy>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(origin) {
            Some((policy, at)) if self.fresh(*at, now) => Some(policy.clone()),
            Some(_) => {
                entries.remove(origin);
                None
            }
            None => None,
        }
    }

    /// Stores `policy` for `origin` as of `now`; returns it shared.
    pub fn insert(
        &self,
        origin: &str,
        policy: RobotsPolicy,
        now: DateTime<Utc>,
    ) -> Arc<RobotsPolicy> {
        let policy = Arc::new(policy);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, (_, at)| self.fresh(*at, now));
        }
        entries.insert(origin.to_string(), (policy.clone(), now));
        policy
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
