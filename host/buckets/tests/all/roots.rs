//! Low items of issue 12: a bucket directory that is (or leads through a symlink to) `/` or
//! out of its parent is refused at start; temp files of crashed writes are removed at start.

use std::os::unix::fs::symlink;
use std::time::{Duration, SystemTime};

use fnhost_buckets::{Bucket, BucketError};

use crate::support::default_ignore;

fn refused(path: &std::path::Path) -> String {
    match Bucket::open("uploads", path, &default_ignore()) {
        Err(err @ BucketError::UnsafeDirectory { .. }) => err.to_string(),
        other => panic!(
            "{}: expected UnsafeDirectory, got {other:?}",
            path.display()
        ),
    }
}

#[test]
fn a_bucket_linked_to_the_root_or_outside_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("data/real")).unwrap();
    std::fs::create_dir(dir.path().join("elsewhere")).unwrap();

    symlink("/", project.join("data/root")).unwrap();
    let m = refused(&project.join("data/root"));
    assert!(m.contains("resolves to `/`, the filesystem root"), "{m}");
    // Through a link in the middle of the path, too.
    symlink("/", project.join("up")).unwrap();
    refused(&project.join("up/."));

    symlink(dir.path().join("elsewhere"), project.join("data/out")).unwrap();
    let m = refused(&project.join("data/out"));
    assert!(m.contains("is a symbolic link to"), "{m}");
    assert!(m.contains("point `path` at the directory itself"), "{m}");
    symlink("..", project.join("data/parent")).unwrap();
    refused(&project.join("data/parent"));

    // A link that stays beside it is fine: it is the operator's own layout.
    symlink("real", project.join("data/alias")).unwrap();
    let bucket = Bucket::open("uploads", &project.join("data/alias"), &default_ignore()).unwrap();
    assert_eq!(
        bucket.root(),
        project.join("data/real").canonicalize().unwrap()
    );
}

#[test]
fn stale_temp_files_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bucket");
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for stale in [
        ".fnhost-tmp.0000000000000001",
        "a/b/.fnhost-tmp.00000000000000ff",
    ] {
        let file = std::fs::File::create(root.join(stale)).unwrap();
        file.set_modified(hour_ago).unwrap();
    }
    // A write in flight (another host's, say) and a user's file with a similar name stay.
    std::fs::write(root.join("a/.fnhost-tmp.fresh"), b"partial").unwrap();
    let old_user_file = std::fs::File::create(root.join("fnhost-tmp.keep")).unwrap();
    old_user_file.set_modified(hour_ago).unwrap();

    Bucket::open("uploads", &root, &default_ignore()).unwrap();
    assert_eq!(
        crate::support::files(&root),
        ["a/.fnhost-tmp.fresh", "fnhost-tmp.keep"]
    );
}
