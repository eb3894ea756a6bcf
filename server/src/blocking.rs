//! CPU- or library-bound work (XML signature checks) kept off the async workers: it runs on
//! tokio's blocking pool, at most `permits` at a time, and its caller stops waiting after a
//! time limit. A slot is held until the work really ends, so work that overruns its limit still
//! counts against the bound: hostile input can occupy at most `permits` blocking threads and
//! never an async worker, so `/healthz` and everything else keep answering.
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Debug, PartialEq, Eq)]
pub enum Bounded<T> {
    Done(T),
    /// Every slot stayed taken for `wait_for_slot`.
    Busy,
    /// The work did not finish within `time_limit` (it goes on in the background).
    TimedOut,
    /// The work panicked.
    Failed,
}

#[derive(Clone, Debug)]
pub struct BlockingPool {
    slots: Arc<Semaphore>,
    wait_for_slot: Duration,
    time_limit: Duration,
}

impl BlockingPool {
    pub fn new(permits: usize, wait_for_slot: Duration, time_limit: Duration) -> Self {
        BlockingPool {
            slots: Arc::new(Semaphore::new(permits)),
            wait_for_slot,
            time_limit,
        }
    }

    pub async fn run<T, F>(&self, work: F) -> Bounded<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot =
            match tokio::time::timeout(self.wait_for_slot, Arc::clone(&self.slots).acquire_owned())
                .await
            {
                Ok(Ok(slot)) => slot,
                _ => return Bounded::Busy,
            };
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        });
        match tokio::time::timeout(self.time_limit, task).await {
            Ok(Ok(value)) => Bounded::Done(value),
            Ok(Err(_)) => Bounded::Failed,
            Err(_) => Bounded::TimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn pool() -> BlockingPool {
        BlockingPool::new(1, Duration::from_millis(100), Duration::from_millis(200))
    }

    #[tokio::test(flavor = "current_thread")]
    async fn work_that_blocks_is_abandoned_at_the_time_limit_and_the_runtime_keeps_running() {
        let pool = pool();
        let started = Instant::now();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        // On a single-threaded runtime: had the work run on the async worker, the timer could
        // not fire until the work ended (never, here, until released below).
        let outcome = pool
            .run(move || {
                let _ = wait.recv();
            })
            .await;
        assert_eq!(outcome, Bounded::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
        // The overrunning work still holds the only slot: the next caller is told "busy".
        assert_eq!(pool.run(|| 1).await, Bounded::Busy);
        release.send(()).expect("release");
        // Once it ends, the slot is free again.
        let mut freed = false;
        for _ in 0..50 {
            if pool.run(|| 2).await == Bounded::Done(2) {
                freed = true;
                break;
            }
        }
        assert!(freed, "the slot came back after the work ended");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn panics_are_reported_not_propagated() {
        assert_eq!(
            pool().run(|| -> u8 { panic!("boom") }).await,
            Bounded::Failed
        );
    }
}
