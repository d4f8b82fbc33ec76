//! Object calls on real directories: round trips, ranges, caps, atomic puts, listing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fnhost_buckets::{MAX_GET_BYTES, MAX_LIST_KEYS, MAX_PUT_BYTES};
use fnhost_runtime::{ObjectAccess, ObjectFailure};
use md5::{Digest, Md5};

use crate::support::{Fixture, files, later, origin};

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn put_get_head_round_trip_with_md5_etag() {
    let fx = Fixture::new();
    let objects = fx.full();
    let meta = objects
        .put("uploads", "docs/hello.txt", b"hello world", &origin())
        .unwrap();
    assert_eq!(
        meta.etag, "5eb63bbbe01eeed093cb22bb8f5acdc3",
        "md5 of `hello world`"
    );
    assert_eq!(meta.size, 11);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(meta.last_modified_ms <= now_ms && meta.last_modified_ms + 60_000 > now_ms);
    assert_eq!(
        objects.get("uploads", "docs/hello.txt", None).unwrap(),
        b"hello world"
    );
    assert_eq!(
        objects.head("uploads", "docs/hello.txt", later()).unwrap(),
        meta
    );
    assert_eq!(fx.uploads().etag("docs/hello.txt").unwrap(), meta.etag);
    let state = fx.uploads().stat("docs/hello.txt").unwrap().unwrap();
    assert_eq!(state.size, 11);
    assert_eq!(state.mtime_ns / 1_000_000, meta.last_modified_ms as i64);

    let empty = objects.put("uploads", "empty", b"", &origin()).unwrap();
    assert_eq!(empty.etag, "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(objects.get("uploads", "empty", None).unwrap(), b"");
}

#[test]
fn etag_of_an_outside_file_is_the_md5_of_its_content() {
    let fx = Fixture::new();
    // Written by someone else, larger than the hash's read buffer.
    let content: Vec<u8> = (0..300_001u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(fx.root().join("big.bin"), &content).unwrap();
    let expected = md5_hex(&content);
    assert_eq!(fx.uploads().etag("big.bin").unwrap(), expected);
    assert_eq!(
        fx.full().head("uploads", "big.bin", later()).unwrap().etag,
        expected
    );
    // Rewritten in place with the same size: the ETag follows the content.
    let mut changed = content.clone();
    changed[0] ^= 0xff;
    std::fs::write(fx.root().join("big.bin"), &changed).unwrap();
    assert_eq!(fx.uploads().etag("big.bin").unwrap(), md5_hex(&changed));
}

#[test]
fn missing_objects() {
    let fx = Fixture::new();
    let objects = fx.full();
    let Err(ObjectFailure::NoSuchKey(m)) = objects.get("uploads", "nope.txt", None) else {
        panic!("missing key");
    };
    assert_eq!(m, "`nope.txt` in bucket `uploads`");
    assert!(matches!(
        objects.head("uploads", "a/b", later()),
        Err(ObjectFailure::NoSuchKey(_))
    ));
    assert!(matches!(
        fx.uploads().etag("x"),
        Err(ObjectFailure::NoSuchKey(_))
    ));
    assert_eq!(fx.uploads().stat("x").unwrap(), None);
    // A directory is no object.
    objects.put("uploads", "dir/k", b"k", &origin()).unwrap();
    assert!(matches!(
        objects.get("uploads", "dir", None),
        Err(ObjectFailure::NoSuchKey(_))
    ));
    assert_eq!(fx.uploads().stat("dir").unwrap(), None);
    // Below a file is nothing either.
    assert!(matches!(
        objects.get("uploads", "dir/k/x", None),
        Err(ObjectFailure::NoSuchKey(_))
    ));
}

#[test]
fn ranges_follow_s3() {
    let fx = Fixture::new();
    let objects = fx.full();
    objects
        .put("uploads", "digits", b"0123456789", &origin())
        .unwrap();
    let get = |first, last| objects.get("uploads", "digits", Some((first, last)));
    assert_eq!(get(0, 0).unwrap(), b"0");
    assert_eq!(get(2, 5).unwrap(), b"2345");
    assert_eq!(get(8, 100).unwrap(), b"89", "last past the end is clamped");
    assert_eq!(get(9, u64::MAX).unwrap(), b"9");
    let Err(ObjectFailure::InvalidKey(m)) = get(10, 12) else {
        panic!("first at the end");
    };
    assert!(
        m.contains("not satisfiable") && m.contains("10 bytes"),
        "{m}"
    );
    assert!(matches!(get(5, 2), Err(ObjectFailure::InvalidKey(_))));
    assert!(matches!(
        objects.get("uploads", "nope", Some((0, 1))),
        Err(ObjectFailure::NoSuchKey(_))
    ));
}

#[test]
fn large_objects_are_refused_whole_and_read_in_ranges() {
    let fx = Fixture::new();
    let objects = fx.full();
    // Sparse: 32 MiB + 10 bytes on disk costs nothing; the tail marks the end.
    let path = fx.root().join("huge.bin");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_GET_BYTES + 10).unwrap();
    drop(file);
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(MAX_GET_BYTES + 6)).unwrap();
        f.write_all(b"tail").unwrap();
    }
    let Err(ObjectFailure::TooLarge(m)) = objects.get("uploads", "huge.bin", None) else {
        panic!("a whole object over the cap is refused");
    };
    assert!(
        m.contains(&format!("is {} bytes", MAX_GET_BYTES + 10))
            && m.contains("read it in ranges with get_object(bucket, key, Some((first, last)))"),
        "{m}"
    );
    let tail = objects
        .get(
            "uploads",
            "huge.bin",
            Some((MAX_GET_BYTES + 4, MAX_GET_BYTES + 100)),
        )
        .unwrap();
    assert_eq!(tail, b"\0\0tail");
    assert!(matches!(
        objects.get("uploads", "huge.bin", Some((0, MAX_GET_BYTES))),
        Err(ObjectFailure::TooLarge(_))
    ));
}

#[test]
fn puts_over_the_cap_are_refused_and_leave_nothing() {
    let fx = Fixture::new();
    let objects = fx.full();
    let body = vec![b'x'; MAX_PUT_BYTES + 1];
    let Err(ObjectFailure::TooLarge(m)) = objects.put("uploads", "big", &body, &origin()) else {
        panic!("over the cap");
    };
    assert!(m.contains(&(MAX_PUT_BYTES + 1).to_string()), "{m}");
    assert_eq!(files(&fx.root()), Vec::<String>::new());
    assert!(fx.journal.is_empty());
}

#[test]
fn readers_never_see_a_partial_put() {
    let fx = Arc::new(Fixture::new());
    const SIZE: usize = 2 << 20;
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (fx, done) = (Arc::clone(&fx), Arc::clone(&done));
        std::thread::spawn(move || {
            let objects = fx.full();
            let mut whole_reads = 0;
            while !done.load(Ordering::Acquire) {
                match objects.get("uploads", "atomic.bin", None) {
                    Ok(body) => {
                        assert_eq!(body.len(), SIZE, "partial object seen");
                        assert!(body.iter().all(|b| *b == body[0]), "mixed content seen");
                        whole_reads += 1;
                    }
                    Err(ObjectFailure::NoSuchKey(_)) => {}
                    Err(e) => panic!("{e}"),
                }
                // The listing never shows the temp files.
                for meta in objects.list("uploads", "", None, 10, later()).unwrap() {
                    assert_eq!(meta.key, "atomic.bin");
                }
            }
            whole_reads
        })
    };
    let objects = fx.full();
    for i in 0..40u8 {
        let body = vec![b'a' + i % 2; SIZE];
        let meta = objects
            .put("uploads", "atomic.bin", &body, &origin())
            .unwrap();
        assert_eq!(meta.size, SIZE as u64);
    }
    done.store(true, Ordering::Release);
    let whole_reads = reader.join().unwrap();
    assert!(whole_reads > 0, "the reader got to read the object");
    assert_eq!(
        files(&fx.root()),
        ["atomic.bin"],
        "no temp file is left behind"
    );
}

#[test]
fn delete_is_idempotent_and_keeps_directories() {
    let fx = Fixture::new();
    let objects = fx.full();
    objects
        .put("uploads", "a/b/c.txt", b"c", &origin())
        .unwrap();
    objects.delete("uploads", "a/b/c.txt", &origin()).unwrap();
    assert!(!fx.root().join("a/b/c.txt").exists());
    assert!(
        fx.root().join("a/b").is_dir(),
        "directories stay (S3 has none to remove)"
    );
    objects.delete("uploads", "a/b/c.txt", &origin()).unwrap();
    objects.delete("uploads", "never/was", &origin()).unwrap();
    objects.delete("uploads", "a", &origin()).unwrap();
    assert!(
        fx.root().join("a").is_dir(),
        "deleting a directory's name is a no-op"
    );
}

#[test]
fn an_object_and_a_directory_cannot_share_a_name() {
    let fx = Fixture::new();
    let objects = fx.full();
    objects.put("uploads", "a/b", b"x", &origin()).unwrap();
    let Err(ObjectFailure::InvalidKey(m)) = objects.put("uploads", "a", b"y", &origin()) else {
        panic!("`a` is a directory");
    };
    assert!(m.contains("directory"), "{m}");
    let Err(ObjectFailure::InvalidKey(m)) = objects.put("uploads", "a/b/c", b"y", &origin()) else {
        panic!("`a/b` is an object");
    };
    assert!(m.contains("`a/b` is an object"), "{m}");
    assert_eq!(objects.get("uploads", "a/b", None).unwrap(), b"x");
}

#[test]
fn list_is_sorted_filtered_paged_and_capped() {
    let fx = Fixture::new();
    let objects = fx.full();
    for key in [
        "b.txt",
        "a/b/x",
        "a/bc.txt",
        "a/c",
        "a.txt",
        "a/b.part",
        "z/.hidden",
    ] {
        objects
            .put("uploads", key, key.as_bytes(), &origin())
            .unwrap();
    }
    let keys = |prefix: &str, after: Option<&str>, max: u32| -> Vec<String> {
        objects
            .list("uploads", prefix, after, max, later())
            .unwrap()
            .into_iter()
            .map(|m| m.key)
            .collect()
    };
    assert_eq!(
        keys("", None, 100),
        ["a.txt", "a/b/x", "a/bc.txt", "a/c", "b.txt"]
    );
    assert_eq!(keys("a/b", None, 100), ["a/b/x", "a/bc.txt"]);
    assert_eq!(keys("a/", Some("a/b/x"), 100), ["a/bc.txt", "a/c"]);
    assert_eq!(keys("", None, 2), ["a.txt", "a/b/x"]);
    assert_eq!(keys("", Some("a/b/x"), 2), ["a/bc.txt", "a/c"]);
    assert_eq!(keys("", None, 0), Vec::<String>::new());
    assert_eq!(keys("nothing/", None, 10), Vec::<String>::new());
    assert_eq!(keys("../", None, 10), Vec::<String>::new());
    let listed = objects.list("uploads", "a/c", None, 1, later()).unwrap();
    assert_eq!(listed[0].etag, md5_hex(b"a/c"));
    assert_eq!(listed[0].size, 3);
}

#[test]
fn list_returns_at_most_1000_keys() {
    let fx = Fixture::new();
    for i in 0..1005 {
        std::fs::write(fx.root().join(format!("k{i:04}")), b"").unwrap();
    }
    let listed = fx
        .full()
        .list("uploads", "", None, u32::MAX, later())
        .unwrap();
    assert_eq!(listed.len(), MAX_LIST_KEYS as usize);
    assert_eq!(listed[999].key, "k0999");
}
