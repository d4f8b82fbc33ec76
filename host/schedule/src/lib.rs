//! EventBridge schedule expressions: `rate(...)` and `cron(...)` parsing and next fire times.
//!
//! [`Schedule::parse`] accepts the expressions an EventBridge rule accepts, with the same rules
//! (see the AWS page "Schedule expressions for rules"), and [`Schedule::next_after`] tells when a
//! schedule fires next. All times are UTC, as in EventBridge rules.
//!
//! - `rate(VALUE UNIT)`: `VALUE` is a positive whole number and `UNIT` one of `minute`,
//!   `minutes`, `hour`, `hours`, `day`, `days`, singular exactly when `VALUE` is 1. A rate
//!   schedule fires every `VALUE UNIT` counted from its anchor (when it was created or started).
//!   fnhost extension, **not in EventBridge**: `second` / `seconds`, for tests and fast loops.
//! - `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)`: six fields, exactly one of
//!   day-of-month and day-of-week is `?`; wildcards `, - * / ? L W #`; months `1-12` or
//!   `JAN-DEC`; weekdays `1-7` or `SUN-SAT` with 1 = Sunday; years 1970-2199.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use fnhost_schedule::Schedule;
//!
//! let nightly: Schedule = "cron(0 0 * * ? *)".parse()?;
//! let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 15, 42).unwrap();
//! assert_eq!(
//!     nightly.next_after(now, now),
//!     Some(Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap())
//! );
//! # Ok::<(), fnhost_schedule::ScheduleError>(())
//! ```

mod cron;
mod error;
mod rate;
mod schedule;

pub use cron::CronExpr;
pub use error::ScheduleError;
pub use schedule::Schedule;
