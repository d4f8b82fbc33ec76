//! The state directory: private modes, and one owner at a time.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use fnhost_store::{Durability, LOCK_FILE, StateLock, Store, StoreError};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_state_directory_is_0700_and_the_database_files_0600() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("a/state");
    let db = state.join("fnhost.db");
    let store = Store::open_with(&db, Durability::Normal).unwrap();
    store.enqueue(&[crate::job("f", 1, 0)], &[]).unwrap();
    assert_eq!(mode(&state), 0o700);
    for file in ["fnhost.db", "fnhost.db-wal", "fnhost.db-shm"] {
        assert_eq!(mode(&state.join(file)), 0o600, "{file}");
    }
    drop(store);

    // A state directory left by an older fnhost (0755, files 0644) is narrowed on open.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in ["fnhost.db", "fnhost.db-wal", "fnhost.db-shm"] {
        let path = state.join(file);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let store = Store::open_with(&db, Durability::Normal).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 1);
    assert_eq!(mode(&state), 0o700);
    for file in ["fnhost.db", "fnhost.db-wal", "fnhost.db-shm"] {
        assert_eq!(mode(&state.join(file)), 0o600, "{file}");
    }
}

#[test]
fn a_directory_that_is_not_a_state_directory_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let _lock = StateLock::acquire(dir.path()).unwrap();
    assert_eq!(mode(dir.path()), 0o755);
    assert_eq!(mode(&dir.path().join(LOCK_FILE)), 0o600);
}

#[test]
fn the_lock_has_one_owner_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let first = StateLock::acquire(&state).unwrap();
    assert_eq!(first.dir(), state);
    assert_eq!(mode(&state), 0o700);
    let recorded = std::fs::read_to_string(state.join(LOCK_FILE)).unwrap();
    assert_eq!(recorded.trim(), std::process::id().to_string());
    // flock belongs to the open file, so a second acquire in this process is refused too.
    let err = StateLock::acquire(&state).unwrap_err();
    assert!(
        matches!(&err, StoreError::InUse { pid: Some(pid), .. } if *pid == std::process::id()),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "state directory `{}` is in use by pid {}",
            state.display(),
            std::process::id()
        )),
        "{text}"
    );
    // The refused attempt did not clobber the owner's pid.
    assert_eq!(
        std::fs::read_to_string(state.join(LOCK_FILE)).unwrap(),
        recorded
    );
    drop(first);
    let again = StateLock::acquire(&state).unwrap();
    drop(again);
}
