//! `rate(VALUE UNIT)`: parsing and the fire times anchor + k × every.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// One unit of a rate expression: its singular and plural spelling and its length.
struct Unit {
    singular: &'static str,
    plural: &'static str,
    seconds: u64,
}

/// `second(s)` is fnhost's extension; EventBridge has no unit below a minute.
const UNITS: [Unit; 4] = [
    Unit {
        singular: "second",
        plural: "seconds",
        seconds: 1,
    },
    Unit {
        singular: "minute",
        plural: "minutes",
        seconds: 60,
    },
    Unit {
        singular: "hour",
        plural: "hours",
        seconds: 3_600,
    },
    Unit {
        singular: "day",
        plural: "days",
        seconds: 86_400,
    },
];

/// Parse the text between `rate(` and `)` into the period; the error is the reason only.
pub(crate) fn parse(inner: &str) -> Result<Duration, String> {
    let tokens: Vec<&str> = inner.split_whitespace().collect();
    let [value, unit] = tokens[..] else {
        return Err(format!(
            "expected a value and a unit, found {} word(s); write e.g. `rate(5 minutes)` or \
             `rate(1 hour)`",
            tokens.len()
        ));
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the value `{value}` must be a positive whole number, e.g. `rate(5 minutes)`"
        ));
    }
    let Some(found) = UNITS
        .iter()
        .find(|u| u.singular == unit || u.plural == unit)
    else {
        return Err(format!(
            "unknown unit `{unit}`; use `minute(s)`, `hour(s)` or `day(s)`, e.g. \
             `rate(5 minutes)` (fnhost also accepts `second(s)`, which EventBridge does not)"
        ));
    };
    // Digits only, so a parse error can only be an overflow.
    let value: u64 = value
        .parse()
        .map_err(|_| format!("the value `{value}` is too large"))?;
    if value == 0 {
        return Err(format!(
            "the value must be at least 1, e.g. `rate(1 {})`",
            found.singular
        ));
    }
    if value == 1 && unit != found.singular {
        return Err(format!(
            "use the singular unit `{}` when the value is 1",
            found.singular
        ));
    }
    if value != 1 && unit != found.plural {
        return Err(format!(
            "use the plural unit `{}` when the value is not 1",
            found.plural
        ));
    }
    value
        .checked_mul(found.seconds)
        // Keep every period representable as a chrono TimeDelta (about 292 billion years).
        .filter(|&secs| i64::try_from(secs).is_ok_and(|s| s <= i64::MAX / 1_000))
        .map(Duration::from_secs)
        .ok_or_else(|| format!("the period `{value} {unit}` is too long"))
}

/// The first `anchor + k × every` (k ≥ 1) strictly after `after`; `None` past chrono's range.
pub(crate) fn next_after(
    every: Duration,
    after: DateTime<Utc>,
    anchor: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let every_ns = i128::try_from(every.as_nanos()).ok()?;
    if every_ns == 0 {
        return None;
    }
    let elapsed_ns = nanos(after) - nanos(anchor);
    let k = if elapsed_ns < 0 {
        1
    } else {
        elapsed_ns / every_ns + 1
    };
    let offset_ns = k.checked_mul(every_ns)?;
    let offset = TimeDelta::new(
        i64::try_from(offset_ns.div_euclid(1_000_000_000)).ok()?,
        u32::try_from(offset_ns.rem_euclid(1_000_000_000)).ok()?,
    )?;
    anchor.checked_add_signed(offset)
}

fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).unwrap()
    }

    #[test]
    fn units_and_values() {
        assert_eq!(parse("1 minute"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("5 minutes"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("1 hour"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse("12 hours"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse("1 day"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("2 days"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse("1 second"), Ok(Duration::from_secs(1)));
        assert_eq!(parse("30 seconds"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("  7   minutes "), Ok(Duration::from_secs(420)));
    }

    #[test]
    fn fires_every_period_from_the_anchor() {
        let every = Duration::from_secs(300);
        let anchor = at(10, 0, 0);
        // Before or at the anchor: one period after it.
        assert_eq!(next_after(every, at(9, 0, 0), anchor), Some(at(10, 5, 0)));
        assert_eq!(next_after(every, anchor, anchor), Some(at(10, 5, 0)));
        // Strictly after: a fire time itself is not returned again.
        assert_eq!(next_after(every, at(10, 5, 0), anchor), Some(at(10, 10, 0)));
        assert_eq!(
            next_after(every, at(10, 7, 31), anchor),
            Some(at(10, 10, 0))
        );
        assert_eq!(
            next_after(every, at(10, 9, 59) + TimeDelta::milliseconds(999), anchor),
            Some(at(10, 10, 0))
        );
        // Anchors off the minute keep their offset.
        let anchor = at(10, 0, 17);
        assert_eq!(next_after(every, at(11, 0, 0), anchor), Some(at(11, 0, 17)));
        assert_eq!(
            next_after(every, at(11, 0, 17), anchor),
            Some(at(11, 5, 17))
        );
    }

    #[test]
    fn long_periods_do_not_overflow() {
        let anchor = at(0, 0, 0);
        let every = Duration::from_secs(86_400 * 36_500);
        let next = next_after(every, anchor, anchor).unwrap();
        assert_eq!(next - anchor, TimeDelta::days(36_500));
        // Past chrono's last date there is no next time.
        let every = Duration::from_secs(86_400 * 365 * 300_000);
        assert_eq!(next_after(every, anchor, anchor), None);
    }
}
