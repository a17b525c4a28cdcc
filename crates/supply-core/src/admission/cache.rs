//! A bounded, TTL'd, single-flight cache: the first caller for a key starts the work on its
//! own task (so it finishes even when that caller's deadline passes, and the next review is a
//! hit), every concurrent caller for the same key waits for that one result, and the entry
//! then lives for a TTL chosen from the result. Failures are shared with the callers already
//! waiting but never kept: the next caller tries again, so an outage cannot poison the cache.
//! Least recently used entries go first when the cache is full.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// What a lookup found.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Lookup {
    /// A kept result.
    Hit,
    /// Work already under way for the same key, joined.
    Joined,
    /// New work started.
    Miss,
}

type Slot<V, E> = watch::Receiver<Option<Result<V, E>>>;

struct Entry<V, E> {
    slot: Slot<V, E>,
    id: u64,
    /// `None` while the work runs.
    expires: Option<Instant>,
    used: u64,
}

struct Inner<K, V, E> {
    entries: HashMap<K, Entry<V, E>>,
    by_use: BTreeMap<u64, K>,
    clock: u64,
}

/// Counters, for metrics.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Kept results returned.
    pub hits: AtomicU64,
    /// Callers that joined work under way.
    pub joined: AtomicU64,
    /// Callers that started work.
    pub misses: AtomicU64,
}

/// The cache. `V` and `E` are cloned to every waiting caller.
pub struct SingleFlight<K, V, E> {
    inner: Arc<Mutex<Inner<K, V, E>>>,
    capacity: usize,
    next_id: AtomicU64,
    /// Hit and miss counts.
    pub stats: Arc<CacheStats>,
}

impl<K, V, E> SingleFlight<K, V, E>
where
    K: Clone + Eq + Hash + Send + 'static,
    V: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// A cache of at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
                by_use: BTreeMap::new(),
                clock: 0,
            })),
            capacity: capacity.max(1),
            next_id: AtomicU64::new(0),
            stats: Arc::new(CacheStats::default()),
        }
    }

    /// Entries held (kept and under way).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V, E>> {
        // A panic while holding the lock leaves only counters half-updated: keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The result for `key`: kept, joined, or computed by `work` on a new task; `ttl` decides
    /// from a success how long it is kept. Must be called within a tokio runtime.
    pub async fn get<F, T>(&self, key: K, work: F, ttl: T) -> (Result<V, E>, Lookup)
    where
        F: Future<Output = Result<V, E>> + Send + 'static,
        T: FnOnce(&V) -> Duration + Send + 'static,
        E: From<Abandoned>,
    {
        let (mut slot, lookup) = self.slot(key, work, ttl);
        match lookup {
            Lookup::Hit => self.stats.hits.fetch_add(1, Ordering::Relaxed),
            Lookup::Joined => self.stats.joined.fetch_add(1, Ordering::Relaxed),
            Lookup::Miss => self.stats.misses.fetch_add(1, Ordering::Relaxed),
        };
        let result = match slot.wait_for(Option::is_some).await {
            Ok(value) => value.clone().unwrap_or_else(|| Err(Abandoned.into())),
            Err(_) => Err(Abandoned.into()),
        };
        (result, lookup)
    }

    fn slot<F, T>(&self, key: K, work: F, ttl: T) -> (Slot<V, E>, Lookup)
    where
        F: Future<Output = Result<V, E>> + Send + 'static,
        T: FnOnce(&V) -> Duration + Send + 'static,
    {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.clock += 1;
        let clock = inner.clock;
        let found = inner.entries.get_mut(&key).and_then(|entry| {
            let live = entry.expires.is_none_or(|expires| expires > now);
            live.then(|| {
                let previous = std::mem::replace(&mut entry.used, clock);
                let lookup = if entry.expires.is_some() {
                    Lookup::Hit
                } else {
                    Lookup::Joined
                };
                (entry.slot.clone(), previous, lookup)
            })
        });
        if let Some((slot, previous, lookup)) = found {
            inner.by_use.remove(&previous);
            inner.by_use.insert(clock, key);
            return (slot, lookup);
        }
        if let Some(old) = inner.entries.remove(&key) {
            inner.by_use.remove(&old.used);
        }
        while inner.entries.len() >= self.capacity {
            let Some((_, oldest)) = inner.by_use.pop_first() else {
                break;
            };
            inner.entries.remove(&oldest);
        }
        let (sender, slot) = watch::channel(None);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        inner.entries.insert(
            key.clone(),
            Entry {
                slot: slot.clone(),
                id,
                expires: None,
                used: clock,
            },
        );
        inner.by_use.insert(clock, key.clone());
        drop(inner);
        let shared = self.inner.clone();
        tokio::spawn(async move {
            let result = work.await;
            let keep = result.as_ref().ok().map(ttl);
            let _ = sender.send(Some(result));
            let mut inner = shared.lock().unwrap_or_else(|p| p.into_inner());
            let ours = inner.entries.get(&key).is_some_and(|entry| entry.id == id);
            match keep {
                Some(ttl) if ours => {
                    if let Some(entry) = inner.entries.get_mut(&key) {
                        entry.expires = Some(Instant::now() + ttl);
                    }
                }
                _ if ours => {
                    if let Some(entry) = inner.entries.remove(&key) {
                        inner.by_use.remove(&entry.used);
                    }
                }
                _ => {}
            }
        });
        (slot, Lookup::Miss)
    }
}

/// The work ended without a result (its task panicked or was cancelled at shutdown).
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("the verification was abandoned before it finished")]
pub struct Abandoned;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Clone, Debug, PartialEq)]
    struct Failed(&'static str);
    impl From<Abandoned> for Failed {
        fn from(_: Abandoned) -> Self {
            Self("abandoned")
        }
    }

    fn counting(
        runs: &Arc<AtomicUsize>,
        result: Result<u32, Failed>,
        delay: Duration,
    ) -> impl Future<Output = Result<u32, Failed>> + Send + 'static {
        let runs = runs.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            result
        }
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_run_and_then_hit() {
        let cache: SingleFlight<&str, u32, Failed> = SingleFlight::new(8);
        let runs = Arc::new(AtomicUsize::new(0));
        let ttl = |_: &u32| Duration::from_secs(60);
        let calls =
            (0..10).map(|_| cache.get("k", counting(&runs, Ok(7), Duration::from_millis(50)), ttl));
        let results = futures_util::future::join_all(calls).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(results.iter().all(|(r, _)| r == &Ok(7)));
        let lookups: Vec<Lookup> = results.iter().map(|(_, l)| *l).collect();
        assert_eq!(lookups.iter().filter(|l| **l == Lookup::Miss).count(), 1);
        assert_eq!(lookups.iter().filter(|l| **l == Lookup::Joined).count(), 9);
        let (again, lookup) = cache
            .get("k", counting(&runs, Ok(8), Duration::ZERO), ttl)
            .await;
        assert_eq!((again, lookup), (Ok(7), Lookup::Hit));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_are_shared_but_not_kept() {
        let cache: SingleFlight<&str, u32, Failed> = SingleFlight::new(8);
        let runs = Arc::new(AtomicUsize::new(0));
        let ttl = |_: &u32| Duration::from_secs(60);
        let (first, _) = cache
            .get(
                "k",
                counting(&runs, Err(Failed("down")), Duration::ZERO),
                ttl,
            )
            .await;
        assert_eq!(first, Err(Failed("down")));
        tokio::task::yield_now().await;
        // The registry is back: the failure was not kept.
        let (second, lookup) = cache
            .get("k", counting(&runs, Ok(1), Duration::ZERO), ttl)
            .await;
        assert_eq!((second, lookup), (Ok(1), Lookup::Miss));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn entries_expire_and_the_least_recently_used_goes_first() {
        let cache: SingleFlight<u32, u32, Failed> = SingleFlight::new(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let short = |_: &u32| Duration::from_millis(30);
        let long = |_: &u32| Duration::from_secs(60);
        let _ = cache
            .get(1, counting(&runs, Ok(1), Duration::ZERO), short)
            .await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        let (_, lookup) = cache
            .get(1, counting(&runs, Ok(1), Duration::ZERO), long)
            .await;
        assert_eq!(lookup, Lookup::Miss, "expired");
        let _ = cache
            .get(2, counting(&runs, Ok(2), Duration::ZERO), long)
            .await;
        let _ = cache
            .get(1, counting(&runs, Ok(1), Duration::ZERO), long)
            .await; // 1 used last
        let _ = cache
            .get(3, counting(&runs, Ok(3), Duration::ZERO), long)
            .await; // evicts 2
        assert_eq!(cache.len(), 2);
        let (_, lookup) = cache
            .get(1, counting(&runs, Ok(1), Duration::ZERO), long)
            .await;
        assert_eq!(lookup, Lookup::Hit);
        let (_, lookup) = cache
            .get(2, counting(&runs, Ok(2), Duration::ZERO), long)
            .await;
        assert_eq!(lookup, Lookup::Miss, "evicted");
    }

    #[tokio::test]
    async fn work_finishes_after_its_caller_gives_up() {
        let cache: SingleFlight<&str, u32, Failed> = SingleFlight::new(8);
        let runs = Arc::new(AtomicUsize::new(0));
        let ttl = |_: &u32| Duration::from_secs(60);
        let gave_up = tokio::time::timeout(
            Duration::from_millis(10),
            cache.get("k", counting(&runs, Ok(5), Duration::from_millis(50)), ttl),
        )
        .await;
        assert!(gave_up.is_err());
        tokio::time::sleep(Duration::from_millis(80)).await;
        let (result, lookup) = cache
            .get("k", counting(&runs, Ok(6), Duration::ZERO), ttl)
            .await;
        assert_eq!((result, lookup), (Ok(5), Lookup::Hit));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
