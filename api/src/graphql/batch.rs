//! Request-scoped key batching without a timer: the loaders of one request ([`Batcher`]).
//!
//! async-graphql's `DataLoader` waits a fixed delay (1 ms by default) for a batch to fill. With
//! no delay, a batch could start on the other worker thread before every sibling of a level had
//! asked for its key (a page of 50 cases then took 17 statements instead of 6); with the delay,
//! every nested level of every request waited 1–2 ms, which halved throughput at low concurrency
//! (BENCHMARKS.md, "Batching without a timer").
//!
//! A [`Batcher`] instead closes a batch when the request has nothing more to add. HTTP and
//! WebSocket operations run through [`driven`], which watches the whole operation: when a poll
//! of it returns `Pending` and nothing in it was woken meanwhile, every branch waits for a batch
//! or for the database, and the batches opened so far close. Siblings of a level resolve in the
//! same task (async-graphql joins them), so each has joined by then, even one that a join
//! returning early left for a later poll (it woke the task, so that poll does not count). The
//! members wait until the batch is closed; whoever comes first then runs the load, once, and all
//! share its result. Loads outside a driven operation (subscription streams) fall back to the
//! first rule used here: the batch's first load (its opener) yields, and closes the batch once
//! [`QUIET_POLLS`] polls in a row added no key. A wake that tokio defers (`yield_now`) looks
//! like waiting to [`driven`]: it can close a batch early (one more statement), never hang one.
//!
//! Requests run their operation through [`unbudgeted`]: tokio's cooperative budget would
//! otherwise make some siblings return `Pending` before asking for their key within a poll, and
//! a batch could close early and split (a 100-key level was seen loading as 99 + 1).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use async_graphql::dataloader::Loader;
use tokio::sync::OnceCell;

/// Runs `fut` outside tokio's cooperative budget (see the module documentation). The execution
/// of one operation is bounded by the query limits (depth, cost, page sizes), not by the budget.
pub(crate) fn unbudgeted<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    tokio::task::unconstrained(fut)
}

tokio::task_local! {
    /// The tick of the operation being driven by [`driven`], if any.
    static TICK: Arc<Tick>;
}

/// The clock of one driven operation: it advances whenever the whole operation is waiting
/// (a poll returned `Pending` without anything in it being woken), and every batch opened
/// before that closes.
#[derive(Default)]
pub(crate) struct Tick {
    generation: AtomicU64,
    waiters: Mutex<Vec<Waker>>,
}

impl Tick {
    fn now(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn waiters(&self) -> MutexGuard<'_, Vec<Waker>> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Advances the clock if a batch waits for it, waking the waiters; whether it did.
    fn advance(&self) -> bool {
        let woken = {
            let mut waiters = self.waiters();
            if waiters.is_empty() {
                return false;
            }
            self.generation.fetch_add(1, Ordering::AcqRel);
            std::mem::take(&mut *waiters)
        };
        for waker in woken {
            waker.wake();
        }
        true
    }

    /// Resolves once the clock has moved past `seen`.
    fn after(&self, seen: u64) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.now() != seen {
                return Poll::Ready(());
            }
            let mut waiters = self.waiters();
            // Checked again under the lock, so an advance cannot slip between check and wait.
            if self.now() != seen {
                return Poll::Ready(());
            }
            if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

/// A waker that remembers whether it was woken, and passes the wake on.
struct Flagged {
    woken: AtomicBool,
    inner: Waker,
}

impl Wake for Flagged {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}

/// Runs one operation so that its batches close exactly when it has nothing else to do: after
/// each poll that returned `Pending` with nothing woken meanwhile (every branch of the operation
/// waits for a batch or for the database), the batches opened so far close and load. A sibling
/// that `join_all` left for a later poll has woken its task, so that poll does not count.
/// Loads made outside a driven operation (subscription streams) fall back to closing a batch
/// after [`QUIET_POLLS`] polls that added no key.
pub(crate) async fn driven<F: Future>(fut: F) -> F::Output {
    let tick = Arc::new(Tick::default());
    let mut fut = std::pin::pin!(TICK.scope(tick.clone(), fut));
    std::future::poll_fn(move |cx| {
        let flag = Arc::new(Flagged {
            woken: AtomicBool::new(false),
            inner: cx.waker().clone(),
        });
        let waker = Waker::from(flag.clone());
        let polled = Pin::as_mut(&mut fut).poll(&mut Context::from_waker(&waker));
        if polled.is_pending() && !flag.woken.load(Ordering::Acquire) {
            tick.advance();
        }
        polled
    })
    .await
}

/// Outside a driven operation: the polls in a row that must add no key before an opener
/// closes its batch.
///
/// One quiet poll is not always enough: async-graphql joins a list's items with `join_all`, whose
/// `FuturesUnordered` returns early once it has polled as many items as it holds, or when two of
/// them yield, and leaves the rest of the ready items for the task's next poll. An item can
/// therefore reach its key one poll after the opener first saw nothing new, and with a single
/// quiet poll its level splits (`a_sibling_that_reaches_its_key_a_poll_late_joins_the_batch`).
/// The second quiet poll costs one more trip through the scheduler per batch.
const QUIET_POLLS: u32 = 2;

/// The shared outcome of one batch.
type Outcome<K, L> = Result<Arc<HashMap<K, <L as Loader<K>>::Value>>, <L as Loader<K>>::Error>;

/// The keys of one batch.
struct Keys<K> {
    order: Vec<K>,
    seen: HashSet<K>,
    closed: bool,
}

/// One batch: its keys while open, then its loaded result.
struct Batch<K, L: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    keys: Mutex<Keys<K>>,
    /// The tick of the driven operation that opened it, and its time then; `None` outside one.
    tick: Option<(Arc<Tick>, u64)>,
    result: OnceCell<Outcome<K, L>>,
}

impl<K, L> Batch<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    fn new(tick: Option<Arc<Tick>>) -> Arc<Self> {
        Arc::new(Batch {
            keys: Mutex::new(Keys {
                order: Vec::new(),
                seen: HashSet::new(),
                closed: false,
            }),
            tick: tick.map(|t| {
                let now = t.now();
                (t, now)
            }),
            result: OnceCell::new(),
        })
    }

    /// Whether its operation's clock has moved on since it opened (so it is closed).
    fn ticked(&self) -> bool {
        self.tick.as_ref().is_some_and(|(t, at)| t.now() != *at)
    }

    /// Whether a load made under `tick` may join it: both in the same driven operation, or both
    /// outside one.
    fn shares(&self, tick: Option<&Arc<Tick>>) -> bool {
        match (&self.tick, tick) {
            (Some((mine, _)), Some(theirs)) => Arc::ptr_eq(mine, theirs),
            (None, None) => true,
            _ => false,
        }
    }

    fn keys(&self) -> MutexGuard<'_, Keys<K>> {
        // A panic while the lock is held cannot leave the keys half-written (each change is
        // one push or one flag), so a poisoned lock is used as it is.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number of keys, or `None` once closed.
    fn open_len(&self) -> Option<usize> {
        let keys = self.keys();
        (!keys.closed && !self.ticked()).then_some(keys.order.len())
    }
}

/// A batching loader of one request: keys asked for while a batch is open load together, at
/// most `max` per batch, in one call of the [`Loader`]. Unlike async-graphql's `DataLoader` it
/// keeps no cache between batches (a request asks for a key again only at another level).
pub(crate) struct Batcher<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    loader: L,
    max: usize,
    open: Mutex<Option<Arc<Batch<K, L>>>>,
}

/// Closes a batch when its opener finishes waiting, or is dropped while waiting (a cancelled
/// request), so that the other members never wait for an opener that is gone.
struct CloseOnDrop<'a, K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    batcher: &'a Batcher<K, L>,
    batch: &'a Arc<Batch<K, L>>,
}

impl<K, L> Drop for CloseOnDrop<'_, K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    fn drop(&mut self) {
        self.batcher.close(self.batch);
    }
}

impl<K, L> Batcher<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    /// A batcher calling `loader` with at most `max` keys at a time.
    pub(crate) fn new(loader: L, max: usize) -> Self {
        Batcher {
            loader,
            max: max.max(1),
            open: Mutex::new(None),
        }
    }

    fn open(&self) -> MutexGuard<'_, Option<Arc<Batch<K, L>>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads one key: its value, or `None` when the loader returned none for it.
    pub(crate) async fn load_one(&self, key: K) -> Result<Option<L::Value>, L::Error> {
        let mut found = self.load_many(std::iter::once(key.clone())).await?;
        Ok(found.remove(&key))
    }

    /// Loads several keys: the values the loader returned for them.
    pub(crate) async fn load_many(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> Result<HashMap<K, L::Value>, L::Error> {
        let mut wanted = Vec::new();
        let mut distinct = HashSet::new();
        for key in keys {
            if distinct.insert(key.clone()) {
                wanted.push(key);
            }
        }
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let joined = self.enqueue(&wanted);
        let mut out = HashMap::with_capacity(wanted.len());
        for (batch, opener) in joined {
            let loaded = self.settle(&batch, opener).await?;
            for key in &wanted {
                if let Some(value) = loaded.get(key) {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        Ok(out)
    }

    /// Adds `keys` to the open batch (opening new ones as batches fill): the batches they are
    /// in, each with whether this call opened it.
    fn enqueue(&self, keys: &[K]) -> Vec<(Arc<Batch<K, L>>, bool)> {
        let tick = TICK.try_with(Arc::clone).ok();
        let mut joined: Vec<(Arc<Batch<K, L>>, bool)> = Vec::new();
        let mut open = self.open();
        for key in keys {
            let mut opener = false;
            let batch = loop {
                match open.as_ref() {
                    Some(batch) => {
                        let mut state = batch.keys();
                        let joinable =
                            !state.closed && !batch.ticked() && batch.shares(tick.as_ref());
                        if joinable && state.seen.contains(key) {
                            break batch.clone();
                        }
                        if joinable && state.order.len() < self.max {
                            state.seen.insert(key.clone());
                            state.order.push(key.clone());
                            break batch.clone();
                        }
                        // Full, closed, or another operation's: it loads as it is; the key
                        // opens the next batch.
                        if batch.shares(tick.as_ref()) {
                            state.closed = true;
                        }
                        drop(state);
                        *open = None;
                    }
                    None => {
                        *open = Some(Batch::new(tick.clone()));
                        opener = true;
                    }
                }
            };
            match joined.iter_mut().find(|(b, _)| Arc::ptr_eq(b, &batch)) {
                Some((_, o)) => *o |= opener,
                None => joined.push((batch, opener)),
            }
        }
        joined
    }

    /// Closes `batch`: no key joins it any more.
    fn close(&self, batch: &Arc<Batch<K, L>>) {
        let mut open = self.open();
        batch.keys().closed = true;
        if open.as_ref().is_some_and(|b| Arc::ptr_eq(b, batch)) {
            *open = None;
        }
    }

    /// Waits until `batch` is closed, then loads it or waits for the load under way.
    ///
    /// A batch of a [`driven`] operation closes at the operation's next tick: every member
    /// waits for it. Outside one (subscription streams, `ctex seed`), the opener closes the
    /// batch once [`QUIET_POLLS`] of its polls in a row added no key, and the members wait for
    /// that.
    async fn settle(&self, batch: &Arc<Batch<K, L>>, opener: bool) -> Outcome<K, L> {
        let _close = opener.then(|| CloseOnDrop {
            batcher: self,
            batch,
        });
        if let Some((tick, at)) = &batch.tick {
            // Driven: the batch closes when the operation next waits as a whole.
            tick.after(*at).await;
        } else if opener {
            let mut before = batch.open_len();
            let mut quiet = 0;
            while before.is_some() {
                tokio::task::yield_now().await;
                let now = batch.open_len();
                if now == before {
                    quiet += 1;
                    if quiet == QUIET_POLLS {
                        break;
                    }
                } else {
                    quiet = 0;
                }
                before = now;
            }
        } else {
            while batch.open_len().is_some() {
                tokio::task::yield_now().await;
            }
        }
        if let Some(close) = _close {
            drop(close);
        }
        batch
            .result
            .get_or_init(|| async {
                let keys = batch.keys().order.clone();
                self.loader.load(&keys).await.map(Arc::new)
            })
            .await
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use futures::future::join_all;

    use super::*;

    /// Answers each key with its double, recording the size of every call.
    #[derive(Clone, Default)]
    struct Doubles {
        calls: Arc<Mutex<Vec<usize>>>,
        fail: bool,
    }

    impl Loader<u32> for Doubles {
        type Value = u32;
        type Error = Arc<String>;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, Self::Error> {
            self.calls.lock().expect("lock").push(keys.len());
            tokio::task::yield_now().await;
            if self.fail {
                return Err(Arc::new("the database is gone".into()));
            }
            Ok(keys
                .iter()
                .filter(|k| **k != 13)
                .map(|k| (*k, k * 2))
                .collect())
        }
    }

    /// A doubling loader and a batcher of at most `max` keys over it.
    fn doubling(max: usize) -> (Doubles, Batcher<u32, Doubles>) {
        let loader = Doubles::default();
        (loader.clone(), Batcher::new(loader, max))
    }

    fn calls(loader: &Doubles) -> Vec<usize> {
        loader.calls.lock().expect("lock").clone()
    }

    /// Returns `Pending` once, waking its task at once (unlike tokio's `yield_now`, which
    /// defers the wake until the worker is idle).
    async fn woken_at_once() {
        let mut first = true;
        std::future::poll_fn(|cx| {
            if std::mem::take(&mut first) {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
    }

    async fn siblings(batcher: &Batcher<u32, Doubles>, n: u32) -> Vec<Option<u32>> {
        join_all((0..n).map(|k| async move { batcher.load_one(k).await.expect("loads") })).await
    }

    #[test]
    fn siblings_share_one_batch_on_a_worker_thread() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        let loader = Doubles::default();
        let batcher = Arc::new(Batcher::new(loader.clone(), 500));
        let b = batcher.clone();
        let got = rt
            .block_on(rt.spawn(unbudgeted(async move { siblings(&b, 400).await })))
            .expect("joins");
        assert_eq!(calls(&loader), vec![400]);
        assert_eq!(got[3], Some(6));
        assert_eq!(got[13], None, "a key the loader does not return is None");
    }

    #[test]
    fn siblings_share_one_batch_under_block_on() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let (loader, batcher) = doubling(500);
        let got = rt.block_on(unbudgeted(siblings(&batcher, 400)));
        assert_eq!(calls(&loader), vec![400]);
        assert_eq!(got.iter().flatten().count(), 399);
    }

    #[tokio::test]
    async fn a_sibling_that_reaches_its_key_a_poll_late_joins_the_batch() {
        let (loader, batcher) = doubling(500);
        let b = &batcher;
        let got = join_all((0..40u32).map(|k| async move {
            // Some siblings are polled once or twice more before they ask, as the items of a
            // list that async-graphql's join left for the next poll.
            for _ in 0..k % 3 {
                tokio::task::yield_now().await;
            }
            b.load_one(k).await.expect("loads")
        }))
        .await;
        assert_eq!(calls(&loader), vec![40], "one batch for the whole level");
        assert_eq!(got[39], Some(78));
    }

    #[tokio::test]
    async fn a_driven_level_is_one_batch_however_late_its_siblings_ask() {
        let (loader, batcher) = doubling(500);
        let b = &batcher;
        let got = driven(join_all((0..40u32).map(|k| async move {
            // Up to nine polls late, each time woken at once (as a join that returned early):
            // the operation is not waiting until every sibling has asked.
            for _ in 0..k % 10 {
                woken_at_once().await;
            }
            b.load_one(k).await.expect("loads")
        })))
        .await;
        assert_eq!(calls(&loader), vec![40], "one batch for the whole level");
        assert_eq!(got[39], Some(78));
    }

    #[test]
    fn driven_levels_batch_on_a_worker_thread() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let loader = Doubles::default();
        let batcher = Arc::new(Batcher::new(loader.clone(), 500));
        let b = batcher.clone();
        let got = rt
            .block_on(rt.spawn(unbudgeted(driven(async move {
                let b = &b;
                join_all((100..400u32).map(|k| async move {
                    let parent = b.load_one(k).await.expect("loads").expect("found");
                    // The child waits for the database too, a different time for each.
                    tokio::time::sleep(std::time::Duration::from_micros(u64::from(k % 4))).await;
                    b.load_one(parent + 1000).await.expect("loads")
                }))
                .await
            }))))
            .expect("joins");
        let sizes = calls(&loader);
        assert_eq!(sizes[0], 300, "the first level is one batch: {sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 600);
        assert_eq!(got[5], Some((210 + 1000) * 2));
    }

    #[tokio::test]
    async fn a_driven_batch_and_a_load_outside_it_both_load() {
        let (loader, batcher) = doubling(500);
        // A driven operation's opener waits for its clock ...
        let mut driven_op = Box::pin(driven(batcher.load_one(1)));
        assert!(futures::poll!(driven_op.as_mut()).is_pending());
        // ... and a load outside it (a subscription's) loads in a batch of its own.
        assert_eq!(batcher.load_one(2).await.expect("loads"), Some(4));
        assert_eq!(driven_op.await.expect("loads"), Some(2));
        let mut sizes = calls(&loader);
        sizes.sort_unstable();
        assert_eq!(sizes, vec![1, 1]);
    }

    #[tokio::test]
    async fn nested_levels_load_in_separate_batches() {
        let (loader, batcher) = doubling(500);
        let b = &batcher;
        let got = join_all((0..10u32).map(|k| async move {
            let parent = b.load_one(k).await.expect("loads").expect("found");
            // The child level asks only after its parent's batch has loaded.
            b.load_one(parent + 100)
                .await
                .expect("loads")
                .expect("found")
        }))
        .await;
        assert_eq!(calls(&loader), vec![10, 10]);
        assert_eq!(got[1], (2 + 100) * 2);
    }

    #[tokio::test]
    async fn batches_are_bounded() {
        let (loader, batcher) = doubling(7);
        siblings(&batcher, 20).await;
        let mut sizes = calls(&loader);
        sizes.sort_unstable();
        assert_eq!(sizes, vec![6, 7, 7]);
        // One call with more keys than a batch holds spans batches and gets every value.
        let many = batcher.load_many(100..120).await.expect("loads");
        assert_eq!(many.len(), 20);
        assert_eq!(many[&119], 238);
    }

    #[tokio::test]
    async fn an_error_is_shared_by_the_batch_and_loaded_once() {
        let loader = Doubles {
            fail: true,
            ..Doubles::default()
        };
        let batcher = Batcher::new(loader.clone(), 500);
        let b = &batcher;
        let got = join_all((0..5u32).map(|k| async move { b.load_one(k).await })).await;
        assert_eq!(calls(&loader), vec![5]);
        assert!(
            got.iter()
                .all(|r| r.as_ref().is_err_and(|e| e.contains("gone")))
        );
    }

    #[tokio::test]
    async fn a_cancelled_opener_does_not_strand_the_batch() {
        let (loader, batcher) = doubling(500);
        let mut opener = Box::pin(batcher.load_one(1));
        // One poll: the opener opens the batch and yields; then its request is cancelled.
        assert!(futures::poll!(opener.as_mut()).is_pending());
        drop(opener);
        // The batch was closed with it: a later key opens a new batch and loads.
        assert_eq!(batcher.load_one(2).await.expect("loads"), Some(4));
        assert_eq!(calls(&loader), vec![1]);
    }

    #[tokio::test]
    async fn a_member_whose_opener_is_dropped_still_loads() {
        let (loader, batcher) = doubling(500);
        let mut opener = Box::pin(batcher.load_one(1));
        assert!(futures::poll!(opener.as_mut()).is_pending());
        let mut member = Box::pin(batcher.load_one(2));
        assert!(futures::poll!(member.as_mut()).is_pending());
        drop(opener);
        assert_eq!(member.await.expect("loads"), Some(4));
        assert_eq!(calls(&loader), vec![2], "the batch held both keys");
    }
}
