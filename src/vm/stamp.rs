//! RFC 3339 timestamps: parsed once at decode, rendered in UTC with `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

use super::value::Stamp;

/// Parses RFC 3339 and renders it once in UTC with `Z` (kept as is when it already is).
pub fn parse_stamp(s: &str) -> Option<Stamp> {
    if let Some(nanos) = fast_utc_seconds(s) {
        return Some(Stamp {
            nanos,
            text: s.to_string(),
        });
    }
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let nanos = t
        .timestamp()
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(t.timestamp_subsec_nanos()));
    let canonical = s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z');
    let text = if canonical {
        s.to_string()
    } else {
        t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    };
    Some(Stamp { nanos, text })
}

/// The common case, `YYYY-MM-DDTHH:MM:SSZ` (already canonical), without chrono: events
/// carry several timestamps and this is most of a decode's time otherwise. Anything else
/// (offsets, fractions, leap seconds) returns `None` and goes through chrono.
fn fast_utc_seconds(s: &str) -> Option<i64> {
    let [year, month, day, hour, minute, second] = utc_fields(s)?;
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    // Saturating like the chrono path: past 2262 the instant no longer fits in i64 nanos.
    Some(secs.saturating_mul(1_000_000_000))
}

/// The six fields of a valid `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_fields(s: &str) -> Option<[i64; 6]> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some([year, month, day, hour, minute, second])
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether `s` is a valid RFC 3339 timestamp (without building its rendering).
pub fn is_rfc3339(s: &str) -> bool {
    utc_fields(s).is_some() || DateTime::parse_from_rfc3339(s).is_ok()
}
