//! Symlinks inside a bucket never lead outside it: refused by every call, skipped by listings.

use std::os::unix::fs::symlink;

use fnhost_runtime::{ObjectAccess, ObjectFailure};

use crate::support::{Fixture, later, origin};

fn is_invalid<T: std::fmt::Debug>(r: Result<T, ObjectFailure>, what: &str) -> String {
    match r {
        Err(ObjectFailure::InvalidKey(m)) => m,
        other => panic!("{what}: expected InvalidKey, got {other:?}"),
    }
}

#[test]
fn a_directory_symlink_is_refused_and_skipped() {
    let fx = Fixture::new();
    let objects = fx.full();
    symlink(fx.outside(), fx.root().join("link")).unwrap();
    objects
        .put("uploads", "plain.txt", b"ok", &origin())
        .unwrap();

    let m = is_invalid(objects.get("uploads", "link/secret.txt", None), "get");
    assert!(
        m.contains("`link` in bucket `uploads` is a symbolic link"),
        "{m}"
    );
    is_invalid(
        objects.get("uploads", "link/secret.txt", Some((0, 1))),
        "range get",
    );
    is_invalid(objects.head("uploads", "link/secret.txt", later()), "head");
    is_invalid(
        objects.put("uploads", "link/new.txt", b"x", &origin()),
        "put",
    );
    is_invalid(
        objects.put("uploads", "link/sub/new.txt", b"x", &origin()),
        "nested put",
    );
    is_invalid(
        objects.delete("uploads", "link/secret.txt", &origin()),
        "delete",
    );
    is_invalid(fx.uploads().stat("link/secret.txt"), "stat");
    is_invalid(fx.uploads().etag("link/secret.txt"), "etag");

    // Outside is untouched.
    assert!(!fx.outside().join("new.txt").exists());
    assert!(!fx.outside().join("sub").exists());
    assert_eq!(
        std::fs::read(fx.outside().join("secret.txt")).unwrap(),
        b"secret"
    );

    let keys: Vec<String> = objects
        .list("uploads", "", None, 1000, later())
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["plain.txt"]);
    assert!(
        objects
            .list("uploads", "link/", None, 1000, later())
            .unwrap()
            .is_empty()
    );
    assert!(
        objects
            .list("uploads", "link/se", None, 1000, later())
            .unwrap()
            .is_empty()
    );
    let walked: Vec<String> = fx
        .uploads()
        .walk()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(walked, ["plain.txt"]);
    // Only the one legitimate put was journaled.
    assert_eq!(fx.journal.len(), 1);
}

#[test]
fn a_file_symlink_is_refused_and_skipped() {
    let fx = Fixture::new();
    let objects = fx.full();
    let link = fx.root().join("file-link");
    symlink(fx.outside().join("secret.txt"), &link).unwrap();

    is_invalid(objects.get("uploads", "file-link", None), "get");
    is_invalid(objects.head("uploads", "file-link", later()), "head");
    is_invalid(
        objects.put("uploads", "file-link", b"overwrite", &origin()),
        "put",
    );
    is_invalid(objects.delete("uploads", "file-link", &origin()), "delete");

    assert_eq!(
        std::fs::read(fx.outside().join("secret.txt")).unwrap(),
        b"secret"
    );
    assert!(
        link.symlink_metadata().unwrap().file_type().is_symlink(),
        "link kept"
    );
    assert!(
        objects
            .list("uploads", "", None, 1000, later())
            .unwrap()
            .is_empty()
    );
    assert!(fx.uploads().walk().unwrap().is_empty());
    assert!(fx.journal.is_empty());
}

#[test]
fn a_symlink_deeper_in_the_tree_is_refused() {
    let fx = Fixture::new();
    let objects = fx.full();
    objects
        .put("uploads", "a/b/real.txt", b"r", &origin())
        .unwrap();
    symlink(fx.outside(), fx.root().join("a/b/out")).unwrap();
    is_invalid(objects.get("uploads", "a/b/out/secret.txt", None), "get");
    is_invalid(
        objects.put("uploads", "a/b/out/x/y.txt", b"x", &origin()),
        "put",
    );
    assert!(!fx.outside().join("x").exists());
    let keys: Vec<String> = objects
        .list("uploads", "a/", None, 10, later())
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["a/b/real.txt"]);
}
