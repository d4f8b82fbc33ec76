//! `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)`: EventBridge's grammar, checked
//! here field by field, then handed to `croner` for the calendar math.
//!
//! EventBridge's cron is Quartz's without the seconds field: weekdays count from 1 = Sunday,
//! `?` marks the day field that is not used, and `L`, `W` and `#` select days relative to the
//! month. croner speaks that dialect when asked for Quartz weekdays and given a seconds field, so
//! each field is validated against the EventBridge rules (with error messages in EventBridge's
//! terms), rewritten with numbers only, and croner parses the result as
//! `0 MINUTES HOURS DOM MONTH DOW YEAR`.

use std::fmt;

use chrono::{DateTime, Timelike, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A parsed `cron(...)` expression. Opaque: build one with [`crate::Schedule::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct CronExpr {
    expression: String,
    // Boxed: croner's pattern is ~300 bytes and `Schedule` is passed around by value.
    cron: Box<Cron>,
}

impl CronExpr {
    /// The expression as written, e.g. `cron(0 0 * * ? *)`.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first fire time strictly after `after`, or `None` if there is none up to 2199.
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Fire times are whole minutes, so searching from the whole second at or before `after`
        // (exclusive) finds the first one strictly after `after`.
        let floor = after.with_nanosecond(0)?;
        self.cron.find_next_occurrence(&floor, false).ok()
    }
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CronExpr").field(&self.expression).finish()
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

/// Parse `expression`, whose text between `cron(` and `)` is `inner`; the error is the reason.
pub(crate) fn parse(expression: &str, inner: &str) -> Result<CronExpr, String> {
    let texts: Vec<&str> = inner.split_whitespace().collect();
    let texts: [&str; 6] = texts.as_slice().try_into().map_err(|_| {
        let hint = match texts.len() {
            5 => "; add the year field, e.g. `cron(0 0 * * ? *)`",
            7 => "; there is no seconds field, e.g. `cron(0 0 * * ? *)` fires at 00:00 UTC",
            _ => "; e.g. `cron(0 0 * * ? *)`",
        };
        format!(
            "expected 6 fields (minutes hours day-of-month month day-of-week year), found {}{hint}",
            texts.len()
        )
    })?;
    let mut parts = Vec::with_capacity(6);
    for (field, text) in Field::ALL.into_iter().zip(texts) {
        parts.push(field.parse(text).map_err(|reason| {
            format!(
                "{} `{text}`: {reason} ({} takes {})",
                field.name(),
                field.name(),
                field.syntax()
            )
        })?);
    }
    let (dom, dow) = (&parts[2], &parts[4]);
    match (dom, dow) {
        (Part::Unused, Part::Unused) => {
            return Err(
                "day-of-month and day-of-week are both `?`; give one of them a value, e.g. \
                 `cron(0 0 * * ? *)` (every day) or `cron(0 0 ? * MON *)` (Mondays)"
                    .into(),
            );
        }
        (Part::Used(_), Part::Used(_)) => {
            return Err(
                "one of day-of-month and day-of-week must be `?`, e.g. `cron(0 0 * * ? *)` \
                 (every day) or `cron(0 0 ? * MON *)` (Mondays)"
                    .into(),
            );
        }
        _ => {}
    }
    let pattern = format!(
        "0 {} {} {} {} {} {}",
        parts[0].croner(),
        parts[1].croner(),
        parts[2].croner(),
        parts[3].croner(),
        parts[4].croner(),
        parts[5].croner(),
    );
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Required)
        .alternative_weekdays(true)
        .build()
        .parse(&pattern)
        // The fields were checked above; this is a gap between the two grammars.
        .map_err(|e| format!("not supported by fnhost's cron engine: {e}"))?;
    Ok(CronExpr {
        expression: expression.to_owned(),
        cron: Box::new(cron),
    })
}

/// One field after checking: `?`, or the field in croner's numeric syntax.
enum Part {
    Unused,
    Used(String),
}

impl Part {
    fn croner(&self) -> &str {
        match self {
            // croner treats `*` in a day field as "not restricting", as EventBridge does `?`.
            Part::Unused => "*",
            Part::Used(text) => text,
        }
    }
}

/// The six fields of an EventBridge cron expression, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Field {
    const ALL: [Field; 6] = [
        Field::Minutes,
        Field::Hours,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
        Field::Year,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Minutes => "minutes",
            Field::Hours => "hours",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
            Field::Year => "year",
        }
    }

    fn bounds(self) -> (u32, u32) {
        match self {
            Field::Minutes => (0, 59),
            Field::Hours => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (1, 7),
            Field::Year => (1970, 2199),
        }
    }

    /// What the field accepts, as the EventBridge documentation's table puts it.
    fn syntax(self) -> &'static str {
        match self {
            Field::Minutes => "0-59 and `, - * /`",
            Field::Hours => "0-23 and `, - * /`",
            Field::DayOfMonth => "1-31 and `, - * ? / L W`",
            Field::Month => "1-12 or JAN-DEC and `, - * /`",
            Field::DayOfWeek => "1-7 or SUN-SAT (1 = SUN) and `, - * ? L #`",
            Field::Year => "1970-2199 and `, - * /`",
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &MONTHS,
            Field::DayOfWeek => &WEEKDAYS,
            _ => &[],
        }
    }

    fn parse(self, text: &str) -> Result<Part, String> {
        let day_field = matches!(self, Field::DayOfMonth | Field::DayOfWeek);
        if text == "?" {
            return if day_field {
                Ok(Part::Unused)
            } else {
                Err("`?` is only allowed in day-of-month or day-of-week".into())
            };
        }
        if text.contains('?') {
            return Err(if day_field {
                "`?` must be the whole field".into()
            } else {
                "`?` is only allowed in day-of-month or day-of-week".into()
            });
        }
        if let Some(special) = self.special(text)? {
            return Ok(Part::Used(special));
        }
        let items = text
            .split(',')
            .map(|item| {
                if item.is_empty() {
                    Err("empty list item; separate values with single commas, e.g. `1,15`".into())
                } else {
                    self.item(item)
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Part::Used(items.join(",")))
    }

    /// `L`, `W` and `#` forms, which must be the whole field; `None` if `text` has none.
    fn special(self, text: &str) -> Result<Option<String>, String> {
        let upper = text.to_ascii_uppercase();
        match self {
            Field::DayOfMonth => {
                if upper == "L" || upper == "LW" {
                    return Ok(Some(upper));
                }
                if let Some(day) = upper.strip_suffix('W') {
                    if day.contains([',', '-', '/', '*']) {
                        return Err(
                            "`W` takes a single day, e.g. `15W` (the weekday nearest the 15th)"
                                .into(),
                        );
                    }
                    return Ok(Some(format!("{}W", self.value(day)?)));
                }
                if upper.contains('L') || upper.contains('W') {
                    return Err(
                        "`L` and `W` are written `L`, `LW` or `15W`, alone in the field".into(),
                    );
                }
                if upper.contains('#') {
                    return Err("`#` is only allowed in day-of-week, e.g. `2#1`".into());
                }
            }
            Field::DayOfWeek => {
                if upper == "L" {
                    // Alone, `L` is the last day of the week: Saturday.
                    return Ok(Some("7".into()));
                }
                if let Some((day, nth)) = upper.split_once('#') {
                    let day = self.value(day)?;
                    let nth = match nth.parse::<u32>() {
                        Ok(n @ 1..=5) => n,
                        _ => {
                            return Err(format!(
                                "`#{nth}` must be 1-5 (the nth such weekday of the month), \
                                 e.g. `2#1` for the first Monday; only one `#` is allowed"
                            ));
                        }
                    };
                    return Ok(Some(format!("{day}#{nth}")));
                }
                // `6L` is the last Friday of the month; the weekday may be a name (`FRIL`).
                if let Some(day) = upper.strip_suffix('L')
                    && !day.contains([',', '-', '/', '*'])
                {
                    return Ok(Some(format!("{}L", self.value(day)?)));
                }
                if upper.contains('W') && !WEEKDAYS.iter().any(|d| upper.contains(d)) {
                    return Err("`W` is only allowed in day-of-month, e.g. `15W`".into());
                }
            }
            _ => {
                if upper.contains('#') {
                    return Err("`#` is only allowed in day-of-week, e.g. `2#1`".into());
                }
            }
        }
        Ok(None)
    }

    /// One list item: `*`, `V`, `A-B`, optionally followed by `/STEP`.
    fn item(self, item: &str) -> Result<String, String> {
        let (lo, hi) = self.bounds();
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => {
                let step = match step.parse::<u32>() {
                    Ok(s) if s >= 1 && step.bytes().all(|b| b.is_ascii_digit()) => s,
                    _ => {
                        return Err(format!(
                            "the increment `{step}` after `/` must be a whole number of at least \
                             1, e.g. `0/15`"
                        ));
                    }
                };
                (base, Some(step))
            }
            None => (item, None),
        };
        let range = if base == "*" {
            None
        } else if let Some((a, b)) = base.split_once('-') {
            let (a, b) = (self.value(a)?, self.value(b)?);
            if a > b {
                return Err(format!(
                    "the range `{base}` runs backwards; write the smaller value first"
                ));
            }
            Some((a, b))
        } else {
            let v = self.value(base)?;
            Some((v, v))
        };
        Ok(match (range, step) {
            (None, None) if self == Field::Year => format!("{lo}-{hi}"),
            (None, None) => "*".into(),
            (None, Some(step)) => format!("{lo}-{hi}/{step}"),
            // `5/15` starts at 5 and runs to the end of the field.
            (Some((a, b)), Some(step)) if a == b => format!("{a}-{hi}/{step}"),
            (Some((a, b)), Some(step)) => format!("{a}-{b}/{step}"),
            (Some((a, b)), None) if a == b => a.to_string(),
            (Some((a, b)), None) => format!("{a}-{b}"),
        })
    }

    /// A number within the field's bounds or a month / weekday name.
    fn value(self, text: &str) -> Result<u32, String> {
        let (lo, hi) = self.bounds();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<u32>() {
                Ok(v) if (lo..=hi).contains(&v) => Ok(v),
                _ => Err(format!("`{text}` is out of range {lo}-{hi}")),
            };
        }
        if let Some(i) = self
            .names()
            .iter()
            .position(|n| n.eq_ignore_ascii_case(text))
        {
            return Ok(i as u32 + 1);
        }
        Err(if text.is_empty() {
            "a value is missing".into()
        } else {
            format!("`{text}` is not a {} value", self.name())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn croner_fields(inner: &str) -> Vec<String> {
        Field::ALL
            .into_iter()
            .zip(inner.split_whitespace())
            .map(|(f, t)| match f.parse(t).unwrap() {
                Part::Unused => "?".to_string(),
                Part::Used(s) => s,
            })
            .collect()
    }

    #[test]
    fn fields_translate_to_numeric_quartz_syntax() {
        assert_eq!(
            croner_fields("0/15 8-17 ? * MON-FRI *"),
            ["0-59/15", "8-17", "?", "*", "2-6", "1970-2199"]
        );
        assert_eq!(
            croner_fields("5,35 */6 L jan,Jul 2#1 2026/2"),
            ["5,35", "0-23/6", "L", "1,7", "2#1", "2026-2199/2"]
        );
        assert_eq!(
            croner_fields("0 0 15W FEB-DEC/2 FRIL 2030-2031"),
            ["0", "0", "15W", "2-12/2", "6L", "2030-2031"]
        );
        assert_eq!(croner_fields("0 0 LW * L *")[2..5], ["LW", "*", "7"]);
    }
}
