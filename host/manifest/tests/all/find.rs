//! `Manifest::find` walking up from a directory.

use std::fs;

use fnhost_manifest::Manifest;

#[test]
fn finds_the_manifest_in_the_start_directory() {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join("fnhost.toml"), "").unwrap();
    assert_eq!(
        Manifest::find(root.path()),
        Some(root.path().join("fnhost.toml"))
    );
}

#[test]
fn walks_up_to_the_nearest_manifest() {
    let root = tempfile::tempdir().unwrap();
    let nested = root.path().join("a/b/c");
    fs::create_dir_all(&nested).unwrap();
    fs::write(root.path().join("fnhost.toml"), "").unwrap();
    assert_eq!(
        Manifest::find(&nested),
        Some(root.path().join("fnhost.toml"))
    );

    fs::write(root.path().join("a/fnhost.toml"), "").unwrap();
    assert_eq!(
        Manifest::find(&nested),
        Some(root.path().join("a/fnhost.toml"))
    );
}

#[test]
fn ignores_a_directory_named_like_the_manifest() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("fnhost.toml")).unwrap();
    assert_eq!(Manifest::find(root.path()), None);
}
