//! Keys ↔ paths: validation, traversal, ignore patterns, non-ASCII keys.

use std::path::Path;

use fnhost_buckets::{Bucket, BucketError, Buckets, MAX_KEY_BYTES};
use fnhost_runtime::{ObjectAccess, ObjectFailure};

use crate::support::{Fixture, default_ignore, files, later, origin};

const ESCAPES: &[&str] = &[
    "../x",
    "a/../../x",
    "..",
    "/etc/passwd",
    "a\\..\\..\\x",
    "..\\x",
    "a\0b",
    "",
    "a//b",
    "./a",
    "a/",
];

#[test]
fn traversal_and_malformed_keys_are_invalid_for_every_call() {
    let fx = Fixture::new();
    let objects = fx.full();
    for key in ESCAPES {
        let invalid = |what: &str, r: Result<(), ObjectFailure>| {
            assert!(
                matches!(r, Err(ObjectFailure::InvalidKey(_))),
                "{what} {key:?}: {r:?}"
            );
        };
        invalid("get", objects.get("uploads", key, None).map(drop));
        invalid("head", objects.head("uploads", key, later()).map(drop));
        invalid(
            "put",
            objects.put("uploads", key, b"x", &origin()).map(drop),
        );
        invalid("delete", objects.delete("uploads", key, &origin()));
        invalid("path_for", fx.uploads().path_for(key).map(drop));
    }
    // Nothing was written anywhere, inside the buckets or next to them.
    assert_eq!(files(&fx.dir.path().join("data")), Vec::<String>::new());
    assert_eq!(files(&fx.outside()), vec!["secret.txt".to_string()]);
    assert!(fx.journal.is_empty());
}

#[test]
fn key_length_is_capped_at_1024_bytes() {
    let fx = Fixture::new();
    let segment = "k".repeat(200);
    let long = [segment.as_str(); 6].join("/"); // 1205 bytes
    let Err(ObjectFailure::InvalidKey(message)) = fx.uploads().path_for(&long) else {
        panic!("a 1205-byte key is invalid");
    };
    assert!(message.contains("at most 1024 bytes"), "{message}");
    let fits = &long[..MAX_KEY_BYTES];
    assert!(fx.uploads().path_for(fits).is_ok());
}

#[test]
fn nested_keys_with_spaces_and_non_ascii_round_trip() {
    let fx = Fixture::new();
    let objects = fx.full();
    let key = "사진/red flower.jpg";
    let meta = objects.put("uploads", key, b"petals", &origin()).unwrap();
    assert_eq!(meta.key, key);
    let path = fx.root().join("사진").join("red flower.jpg");
    assert_eq!(std::fs::read(&path).unwrap(), b"petals");
    assert_eq!(fx.uploads().path_for(key).unwrap(), path);
    assert_eq!(fx.uploads().key_for(&path).as_deref(), Some(key));
    let listed = objects.list("uploads", "사진/", None, 10, later()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, key);
}

#[test]
fn key_for_rejects_paths_outside_and_ignored_names() {
    let fx = Fixture::new();
    let bucket = fx.uploads();
    let root = fx.root();
    assert_eq!(
        bucket.key_for(&root.join("a/b c.txt")).as_deref(),
        Some("a/b c.txt")
    );
    assert_eq!(bucket.key_for(&root), None, "the root itself is no object");
    assert_eq!(bucket.key_for(&fx.outside().join("secret.txt")), None);
    assert_eq!(bucket.key_for(Path::new("relative/a.txt")), None);
    assert_eq!(bucket.key_for(&root.join("a/../b")), None);
    assert_eq!(bucket.key_for(&root.join("a\\b")), None, "backslash");
    // Default patterns apply to the file name only.
    for ignored in ["upload.tmp", "a/b.part", "a/.hidden", "x.swp", "notes~"] {
        assert_eq!(bucket.key_for(&root.join(ignored)), None, "{ignored}");
        assert!(bucket.is_ignored(ignored), "{ignored}");
    }
    assert_eq!(
        bucket.key_for(&root.join(".cache/data.bin")).as_deref(),
        Some(".cache/data.bin"),
        "patterns match file names, not directories"
    );
    assert_eq!(bucket.key_for(&root.join("a/.fnhost-tmp.0123")), None);
}

#[test]
fn temp_files_are_ignored_even_without_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = Bucket::open("raw", &dir.path().join("raw"), &[]).unwrap();
    let root = bucket.root().to_path_buf();
    std::fs::create_dir(root.join("d")).unwrap();
    for name in [
        ".fnhost-tmp.1",
        "d/.fnhost-tmp.2",
        "x.tmp",
        ".hidden",
        "d/k",
    ] {
        std::fs::write(root.join(name), b"x").unwrap();
    }
    assert_eq!(bucket.key_for(&root.join(".fnhost-tmp.1")), None);
    assert_eq!(
        bucket.key_for(&root.join("x.tmp")).as_deref(),
        Some("x.tmp")
    );
    let keys: Vec<String> = bucket.walk().unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [".hidden", "d/k", "x.tmp"],
        "sorted by key, temp files left out"
    );
}

#[test]
fn open_creates_and_canonicalizes_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("alias")).unwrap();
    let bucket = Bucket::open("b", &dir.path().join("alias/new/deeper"), &[]).unwrap();
    assert!(dir.path().join("real/new/deeper").is_dir());
    assert_eq!(
        bucket.root(),
        dir.path().join("real/new/deeper").canonicalize().unwrap()
    );
    assert_eq!(bucket.name(), "b");
}

#[test]
fn a_bad_ignore_pattern_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Bucket::open("b", dir.path(), &["[z-a".to_string()]).unwrap_err();
    assert!(matches!(err, BucketError::BadIgnore { .. }), "{err:?}");
    assert!(err.to_string().contains("`[z-a`"), "{err}");
    let file = dir.path().join("f");
    std::fs::write(&file, b"").unwrap();
    let err = Bucket::open("b", &file, &[]).unwrap_err();
    assert!(
        matches!(
            err,
            BucketError::Io { .. } | BucketError::NotADirectory { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn bucket_for_path_finds_the_bucket_and_key() {
    let fx = Fixture::new();
    let thumbs = fx.buckets.get("thumbnails").unwrap().root().to_path_buf();
    let (bucket, key) = fx
        .buckets
        .bucket_for_path(&thumbs.join("2026/a.png"))
        .unwrap();
    assert_eq!((bucket.name(), key.as_str()), ("thumbnails", "2026/a.png"));
    let (bucket, _) = fx.buckets.bucket_for_path(&fx.root().join("x")).unwrap();
    assert_eq!(bucket.name(), "uploads");
    assert!(
        fx.buckets
            .bucket_for_path(&fx.outside().join("secret.txt"))
            .is_none()
    );
    assert!(
        fx.buckets
            .bucket_for_path(&fx.root().join("x.part"))
            .is_none()
    );
    let names: Vec<&str> = fx.buckets.iter().map(|b| b.name()).collect();
    assert_eq!(names, ["thumbnails", "uploads"]);
}

#[test]
fn nested_roots_resolve_to_the_innermost_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let buckets = Buckets::new(vec![
        Bucket::open("outer", dir.path(), &default_ignore()).unwrap(),
        Bucket::open("inner", &dir.path().join("in"), &default_ignore()).unwrap(),
    ]);
    let root = dir.path().canonicalize().unwrap();
    let (bucket, key) = buckets.bucket_for_path(&root.join("in/k")).unwrap();
    assert_eq!((bucket.name(), key.as_str()), ("inner", "k"));
    let (bucket, key) = buckets.bucket_for_path(&root.join("inside/k")).unwrap();
    assert_eq!((bucket.name(), key.as_str()), ("outer", "inside/k"));
}
