//! The incremental compilation cache (`<state>/cache/incremental`): code compiled once is not
//! compiled again, whichever function carries it, and a bad entry only costs a compile.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use fnhost_runtime::{CacheStatus, Runtime, RuntimeConfig};

use crate::support::*;

/// Every entry of the incremental cache under `state` (by its key in hex), with its inode (a rewrite renames a new
/// file into place, so a changed inode means Cranelift compiled that function again).
fn entries(state: &Path) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    let Ok(shards) = std::fs::read_dir(state.join("cache/incremental")) else {
        return found;
    };
    for shard in shards {
        let shard = shard.unwrap();
        let prefix = shard.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(shard.path()).unwrap() {
            let file = file.unwrap();
            let name = file.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".tmp") {
                found.insert(format!("{prefix}{name}"), file.metadata().unwrap().ino());
            }
        }
    }
    found
}

/// Compile `crate_name` in a fresh runtime over `state` without its artifact (a deploy of code
/// the artifact cache does not have), and check that it runs.
async fn compile_and_run(state: &Path, crate_name: &str) {
    let _ = std::fs::remove_dir_all(state.join("artifacts"));
    let rt = runtime(state);
    let f = load(&rt, spec(crate_name), crate_name);
    assert_eq!(f.info().cache, CacheStatus::Miss);
    let done = invoke(&rt, &f, r#"{"name":"Ada"}"#).await;
    assert!(done.outcome.is_ok(), "{:?}", done.outcome);
}

/// Cranelift 0.135 reuses its compile contexts, and a context that served a cache hit leaves a
/// few functions translated after it with a different key than a compile would (about 5 % of
/// hello's, 3 % of CPython's): those are compiled and stored again under their new key. So a
/// second compile writes few entries, and never rewrites one it has.
#[tokio::test]
async fn a_second_compile_of_the_same_code_compiles_few_functions() {
    let dir = tempfile::tempdir().unwrap();
    compile_and_run(dir.path(), "hello").await;
    let first = entries(dir.path());
    assert!(
        first.len() > 100,
        "one entry per compiled function: {}",
        first.len()
    );
    compile_and_run(dir.path(), "hello").await;
    let second = entries(dir.path());
    let rewritten = first
        .iter()
        .filter(|(name, inode)| second.get(*name) != Some(inode))
        .count();
    let added = second.len() - first.len();
    assert_eq!(rewritten, 0, "a found entry is used, not written again");
    assert!(
        added * 5 < first.len(),
        "most functions came from the cache: {added} of {} compiled again",
        first.len()
    );
}

#[tokio::test]
async fn functions_that_share_code_share_its_entries() {
    // What greet-query adds to a cache that already has hello (the same Rust std and SDK) is
    // less than what it needs on its own.
    let alone = tempfile::tempdir().unwrap();
    compile_and_run(alone.path(), "greet-query").await;
    let own = entries(alone.path()).len();

    let shared = tempfile::tempdir().unwrap();
    compile_and_run(shared.path(), "hello").await;
    let before = entries(shared.path()).len();
    compile_and_run(shared.path(), "greet-query").await;
    let added = entries(shared.path()).len() - before;
    assert!(
        added < own,
        "greet-query added {added} entries after hello, {own} on its own"
    );
}

#[tokio::test]
async fn corrupt_entries_are_compiled_again_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    compile_and_run(dir.path(), "hello").await;
    let first = entries(dir.path());
    // Damage every entry a different way: a flipped byte, truncation, emptiness.
    for (i, name) in first.keys().enumerate() {
        let path = dir
            .path()
            .join("cache/incremental")
            .join(&name[..2])
            .join(&name[2..]);
        let mut bytes = std::fs::read(&path).unwrap();
        match i % 3 {
            0 => bytes[0] ^= 1,
            1 => bytes.truncate(bytes.len() / 2),
            _ => bytes.clear(),
        }
        std::fs::write(&path, &bytes).unwrap();
    }
    // The function compiles and answers correctly, and the damaged entries were written anew
    // (all but the few whose key changed, see above: those stay, unused, until evicted).
    compile_and_run(dir.path(), "hello").await;
    let second = entries(dir.path());
    let replaced = first
        .iter()
        .filter(|(name, inode)| second.get(*name).is_some_and(|i| i != *inode))
        .count();
    assert!(
        replaced * 10 >= first.len() * 9,
        "{replaced} of {} damaged entries replaced",
        first.len()
    );
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = RuntimeConfig::new(dir.path());
    config.incremental_cache_dir = None;
    let rt = Runtime::new(config);
    let f = load(&rt, spec("hello"), "hello");
    assert!(invoke(&rt, &f, "{}").await.outcome.is_ok());
    assert!(!dir.path().join("cache").exists());
}
