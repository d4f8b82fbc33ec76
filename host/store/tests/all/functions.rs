//! The function registry.

use std::collections::BTreeMap;

use fnhost_store::{FunctionRecord, LATEST, Store, StoreError};

use crate::registry::on_nodes;

pub fn function(name: &str, sha: &str, size: u64) -> FunctionRecord {
    FunctionRecord {
        name: name.to_owned(),
        version: LATEST.to_owned(),
        code_sha256: sha.to_owned(),
        code_size: size,
        handler: None,
        runtime: Some("wasm32-wasip2".to_owned()),
        description: "test".to_owned(),
        memory_mb: 128,
        timeout_s: 3,
        env: BTreeMap::from([("GREETING".to_owned(), "hi \"there\"".to_owned())]),
        fuel: Some(1_000_000),
        revision_id: format!("rev-{sha}"),
        last_modified_ms: 1,
        ephemeral_storage_mb: 512,
        layers: Vec::new(),
        task_sha256: None,
        state: Default::default(),
        state_reason: None,
        last_update: Default::default(),
        last_update_reason: None,
        source_sha256: None,
    }
}

both_backends!(put_get_list_delete);

fn put_get_list_delete(store: Store) {
    let beta = function("beta", "aa", 10);
    store.put_function(&beta).unwrap();
    store.put_function(&function("alpha", "bb", 20)).unwrap();
    assert_eq!(store.function("beta", LATEST).unwrap(), Some(beta.clone()));
    assert_eq!(store.function("beta", "1").unwrap(), None);
    let names: Vec<_> = store
        .functions()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, vec!["alpha", "beta"]);

    // Upsert by (name, version).
    let mut changed = beta.clone();
    changed.memory_mb = 256;
    changed.handler = Some("main".to_owned());
    changed.fuel = None;
    store.put_function(&changed).unwrap();
    assert_eq!(store.function("beta", LATEST).unwrap(), Some(changed));
    assert_eq!(store.functions().unwrap().len(), 2);

    assert!(store.delete_function("alpha", None).unwrap());
    assert!(!store.delete_function("alpha", None).unwrap());
    assert_eq!(store.function("alpha", LATEST).unwrap(), None);

    for bad in ["latest", "0", "01", "-1", "1.5", "", "99999999999999999999"] {
        let mut f = function("gamma", "cc", 1);
        f.version = bad.to_owned();
        assert!(
            matches!(
                store.put_function(&f),
                Err(StoreError::InvalidVersion { .. })
            ),
            "{bad}"
        );
    }
}

both_backends!(
    publish_version_follows_lambda,
    putting_a_numbered_version_reserves_its_number,
    code_bytes_count_each_latest_hash_once_and_every_published_version,
    nodes_publishing_at_once_get_distinct_numbers,
);

fn publish_version_follows_lambda(store: Store) {
    assert_eq!(store.publish_version("nope", 5).unwrap(), None);

    store.put_function(&function("f", "aa", 10)).unwrap();
    let v1 = store.publish_version("f", 100).unwrap().unwrap();
    assert_eq!(v1.version, "1");
    assert_eq!(v1.last_modified_ms, 100);
    assert_eq!(v1.code_sha256, "aa");
    assert_eq!(v1.env, function("f", "aa", 10).env);

    // $LATEST unchanged: the existing version comes back, nothing new is published.
    let again = store.publish_version("f", 200).unwrap().unwrap();
    assert_eq!(again, v1);
    assert_eq!(store.versions("f").unwrap().len(), 2);

    // New code: a new version.
    store.put_function(&function("f", "bb", 11)).unwrap();
    let v2 = store.publish_version("f", 300).unwrap().unwrap();
    assert_eq!(v2.version, "2");
    // Configuration alone counts too.
    let mut cfg = function("f", "bb", 11);
    cfg.timeout_s = 30;
    store.put_function(&cfg).unwrap();
    assert_eq!(
        store.publish_version("f", 400).unwrap().unwrap().version,
        "3"
    );

    // Numbers are never reused after a version is deleted...
    assert!(store.delete_function("f", Some("3")).unwrap());
    assert!(!store.delete_function("f", Some("3")).unwrap());
    cfg.timeout_s = 31;
    store.put_function(&cfg).unwrap();
    assert_eq!(
        store.publish_version("f", 500).unwrap().unwrap().version,
        "4"
    );

    // ...and sort numerically, $LATEST first.
    for n in 5..=10 {
        cfg.memory_mb = 128 + n;
        store.put_function(&cfg).unwrap();
        assert_eq!(
            store.publish_version("f", 600).unwrap().unwrap().version,
            n.to_string()
        );
    }
    let versions: Vec<_> = store
        .versions("f")
        .unwrap()
        .into_iter()
        .map(|f| f.version)
        .collect();
    assert_eq!(
        versions,
        vec!["$LATEST", "1", "2", "4", "5", "6", "7", "8", "9", "10"]
    );
    // `functions` lists $LATEST only.
    assert_eq!(store.functions().unwrap().len(), 1);

    // Deleting the whole function starts the numbering over.
    assert!(store.delete_function("f", None).unwrap());
    assert!(store.versions("f").unwrap().is_empty());
    store.put_function(&function("f", "cc", 12)).unwrap();
    assert_eq!(
        store.publish_version("f", 700).unwrap().unwrap().version,
        "1"
    );
}

fn putting_a_numbered_version_reserves_its_number(store: Store) {
    let mut v7 = function("f", "aa", 10);
    v7.version = "7".to_owned();
    store.put_function(&v7).unwrap();
    store.put_function(&function("f", "bb", 10)).unwrap();
    assert_eq!(store.publish_version("f", 1).unwrap().unwrap().version, "8");
}

fn code_bytes_count_each_latest_hash_once_and_every_published_version(store: Store) {
    assert_eq!(store.code_bytes_total().unwrap(), 0);
    store.put_function(&function("a", "aa", 100)).unwrap();
    store.put_function(&function("b", "aa", 100)).unwrap();
    store.put_function(&function("c", "cc", 7)).unwrap();
    assert_eq!(store.code_bytes_total().unwrap(), 107);
    // A published version costs its code even when `$LATEST` has the same (Lambda's rule), so
    // publishing cannot grow the registry for free.
    store.publish_version("a", 1).unwrap();
    assert_eq!(store.code_bytes_total().unwrap(), 207);
    let mut changed = function("a", "aa", 100);
    changed.memory_mb = 256;
    store.put_function(&changed).unwrap();
    assert_eq!(store.publish_version("a", 2).unwrap().unwrap().version, "2");
    assert_eq!(store.code_bytes_total().unwrap(), 307);
    store.delete_function("a", Some("1")).unwrap();
    assert_eq!(store.code_bytes_total().unwrap(), 207);
}

/// Nodes (each with its own connection to the store) that change `$LATEST` and publish it at
/// the same time: every version published has a number of its own, numbers run from 1 without
/// gaps, and each publish returns the version as stored.
fn nodes_publishing_at_once_get_distinct_numbers(store: Store) {
    const NODES: u32 = 4;
    const ROUNDS: u32 = 6;
    store.put_function(&function("f", "aa", 10)).unwrap();
    let returned: Vec<FunctionRecord> = on_nodes(&store, NODES as usize, |node, store| {
        (0..ROUNDS)
            .map(|round| {
                let mut f = function("f", "aa", 10);
                f.memory_mb = 1_000 + node as u32 * ROUNDS + round;
                store.put_function(&f).unwrap();
                store.publish_version("f", 5).unwrap().unwrap()
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let stored = store.versions("f").unwrap();
    let numbers: Vec<String> = stored[1..].iter().map(|f| f.version.clone()).collect();
    let expected: Vec<String> = (1..=numbers.len()).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
    // Every configuration was published at most once...
    let mut memories: Vec<u32> = stored[1..].iter().map(|f| f.memory_mb).collect();
    memories.sort_unstable();
    memories.dedup();
    assert_eq!(memories.len(), numbers.len());
    // ...and what a publish returned is the version stored under its number.
    for published in &returned {
        let version = store.function("f", &published.version).unwrap();
        assert_eq!(version.as_ref(), Some(published));
    }
}
