//! `[bucket.NAME]` tables: names, directories, ignore patterns, and buckets that overlap.

use std::path::Path;

use fnhost_manifest::BucketConfig;

use crate::{HEAD, error, parse, with};

/// A function table, for manifests that declare buckets before it.
const HEAD_BODY: &str = "[function.hello]\nsource = \"hello.wasm\"\n";

/// The buckets of `HEAD` plus `extra` (from line 5).
fn buckets(extra: &str) -> Vec<BucketConfig> {
    let manifest = parse(&format!("{HEAD}{extra}")).unwrap();
    manifest.buckets.into_values().collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn no_buckets_by_default() {
    assert!(parse(HEAD).unwrap().buckets.is_empty());
}

#[test]
fn bucket_with_defaults() {
    let bucket = buckets("\n[bucket.uploads]\npath = \"data/uploads\"\n").remove(0);
    let expected = BucketConfig {
        name: "uploads".to_owned(),
        path: "/proj/data/uploads".into(),
        ignore: strings(&[".*", "*.tmp", "*.part", "*.swp", "*~"]),
        line: 6,
    };
    assert_eq!(bucket, expected);
    assert_eq!(bucket.ignore, strings(BucketConfig::DEFAULT_IGNORE));
}

#[test]
fn paths_are_absolute_and_normalised() {
    let found = buckets(
        "[bucket.aaa]\npath = \"./data/../a/\"\n[bucket.bbb]\npath = \"/srv/b\"\n\
         [bucket.ccc]\npath = \"../shared/c\"\n",
    );
    let paths: Vec<&Path> = found.iter().map(|b| b.path.as_path()).collect();
    let expected = [
        Path::new("/proj/a"),
        Path::new("/srv/b"),
        Path::new("/shared/c"),
    ];
    assert_eq!(paths, expected);
}

#[test]
fn custom_and_empty_ignore() {
    let found = buckets(
        "[bucket.aaa]\npath = \"a\"\nignore = [\"*.tmp\", \"~$*\"]\n\
         [bucket.bbb]\npath = \"b\"\nignore = []\n",
    );
    assert_eq!(found[0].ignore, strings(&["*.tmp", "~$*"]));
    assert!(found[0].ignores("docs/~$report.docx"));
    assert!(!found[0].ignores(".hidden"));
    assert!(found[1].ignore.is_empty());
    assert!(!found[1].ignores("x.tmp"));
}

#[test]
fn sibling_directories_with_a_common_prefix() {
    let found =
        buckets("[bucket.upl]\npath = \"data/up\"\n[bucket.uploads]\npath = \"data/uploads\"\n");
    assert_eq!(found.len(), 2);
}

#[test]
fn inline_bucket_table() {
    let text = format!(
        "manifest_version = 1\nbucket.logs = {{ path = \"logs\", ignore = [] }}\n{HEAD_BODY}"
    );
    let found = parse(&text).unwrap().buckets;
    assert_eq!(
        (found["logs"].name.as_str(), found["logs"].line),
        ("logs", 2)
    );
    assert!(found["logs"].ignore.is_empty());
}

#[test]
fn invalid_names() {
    for (name, reason) in [
        ("ab", "use 3 to 63 lowercase letters, digits, `-` or `.`"),
        (
            "Uploads",
            "use 3 to 63 lowercase letters, digits, `-` or `.`",
        ),
        (
            "up_loads",
            "use 3 to 63 lowercase letters, digits, `-` or `.`",
        ),
        (
            &"a".repeat(64),
            "use 3 to 63 lowercase letters, digits, `-` or `.`",
        ),
        (
            "-uploads",
            "start and end it with a lowercase letter or digit",
        ),
        (
            "uploads.",
            "start and end it with a lowercase letter or digit",
        ),
        ("up..loads", "do not put two `.` in a row"),
        ("10.0.0.1", "choose a name that is not an IP address"),
    ] {
        assert_eq!(
            with(&format!("[bucket.\"{name}\"]\npath = \"x\"\n")),
            format!("fnhost.toml:5: invalid bucket name `{name}`; {reason} (S3's naming rule)")
        );
    }
}

#[test]
fn missing_path() {
    assert_eq!(
        with("[bucket.uploads]\nignore = []\n"),
        "fnhost.toml:5: bucket `uploads`: missing `path`; add `path = \"data/uploads\"`"
    );
}

#[test]
fn empty_path() {
    assert_eq!(
        with("[bucket.uploads]\npath = \" \"\n"),
        "fnhost.toml:6: bucket `uploads`: path is empty; write the directory that holds its \
         objects, e.g. `path = \"data/uploads\"`"
    );
}

#[test]
fn path_containing_the_manifest() {
    for path in [".", "..", "data/..", "/"] {
        assert_eq!(
            with(&format!("[bucket.uploads]\npath = \"{path}\"\n")),
            format!(
                "fnhost.toml:6: bucket `uploads`: path = `{path}` contains the manifest's \
                 directory, where fnhost keeps its state and builds; use a subdirectory, \
                 e.g. `path = \"data/uploads\"`"
            )
        );
    }
}

#[test]
fn same_directory_after_normalising() {
    assert_eq!(
        with("[bucket.one]\npath = \"data/x\"\n\n[bucket.two]\npath = \"./data/y/../x/\"\n"),
        "fnhost.toml:9: bucket `two`: path = `./data/y/../x/` is the same directory as bucket \
         `one` (path = `data/x`, line 6); give each bucket its own directory, neither inside \
         the other"
    );
}

#[test]
fn later_bucket_inside_an_earlier_one() {
    // `zzz` sorts after `aaa` but comes first in the file: file order decides which is reported.
    assert_eq!(
        with("[bucket.zzz]\npath = \"data\"\n[bucket.aaa]\npath = \"data/aaa\"\n"),
        "fnhost.toml:8: bucket `aaa`: path = `data/aaa` is inside the directory of bucket `zzz` \
         (path = `data`, line 6); give each bucket its own directory, neither inside the other"
    );
}

#[test]
fn later_bucket_containing_an_earlier_one() {
    assert_eq!(
        with("[bucket.aaa]\npath = \"data/aaa\"\n[bucket.zzz]\npath = \"data/\"\n"),
        "fnhost.toml:8: bucket `zzz`: path = `data/` contains the directory of bucket `aaa` \
         (path = `data/aaa`, line 6); give each bucket its own directory, neither inside the \
         other"
    );
}

#[test]
fn invalid_ignore_patterns() {
    for (pattern, reason) in [
        (
            "[a.tmp",
            "is invalid at character 0 (invalid range pattern)",
        ),
        (
            "tmp/*",
            "contains `/`, but patterns match the file name only (the last segment of the key)",
        ),
        ("", "is empty"),
    ] {
        assert_eq!(
            with(&format!(
                "[bucket.uploads]\npath = \"u\"\nignore = [\"*.tmp\", \"{pattern}\"]\n"
            )),
            format!(
                "fnhost.toml:7: bucket `uploads`: ignore pattern `{pattern}` {reason}; \
                 fix the pattern, e.g. `*.tmp`"
            )
        );
    }
}

#[test]
fn unknown_field_with_suggestion() {
    assert_eq!(
        with("[bucket.uploads]\npath = \"u\"\nignored = []\n"),
        "fnhost.toml:7: unknown field `ignored` in `[bucket.uploads]`; expected one of `path`, \
         `ignore` (did you mean `ignore`?)"
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        with("[bucket.uploads]\npath = [\"u\"]\n"),
        "fnhost.toml:6: bucket `uploads`: path: invalid type: array, expected a string"
    );
    assert_eq!(
        error(&format!(
            "manifest_version = 1\nbucket.uploads = \"data/uploads\"\n{HEAD_BODY}"
        )),
        "fnhost.toml:2: bucket `uploads`: invalid type: string \"data/uploads\", expected a table"
    );
    assert_eq!(
        with("[bucket.uploads]\npath = \"u\"\nignore = \"*.tmp\"\n"),
        "fnhost.toml:7: bucket `uploads`: ignore: invalid type: string \"*.tmp\", \
         expected an array"
    );
}
