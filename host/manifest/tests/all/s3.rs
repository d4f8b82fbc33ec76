//! File-watch triggers: `[[function.NAME.s3]]` tables that are accepted and rejected; overlaps
//! between triggers have their own module.

mod overlaps;

use fnhost_manifest::{S3EventType, S3Trigger};

use crate::{HEAD, parse, with};

/// `HEAD`, buckets `uploads` and `thumbnails` (lines 5–8), then one `[[function.hello.s3]]`
/// table (on line 9) holding `extra` (from line 10).
fn s3(extra: &str) -> String {
    format!(
        "{HEAD}[bucket.uploads]\npath = \"data/uploads\"\n[bucket.thumbnails]\n\
         path = \"data/thumbnails\"\n[[function.hello.s3]]\n{extra}"
    )
}

/// The single trigger of [`s3`]`(extra)`.
fn trigger(extra: &str) -> S3Trigger {
    let mut triggers = parse(&s3(extra)).unwrap().functions["hello"].s3.clone();
    assert_eq!(triggers.len(), 1);
    triggers.remove(0)
}

#[test]
fn defaults() {
    let expected = S3Trigger {
        bucket: "uploads".to_owned(),
        events: vec![S3EventType::CreatedAll],
        prefix: String::new(),
        suffix: String::new(),
        line: 10,
    };
    assert_eq!(trigger("bucket = \"uploads\"\n"), expected);
}

#[test]
fn every_field() {
    let found = trigger(
        "prefix = \"images/\"\nsuffix = \".png\"\nbucket = \"uploads\"\n\
         events = [\"s3:ObjectCreated:Put\", \"ObjectRemoved:*\"]\n",
    );
    let expected = S3Trigger {
        bucket: "uploads".to_owned(),
        events: vec![S3EventType::CreatedPut, S3EventType::RemovedAll],
        prefix: "images/".to_owned(),
        suffix: ".png".to_owned(),
        line: 12,
    };
    assert_eq!(found, expected);
    assert!(found.matches("ObjectCreated:Put", "images/cat.png"));
    assert!(found.matches("ObjectRemoved:Delete", "images/cat.png"));
    assert!(!found.matches("ObjectCreated:Copy", "images/cat.png"));
    assert!(!found.matches("ObjectCreated:Put", "cat.png"));
}

#[test]
fn every_event_type_by_both_spellings() {
    for event in S3EventType::ALL {
        for name in [event.as_str(), &event.as_str()[3..]] {
            let found = trigger(&format!("bucket = \"uploads\"\nevents = [\"{name}\"]\n"));
            assert_eq!(found.events, [event]);
        }
    }
    assert_eq!(
        S3EventType::CreatedCopy.to_string(),
        "s3:ObjectCreated:Copy"
    );
}

#[test]
fn triggers_keep_manifest_order_and_lines() {
    let text = format!(
        "{}\n[[function.hello.s3]]\nbucket = \"thumbnails\"\n",
        s3("bucket = \"uploads\"\nprefix = \"a/\"\n")
    );
    let triggers = &parse(&text).unwrap().functions["hello"].s3;
    let summary: Vec<(&str, usize)> = triggers
        .iter()
        .map(|t| (t.bucket.as_str(), t.line))
        .collect();
    assert_eq!(summary, [("uploads", 10), ("thumbnails", 14)]);
}

#[test]
fn inline_array_of_triggers() {
    let text = format!(
        "{HEAD}s3 = [{{ bucket = \"uploads\", prefix = \"a/\" }}, {{ bucket = \"uploads\", prefix = \"b/\" }}]\n\
         [bucket.uploads]\npath = \"u\"\n"
    );
    let triggers = &parse(&text).unwrap().functions["hello"].s3;
    assert_eq!(triggers.len(), 2);
    assert_eq!((triggers[0].line, triggers[1].prefix.as_str()), (5, "b/"));
}

#[test]
fn missing_bucket() {
    assert_eq!(
        with(&s3("prefix = \"a/\"\n")[HEAD.len()..]),
        "fnhost.toml:9: function `hello`: s3: missing `bucket`; add `bucket = \"thumbnails\"`"
    );
    assert_eq!(
        with("[[function.hello.s3]]\nprefix = \"a/\"\n"),
        "fnhost.toml:5: function `hello`: s3: missing `bucket`; add `bucket = \"uploads\"`"
    );
}

#[test]
fn unknown_bucket() {
    assert_eq!(
        with(&s3("bucket = \"upload\"\n")[HEAD.len()..]),
        "fnhost.toml:10: function `hello`: s3.bucket names unknown bucket `upload` \
         (did you mean `uploads`?); declared buckets: `thumbnails`, `uploads`; \
         declare it with `[bucket.upload]` and `path = \"data/upload\"`"
    );
}

/// The error for the trigger of [`s3`]`(extra)`.
fn s3_error(extra: &str) -> String {
    with(&s3(extra)[HEAD.len()..])
}

#[test]
fn unknown_event_types() {
    let supported = "use `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `s3:ObjectCreated:Copy`, \
                     `s3:ObjectRemoved:*` or `s3:ObjectRemoved:Delete`";
    for (event, suggestion) in [
        (
            "ObjectCreated:Putt",
            " (did you mean `s3:ObjectCreated:Put`?)",
        ),
        (
            "s3:objectcreated:put",
            " (did you mean `s3:ObjectCreated:Put`?)",
        ),
        (
            "s3:ObjectRemoved:Delet",
            " (did you mean `s3:ObjectRemoved:Delete`?)",
        ),
        (
            "s3:ObjectCreated:Post",
            " (did you mean `s3:ObjectCreated:Put`?)",
        ),
        ("s3:ObjectRestore:Completed", ""),
        ("created", ""),
    ] {
        assert_eq!(
            s3_error(&format!("bucket = \"uploads\"\nevents = [\"{event}\"]\n")),
            format!(
                "fnhost.toml:11: function `hello`: s3 event `{event}` is not supported; \
                 {supported}{suggestion}"
            )
        );
    }
}

#[test]
fn empty_events() {
    assert_eq!(
        s3_error("bucket = \"uploads\"\nevents = []\n"),
        "fnhost.toml:11: function `hello`: s3 `events` is empty; list at least one, \
         e.g. `events = [\"s3:ObjectCreated:*\"]`, or remove `events` for that default"
    );
}

#[test]
fn event_listed_twice_or_already_included() {
    for (events, line, event, other) in [
        (
            "[\"s3:ObjectCreated:Put\", \"ObjectCreated:Put\"]",
            11,
            "s3:ObjectCreated:Put",
            "s3:ObjectCreated:Put",
        ),
        (
            "[\n\"s3:ObjectRemoved:Delete\",\n\"s3:ObjectCreated:Copy\",\n\"s3:ObjectCreated:*\",\n]",
            14,
            "s3:ObjectCreated:*",
            "s3:ObjectCreated:Copy",
        ),
        (
            "[\"s3:ObjectRemoved:*\", \"s3:ObjectRemoved:Delete\"]",
            11,
            "s3:ObjectRemoved:Delete",
            "s3:ObjectRemoved:*",
        ),
    ] {
        assert_eq!(
            s3_error(&format!("bucket = \"uploads\"\nevents = {events}\n")),
            format!(
                "fnhost.toml:{line}: function `hello`: s3 event `{event}` overlaps `{other}`, \
                 listed before it in the same `events`; remove one"
            )
        );
    }
}

#[test]
fn prefix_with_a_leading_slash() {
    assert_eq!(
        s3_error("bucket = \"uploads\"\nprefix = \"/images/\"\n"),
        "fnhost.toml:11: function `hello`: s3 prefix `/images/` starts with `/`, but keys are \
         relative to the bucket's directory; write `images/`"
    );
}

#[test]
fn single_brackets() {
    assert_eq!(
        with("[function.hello.s3]\nbucket = \"uploads\"\n"),
        "fnhost.toml:5: function `hello`: s3: invalid type: table, \
         expected an array of tables, written `[[function.NAME.s3]]`"
    );
}

#[test]
fn unknown_field_with_suggestion() {
    assert_eq!(
        s3_error("bucket = \"uploads\"\nevent = [\"s3:ObjectCreated:*\"]\n"),
        "fnhost.toml:11: unknown field `event` in `s3` of function `hello`; expected one of \
         `bucket`, `events`, `prefix`, `suffix` (did you mean `events`?)"
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        s3_error("bucket = \"uploads\"\nevents = \"s3:ObjectCreated:*\"\n"),
        "fnhost.toml:11: function `hello`: s3.events: invalid type: string \
         \"s3:ObjectCreated:*\", expected an array"
    );
    assert_eq!(
        s3_error("bucket = \"uploads\"\nsuffix = 5\n"),
        "fnhost.toml:11: function `hello`: s3.suffix: invalid type: integer `5`, \
         expected a string"
    );
}

#[test]
fn array_instead_of_a_trigger_table() {
    assert_eq!(
        with("s3 = [[\"uploads\"]]\n"),
        "fnhost.toml:5: function `hello`: s3: invalid type: array, expected a table"
    );
}
