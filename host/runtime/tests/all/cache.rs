//! The artifact cache: a restart reuses compiled code; a bad artifact is recompiled.

use fnhost_runtime::CacheStatus;

use crate::support::*;

fn artifacts(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for engine_dir in std::fs::read_dir(dir.join("artifacts")).unwrap() {
        for f in std::fs::read_dir(engine_dir.unwrap().path()).unwrap() {
            found.push(f.unwrap().path());
        }
    }
    found
}

#[tokio::test]
async fn restart_reuses_the_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let first = load(&runtime(dir.path()), spec("hello"), "hello");
    assert_eq!(first.info().cache, CacheStatus::Miss);
    // A new runtime is what a restarted host has: same state dir, new engine.
    let rt = runtime(dir.path());
    let second = load(&rt, spec("hello"), "hello");
    assert_eq!(second.info().cache, CacheStatus::Hit);
    assert_eq!(first.info().sha256, second.info().sha256);
    assert!(invoke(&rt, &second, "{}").await.outcome.is_ok());
    assert_eq!(artifacts(dir.path()).len(), 1);
}

#[tokio::test]
async fn corrupted_or_truncated_artifacts_are_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    load(&runtime(dir.path()), spec("hello"), "hello");
    let artifact = artifacts(dir.path()).pop().unwrap();
    let good = std::fs::read(&artifact).unwrap();

    // Corrupt the file in place only while no runtime maps it, as after a crash or a bad disk;
    // a mapped artifact is never rewritten (the cache renames new files over old ones).
    for bad in [
        &b"definitely not an ELF artifact"[..],
        &good[..good.len() / 2],
    ] {
        std::fs::write(&artifact, bad).unwrap();
        let rt = runtime(dir.path());
        let f = load(&rt, spec("hello"), "hello");
        assert!(
            matches!(f.info().cache, CacheStatus::Recompiled(_)),
            "{:?}",
            f.info().cache
        );
        assert!(invoke(&rt, &f, "{}").await.outcome.is_ok());
    }
    // The replacement is whole again.
    assert_eq!(std::fs::read(&artifact).unwrap().len(), good.len());
}

#[tokio::test]
async fn metered_functions_get_their_own_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    load(&rt, spec("cpu-burn"), "cpu-burn");
    let mut metered = spec("cpu-burn");
    metered.fuel = Some(1_000);
    let f = load(&rt, metered, "cpu-burn");
    assert_eq!(
        f.info().cache,
        CacheStatus::Miss,
        "fuel changes the compiled code"
    );
    assert_eq!(artifacts(dir.path()).len(), 2);
}

/// The source index (`<state>/sources`) lets a restart skip hashing an unchanged file; a file
/// rewritten in place with the same size, its mtime put back, must still be hashed again.
#[tokio::test]
async fn a_source_rewritten_with_the_same_size_and_mtime_is_not_taken_for_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("f.wat");
    let code = |n: u8| format!(r#"(module (func (export "_start")) (global i32 (i32.const {n})))"#);
    std::fs::write(&source, code(1)).unwrap();
    let first = load_path(&runtime(dir.path()), &source);
    let mtime = std::fs::metadata(&source).unwrap().modified().unwrap();

    std::fs::write(&source, code(2)).unwrap();
    let file = std::fs::File::options().write(true).open(&source).unwrap();
    file.set_modified(mtime).unwrap();
    let rt = runtime(dir.path());
    let second = load_path(&rt, &source);
    assert_ne!(first.info().sha256, second.info().sha256);
    assert_eq!(second.info().cache, CacheStatus::Miss);
    assert!(invoke(&rt, &second, "{}").await.outcome.is_ok());
}

fn load_path(rt: &fnhost_runtime::Runtime, path: &std::path::Path) -> fnhost_runtime::Function {
    rt.load(spec("f"), path)
        .unwrap_or_else(|e| panic!("load {}: {e}", path.display()))
}

/// Code stored under its content address is started from its artifact without being read: a
/// file whose content no longer matches still runs the code its hash names. Without a usable
/// artifact it is read, hashed and compiled as by `load`.
#[tokio::test]
async fn stored_code_is_loaded_by_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code.wasm");
    std::fs::copy(wasm("hello"), &code).unwrap();
    let sha256 = {
        let rt = runtime(dir.path());
        rt.load(spec("hello"), &code).unwrap().info().sha256.clone()
    };
    let rt = runtime(dir.path());
    std::fs::write(&code, b"not read while the artifact is there").unwrap();
    let f = rt.load_stored(spec("hello"), &code, &sha256).unwrap();
    assert_eq!(f.info().cache, CacheStatus::Hit);
    assert_eq!(f.info().sha256, sha256);
    assert!(invoke(&rt, &f, "{}").await.outcome.is_ok());

    // Without the artifact (or with a bad one) the file is what runs, compiled again.
    std::fs::copy(wasm("hello"), &code).unwrap();
    let artifact = artifacts(dir.path()).pop().unwrap();
    for bad in [None, Some(&b"not an artifact"[..])] {
        match bad {
            None => std::fs::remove_file(&artifact).unwrap(),
            Some(bytes) => std::fs::write(&artifact, bytes).unwrap(),
        }
        let rt = runtime(dir.path());
        let f = rt.load_stored(spec("hello"), &code, &sha256).unwrap();
        assert_ne!(f.info().cache, CacheStatus::Hit);
        assert_eq!(f.info().sha256, sha256);
        assert!(invoke(&rt, &f, "{}").await.outcome.is_ok());
    }
    // An address that is not a sha256 never names a path: the file is read.
    let rt = runtime(dir.path());
    let f = rt
        .load_stored(spec("hello"), &code, "../../etc/passwd")
        .unwrap();
    assert_eq!(f.info().sha256, sha256);
}
