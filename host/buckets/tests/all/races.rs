//! Finding 3 of issue 12: a directory swapped for a symlink while object calls run never lets
//! a call read, write or delete anything outside the bucket.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use fnhost_runtime::{ObjectAccess, ObjectFailure};
use rustix::fs::{CWD, RenameFlags, renameat_with};

use crate::support::{Fixture, files, later, origin};

/// Calls per worker thread; each one races the flipper.
const ROUNDS: usize = 20_000;

#[test]
fn a_directory_flipped_with_a_symlink_never_leads_outside() {
    let fx = Fixture::new();
    let root = fx.root();
    // `flip` is a real directory one moment and a link to `outside` the next: the two names
    // swap atomically (RENAME_EXCHANGE), as fast as a thread can.
    std::fs::create_dir(root.join("flip")).unwrap();
    std::fs::write(root.join("flip/secret.txt"), b"inside").unwrap();
    std::fs::write(root.join("flip/victim.txt"), b"inside").unwrap();
    std::os::unix::fs::symlink(fx.outside(), root.join("swap")).unwrap();
    std::fs::write(fx.outside().join("victim.txt"), b"outside").unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let flips = Arc::new(AtomicUsize::new(0));
    let flipper = {
        let (stop, flips, root) = (stop.clone(), flips.clone(), root.clone());
        std::thread::spawn(move || {
            let (a, b) = (root.join("flip"), root.join("swap"));
            while !stop.load(Ordering::Relaxed) {
                renameat_with(CWD, &a, CWD, &b, RenameFlags::EXCHANGE).unwrap();
                flips.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    let objects = Arc::new(fx.full());
    let outcomes = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..3)
        .map(|worker| {
            let (objects, outcomes) = (objects.clone(), outcomes.clone());
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    match worker {
                        0 => match objects.get("uploads", "flip/secret.txt", None) {
                            Ok(body) => {
                                assert_eq!(body, b"inside", "read outside the bucket");
                                outcomes.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(ObjectFailure::InvalidKey(_) | ObjectFailure::NoSuchKey(_)) => {}
                            Err(other) => panic!("get: {other:?}"),
                        },
                        1 => {
                            let key = format!("flip/new-{}.txt", round % 7);
                            let nested = format!("flip/sub{}/deep.txt", round % 5);
                            for key in [key, nested] {
                                match objects.put("uploads", &key, b"x", &origin()) {
                                    Ok(_) => {
                                        outcomes.fetch_add(1, Ordering::Relaxed);
                                    }
                                    Err(ObjectFailure::InvalidKey(_)) => {}
                                    Err(other) => panic!("put: {other:?}"),
                                }
                            }
                        }
                        _ => {
                            // Also head: it opens and hashes.
                            match objects.head("uploads", "flip/secret.txt", later()) {
                                Ok(meta) => {
                                    // md5("inside"); md5("secret") would be a read outside.
                                    assert_eq!(meta.etag, "335cf4508dd597be4bfc9caa3e08b901");
                                }
                                Err(ObjectFailure::InvalidKey(_) | ObjectFailure::NoSuchKey(_)) => {
                                }
                                Err(other) => panic!("head: {other:?}"),
                            }
                            match objects.delete("uploads", "flip/victim.txt", &origin()) {
                                Ok(()) | Err(ObjectFailure::InvalidKey(_)) => {}
                                Err(other) => panic!("delete: {other:?}"),
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
    stop.store(true, Ordering::Relaxed);
    flipper.join().unwrap();
    for result in results {
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }

    // Outside: exactly what was there, unchanged.
    assert_eq!(files(&fx.outside()), ["secret.txt", "victim.txt"]);
    assert_eq!(
        std::fs::read(fx.outside().join("secret.txt")).unwrap(),
        b"secret"
    );
    assert_eq!(
        std::fs::read(fx.outside().join("victim.txt")).unwrap(),
        b"outside"
    );
    // The race really ran, and calls went through while it did.
    assert!(flips.load(Ordering::Relaxed) > 1000, "the flipper ran");
    assert!(outcomes.load(Ordering::Relaxed) > 100, "calls succeeded");
}
