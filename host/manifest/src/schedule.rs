//! Schedule triggers: a function's `[[function.NAME.schedule]]` tables ([`ScheduleTrigger`]),
//! EventBridge rules that invoke it on a `rate(...)` or `cron(...)` expression, and the check
//! that their names are unique across the manifest.

use std::collections::BTreeMap;

use fnhost_schedule::Schedule;
use toml::Spanned;

use crate::error::ManifestError;
use crate::function::FunctionConfig;
use crate::raw;
use crate::source::Source;

/// Longest schedule name (EventBridge's rule-name limit).
const MAX_NAME_LEN: usize = 64;

/// One `[[function.NAME.schedule]]` entry: an EventBridge-style rule that invokes the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTrigger {
    /// The rule name, unique across the manifest: `name`, or `<function>-<n>` for the function's
    /// n-th schedule (counting from 1) when `name` is not given.
    pub name: String,
    /// The expression as written, without surrounding whitespace, e.g. `rate(5 minutes)`.
    pub expression: String,
    /// The parsed `expression`.
    pub schedule: Schedule,
    /// Whether the rule fires; a disabled rule is kept (and listed) but never runs.
    pub enabled: bool,
    /// Whether a run may start while the previous run of this rule is still running or queued;
    /// when `false` that run is skipped (and logged).
    pub allow_overlap: bool,
    /// JSON text passed instead of the Scheduled Event (EventBridge's constant input).
    pub input: Option<String>,
    /// 1-based line of `expression` in the manifest, for messages.
    pub line: usize,
}

/// Validate a function's `[[function.NAME.schedule]]` tables, in order.
pub(crate) fn validate_triggers(
    function: &str,
    tables: Vec<Spanned<raw::Schedule>>,
    src: &Source<'_>,
) -> Result<Vec<ScheduleTrigger>, ManifestError> {
    tables
        .into_iter()
        .enumerate()
        .map(|(index, table)| validate_trigger(function, index + 1, table, src))
        .collect()
}

/// The `number`-th (from 1) schedule of `function`.
fn validate_trigger(
    function: &str,
    number: usize,
    table: Spanned<raw::Schedule>,
    src: &Source<'_>,
) -> Result<ScheduleTrigger, ManifestError> {
    let (span, table) = (table.span(), table.into_inner());
    let expression = table
        .expression
        .ok_or_else(|| ManifestError::MissingField {
            at: src.at(span),
            what: format!("function `{function}`: schedule"),
            field: "expression",
            example: "expression = \"rate(5 minutes)\"".to_owned(),
        })?;
    let (at, line) = (src.at(expression.span()), src.line(expression.span()));
    let schedule = Schedule::parse(expression.get_ref()).map_err(|error| {
        let written = expression.get_ref().trim();
        // The parser's message starts with the expression; it is already in ours.
        let message = error.to_string();
        let reason = message
            .strip_prefix(&format!("{written}: "))
            .unwrap_or(&message)
            .to_owned();
        ManifestError::InvalidSchedule {
            at,
            function: function.to_owned(),
            expression: written.to_owned(),
            reason,
        }
    })?;
    let name = match table.name {
        None => format!("{function}-{number}"),
        Some(name) if is_valid_name(name.get_ref()) => name.into_inner(),
        Some(name) => {
            return Err(ManifestError::InvalidScheduleName {
                at: src.at(name.span()),
                function: function.to_owned(),
                name: name.into_inner(),
            });
        }
    };
    let input = match table.input {
        None => None,
        Some(input) => match serde_json::from_str::<serde_json::Value>(input.get_ref()) {
            Ok(_) => Some(input.into_inner()),
            Err(error) => {
                return Err(ManifestError::InvalidScheduleInput {
                    at: src.at(input.span()),
                    function: function.to_owned(),
                    reason: error.to_string(),
                });
            }
        },
    };
    Ok(ScheduleTrigger {
        name,
        expression: schedule.expression().to_owned(),
        schedule,
        enabled: table.enabled.unwrap_or(true),
        allow_overlap: table.allow_overlap.unwrap_or(false),
        input,
        line,
    })
}

/// EventBridge's rule-name rule: 1 to 64 of `[A-Za-z0-9._-]`.
fn is_valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// No two schedules in the manifest may share a name, given or defaulted. Schedules are
/// compared in file order and the later one of a pair is reported.
pub(crate) fn check_names<'a>(
    functions: impl IntoIterator<Item = &'a FunctionConfig>,
    src: &Source<'_>,
) -> Result<(), ManifestError> {
    let mut schedules: Vec<(&str, usize, &ScheduleTrigger)> = functions
        .into_iter()
        .flat_map(|f| {
            f.schedules
                .iter()
                .enumerate()
                .map(|(i, s)| (f.name.as_str(), i, s))
        })
        .collect();
    schedules.sort_by_key(|&(function, index, schedule)| (schedule.line, function, index));
    let mut seen: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for (function, _, schedule) in schedules {
        if let Some(&(other_function, other_line)) = seen.get(schedule.name.as_str()) {
            return Err(ManifestError::DuplicateScheduleName {
                at: src.at_line(schedule.line),
                name: schedule.name.as_str().into(),
                function: function.into(),
                other_function: other_function.into(),
                other_line,
            });
        }
        seen.insert(&schedule.name, (function, schedule.line));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_eventbridge() {
        for good in ["a", "nightly-cleanup", "v1.2_x", &"n".repeat(64)] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "a b", "a/b", "é", &"n".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
