//! Schedule triggers: `[[function.NAME.schedule]]` tables, their expressions, names and input.

use fnhost_manifest::ScheduleTrigger;
use fnhost_schedule::Schedule;

use crate::{HEAD, error, parse, with};

/// One `[[function.hello.schedule]]` table (on line 5) holding `extra` (from line 6).
fn schedule_text(extra: &str) -> String {
    format!("{HEAD}[[function.hello.schedule]]\n{extra}")
}

/// The single schedule of [`schedule_text`]`(extra)`.
fn schedule(extra: &str) -> ScheduleTrigger {
    let mut schedules = parse(&schedule_text(extra)).unwrap().functions["hello"]
        .schedules
        .clone();
    assert_eq!(schedules.len(), 1);
    schedules.remove(0)
}

/// The error for [`schedule_text`]`(extra)`.
fn schedule_error(extra: &str) -> String {
    error(&schedule_text(extra))
}

#[test]
fn defaults() {
    let expected = ScheduleTrigger {
        name: "hello-1".to_owned(),
        expression: "rate(5 minutes)".to_owned(),
        schedule: Schedule::parse("rate(5 minutes)").unwrap(),
        enabled: true,
        allow_overlap: false,
        input: None,
        line: 6,
    };
    assert_eq!(schedule("expression = \"rate(5 minutes)\"\n"), expected);
}

#[test]
fn every_field() {
    let found = schedule(
        "name = \"nightly-cleanup\"\nenabled = false\nallow_overlap = true\n\
         input = '{\"job\": \"cleanup\"}'\nexpression = \" cron(0 0 * * ? *) \"\n",
    );
    let expected = ScheduleTrigger {
        name: "nightly-cleanup".to_owned(),
        expression: "cron(0 0 * * ? *)".to_owned(),
        schedule: Schedule::parse("cron(0 0 * * ? *)").unwrap(),
        enabled: false,
        allow_overlap: true,
        input: Some("{\"job\": \"cleanup\"}".to_owned()),
        line: 10,
    };
    assert_eq!(found, expected);
}

#[test]
fn default_names_count_the_functions_schedules() {
    let text = format!(
        "{HEAD}schedule = [\n  {{ expression = \"rate(1 hour)\", name = \"hourly\" }},\n  \
         {{ expression = \"rate(1 day)\" }},\n  {{ expression = \"rate(2 days)\" }},\n]\n"
    );
    let schedules = &parse(&text).unwrap().functions["hello"].schedules;
    let names: Vec<(&str, usize)> = schedules
        .iter()
        .map(|s| (s.name.as_str(), s.line))
        .collect();
    assert_eq!(names, [("hourly", 6), ("hello-2", 7), ("hello-3", 8)]);
}

#[test]
fn expressions_eventbridge_accepts() {
    for expression in [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(7 days)",
        "cron(15 10 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 L * ? 2030)",
    ] {
        let found = schedule(&format!("expression = \"{expression}\"\n"));
        assert_eq!(found.expression, expression);
        assert_eq!(found.schedule.expression(), expression);
    }
}

#[test]
fn invalid_expressions() {
    for expression in [
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(1 week)",
        "rate(-1 minutes)",
        "cron(0 0 * * * *)",
        "cron(0 0 * *)",
        "cron(61 0 * * ? *)",
        "every day",
        "",
    ] {
        let message = schedule_error(&format!("expression = \"{expression}\"\n"));
        let prefix = format!(
            "fnhost.toml:6: function `hello`: invalid schedule expression `{expression}`: "
        );
        let reason = message
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{message}"));
        let parser = Schedule::parse(expression).unwrap_err().to_string();
        assert!(!reason.is_empty() && parser.ends_with(reason), "{message}");
    }
}

#[test]
fn invalid_expression_text() {
    assert_eq!(
        schedule_error("expression = \"rate(5 minute)\"\n"),
        "fnhost.toml:6: function `hello`: invalid schedule expression `rate(5 minute)`: \
         use the plural unit `minutes` when the value is not 1"
    );
}

#[test]
fn missing_expression() {
    assert_eq!(
        schedule_error("name = \"nightly\"\n"),
        "fnhost.toml:5: function `hello`: schedule: missing `expression`; \
         add `expression = \"rate(5 minutes)\"`"
    );
}

#[test]
fn names_eventbridge_accepts() {
    for name in ["a", "Nightly.Cleanup_v2-b", &"n".repeat(64)] {
        let found = schedule(&format!(
            "expression = \"rate(1 day)\"\nname = \"{name}\"\n"
        ));
        assert_eq!(found.name, name);
    }
}

#[test]
fn invalid_names() {
    for name in ["", "nightly cleanup", "a/b", "é", &"n".repeat(65)] {
        assert_eq!(
            schedule_error(&format!(
                "expression = \"rate(1 day)\"\nname = \"{name}\"\n"
            )),
            format!(
                "fnhost.toml:7: function `hello`: invalid schedule name `{name}`; \
                 use 1 to 64 letters, digits, `.`, `-` or `_`"
            )
        );
    }
}

#[test]
fn duplicate_name_across_functions() {
    let text = format!(
        "{HEAD}[[function.hello.schedule]]\nexpression = \"rate(1 day)\"\nname = \"nightly\"\n\n\
         [function.other]\nsource = \"other.wasm\"\n\n\
         [[function.other.schedule]]\nexpression = \"cron(0 0 * * ? *)\"\nname = \"nightly\"\n"
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:13: schedule name `nightly` of function `other` is already used by a \
         schedule of function `hello` (line 6); schedule names are unique across the manifest: \
         give one of them another `name`"
    );
}

#[test]
fn duplicate_name_in_one_function() {
    let text = format!(
        "{HEAD}schedule = [\n  {{ expression = \"rate(1 day)\", name = \"x\" }},\n  \
         {{ expression = \"rate(2 days)\", name = \"x\" }},\n]\n"
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:7: schedule name `x` of function `hello` is already used by a schedule of \
         function `hello` (line 6); schedule names are unique across the manifest: give one of \
         them another `name`"
    );
}

#[test]
fn given_name_clashing_with_a_default_one() {
    let text = format!(
        "{HEAD}[[function.hello.schedule]]\nexpression = \"rate(1 day)\"\n\n\
         [function.other]\nsource = \"other.wasm\"\n\
         schedule = [{{ expression = \"rate(1 hour)\", name = \"hello-1\" }}]\n"
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:10: schedule name `hello-1` of function `other` is already used by a \
         schedule of function `hello` (line 6); schedule names are unique across the manifest: \
         give one of them another `name`"
    );
}

#[test]
fn input_that_is_json() {
    for input in [
        "{\"job\":\"cleanup\"}",
        "[1, 2]",
        "42",
        "\"text\"",
        "null",
        " {} ",
    ] {
        let found = schedule(&format!(
            "expression = \"rate(1 day)\"\ninput = '{input}'\n"
        ));
        assert_eq!(found.input.as_deref(), Some(input));
    }
}

#[test]
fn input_that_is_not_json() {
    for (input, reason) in [
        ("{job: 1}", "key must be a string at line 1 column 2"),
        ("", "EOF while parsing a value at line 1 column 0"),
        ("cleanup", "expected value at line 1 column 1"),
        ("{} {}", "trailing characters at line 1 column 4"),
    ] {
        assert_eq!(
            schedule_error(&format!(
                "expression = \"rate(1 day)\"\ninput = '{input}'\n"
            )),
            format!(
                "fnhost.toml:7: function `hello`: schedule input is not JSON ({reason}); \
                 write JSON text, e.g. `input = '{{\"job\":\"cleanup\"}}'`, or remove `input` \
                 to pass the Scheduled Event"
            )
        );
    }
}

#[test]
fn input_as_a_table() {
    assert_eq!(
        schedule_error("expression = \"rate(1 day)\"\ninput = { job = \"cleanup\" }\n"),
        "fnhost.toml:7: function `hello`: schedule.input: invalid type: table, expected a string"
    );
}

#[test]
fn single_brackets() {
    assert_eq!(
        with("[function.hello.schedule]\nexpression = \"rate(1 day)\"\n"),
        "fnhost.toml:5: function `hello`: schedule: invalid type: table, \
         expected an array of tables, written `[[function.NAME.schedule]]`"
    );
}

#[test]
fn unknown_field_with_suggestion() {
    assert_eq!(
        schedule_error("expression = \"rate(1 day)\"\nenable = false\n"),
        "fnhost.toml:7: unknown field `enable` in `schedule` of function `hello`; expected one \
         of `expression`, `name`, `enabled`, `allow_overlap`, `input` (did you mean `enabled`?)"
    );
}

#[test]
fn enabled_that_is_not_a_boolean() {
    assert_eq!(
        schedule_error("expression = \"rate(1 day)\"\nenabled = \"yes\"\n"),
        "fnhost.toml:7: function `hello`: schedule.enabled: invalid type: string \"yes\", \
         expected a boolean"
    );
}
