//! Leases of cluster singletons: one holder at a time, renewal, takeover after expiry.

use fnhost_store::Store;

both_backends!(
    a_lease_has_one_holder_until_it_expires,
    racing_nodes_get_one_lease,
    each_tick_is_claimed_once
);

fn a_lease_has_one_holder_until_it_expires(store: Store) {
    assert_eq!(store.lease("scheduler").unwrap(), None);
    assert!(
        store
            .acquire_lease("scheduler", "a", 1_000, 10_000)
            .unwrap()
    );
    // Held by a until 11,000: b cannot take it, a renews it.
    assert!(
        !store
            .acquire_lease("scheduler", "b", 5_000, 10_000)
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("scheduler", "b", 10_999, 10_000)
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("scheduler", "a", 6_000, 10_000)
            .unwrap()
    );
    let lease = store.lease("scheduler").unwrap().unwrap();
    assert_eq!((lease.holder.as_str(), lease.until_ms), ("a", 16_000));
    // Other leases are independent.
    assert!(store.acquire_lease("watcher", "b", 6_000, 10_000).unwrap());
    // a stops renewing: b takes over once it expires, and a then cannot.
    assert!(
        !store
            .acquire_lease("scheduler", "b", 15_999, 10_000)
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("scheduler", "b", 16_000, 10_000)
            .unwrap()
    );
    assert!(
        !store
            .acquire_lease("scheduler", "a", 16_001, 10_000)
            .unwrap()
    );
    assert_eq!(store.lease("scheduler").unwrap().unwrap().holder, "b");
    // Only the holder releases it; then anyone takes it at once.
    assert!(!store.release_lease("scheduler", "a").unwrap());
    assert!(store.release_lease("scheduler", "b").unwrap());
    assert_eq!(store.lease("scheduler").unwrap(), None);
    assert!(
        store
            .acquire_lease("scheduler", "a", 16_002, 10_000)
            .unwrap()
    );
}

fn racing_nodes_get_one_lease(store: Store) {
    for round in 0..20u64 {
        let now = 1_000_000 + round * 100_000;
        let winners: Vec<String> = std::thread::scope(|scope| {
            let tries: Vec<_> = (0..6)
                .map(|node| {
                    let store = store.clone();
                    scope.spawn(move || {
                        let holder = format!("node-{node}");
                        store
                            .acquire_lease("watcher", &holder, now, 50_000)
                            .unwrap()
                            .then_some(holder)
                    })
                })
                .collect();
            tries
                .into_iter()
                .filter_map(|t| t.join().unwrap())
                .collect()
        });
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let held = store.lease("watcher").unwrap().unwrap();
        assert_eq!(held.holder, winners[0]);
        assert_eq!(held.until_ms, now + 50_000);
    }
}

fn each_tick_is_claimed_once(store: Store) {
    assert!(store.claim_tick("nightly", 60_000).unwrap());
    assert!(
        !store.claim_tick("nightly", 60_000).unwrap(),
        "claimed twice"
    );
    assert!(!store.claim_tick("nightly", 0).unwrap(), "an older tick");
    assert!(
        store.claim_tick("other", 60_000).unwrap(),
        "schedules are separate"
    );
    // Racing nodes: every tick is claimed by exactly one of them.
    let claims: Vec<u64> = std::thread::scope(|scope| {
        let nodes: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                scope.spawn(move || {
                    (2..=41u64)
                        .filter(|tick| store.claim_tick("nightly", tick * 60_000).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        nodes.into_iter().flat_map(|n| n.join().unwrap()).collect()
    });
    let mut sorted = claims.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        claims.len(),
        "a tick claimed twice: {claims:?}"
    );
    assert!(claims.contains(&41), "the last tick is claimed");
}
