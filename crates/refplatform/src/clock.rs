//! Wall-clock helpers: RFC 3339 UTC rendering and the UTC-day periods that quotas are counted in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds in one quota period (one UTC day).
pub(crate) const PERIOD_SECS: u64 = 86_400;

/// Renders a time as RFC 3339 UTC with second precision, e.g. `2025-01-31T09:30:00Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// The index of the UTC day `time` falls in (days since the Unix epoch; 0 before it).
pub(crate) fn period_of(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_secs() / PERIOD_SECS).unwrap_or(0)
}

/// The first instant of a period.
pub(crate) fn period_start(period: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(period.saturating_mul(PERIOD_SECS))
}

/// The first instant of the period after the one `time` falls in.
pub(crate) fn next_period_start(time: SystemTime) -> SystemTime {
    period_start(period_of(time).saturating_add(1))
}

/// Whole seconds from `now` until the next period starts, at least 1 (a `Retry-After` value).
pub(crate) fn secs_until_next_period(now: SystemTime) -> u64 {
    next_period_start(now).duration_since(now).map(|d| d.as_secs().max(1)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_utc_seconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn periods_are_utc_days() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(rfc3339(period_start(period_of(t))), "2023-11-14T00:00:00Z");
        assert_eq!(rfc3339(next_period_start(t)), "2023-11-15T00:00:00Z");
        assert_eq!(secs_until_next_period(t), 6_400);
        assert_eq!(secs_until_next_period(period_start(10)), PERIOD_SECS);
    }
}
