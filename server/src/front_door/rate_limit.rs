//! Fixed one-minute windows per client address, in memory (per replica: behind a load
//! balancer each replica allows the limit, so the effective limit is limit × replicas).
//! IPv6 clients are counted per /64, the smallest block a single customer usually holds.
use app::server::clock::Clock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const WINDOW_SECONDS: i64 = 60;
/// Addresses tracked at most; past that, finished windows are dropped, and if every entry is
/// current the map is cleared rather than grown (memory stays bounded under a spoofed flood).
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    clock: Clock,
    windows: Mutex<HashMap<u128, (i64, u32)>>,
}

/// Refused: retry after this many seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(u32::from(v4)),
            None => u128::from(v6) & !((1u128 << 64) - 1),
        },
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32, clock: Clock) -> Self {
        RateLimiter {
            per_minute,
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn with_window<T>(&self, ip: IpAddr, f: impl FnOnce(&mut u32, RetryAfter) -> T) -> T {
        let now = self.clock.unix();
        let window = now.div_euclid(WINDOW_SECONDS);
        let retry = RetryAfter(((window + 1) * WINDOW_SECONDS - now).max(1) as u64);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (w, _)| *w == window);
            if windows.len() >= MAX_TRACKED {
                windows.clear();
            }
        }
        let entry = windows.entry(key(ip)).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        f(&mut entry.1, retry)
    }

    /// Refuses when the limit is reached; otherwise admits, counting the request if `count`.
    fn admit(&self, ip: IpAddr, count: bool) -> Result<(), RetryAfter> {
        let limit = self.per_minute;
        self.with_window(ip, |n, retry| {
            if *n >= limit {
                return Err(retry);
            }
            if count {
                *n += 1;
            }
            Ok(())
        })
    }

    /// Counts one request and refuses it if it is over the limit.
    pub fn hit(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        self.admit(ip, true)
    }

    /// Refuses when the limit is already reached, without counting.
    pub fn check(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        self.admit(ip, false)
    }

    /// Counts one event (a failed authentication) without refusing.
    pub fn record(&self, ip: IpAddr) {
        self.with_window(ip, |count, _| *count = count.saturating_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    fn manual_clock(start: i64) -> (Clock, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(start));
        let read = now.clone();
        let clock = Clock::from_fn(move || {
            time::OffsetDateTime::from_unix_timestamp(read.load(Ordering::SeqCst))
                .expect("valid time")
        });
        (clock, now)
    }

    #[test]
    fn the_limit_holds_within_a_minute_and_resets_in_the_next() {
        let (clock, now) = manual_clock(6_000);
        let limiter = RateLimiter::new(3, clock);
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.hit(ip), Ok(()));
        }
        now.store(6_045, Ordering::SeqCst);
        assert_eq!(limiter.hit(ip), Err(RetryAfter(15)));
        // Another address has its own allowance.
        assert_eq!(limiter.hit("198.51.100.2".parse().unwrap()), Ok(()));
        now.store(6_060, Ordering::SeqCst);
        assert_eq!(limiter.hit(ip), Ok(()));
    }

    #[test]
    fn ipv6_addresses_in_one_slash_64_share_an_allowance() {
        let (clock, _) = manual_clock(0);
        let limiter = RateLimiter::new(1, clock);
        assert_eq!(limiter.hit("2001:db8:1:2::1".parse().unwrap()), Ok(()));
        assert!(limiter
            .hit("2001:db8:1:2:ffff::9".parse().unwrap())
            .is_err());
        assert_eq!(limiter.hit("2001:db8:1:3::1".parse().unwrap()), Ok(()));
    }

    #[test]
    fn failures_are_recorded_and_then_refused() {
        let (clock, _) = manual_clock(0);
        let limiter = RateLimiter::new(2, clock);
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        limiter.record(ip);
        assert_eq!(limiter.check(ip), Ok(()));
        limiter.record(ip);
        assert!(limiter.check(ip).is_err());
    }
}
