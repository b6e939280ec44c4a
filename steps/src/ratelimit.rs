//! The run-wide request rate limit (`max_rps` in certify.toml): a
//! next-free-slot limiter (GCRA without burst). Every request reserves the
//! next slot, at least `1 / max_rps` after the previous one, and sleeps until
//! it; one limiter is shared by every scenario of a run, so the target never
//! sees more than `max_rps` requests per second from certify.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

/// A shared limiter; cheap to call from many tasks at once.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` requests per second; `None` unless it is a
    /// finite positive number.
    pub(crate) fn new(per_second: f64) -> Option<Self> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return None;
        }
        let interval = Duration::try_from_secs_f64(1.0 / per_second).ok()?;
        Some(Self { interval, next: Mutex::new(None) })
    }

    /// Reserves the next free slot and waits until it comes.
    pub(crate) async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = match *next {
                Some(free) if free > now => free,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn rejects_rates_that_are_not_positive() {
        assert!(RateLimiter::new(0.0).is_none());
        assert!(RateLimiter::new(-1.0).is_none());
        assert!(RateLimiter::new(f64::NAN).is_none());
        assert!(RateLimiter::new(f64::INFINITY).is_none());
        assert!(RateLimiter::new(0.5).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_by_the_interval() {
        let limiter = RateLimiter::new(10.0).unwrap();
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // First slot is immediate, then one every 100 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn is_shared_by_concurrent_tasks() {
        let limiter = Arc::new(RateLimiter::new(4.0).unwrap());
        let start = Instant::now();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                tokio::spawn(async move {
                    limiter.acquire().await;
                    start.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        let expected: Vec<_> = (0..8).map(|i| Duration::from_millis(250 * i)).collect();
        assert_eq!(times, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_is_not_banked_as_a_burst() {
        let limiter = RateLimiter::new(2.0).unwrap();
        limiter.acquire().await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(500));
    }
}
