//! Politeness: never more than `per_host_concurrency` requests (default 1) in flight to one
//! host, and a pause between the end of one request and the start of the next, whatever task
//! asks — page fetches, robots.txt, redirect hops from another host's pages all take a turn
//! here. The pause is max(configured delay, robots.txt Crawl-delay capped), and a 429/503 with
//! Retry-After pushes the host's next start further out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

/// The key politeness is counted under: scheme-less `host:port`.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or("").to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or(0)
    )
}

struct HostSlot {
    permits: Arc<Semaphore>,
    state: Mutex<SlotState>,
}

struct SlotState {
    next_start: Instant,
    delay: Duration,
    /// When the last request ended (a delay learnt later still counts from there).
    last_end: Option<Instant>,
}

/// Per-host turns, shared by every task of a crawl.
pub struct Politeness {
    hosts: Mutex<HashMap<String, Arc<HostSlot>>>,
    concurrency: usize,
    default_delay: Duration,
}

/// The right to send one request to a host; the host's pause starts when it is dropped.
pub struct HostTurn {
    slot: Arc<HostSlot>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for HostTurn {
    fn drop(&mut self) {
        let mut s = self.slot.state.lock().unwrap();
        let now = Instant::now();
        s.last_end = Some(now);
        let after = now + s.delay;
        if after > s.next_start {
            s.next_start = after;
        }
    }
}

impl Politeness {
    pub fn new(concurrency: usize, default_delay: Duration) -> Self {
        Politeness {
            hosts: Mutex::new(HashMap::new()),
            concurrency: concurrency.max(1),
            default_delay,
        }
    }

    fn slot(&self, key: &str) -> Arc<HostSlot> {
        let mut hosts = self.hosts.lock().unwrap();
        hosts
            .entry(key.to_string())
            .or_insert_with(|| {
                Arc::new(HostSlot {
                    permits: Arc::new(Semaphore::new(self.concurrency)),
                    state: Mutex::new(SlotState {
                        next_start: Instant::now(),
                        delay: self.default_delay,
                        last_end: None,
                    }),
                })
            })
            .clone()
    }

    /// Waits for a free slot on the host and for its pause to end.
    pub async fn turn(&self, key: &str) -> HostTurn {
        let slot = self.slot(key);
        let permit = slot
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("politeness semaphore is never closed");
        loop {
            let next = slot.state.lock().unwrap().next_start;
            if Instant::now() >= next {
                break;
            }
            tokio::time::sleep_until(next).await;
        }
        HostTurn {
            slot,
            _permit: permit,
        }
    }

    /// Sets the pause for a host to max(default, `crawl_delay`).
    pub fn set_crawl_delay(&self, key: &str, crawl_delay: Option<Duration>) {
        let delay = crawl_delay.map_or(self.default_delay, |d| d.max(self.default_delay));
        let slot = self.slot(key);
        let mut s = slot.state.lock().unwrap();
        s.delay = delay;
        if let Some(end) = s.last_end {
            if end + delay > s.next_start {
                s.next_start = end + delay;
            }
        }
    }

    /// The pause currently applied to a host.
    pub fn delay(&self, key: &str) -> Duration {
        self.slot(key).state.lock().unwrap().delay
    }

    /// No request to the host before `wait` from now (Retry-After).
    pub fn back_off(&self, key: &str, wait: Duration) {
        let slot = self.slot(key);
        let mut s = slot.state.lock().unwrap();
        let until = Instant::now() + wait;
        if until > s.next_start {
            s.next_start = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_turn_at_a_time_with_pause() {
        let p = Arc::new(Politeness::new(1, Duration::from_millis(50)));
        let t0 = Instant::now();
        let first = p.turn("a:80").await;
        let p2 = p.clone();
        let waiter = tokio::spawn(async move {
            let _t = p2.turn("a:80").await;
            Instant::now()
        });
        // Another host is not held up.
        drop(p.turn("b:80").await);
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(first);
        let second = waiter.await.unwrap();
        assert!(
            second - t0 >= Duration::from_millis(70),
            "{:?}",
            second - t0
        );
    }

    #[test]
    fn crawl_delay_never_shortens_default() {
        let p = Politeness::new(1, Duration::from_secs(1));
        p.set_crawl_delay("h:80", Some(Duration::from_millis(10)));
        assert_eq!(p.delay("h:80"), Duration::from_secs(1));
        p.set_crawl_delay("h:80", Some(Duration::from_secs(5)));
        assert_eq!(p.delay("h:80"), Duration::from_secs(5));
    }
}
