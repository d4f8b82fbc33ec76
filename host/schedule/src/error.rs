//! Why a schedule expression was refused.

/// A schedule expression that EventBridge (or fnhost's `seconds` extension) would not accept.
///
/// Every message starts with the expression as written and says how to write it instead, e.g.
/// ``rate(5 minute): use the plural unit `minutes` when the value is not 1``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// Neither `rate(...)` nor `cron(...)`.
    #[error(
        "{expression}: a schedule expression is `rate(VALUE UNIT)` or \
         `cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)`, \
         e.g. `rate(5 minutes)` or `cron(0 0 * * ? *)`"
    )]
    Unrecognized {
        /// The expression as written.
        expression: String,
    },
    /// A `rate(...)` expression that breaks the rate rules.
    #[error("{expression}: {reason}")]
    Rate {
        /// The expression as written.
        expression: String,
        /// What is wrong and how to write it.
        reason: String,
    },
    /// A `cron(...)` expression that breaks the cron rules.
    #[error("{expression}: {reason}")]
    Cron {
        /// The expression as written.
        expression: String,
        /// What is wrong and how to write it.
        reason: String,
    },
}
