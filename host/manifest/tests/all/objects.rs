//! A function's `objects` grants: which declared buckets it may read and write.

use std::collections::BTreeSet;

use fnhost_manifest::ObjectGrants;

use crate::{HEAD, parse, with};

/// Two buckets, `uploads` (line 6) and `thumbnails` (line 8), after `HEAD`.
const BUCKETS: &str = "[bucket.uploads]\npath = \"data/uploads\"\n\
                       [bucket.thumbnails]\npath = \"data/thumbnails\"\n";

/// The grants of function `hello` with `objects` written as `objects` on line 5.
fn grants(objects: &str) -> ObjectGrants {
    let text = format!("{HEAD}{objects}\n{BUCKETS}");
    parse(&text).unwrap().functions["hello"].objects.clone()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn none_by_default() {
    let text = format!("{HEAD}{BUCKETS}");
    let objects = &parse(&text).unwrap().functions["hello"].objects;
    assert_eq!(objects, &ObjectGrants::default());
    assert!(!objects.can_read("uploads"));
    assert!(!objects.can_write("uploads"));
}

#[test]
fn read_and_write() {
    let objects =
        grants("objects = { read = [\"uploads\", \"thumbnails\"], write = [\"thumbnails\"] }");
    assert_eq!(objects.read, set(&["thumbnails", "uploads"]));
    assert_eq!(objects.write, set(&["thumbnails"]));
    assert!(objects.can_read("uploads") && objects.can_write("thumbnails"));
    assert!(!objects.can_write("uploads"));
}

#[test]
fn write_implies_no_read() {
    let objects = grants("objects = { write = [\"thumbnails\"] }");
    assert!(objects.read.is_empty());
    assert!(objects.can_write("thumbnails"));
    assert!(!objects.can_read("thumbnails"));
}

#[test]
fn empty_table_and_repeated_name() {
    assert_eq!(grants("objects = {}"), ObjectGrants::default());
    let objects = grants("objects = { read = [\"uploads\", \"uploads\"] }");
    assert_eq!(objects.read, set(&["uploads"]));
}

#[test]
fn header_table() {
    let text = format!("{HEAD}{BUCKETS}[function.hello.objects]\nread = [\"uploads\"]\n");
    let objects = &parse(&text).unwrap().functions["hello"].objects;
    assert_eq!(objects.read, set(&["uploads"]));
}

#[test]
fn unknown_bucket_with_suggestion() {
    assert_eq!(
        with(&format!(
            "objects = {{ read = [\"uploads\"], write = [\"thumbnail\"] }}\n{BUCKETS}"
        )),
        "fnhost.toml:5: function `hello`: objects.write names unknown bucket `thumbnail` \
         (did you mean `thumbnails`?); declared buckets: `thumbnails`, `uploads`; \
         declare it with `[bucket.thumbnail]` and `path = \"data/thumbnail\"`"
    );
}

#[test]
fn unknown_bucket_on_its_own_line() {
    assert_eq!(
        with(&format!(
            "{BUCKETS}[function.hello.objects]\nread = [\n  \"uploads\",\n  \"logs\",\n]\n"
        )),
        "fnhost.toml:12: function `hello`: objects.read names unknown bucket `logs`; \
         declared buckets: `thumbnails`, `uploads`; \
         declare it with `[bucket.logs]` and `path = \"data/logs\"`"
    );
}

#[test]
fn unknown_bucket_when_none_are_declared() {
    assert_eq!(
        with("objects = { read = [\"uploads\"] }\n"),
        "fnhost.toml:5: function `hello`: objects.read names unknown bucket `uploads`; \
         declared buckets: none; declare it with `[bucket.uploads]` and `path = \"data/uploads\"`"
    );
}

#[test]
fn unknown_field() {
    assert_eq!(
        with("objects = { reed = [\"uploads\"] }\n"),
        "fnhost.toml:5: unknown field `reed` in `objects` of function `hello`; expected one of \
         `read`, `write` (did you mean `read`?)"
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        with("objects = [\"uploads\"]\n"),
        "fnhost.toml:5: function `hello`: objects: invalid type: array, expected a table"
    );
    assert_eq!(
        with("objects = { read = \"uploads\" }\n"),
        "fnhost.toml:5: function `hello`: objects.read: invalid type: string \"uploads\", \
         expected an array"
    );
}
