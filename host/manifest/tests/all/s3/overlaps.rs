//! S3's rule: two triggers on one bucket may not both fire for some object.

use crate::{error, parse};

/// Buckets `uploads` and `thumbs` and functions `a` and `b` (lines 1–12), then each function's
/// `[[function.NAME.s3]]` tables, each starting with a blank line and its header; so `a`'s first
/// table body starts on line 15.
fn manifest(a_triggers: &[&str], b_triggers: &[&str]) -> String {
    let mut text = "manifest_version = 1\n\n[bucket.uploads]\npath = \"data/uploads\"\n\
                    [bucket.thumbs]\npath = \"data/thumbs\"\n\n[function.a]\nsource = \"a.wasm\"\n\n\
                    [function.b]\nsource = \"b.wasm\"\n"
        .to_owned();
    for (function, triggers) in [("a", a_triggers), ("b", b_triggers)] {
        for trigger in triggers {
            text.push_str(&format!("\n[[function.{function}.s3]]\n{trigger}\n"));
        }
    }
    text
}

const FIX: &str = "both would fire for some object; S3 rejects this too: make the prefixes or \
                   suffixes disjoint";

#[test]
fn same_function_twice() {
    let text = manifest(&["bucket = \"uploads\"", "bucket = \"uploads\""], &[]);
    assert_eq!(
        error(&text),
        format!(
            "fnhost.toml:18: s3 trigger of function `a` (events `s3:ObjectCreated:*`, prefix ``, \
             suffix ``) overlaps the one of function `a` (line 15: events `s3:ObjectCreated:*`, \
             prefix ``, suffix ``) on bucket `uploads`: {FIX}"
        )
    );
}

#[test]
fn two_functions() {
    let text = manifest(
        &["bucket = \"uploads\"\nprefix = \"images/\""],
        &["bucket = \"uploads\"\nprefix = \"images/\"\nsuffix = \".png\""],
    );
    assert_eq!(
        error(&text),
        format!(
            "fnhost.toml:19: s3 trigger of function `b` (events `s3:ObjectCreated:*`, \
             prefix `images/`, suffix `.png`) overlaps the one of function `a` (line 15: events \
             `s3:ObjectCreated:*`, prefix `images/`, suffix ``) on bucket `uploads`: {FIX}"
        )
    );
}

#[test]
fn created_all_overlaps_created_put() {
    let text = manifest(
        &["bucket = \"uploads\"\nevents = [\"s3:ObjectCreated:Put\", \"s3:ObjectRemoved:*\"]"],
        &["bucket = \"uploads\"\nevents = [\"ObjectCreated:*\"]\nsuffix = \".jpg\""],
    );
    assert_eq!(
        error(&text),
        format!(
            "fnhost.toml:19: s3 trigger of function `b` (events `s3:ObjectCreated:*`, prefix ``, \
             suffix `.jpg`) overlaps the one of function `a` (line 15: events \
             `s3:ObjectCreated:Put, s3:ObjectRemoved:*`, prefix ``, suffix ``) on bucket \
             `uploads`: {FIX}"
        )
    );
}

#[test]
fn nested_prefixes_overlap() {
    let text = manifest(
        &["bucket = \"uploads\"\nprefix = \"images/2026/\""],
        &["bucket = \"uploads\"\nprefix = \"images/\"\nevents = [\"s3:ObjectCreated:Copy\"]"],
    );
    let message = error(&text);
    assert!(
        message.starts_with("fnhost.toml:19: s3 trigger of function `b`"),
        "{message}"
    );
    assert!(message.contains("function `a` (line 15: "), "{message}");
}

#[test]
fn suffix_of_a_suffix_overlaps() {
    let text = manifest(
        &["bucket = \"uploads\"\nsuffix = \".png\""],
        &["bucket = \"uploads\"\nsuffix = \"thumb.png\""],
    );
    assert_eq!(
        error(&text),
        format!(
            "fnhost.toml:19: s3 trigger of function `b` (events `s3:ObjectCreated:*`, prefix ``, \
             suffix `thumb.png`) overlaps the one of function `a` (line 15: events \
             `s3:ObjectCreated:*`, prefix ``, suffix `.png`) on bucket `uploads`: {FIX}"
        )
    );
}

#[test]
fn prefix_on_one_and_suffix_on_the_other_overlap() {
    // `images/cat.png` would fire both.
    let text = manifest(
        &["bucket = \"uploads\"\nprefix = \"images/\""],
        &["bucket = \"uploads\"\nsuffix = \".png\""],
    );
    assert!(error(&text).starts_with("fnhost.toml:19: s3 trigger of function `b`"));
}

#[test]
fn later_trigger_is_reported_whatever_the_function_order() {
    // `b`'s table comes first in the file, so `a`'s trigger is the later one.
    let text = "manifest_version = 1\n[bucket.uploads]\npath = \"u\"\n\
                [[function.b.s3]]\nbucket = \"uploads\"\n\
                [function.b]\nsource = \"b.wasm\"\n\
                [function.a]\nsource = \"a.wasm\"\ns3 = [{ bucket = \"uploads\" }]\n";
    let message = error(text);
    assert!(
        message.starts_with("fnhost.toml:10: s3 trigger of function `a`"),
        "{message}"
    );
    assert!(message.contains("function `b` (line 5: "), "{message}");
}

#[test]
fn created_and_removed_do_not_overlap() {
    let text = manifest(
        &["bucket = \"uploads\"\nevents = [\"s3:ObjectCreated:*\"]"],
        &["bucket = \"uploads\"\nevents = [\"s3:ObjectRemoved:*\"]"],
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn put_and_copy_do_not_overlap() {
    let text = manifest(
        &["bucket = \"uploads\"\nevents = [\"s3:ObjectCreated:Put\"]"],
        &[
            "bucket = \"uploads\"\nevents = [\"s3:ObjectCreated:Copy\", \"s3:ObjectRemoved:Delete\"]",
        ],
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn disjoint_prefixes_are_fine() {
    let text = manifest(
        &[
            "bucket = \"uploads\"\nprefix = \"images/\"",
            "bucket = \"uploads\"\nprefix = \"docs/\"",
        ],
        &["bucket = \"uploads\"\nprefix = \"image/\"\nsuffix = \".png\""],
    );
    let manifest = parse(&text).unwrap();
    assert_eq!(manifest.functions["a"].s3.len(), 2);
    assert_eq!(manifest.functions["b"].s3.len(), 1);
}

#[test]
fn disjoint_suffixes_are_fine() {
    let text = manifest(
        &["bucket = \"uploads\"\nprefix = \"images/\"\nsuffix = \".png\""],
        &["bucket = \"uploads\"\nprefix = \"images/\"\nsuffix = \".jpg\""],
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn different_buckets_are_fine() {
    let text = manifest(&["bucket = \"uploads\""], &["bucket = \"thumbs\""]);
    assert!(parse(&text).is_ok());
}
