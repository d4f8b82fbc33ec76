//! `CopyObject`: a read grant on the source and a write grant on the target, an atomic write of
//! the target, journaled as a copy with the writer's origin (the watcher fires
//! `ObjectCreated:Copy` with its lineage).

use fnhost_buckets::JournalChange;
use fnhost_runtime::{ObjectAccess, ObjectFailure};

use crate::support::{Fixture, files, later, origin};

#[test]
fn a_copy_writes_the_target_and_is_journaled_as_a_copy() {
    let fx = Fixture::new();
    let objects = fx.full();
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let put = objects
        .put("uploads", "in/a.bin", &body, &origin())
        .unwrap();
    assert!(
        fx.journal
            .take_written("uploads", "in/a.bin", &put.etag)
            .is_some()
    );

    let copied = objects
        .copy(
            "uploads",
            "in/a.bin",
            "thumbnails",
            "out/b.bin",
            &origin(),
            later(),
        )
        .unwrap();
    assert_eq!(copied.key, "out/b.bin");
    assert_eq!(
        (copied.size, copied.etag.as_str()),
        (put.size, put.etag.as_str())
    );
    let written = std::fs::read(fx.dir.path().join("data/thumbs/out/b.bin")).unwrap();
    assert!(written == body, "the copy has the source's bytes");
    assert_eq!(
        files(&fx.dir.path().join("data/thumbs")),
        ["out/b.bin"],
        "no temp file left"
    );
    // The watcher's lookup finds it as a copy, with who made it.
    assert_eq!(
        fx.journal
            .take_written("thumbnails", "out/b.bin", &copied.etag),
        Some((
            origin(),
            JournalChange::Copy {
                etag: copied.etag.clone()
            }
        ))
    );
    assert!(fx.journal.is_empty());
    // The source is untouched; a copy within one bucket works too.
    objects
        .copy(
            "uploads",
            "in/a.bin",
            "uploads",
            "in/c.bin",
            &origin(),
            later(),
        )
        .unwrap();
    assert_eq!(std::fs::read(fx.root().join("in/a.bin")).unwrap(), body);
    assert_eq!(std::fs::read(fx.root().join("in/c.bin")).unwrap(), body);
}

#[test]
fn a_copy_needs_read_on_the_source_and_write_on_the_target() {
    let fx = Fixture::new();
    fx.full()
        .put("uploads", "a.txt", b"hello", &origin())
        .unwrap();
    fx.journal
        .take_written("uploads", "a.txt", "5d41402abc4b2a76b9719d911017c592");

    // Write on both, read on neither: the source's read grant is missing.
    let writer = fx.access("writer", &[], &["uploads", "thumbnails"]);
    let Err(ObjectFailure::AccessDenied(m)) = writer.copy(
        "uploads",
        "a.txt",
        "thumbnails",
        "b.txt",
        &origin(),
        later(),
    ) else {
        panic!("copy without a read grant");
    };
    assert_eq!(
        m,
        "function `writer` has no read access to bucket `uploads`: add \"uploads\" to `objects = { read = [...] }` in [function.writer]"
    );
    // Read on both, write on neither: the target's write grant is missing.
    let reader = fx.access("reader", &["uploads", "thumbnails"], &[]);
    let Err(ObjectFailure::AccessDenied(m)) = reader.copy(
        "uploads",
        "a.txt",
        "thumbnails",
        "b.txt",
        &origin(),
        later(),
    ) else {
        panic!("copy without a write grant");
    };
    assert_eq!(
        m,
        "function `reader` has no write access to bucket `thumbnails`: add \"thumbnails\" to `objects = { write = [...] }` in [function.reader]"
    );
    assert_eq!(
        files(&fx.dir.path().join("data/thumbs")),
        Vec::<String>::new()
    );
    assert!(fx.journal.is_empty(), "a denied copy is not journaled");

    // Read on the source and write on the target is enough.
    let mover = fx.access("mover", &["uploads"], &["thumbnails"]);
    mover
        .copy(
            "uploads",
            "a.txt",
            "thumbnails",
            "b.txt",
            &origin(),
            later(),
        )
        .unwrap();
    assert_eq!(
        std::fs::read(fx.dir.path().join("data/thumbs/b.txt")).unwrap(),
        b"hello"
    );
}

#[test]
fn missing_sources_self_copies_and_bad_keys_change_nothing() {
    let fx = Fixture::new();
    let objects = fx.full();
    objects
        .put("uploads", "a.txt", b"hello", &origin())
        .unwrap();
    let before = fx.journal.len();
    assert!(matches!(
        objects.copy(
            "uploads",
            "nope.txt",
            "thumbnails",
            "b.txt",
            &origin(),
            later()
        ),
        Err(ObjectFailure::NoSuchKey(_))
    ));
    let Err(ObjectFailure::InvalidKey(m)) =
        objects.copy("uploads", "a.txt", "uploads", "a.txt", &origin(), later())
    else {
        panic!("a copy onto itself");
    };
    assert!(m.contains("copy an object to itself"), "{m}");
    for bad in ["../outside/secret.txt", "/etc/passwd", ""] {
        assert!(
            matches!(
                objects.copy("uploads", bad, "thumbnails", "b.txt", &origin(), later()),
                Err(ObjectFailure::InvalidKey(_))
            ),
            "source {bad:?}"
        );
        assert!(
            matches!(
                objects.copy("uploads", "a.txt", "thumbnails", bad, &origin(), later()),
                Err(ObjectFailure::InvalidKey(_))
            ),
            "target {bad:?}"
        );
    }
    // An object cannot share its name with a directory of others.
    objects.put("thumbnails", "d/x", b"x", &origin()).unwrap();
    assert!(matches!(
        objects.copy("uploads", "a.txt", "thumbnails", "d", &origin(), later()),
        Err(ObjectFailure::InvalidKey(_))
    ));
    assert_eq!(
        fx.journal.len(),
        before + 1,
        "only the put of d/x is journaled"
    );
    assert_eq!(files(&fx.dir.path().join("data/thumbs")), ["d/x"]);
}

#[test]
fn a_copy_past_its_deadline_leaves_the_target_unchanged() {
    let fx = Fixture::new();
    let objects = fx.full();
    objects.put("uploads", "a.txt", b"new", &origin()).unwrap();
    objects
        .put("thumbnails", "b.txt", b"old", &origin())
        .unwrap();
    let journaled = fx.journal.len();
    let past = std::time::Instant::now();
    let Err(ObjectFailure::Io(m)) =
        objects.copy("uploads", "a.txt", "thumbnails", "b.txt", &origin(), past)
    else {
        panic!("a copy past its deadline");
    };
    assert!(m.contains("time limit"), "{m}");
    assert_eq!(
        std::fs::read(fx.dir.path().join("data/thumbs/b.txt")).unwrap(),
        b"old"
    );
    assert_eq!(
        files(&fx.dir.path().join("data/thumbs")),
        ["b.txt"],
        "no temp file left"
    );
    assert_eq!(fx.journal.len(), journaled);
}
