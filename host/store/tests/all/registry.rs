//! The rest of the function registry: aliases, tags, URLs, reserved concurrency and saved test
//! events, on both backends, and what several nodes writing at once must not break.

use std::collections::BTreeMap;

use crate::functions::function;
use crate::layers::layer;
use fnhost_store::{
    AliasRecord, Durability, FunctionUrlRecord, Location, Store, StoreError, TEST_EVENT_MAX_BYTES,
    TEST_EVENTS_PER_FUNCTION, TestEvent,
};

/// A second handle on the same data, as another node (or a restarted host) has: a new
/// connection to the same SQLite file or PostgreSQL database.
pub fn reopen(store: &Store) -> Store {
    match store.location() {
        Location::File(path) => Store::open_with(path, Durability::Normal).expect("reopen"),
        // The test server's URLs carry no password, so the shown URL is the whole URL.
        Location::Server(url) => Store::connect(url).expect("reconnect"),
    }
}

/// Runs `each(node, store)` on `nodes` threads at once, each with its own handle on `store`'s
/// data, and returns what each returned, by node.
pub fn on_nodes<T: Send>(
    store: &Store,
    nodes: usize,
    each: impl Fn(usize, Store) -> T + Sync,
) -> Vec<T> {
    let handles: Vec<Store> = (0..nodes).map(|_| reopen(store)).collect();
    std::thread::scope(|scope| {
        let each = &each;
        let running: Vec<_> = handles
            .into_iter()
            .enumerate()
            .map(|(node, store)| scope.spawn(move || each(node, store)))
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

both_backends!(
    aliases_are_created_once_listed_by_name_updated_and_deleted,
    aliases_survive_reopening,
    an_alias_created_on_several_nodes_at_once_is_created_once,
    reservations_are_set_replaced_listed_and_deleted_per_function,
    reservations_survive_reopening,
    tags_are_merged_removed_and_cleared_per_function,
    urls_are_kept_per_function_and_alias,
    test_events_are_saved_replaced_listed_and_deleted,
    test_events_are_capped_per_function_and_in_size,
    the_test_event_cap_holds_across_nodes,
    names_sort_byte_wise,
);

fn alias(function: &str, name: &str, version: &str) -> AliasRecord {
    AliasRecord {
        function: function.into(),
        name: name.into(),
        function_version: version.into(),
        description: String::new(),
        routing: None,
        revision_id: format!("rev-{name}"),
    }
}

fn aliases_are_created_once_listed_by_name_updated_and_deleted(store: Store) {
    let live = AliasRecord {
        routing: Some(("2".into(), 0.1)),
        description: "canary".into(),
        ..alias("f", "live", "1")
    };
    assert!(store.create_alias(&live).unwrap());
    assert!(!store.create_alias(&alias("f", "live", "3")).unwrap());
    assert!(store.create_alias(&alias("f", "beta", "$LATEST")).unwrap());
    assert!(store.create_alias(&alias("g", "live", "2")).unwrap());

    assert_eq!(store.alias("f", "live").unwrap(), Some(live.clone()));
    assert_eq!(store.alias("f", "nope").unwrap(), None);
    let names = |list: Vec<AliasRecord>| list.into_iter().map(|a| a.name).collect::<Vec<_>>();
    assert_eq!(names(store.aliases("f", None).unwrap()), ["beta", "live"]);
    assert_eq!(names(store.aliases("f", Some("2")).unwrap()), ["live"]);
    assert_eq!(
        names(store.aliases("f", Some("$LATEST")).unwrap()),
        ["beta"]
    );
    assert!(store.aliases("f", Some("7")).unwrap().is_empty());
    assert_eq!(store.aliases_of_version("f", "1").unwrap(), ["live"]);

    let moved = AliasRecord {
        function_version: "2".into(),
        routing: None,
        revision_id: "rev-2".into(),
        ..live.clone()
    };
    assert!(store.update_alias(&moved).unwrap());
    assert_eq!(store.alias("f", "live").unwrap(), Some(moved));
    assert!(store.aliases_of_version("f", "1").unwrap().is_empty());
    assert!(!store.update_alias(&alias("f", "nope", "1")).unwrap());

    assert!(store.delete_alias("f", "beta").unwrap());
    assert!(!store.delete_alias("f", "beta").unwrap());
    assert_eq!(
        store
            .all_aliases()
            .unwrap()
            .iter()
            .map(|a| format!("{}:{}", a.function, a.name))
            .collect::<Vec<_>>(),
        ["f:live", "g:live"]
    );
    assert_eq!(store.delete_function_aliases("f").unwrap(), 1);
    assert!(store.aliases("f", None).unwrap().is_empty());
    assert_eq!(names(store.aliases("g", None).unwrap()), ["live"]);
}

fn aliases_survive_reopening(store: Store) {
    let live = AliasRecord {
        routing: Some(("3".into(), 0.25)),
        ..alias("f", "live", "2")
    };
    store.create_alias(&live).unwrap();
    assert_eq!(reopen(&store).all_aliases().unwrap(), [live]);
}

/// Nodes creating the same alias at once: exactly one is told it created it, and the alias is
/// that one's.
fn an_alias_created_on_several_nodes_at_once_is_created_once(store: Store) {
    let created = on_nodes(&store, 4, |node, store| {
        store
            .create_alias(&alias("f", "live", &(node + 1).to_string()))
            .unwrap()
    });
    let winners: Vec<usize> = (0..created.len()).filter(|&n| created[n]).collect();
    assert_eq!(winners.len(), 1, "{created:?}");
    let stored = store.alias("f", "live").unwrap().unwrap();
    assert_eq!(stored.function_version, (winners[0] + 1).to_string());
}

fn reservations_are_set_replaced_listed_and_deleted_per_function(store: Store) {
    assert_eq!(store.function_concurrency("a").unwrap(), None);
    store.set_function_concurrency("a", 5).unwrap();
    store.set_function_concurrency("stopped", 0).unwrap();
    store.set_function_concurrency("a", 2).unwrap();
    assert_eq!(store.function_concurrency("a").unwrap(), Some(2));
    // 0 is a reservation (Lambda's "stop"), not the absence of one.
    assert_eq!(store.function_concurrency("stopped").unwrap(), Some(0));
    assert_eq!(
        store.all_function_concurrency().unwrap(),
        BTreeMap::from([("a".to_owned(), 2), ("stopped".to_owned(), 0)])
    );
    assert!(store.delete_function_concurrency("a").unwrap());
    assert!(!store.delete_function_concurrency("a").unwrap());
    assert_eq!(store.function_concurrency("a").unwrap(), None);
    assert_eq!(
        store.all_function_concurrency().unwrap(),
        BTreeMap::from([("stopped".to_owned(), 0)])
    );
}

fn reservations_survive_reopening(store: Store) {
    store.set_function_concurrency("f", u32::MAX).unwrap();
    assert_eq!(
        reopen(&store).function_concurrency("f").unwrap(),
        Some(u32::MAX)
    );
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn tags_are_merged_removed_and_cleared_per_function(store: Store) {
    store
        .tag_function("a", &tags(&[("fnhost:invoke", "b c"), ("team", "x")]))
        .unwrap();
    store
        .tag_function("other", &tags(&[("team", "y")]))
        .unwrap();
    store
        .tag_function("a", &tags(&[("fnhost:invoke", "b")]))
        .unwrap();
    store.tag_function("a", &BTreeMap::new()).unwrap();
    assert_eq!(
        store.function_tags("a").unwrap(),
        tags(&[("fnhost:invoke", "b"), ("team", "x")])
    );
    store
        .untag_function("a", &["team".to_owned(), "missing".to_owned()])
        .unwrap();
    store.untag_function("a", &[]).unwrap();
    assert_eq!(
        store.function_tags("a").unwrap(),
        tags(&[("fnhost:invoke", "b")])
    );
    store.clear_function_tags("a").unwrap();
    assert!(store.function_tags("a").unwrap().is_empty());
    assert_eq!(
        store.function_tags("other").unwrap(),
        tags(&[("team", "y")])
    );
}

fn url(function: &str, qualifier: Option<&str>, id: &str) -> FunctionUrlRecord {
    FunctionUrlRecord {
        function: function.to_owned(),
        qualifier: qualifier.map(str::to_owned),
        url_id: id.to_owned(),
        auth_type: "NONE".to_owned(),
        cors: None,
        invoke_mode: "BUFFERED".to_owned(),
        created_ms: 10,
        modified_ms: 10,
    }
}

fn urls_are_kept_per_function_and_alias(store: Store) {
    let plain = url("f", None, "a".repeat(32).as_str());
    let live = url("f", Some("live"), "b".repeat(32).as_str());
    let other = url("g", None, "c".repeat(32).as_str());
    assert!(store.create_function_url(&plain).unwrap());
    assert!(store.create_function_url(&live).unwrap());
    assert!(store.create_function_url(&other).unwrap());
    // A second URL for the same function is refused, whatever its id.
    let again = url("f", None, "d".repeat(32).as_str());
    assert!(!store.create_function_url(&again).unwrap());
    assert_eq!(store.function_url("f", None).unwrap(), Some(plain.clone()));
    assert_eq!(
        store.function_url("f", Some("live")).unwrap(),
        Some(live.clone())
    );
    assert_eq!(store.function_url("f", Some("dev")).unwrap(), None);
    assert_eq!(
        store.function_url_by_id(&"b".repeat(32)).unwrap(),
        Some(live.clone())
    );
    assert_eq!(store.function_url_by_id(&"d".repeat(32)).unwrap(), None);
    assert_eq!(
        store.function_urls("f").unwrap(),
        [plain.clone(), live.clone()]
    );
    assert_eq!(store.all_function_urls().unwrap().len(), 3);

    let mut changed = plain.clone();
    changed.url_id = "e".repeat(32);
    changed.auth_type = "AWS_IAM".to_owned();
    changed.cors = Some(r#"{"AllowOrigins":["*"]}"#.to_owned());
    changed.modified_ms = 20;
    assert!(store.update_function_url(&changed).unwrap());
    let stored = store.function_url("f", None).unwrap().unwrap();
    assert_eq!(stored.auth_type, "AWS_IAM");
    assert_eq!(stored.cors.as_deref(), Some(r#"{"AllowOrigins":["*"]}"#));
    assert_eq!((stored.created_ms, stored.modified_ms), (10, 20));
    // The id stays: an update changes the settings, not the address.
    assert_eq!(stored.url_id, plain.url_id);
    assert!(!store.update_function_url(&url("h", None, "x")).unwrap());

    assert!(store.delete_function_url("f", Some("live")).unwrap());
    assert!(!store.delete_function_url("f", Some("live")).unwrap());
    assert_eq!(store.delete_function_urls("f").unwrap(), 1);
    assert!(store.function_urls("f").unwrap().is_empty());
    assert_eq!(store.all_function_urls().unwrap(), [other]);
}

/// Saving, replacing, listing by name and deleting, each function on its own.
fn test_events_are_saved_replaced_listed_and_deleted(store: Store) {
    assert!(store.test_events("f").unwrap().is_empty());
    let saved = store.put_test_event("f", "b", r#"{"n":1}"#, 10).unwrap();
    assert_eq!(
        saved,
        TestEvent {
            name: "b".into(),
            event: r#"{"n":1}"#.into(),
            modified_ms: 10
        }
    );
    store.put_test_event("f", "a", "{}", 11).unwrap();
    store.put_test_event("g", "a", "[]", 12).unwrap();
    store.put_test_event("f", "b", r#"{"n":2}"#, 13).unwrap();
    let events = store.test_events("f").unwrap();
    let listed: Vec<(&str, &str, u64)> = events
        .iter()
        .map(|e| (e.name.as_str(), e.event.as_str(), e.modified_ms))
        .collect();
    assert_eq!(listed, [("a", "{}", 11), ("b", r#"{"n":2}"#, 13)]);
    assert!(store.delete_test_event("f", "a").unwrap());
    assert!(!store.delete_test_event("f", "a").unwrap());
    assert_eq!(store.test_events("f").unwrap().len(), 1);
    assert_eq!(store.test_events("g").unwrap()[0].event, "[]");
    assert_eq!(store.delete_test_events("f").unwrap(), 1);
    assert!(store.test_events("f").unwrap().is_empty());
    assert_eq!(store.test_events("g").unwrap().len(), 1);
}

/// Ten events per function; an eleventh name is refused, replacing one is not, and another
/// function has its own ten. Events past 256 KiB are refused.
fn test_events_are_capped_per_function_and_in_size(store: Store) {
    for i in 0..TEST_EVENTS_PER_FUNCTION {
        store
            .put_test_event("f", &format!("e{i}"), "{}", 1)
            .unwrap();
    }
    let err = store.put_test_event("f", "one-more", "{}", 2).unwrap_err();
    assert!(
        matches!(&err, StoreError::TooManyTestEvents { function, limit: 10 } if function == "f"),
        "{err:?}"
    );
    assert_eq!(
        store.test_events("f").unwrap().len(),
        TEST_EVENTS_PER_FUNCTION
    );
    store.put_test_event("f", "e3", "[1]", 3).unwrap();
    store.put_test_event("g", "one-more", "{}", 2).unwrap();
    store.delete_test_event("f", "e0").unwrap();
    store.put_test_event("f", "one-more", "{}", 4).unwrap();

    let largest = format!("\"{}\"", "x".repeat(TEST_EVENT_MAX_BYTES - 2));
    store.put_test_event("g", "large", &largest, 5).unwrap();
    let too_large = format!("\"{}\"", "x".repeat(TEST_EVENT_MAX_BYTES - 1));
    let err = store
        .put_test_event("g", "large", &too_large, 6)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::TestEventTooLarge { size, limit } if size == TEST_EVENT_MAX_BYTES + 1 && limit == TEST_EVENT_MAX_BYTES),
        "{err:?}"
    );
    assert_eq!(
        store
            .test_events("g")
            .unwrap()
            .iter()
            .find(|e| e.name == "large")
            .unwrap()
            .event,
        largest
    );
}

/// Nodes saving new events of one function at once: the function ends with exactly
/// [`TEST_EVENTS_PER_FUNCTION`] events, every other save refused with `TooManyTestEvents`.
fn the_test_event_cap_holds_across_nodes(store: Store) {
    const NODES: usize = 4;
    let outcomes = on_nodes(&store, NODES, |node, store| {
        (0..TEST_EVENTS_PER_FUNCTION)
            .map(
                |i| match store.put_test_event("f", &format!("n{node}-{i}"), "{}", 1) {
                    Ok(_) => true,
                    Err(StoreError::TooManyTestEvents { .. }) => false,
                    Err(e) => panic!("{e}"),
                },
            )
            .collect::<Vec<bool>>()
    });
    let saved = outcomes.iter().flatten().filter(|saved| **saved).count();
    assert_eq!(saved, TEST_EVENTS_PER_FUNCTION);
    assert_eq!(
        store.test_events("f").unwrap().len(),
        TEST_EVENTS_PER_FUNCTION
    );
}

/// Listings sort names by their bytes (SQLite's `BINARY`), whatever PostgreSQL's locale:
/// upper case before lower case, `-` before letters.
fn names_sort_byte_wise(store: Store) {
    let sorted = ["A", "B", "a", "a-1", "b"];
    for (i, name) in ["b", "B", "a-1", "a", "A"].into_iter().enumerate() {
        store.create_alias(&alias("f", name, "1")).unwrap();
        store.create_alias(&alias(name, "live", "1")).unwrap();
        store.put_test_event("f", name, "{}", 1).unwrap();
        store.put_function(&function(name, "aa", 1)).unwrap();
        store.publish_layer_version(&layer(name, "aa")).unwrap();
        let id = format!("{i:032}");
        store
            .create_function_url(&url("f", Some(name), &id))
            .unwrap();
    }
    assert_eq!(names(store.aliases("f", None).unwrap(), |a| a.name), sorted);
    let mut all_aliases = store.all_aliases().unwrap();
    all_aliases.retain(|a| a.name == "live");
    assert_eq!(names(all_aliases, |a| a.function), sorted);
    assert_eq!(names(store.test_events("f").unwrap(), |e| e.name), sorted);
    assert_eq!(names(store.functions().unwrap(), |f| f.name), sorted);
    assert_eq!(
        names(store.all_layer_versions().unwrap(), |l| l.name),
        sorted
    );
    let qualifiers = names(store.function_urls("f").unwrap(), |u| {
        u.qualifier.unwrap_or_default()
    });
    assert_eq!(qualifiers, sorted);
}

fn names<T>(list: Vec<T>, name: impl FnMut(T) -> String) -> Vec<String> {
    list.into_iter().map(name).collect()
}

/// [`names_sort_byte_wise`] in a database whose default collation (ICU `en-US`) sorts
/// otherwise: `a` before `B`.
#[test]
fn names_sort_byte_wise_in_a_database_of_another_locale() {
    let server = fnhost_testpg::Server::shared();
    let db = server.database().expect("a fresh PostgreSQL database");
    let mut admin = postgres::Client::connect(&server.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE \"{}\"", db.name()))
        .unwrap();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE \"{}\" TEMPLATE template0 LOCALE_PROVIDER icu \
             ICU_LOCALE 'en-US' LOCALE 'C'",
            db.name()
        ))
        .unwrap();
    drop(admin);
    let mut client = db.connect().unwrap();
    let row = client.query_one("SELECT 'a' < 'B'", &[]).unwrap();
    assert!(row.get::<_, bool>(0), "the database sorts like `C`");
    drop(client);
    names_sort_byte_wise(Store::connect(db.url()).unwrap());
}
