//! Delivery policy: which responses succeed, which are retried and when.

use std::time::{Duration, SystemTime};

use super::store::StoredRetry;

/// The Standard Webhooks schedule after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h (8 attempts in all).
pub const DEFAULT_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The cap of `retry N times` backoff.
pub const BACKOFF_CAP: Duration = Duration::from_secs(3600);

/// What to do after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Success,
    /// Try again, after `Retry-After` when the receiver gave one.
    Retry {
        after: Option<Duration>,
    },
    /// Give up now.
    Fail,
}

/// Classifies a response by status and headers (spec §8).
pub fn classify(status: u16, headers: &reqwest::header::HeaderMap) -> Verdict {
    let abort = headers.get_all("webhook-delivery").iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.trim().eq_ignore_ascii_case("abort-message"))
    });
    if abort {
        return Verdict::Fail;
    }
    match status {
        200..=299 => Verdict::Success,
        408 | 429 | 500..=599 => Verdict::Retry {
            after: headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
        },
        _ => Verdict::Fail,
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (a past date means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The delay before the next attempt after `made` attempts of this round, or `None`
/// when the policy allows no more.
pub fn next_delay(retry: StoredRetry, made: u32) -> Option<Duration> {
    match retry {
        StoredRetry::Never => None,
        StoredRetry::Default => DEFAULT_SCHEDULE.get(made.checked_sub(1)? as usize).copied(),
        StoredRetry::Times(n) if made >= n => None,
        StoredRetry::Times(_) => Some(backoff(made)),
    }
}

/// 1 s doubling per attempt made, plus up to 25 % jitter, capped at an hour.
fn backoff(made: u32) -> Duration {
    let exp = made.saturating_sub(1).min(20);
    let base = Duration::from_secs(1u64 << exp).min(BACKOFF_CAP);
    let jitter = base.mul_f64(fastrand::f64() * 0.25);
    (base + jitter).min(BACKOFF_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn statuses_are_classified_as_spec_section_8_says() {
        let h = HeaderMap::new();
        assert_eq!(classify(204, &h), Verdict::Success);
        for s in [408, 429, 500, 503] {
            assert_eq!(classify(s, &h), Verdict::Retry { after: None });
        }
        for s in [301, 302, 400, 404, 422] {
            assert_eq!(classify(s, &h), Verdict::Fail);
        }
        let mut abort = HeaderMap::new();
        abort.insert(
            "webhook-delivery",
            HeaderValue::from_static("abort-message"),
        );
        assert_eq!(classify(503, &abort), Verdict::Fail);
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn default_schedule_allows_eight_attempts() {
        let delays: Vec<_> = (1..=8)
            .map(|m| next_delay(StoredRetry::Default, m))
            .collect();
        assert_eq!(delays[0], Some(Duration::from_secs(5)));
        assert_eq!(delays[6], Some(Duration::from_secs(36_000)));
        assert_eq!(delays[7], None);
        assert_eq!(next_delay(StoredRetry::Never, 1), None);
    }

    #[test]
    fn retry_times_counts_all_attempts_and_backs_off_with_a_cap() {
        assert_eq!(next_delay(StoredRetry::Times(3), 3), None);
        assert_eq!(next_delay(StoredRetry::Times(1), 1), None);
        let first = next_delay(StoredRetry::Times(3), 1).unwrap_or_default();
        assert!(first >= Duration::from_secs(1) && first <= Duration::from_millis(1250));
        let second = next_delay(StoredRetry::Times(3), 2).unwrap_or_default();
        assert!(second >= Duration::from_secs(2) && second <= Duration::from_millis(2500));
        let late = next_delay(StoredRetry::Times(40), 30).unwrap_or_default();
        assert_eq!(late, BACKOFF_CAP);
    }
}
