//! Layer versions and the layers a function version uses.

use fnhost_store::{FunctionLayer, FunctionRecord, LATEST, LayerVersionRecord, Store};
use rusqlite::params;

use crate::registry::{on_nodes, reopen};

pub fn layer(name: &str, sha: &str) -> LayerVersionRecord {
    LayerVersionRecord {
        name: name.to_owned(),
        version: 0,
        description: String::new(),
        license_info: Some("MIT".into()),
        compatible_runtimes: vec!["python3.12".into()],
        compatible_architectures: vec![],
        code_sha256: sha.to_owned(),
        code_size: 169,
        unzipped_size: 400,
        created_ms: 7,
    }
}

both_backends!(
    numbers_start_at_one_and_are_never_reused,
    layer_versions_survive_a_reopen,
    a_function_keeps_its_layers_and_tmp_size,
    nodes_publishing_a_layer_at_once_get_distinct_numbers,
);

fn numbers_start_at_one_and_are_never_reused(store: Store) {
    assert_eq!(store.last_layer_version("libs").unwrap(), None);
    let one = store.publish_layer_version(&layer("libs", "aa")).unwrap();
    let two = store.publish_layer_version(&layer("libs", "bb")).unwrap();
    assert_eq!((one.version, two.version), (1, 2));
    assert_eq!(
        store
            .publish_layer_version(&layer("other", "cc"))
            .unwrap()
            .version,
        1
    );
    assert_eq!(store.layer_version("libs", 1).unwrap(), Some(one.clone()));
    let listed: Vec<u64> = store
        .layer_versions("libs")
        .unwrap()
        .iter()
        .map(|l| l.version)
        .collect();
    assert_eq!(listed, [2, 1]);

    assert!(store.delete_layer_version("libs", 1).unwrap());
    assert!(store.delete_layer_version("libs", 2).unwrap());
    assert!(!store.delete_layer_version("libs", 2).unwrap());
    assert_eq!(store.layer_version("libs", 1).unwrap(), None);
    assert!(store.layer_versions("libs").unwrap().is_empty());
    assert_eq!(store.last_layer_version("libs").unwrap(), Some(2));
    // Lambda's rule: publish after deleting 1 and 2 gives 3.
    assert_eq!(
        store
            .publish_layer_version(&layer("libs", "dd"))
            .unwrap()
            .version,
        3
    );
    let all: Vec<(String, u64)> = store
        .all_layer_versions()
        .unwrap()
        .into_iter()
        .map(|l| (l.name, l.version))
        .collect();
    assert_eq!(all, [("libs".to_owned(), 3), ("other".to_owned(), 1)]);
}

fn layer_versions_survive_a_reopen(store: Store) {
    let published = store.publish_layer_version(&layer("libs", "aa")).unwrap();
    let store = reopen(&store);
    assert_eq!(store.layer_version("libs", 1).unwrap(), Some(published));
}

fn a_function_keeps_its_layers_and_tmp_size(store: Store) {
    let record = FunctionRecord {
        name: "f".into(),
        version: LATEST.into(),
        code_sha256: "aa".into(),
        code_size: 1,
        handler: None,
        runtime: None,
        description: String::new(),
        memory_mb: 128,
        timeout_s: 3,
        env: Default::default(),
        fuel: None,
        revision_id: "r".into(),
        last_modified_ms: 1,
        ephemeral_storage_mb: 10240,
        layers: vec![FunctionLayer {
            arn: "arn:aws:lambda:us-east-1:000000000000:layer:libs:1".into(),
            code_size: 169,
            unzipped_size: 400,
        }],
        task_sha256: Some("bb".into()),
        state: Default::default(),
        state_reason: None,
        last_update: Default::default(),
        last_update_reason: None,
        source_sha256: None,
    };
    store.put_function(&record).unwrap();
    assert_eq!(store.function("f", LATEST).unwrap(), Some(record.clone()));
    // A changed layer list is a changed configuration: publishing makes a new version.
    let one = store.publish_version("f", 2).unwrap().unwrap();
    assert_eq!(one.layers, record.layers);
    let mut changed = record.clone();
    changed.layers.clear();
    assert!(!changed.same_code_and_config(&one));
    store.put_function(&changed).unwrap();
    assert_eq!(store.publish_version("f", 3).unwrap().unwrap().version, "2");
}

/// Nodes publishing versions of one layer at the same time: each gets a number of its own,
/// and the numbers run from 1 without gaps.
fn nodes_publishing_a_layer_at_once_get_distinct_numbers(store: Store) {
    const NODES: usize = 4;
    const EACH: usize = 5;
    let mut numbers: Vec<u64> = on_nodes(&store, NODES, |node, store| {
        (0..EACH)
            .map(|i| {
                let sha = format!("{node}-{i}");
                let published = store.publish_layer_version(&layer("libs", &sha));
                published.unwrap().version
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    numbers.sort_unstable();
    let expected: Vec<u64> = (1..=(NODES * EACH) as u64).collect();
    assert_eq!(numbers, expected);
    assert_eq!(store.layer_versions("libs").unwrap().len(), NODES * EACH);
}

/// A function stored before layers existed reads with Lambda's defaults.
#[test]
fn functions_of_schema_3_read_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fnhost.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO functions (name, version, code_sha256, code_size, description, \
             memory_mb, timeout_s, env, revision_id, last_modified_ms) \
             VALUES ('old', '$LATEST', 'aa', 1, '', 128, 3, '{}', 'r', 1)",
            params![],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let old = store.function("old", LATEST).unwrap().unwrap();
    assert_eq!((old.ephemeral_storage_mb, old.layers.len()), (512, 0));
}
