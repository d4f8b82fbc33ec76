//! [`Schedule`]: a parsed `rate(...)` or `cron(...)` expression.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::cron::{self, CronExpr};
use crate::error::ScheduleError;
use crate::rate;

/// A parsed EventBridge schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `rate(VALUE UNIT)`: fires every `every`, counted from an anchor.
    Rate {
        /// The period, at least one second (one minute in EventBridge's own units).
        every: Duration,
        /// The expression as written, e.g. `rate(5 minutes)`.
        expression: String,
    },
    /// `cron(...)`: fires at the UTC minutes the six fields select.
    Cron(CronExpr),
}

impl Schedule {
    /// Parse an EventBridge schedule expression: `rate(5 minutes)`, `rate(1 hour)`,
    /// `cron(0 0 * * ? *)`, `cron(0/15 8-17 ? * MON-FRI *)`, … (see the crate docs for the rules;
    /// `rate(N second|seconds)` is fnhost's extension). Surrounding whitespace is ignored.
    pub fn parse(expr: &str) -> Result<Schedule, ScheduleError> {
        let expression = expr.trim();
        let inner = |prefix: &str| {
            expression
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
        };
        if let Some(inner) = inner("rate(") {
            let every = rate::parse(inner).map_err(|reason| ScheduleError::Rate {
                expression: expression.to_owned(),
                reason,
            })?;
            Ok(Schedule::Rate {
                every,
                expression: expression.to_owned(),
            })
        } else if let Some(inner) = inner("cron(") {
            cron::parse(expression, inner)
                .map(Schedule::Cron)
                .map_err(|reason| ScheduleError::Cron {
                    expression: expression.to_owned(),
                    reason,
                })
        } else {
            Err(ScheduleError::Unrecognized {
                expression: expression.to_owned(),
            })
        }
    }

    /// The first fire time strictly after `after`.
    ///
    /// A rate schedule fires at `anchor + k × every` for k = 1, 2, … (one period after it was
    /// created or started, as a new EventBridge rate rule does); `anchor` is ignored by cron
    /// schedules. `None` when the schedule never fires again: a cron expression with no match
    /// left before the end of 2199 (or none at all, such as `cron(0 0 30 2 ? *)`), or a time past
    /// chrono's range.
    pub fn next_after(&self, after: DateTime<Utc>, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Rate { every, .. } => rate::next_after(*every, after, anchor),
            Schedule::Cron(cron) => cron.next_after(after),
        }
    }

    /// The expression as written (without surrounding whitespace).
    pub fn expression(&self) -> &str {
        match self {
            Schedule::Rate { expression, .. } => expression,
            Schedule::Cron(cron) => cron.expression(),
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::parse(s)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expression())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Weekday};

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    /// Monday 2 March 2026, 10:15:42 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 15, 42).unwrap()
    }

    /// The next `n` fire times after `start`.
    fn next_n(expr: &str, start: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let schedule = Schedule::parse(expr).unwrap();
        let mut times = Vec::new();
        let mut t = start;
        for _ in 0..n {
            t = schedule.next_after(t, start).unwrap();
            times.push(t);
        }
        times
    }

    fn err(expr: &str) -> String {
        Schedule::parse(expr).unwrap_err().to_string()
    }

    #[test]
    fn start_is_a_monday() {
        assert_eq!(now().weekday(), Weekday::Mon);
    }

    #[test]
    fn aws_example_daily_at_10() {
        assert_eq!(
            next_n("cron(0 10 * * ? *)", now(), 2),
            [utc(2026, 3, 3, 10, 0), utc(2026, 3, 4, 10, 0)]
        );
    }

    #[test]
    fn aws_example_daily_at_12_15() {
        assert_eq!(
            next_n("cron(15 12 * * ? *)", now(), 2),
            [utc(2026, 3, 2, 12, 15), utc(2026, 3, 3, 12, 15)]
        );
    }

    #[test]
    fn aws_example_weekdays_at_18() {
        // Friday 6 March is followed by Monday 9 March.
        assert_eq!(
            next_n("cron(0 18 ? * MON-FRI *)", now(), 6),
            [
                utc(2026, 3, 2, 18, 0),
                utc(2026, 3, 3, 18, 0),
                utc(2026, 3, 4, 18, 0),
                utc(2026, 3, 5, 18, 0),
                utc(2026, 3, 6, 18, 0),
                utc(2026, 3, 9, 18, 0),
            ]
        );
    }

    #[test]
    fn aws_example_first_of_month_at_8() {
        assert_eq!(
            next_n("cron(0 8 1 * ? *)", now(), 3),
            [
                utc(2026, 4, 1, 8, 0),
                utc(2026, 5, 1, 8, 0),
                utc(2026, 6, 1, 8, 0)
            ]
        );
    }

    #[test]
    fn aws_example_every_15_minutes() {
        assert_eq!(
            next_n("cron(0/15 * * * ? *)", now(), 4),
            [
                utc(2026, 3, 2, 10, 30),
                utc(2026, 3, 2, 10, 45),
                utc(2026, 3, 2, 11, 0),
                utc(2026, 3, 2, 11, 15)
            ]
        );
    }

    #[test]
    fn aws_example_every_10_minutes_on_weekdays() {
        assert_eq!(
            next_n("cron(0/10 * ? * MON-FRI *)", now(), 2),
            [utc(2026, 3, 2, 10, 20), utc(2026, 3, 2, 10, 30)]
        );
        // Late Friday rolls over to Monday midnight.
        let friday_late = utc(2026, 3, 6, 23, 55);
        assert_eq!(
            next_n("cron(0/10 * ? * MON-FRI *)", friday_late, 2),
            [utc(2026, 3, 9, 0, 0), utc(2026, 3, 9, 0, 10)]
        );
    }

    #[test]
    fn aws_example_every_5_minutes_in_office_hours() {
        assert_eq!(
            next_n("cron(0/5 8-17 ? * MON-FRI *)", now(), 2),
            [utc(2026, 3, 2, 10, 20), utc(2026, 3, 2, 10, 25)]
        );
        // 17:55 is the last of the day; the next is 08:00 on the next weekday.
        let evening = utc(2026, 3, 6, 17, 50);
        assert_eq!(
            next_n("cron(0/5 8-17 ? * MON-FRI *)", evening, 2),
            [utc(2026, 3, 6, 17, 55), utc(2026, 3, 9, 8, 0)]
        );
    }

    #[test]
    fn aws_example_first_monday_of_month() {
        // 2 March 2026 is the first Monday of March, but 09:00 has passed.
        assert_eq!(
            next_n("cron(0 9 ? * 2#1 *)", now(), 3),
            [
                utc(2026, 4, 6, 9, 0),
                utc(2026, 5, 4, 9, 0),
                utc(2026, 6, 1, 9, 0)
            ]
        );
    }

    #[test]
    fn aws_example_last_day_of_month() {
        // 2028 is a leap year.
        let start = utc(2028, 1, 15, 0, 0);
        assert_eq!(
            next_n("cron(0 0 L * ? *)", start, 3),
            [
                utc(2028, 1, 31, 0, 0),
                utc(2028, 2, 29, 0, 0),
                utc(2028, 3, 31, 0, 0)
            ]
        );
    }

    #[test]
    fn brief_examples() {
        assert_eq!(
            next_n("cron(0 0 * * ? *)", now(), 1),
            [utc(2026, 3, 3, 0, 0)]
        );
        assert_eq!(
            next_n("cron(0/15 8-17 ? * MON-FRI *)", utc(2026, 3, 7, 12, 0), 2),
            [utc(2026, 3, 9, 8, 0), utc(2026, 3, 9, 8, 15)]
        );
    }

    #[test]
    fn weekday_numbers_count_from_sunday() {
        // 1 = SUN and 7 = SAT, as in EventBridge (not POSIX cron's 0 = SUN, 1 = MON).
        assert_eq!(
            next_n("cron(0 12 ? * 1 *)", now(), 1),
            [utc(2026, 3, 8, 12, 0)]
        );
        assert_eq!(
            next_n("cron(0 12 ? * 7 *)", now(), 1),
            [utc(2026, 3, 7, 12, 0)]
        );
        assert_eq!(
            next_n("cron(0 12 ? * SUN,sat *)", now(), 2),
            [utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 12, 0)]
        );
        // `L` alone is the last day of the week, Saturday.
        assert_eq!(
            next_n("cron(0 12 ? * L *)", now(), 1),
            [utc(2026, 3, 7, 12, 0)]
        );
    }

    #[test]
    fn last_and_nearest_weekday_forms() {
        // Last Friday of the month.
        assert_eq!(
            next_n("cron(0 0 ? * 6L *)", now(), 2),
            [utc(2026, 3, 27, 0, 0), utc(2026, 4, 24, 0, 0)]
        );
        // 15 March 2026 is a Sunday: the nearest weekday is Monday the 16th; 15 August 2026 is
        // a Saturday: Friday the 14th.
        let start = utc(2026, 3, 1, 0, 0);
        assert_eq!(
            next_n("cron(0 0 15W * ? *)", start, 1),
            [utc(2026, 3, 16, 0, 0)]
        );
        assert_eq!(
            next_n("cron(0 0 15W AUG ? *)", start, 1),
            [utc(2026, 8, 14, 0, 0)]
        );
        // Last weekday of May 2026 (the 31st is a Sunday): Friday the 29th.
        assert_eq!(
            next_n("cron(0 0 LW 5 ? *)", start, 1),
            [utc(2026, 5, 29, 0, 0)]
        );
    }

    #[test]
    fn years_restrict_and_end() {
        assert_eq!(
            next_n("cron(0 0 1 JAN ? 2030,2032)", now(), 2),
            [utc(2030, 1, 1, 0, 0), utc(2032, 1, 1, 0, 0)]
        );
        let s = Schedule::parse("cron(0 0 1 JAN ? 2030)").unwrap();
        assert_eq!(s.next_after(utc(2030, 1, 1, 0, 0), now()), None);
        // EventBridge's last year is 2199.
        let s = Schedule::parse("cron(0 0 * * ? *)").unwrap();
        assert_eq!(
            s.next_after(utc(2199, 12, 30, 12, 0), now()),
            Some(utc(2199, 12, 31, 0, 0))
        );
        assert_eq!(s.next_after(utc(2199, 12, 31, 0, 0), now()), None);
        // A date that never exists.
        let s = Schedule::parse("cron(0 0 30 2 ? *)").unwrap();
        assert_eq!(s.next_after(now(), now()), None);
    }

    #[test]
    fn next_is_strictly_after() {
        let s = Schedule::parse("cron(0 10 * * ? *)").unwrap();
        let ten = utc(2026, 3, 2, 10, 0);
        assert_eq!(s.next_after(ten, ten), Some(utc(2026, 3, 3, 10, 0)));
        let just_before = ten - chrono::TimeDelta::nanoseconds(1);
        assert_eq!(s.next_after(just_before, ten), Some(ten));
        let just_after = ten + chrono::TimeDelta::nanoseconds(1);
        assert_eq!(s.next_after(just_after, ten), Some(utc(2026, 3, 3, 10, 0)));
    }

    #[test]
    fn rate_schedules() {
        let s = Schedule::parse("rate(5 minutes)").unwrap();
        assert!(matches!(s, Schedule::Rate { every, .. } if every == Duration::from_secs(300)));
        let anchor = now();
        assert_eq!(
            next_n("rate(5 minutes)", anchor, 2),
            [
                anchor + chrono::TimeDelta::minutes(5),
                anchor + chrono::TimeDelta::minutes(10)
            ]
        );
        for (expr, secs) in [
            ("rate(1 minute)", 60),
            ("rate(1 hour)", 3_600),
            ("rate(2 days)", 172_800),
            ("rate(1 second)", 1),
            ("rate(10 seconds)", 10),
        ] {
            match Schedule::parse(expr).unwrap() {
                Schedule::Rate { every, .. } => assert_eq!(every.as_secs(), secs, "{expr}"),
                other => panic!("{expr} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn expression_and_display_are_as_written() {
        for expr in ["rate(5 minutes)", "cron(0/15 8-17 ? * mon-fri *)"] {
            let s: Schedule = format!("  {expr}\n").parse().unwrap();
            assert_eq!(s.expression(), expr);
            assert_eq!(s.to_string(), expr);
        }
    }

    #[test]
    fn rate_errors() {
        assert_eq!(
            err("rate(5 minute)"),
            "rate(5 minute): use the plural unit `minutes` when the value is not 1"
        );
        assert_eq!(
            err("rate(1 minutes)"),
            "rate(1 minutes): use the singular unit `minute` when the value is 1"
        );
        assert_eq!(
            err("rate(1 days)"),
            "rate(1 days): use the singular unit `day` when the value is 1"
        );
        assert_eq!(
            err("rate(0 minutes)"),
            "rate(0 minutes): the value must be at least 1, e.g. `rate(1 minute)`"
        );
        assert_eq!(
            err("rate(5 weeks)"),
            "rate(5 weeks): unknown unit `weeks`; use `minute(s)`, `hour(s)` or `day(s)`, e.g. \
             `rate(5 minutes)` (fnhost also accepts `second(s)`, which EventBridge does not)"
        );
        assert_eq!(
            err("rate(5 Minutes)"),
            "rate(5 Minutes): unknown unit `Minutes`; use `minute(s)`, `hour(s)` or `day(s)`, \
             e.g. `rate(5 minutes)` (fnhost also accepts `second(s)`, which EventBridge does not)"
        );
        assert_eq!(
            err("rate(-5 minutes)"),
            "rate(-5 minutes): the value `-5` must be a positive whole number, e.g. \
             `rate(5 minutes)`"
        );
        assert_eq!(
            err("rate(1.5 hours)"),
            "rate(1.5 hours): the value `1.5` must be a positive whole number, e.g. \
             `rate(5 minutes)`"
        );
        assert_eq!(
            err("rate(5)"),
            "rate(5): expected a value and a unit, found 1 word(s); write e.g. \
             `rate(5 minutes)` or `rate(1 hour)`"
        );
        assert_eq!(
            err("rate(5 minutes"),
            "rate(5 minutes: a schedule expression is `rate(VALUE UNIT)` or \
             `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)`, e.g. `rate(5 minutes)` \
             or `cron(0 0 * * ? *)`"
        );
        assert!(err("rate(99999999999999999999 days)").contains("is too large"));
        assert!(err("rate(9999999999999999 days)").contains("is too long"));
        assert!(matches!(
            Schedule::parse("every 5 minutes"),
            Err(ScheduleError::Unrecognized { .. })
        ));
        assert!(matches!(
            Schedule::parse(""),
            Err(ScheduleError::Unrecognized { .. })
        ));
    }

    #[test]
    fn cron_field_count_errors() {
        assert_eq!(
            err("cron(0 0 * * ?)"),
            "cron(0 0 * * ?): expected 6 fields (minutes hours day-of-month month day-of-week \
             year), found 5; add the year field, e.g. `cron(0 0 * * ? *)`"
        );
        assert_eq!(
            err("cron(0 0 0 * * ? *)"),
            "cron(0 0 0 * * ? *): expected 6 fields (minutes hours day-of-month month \
             day-of-week year), found 7; there is no seconds field, e.g. `cron(0 0 * * ? *)` \
             fires at 00:00 UTC"
        );
        assert!(err("cron()").contains("found 0"));
    }

    #[test]
    fn cron_day_field_errors() {
        assert_eq!(
            err("cron(0 0 ? * ? *)"),
            "cron(0 0 ? * ? *): day-of-month and day-of-week are both `?`; give one of them a \
             value, e.g. `cron(0 0 * * ? *)` (every day) or `cron(0 0 ? * MON *)` (Mondays)"
        );
        assert_eq!(
            err("cron(0 0 * * * *)"),
            "cron(0 0 * * * *): one of day-of-month and day-of-week must be `?`, e.g. \
             `cron(0 0 * * ? *)` (every day) or `cron(0 0 ? * MON *)` (Mondays)"
        );
        assert!(err("cron(0 0 1 * MON *)").contains("must be `?`"));
        assert_eq!(
            err("cron(? 0 * * ? *)"),
            "cron(? 0 * * ? *): minutes `?`: `?` is only allowed in day-of-month or day-of-week \
             (minutes takes 0-59 and `, - * /`)"
        );
        assert!(err("cron(0 0 1,? * ? *)").contains("`?` must be the whole field"));
    }

    #[test]
    fn cron_range_errors() {
        assert_eq!(
            err("cron(60 0 * * ? *)"),
            "cron(60 0 * * ? *): minutes `60`: `60` is out of range 0-59 (minutes takes 0-59 \
             and `, - * /`)"
        );
        assert!(err("cron(0 24 * * ? *)").contains("hours `24`: `24` is out of range 0-23"));
        assert!(err("cron(0 0 0 * ? *)").contains("day-of-month `0`: `0` is out of range 1-31"));
        assert!(err("cron(0 0 32 * ? *)").contains("`32` is out of range 1-31"));
        assert!(err("cron(0 0 1 13 ? *)").contains("month `13`: `13` is out of range 1-12"));
        assert!(err("cron(0 0 ? * 0 *)").contains(
            "day-of-week `0`: `0` is out of range 1-7 (day-of-week takes 1-7 or SUN-SAT (1 = SUN)"
        ));
        assert!(err("cron(0 0 ? * 8 *)").contains("`8` is out of range 1-7"));
        assert!(err("cron(0 0 * * ? 1969)").contains("year `1969`: `1969` is out of range"));
        assert!(err("cron(0 0 * * ? 2200)").contains("`2200` is out of range 1970-2199"));
        assert_eq!(
            err("cron(0 17-8 * * ? *)"),
            "cron(0 17-8 * * ? *): hours `17-8`: the range `17-8` runs backwards; write the \
             smaller value first (hours takes 0-23 and `, - * /`)"
        );
        assert!(err("cron(0 0 ? * FRI-MON *)").contains("the range `FRI-MON` runs backwards"));
        assert!(err("cron(0/0 * * * ? *)").contains("the increment `0` after `/`"));
        assert!(err("cron(0/x * * * ? *)").contains("the increment `x` after `/`"));
        assert!(err("cron(0 0 * FOO ? *)").contains("month `FOO`: `FOO` is not a month value"));
        assert!(err("cron(0 0 * MON ? *)").contains("`MON` is not a month value"));
        assert!(err("cron(0 0 ? JAN JAN *)").contains("`JAN` is not a day-of-week value"));
        assert!(err("cron(0 0 1,,2 * ? *)").contains("empty list item"));
        assert!(err("cron(0 0 1- * ? *)").contains("a value is missing"));
    }

    #[test]
    fn cron_special_character_errors() {
        assert!(err("cron(0 0 ? * 2#6 *)").contains("`#6` must be 1-5"));
        assert!(err("cron(0 0 ? * 2#1,3#2 *)").contains("only one `#` is allowed"));
        assert!(err("cron(0 0 1#2 * ? *)").contains("`#` is only allowed in day-of-week"));
        assert!(err("cron(1#2 0 * * ? *)").contains("`#` is only allowed in day-of-week"));
        assert!(err("cron(0 0 1-5W * ? *)").contains("`W` takes a single day"));
        assert!(err("cron(0 0 L-3 * ? *)").contains("`L` and `W` are written"));
        assert!(err("cron(0 0 ? * 2W *)").contains("`W` is only allowed in day-of-month"));
        assert!(err("cron(L 0 * * ? *)").contains("`L` is not a minutes value"));
    }
}
