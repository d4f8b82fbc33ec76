//! A function's `async` table: retries and maximum event age of asynchronous invocations.

use fnhost_manifest::AsyncConfig;

use crate::{HEAD, parse, with};

/// The `async_config` of function `hello` with `extra` from line 5.
fn async_config(extra: &str) -> AsyncConfig {
    parse(&format!("{HEAD}{extra}")).unwrap().functions["hello"].async_config
}

#[test]
fn lambdas_defaults() {
    let expected = AsyncConfig {
        retries: 2,
        max_event_age_s: 21_600,
    };
    assert_eq!(async_config(""), expected);
    assert_eq!(AsyncConfig::default(), expected);
    assert_eq!(async_config("async = {}\n"), expected);
    assert_eq!(
        (
            AsyncConfig::DEFAULT_RETRIES,
            AsyncConfig::DEFAULT_MAX_EVENT_AGE_S
        ),
        (2, 21_600)
    );
}

#[test]
fn boundaries() {
    let low = async_config("async = { retries = 0, max_event_age_s = 60 }\n");
    assert_eq!((low.retries, low.max_event_age_s), (0, 60));
    let high = async_config("\n[function.hello.async]\nretries = 2\nmax_event_age_s = 21600\n");
    assert_eq!((high.retries, high.max_event_age_s), (2, 21_600));
}

#[test]
fn one_field_keeps_the_other_default() {
    assert_eq!(
        async_config("async = { retries = 1 }\n"),
        AsyncConfig {
            retries: 1,
            max_event_age_s: 21_600
        }
    );
}

#[test]
fn out_of_range() {
    const RETRIES: &str =
        "use 0 to 2 (retries after a failed asynchronous invocation, Lambda's limits)";
    const AGE: &str =
        "use 60 to 21600 (seconds an event may wait to be delivered, Lambda's limits)";
    for (field, value, fix) in [
        ("retries", "3", RETRIES),
        ("retries", "-1", RETRIES),
        ("max_event_age_s", "59", AGE),
        ("max_event_age_s", "21601", AGE),
        ("max_event_age_s", "9_999_999_999", AGE),
    ] {
        assert_eq!(
            with(&format!("async = {{ {field} = {value} }}\n")),
            format!(
                "fnhost.toml:5: function `hello`: async.{field} = `{value}` is out of range; {fix}"
            )
        );
    }
}

#[test]
fn unknown_field_with_suggestion() {
    assert_eq!(
        with("async = { max_retries = 1 }\n"),
        "fnhost.toml:5: unknown field `max_retries` in `async` of function `hello`; expected one \
         of `retries`, `max_event_age_s`"
    );
    assert_eq!(
        with("async = { retires = 1 }\n"),
        "fnhost.toml:5: unknown field `retires` in `async` of function `hello`; expected one \
         of `retries`, `max_event_age_s` (did you mean `retries`?)"
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        with("async = { retries = \"2\" }\n"),
        "fnhost.toml:5: function `hello`: async.retries: invalid type: string \"2\", \
         expected an integer"
    );
}

#[test]
fn array_instead_of_a_table() {
    // Serde would otherwise fill the fields in order: retries = 1, max_event_age_s = 60.
    assert_eq!(
        with("async = [1, 60]\n"),
        "fnhost.toml:5: function `hello`: async: invalid type: array, expected a table"
    );
}
