//! Issue 12, buckets: the real `fnhost up` watching a bucket where FIFOs are swapped in for
//! files (finding 4) and a link leads outside (low item "watch only what is inside").

use std::path::Path;
use std::time::{Duration, Instant};

use crate::fs_events::{Probe, probes};
use crate::up::{Server, function};

/// Bucket `uploads`, and `probe` printing every object created in it.
fn manifest() -> String {
    let probe = function(
        "probe",
        "s3-probe",
        "[[function.probe.s3]]\nbucket = \"uploads\"\nevents = [\"s3:ObjectCreated:*\"]\n",
    );
    format!(
        "[bucket.uploads]\npath = \"uploads\"\n\n[events]\nquiet_ms = 300\nretry_delay_ms = 100\n\n{probe}"
    )
}

/// Poll the probes until one for each of `keys` has shown; panics with the output after 30 s.
fn wait_for(server: &Server, keys: &[&str]) -> Vec<Probe> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = probes(&server.stdout());
        if keys.iter().all(|k| seen.iter().any(|p| p.key == *k)) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "no events for {keys:?}; probes so far: {seen:#?}\nstderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn fifos_swapped_in_for_files_never_stall_the_watcher_or_shutdown() {
    let mut server = Server::start_with_dirs(&manifest(), &["uploads", "stage"], &[]);
    let bucket = server.dir.path().join("uploads");
    let stage = server.dir.path().join("stage");
    mkfifo(&bucket.join("pipe.txt"));

    // A file renamed in, then a FIFO renamed over it, 600 times: the watcher's stat sees a
    // file and its hash opens whatever is there by then. A blocking open would stall every
    // event after it.
    for i in 0..600 {
        std::fs::write(stage.join("f"), format!("content {i}")).unwrap();
        std::fs::rename(stage.join("f"), bucket.join("swap.bin")).unwrap();
        mkfifo(&stage.join("p"));
        std::fs::rename(stage.join("p"), bucket.join("swap.bin")).unwrap();
    }

    // Events for other files keep flowing.
    for i in 0..5 {
        std::fs::write(bucket.join(format!("after-{i}.txt")), "ok").unwrap();
    }
    let seen = wait_for(
        &server,
        &[
            "after-0.txt",
            "after-1.txt",
            "after-2.txt",
            "after-3.txt",
            "after-4.txt",
        ],
    );
    assert!(
        !seen.iter().any(|p| p.key == "pipe.txt"),
        "a FIFO is no object"
    );

    // The host answers and stops promptly (the watcher is joined, not stuck).
    assert!(server.terminate().success(), "{}", server.stderr());
}

#[test]
fn a_link_inside_a_bucket_is_not_watched_through() {
    built_dirs_with_link(|server, outside| {
        std::fs::write(outside.join("far.txt"), "outside").unwrap();
        std::fs::write(server.dir.path().join("uploads/near.txt"), "inside").unwrap();
        let seen = wait_for(server, &["near.txt"]);
        assert!(!seen.iter().any(|p| p.key.contains("far")), "{seen:#?}");
        // Nothing under the link was even looked at: no event arrived for it.
        assert!(!server.stderr().contains("far.txt"), "{}", server.stderr());
    });
}

/// A host whose bucket holds `link` → a directory outside it (made before the host starts, so
/// the watch is set up with it in place); runs `check` with the host and that directory.
fn built_dirs_with_link(check: impl FnOnce(&Server, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("deeper")).unwrap();
    std::fs::create_dir_all(dir.path().join("uploads")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.path().join("uploads/link")).unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n\n{}", manifest()),
    )
    .unwrap();
    crate::built();
    let server = Server::start_in(dir, &[]);
    let outside = server.dir.path().join("outside");
    check(&server, &outside);
}
