//! Invocation records, log queries, usage and retention.

use fnhost_store::{InvocationQuery, InvocationRecord, LogQuery};

use crate::{record, temp_store};

fn lines(store: &fnhost_store::Store, query: &LogQuery) -> Vec<String> {
    store
        .logs(query)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

#[test]
fn records_keep_their_log_exactly() {
    let (_dir, store) = temp_store();
    let logs = ["START\nhello\nEND\n", "no newline", "", "\n", "a\n\nb\r\n"];
    let records: Vec<InvocationRecord> = logs
        .iter()
        .enumerate()
        .map(|(i, log)| record("f", &format!("r{i}"), 1_000 + i as u64, log))
        .collect();
    store.record(&records).unwrap();
    for (i, log) in logs.iter().enumerate() {
        let got = store.invocation(&format!("r{i}")).unwrap().unwrap();
        assert_eq!(got.log, *log, "record r{i}");
        assert_eq!(got, records[i]);
    }
    assert_eq!(store.invocation("missing").unwrap(), None);
    // "START\nhello\nEND\n" is three lines, "" none, "\n" one empty line.
    assert_eq!(
        lines(&store, &LogQuery::default()),
        vec!["START", "hello", "END", "no newline", "", "a", "", "b\r"]
    );
}

#[test]
fn retries_share_a_request_id_and_the_newest_wins() {
    let (_dir, store) = temp_store();
    let mut first = record("f", "same", 1_000, "attempt 1\n");
    first.error_type = Some("Runtime.Trap".to_owned());
    store.record(&[first]).unwrap();
    store
        .record(&[record("f", "same", 2_000, "attempt 2\n")])
        .unwrap();
    let got = store.invocation("same").unwrap().unwrap();
    assert_eq!(got.log, "attempt 2\n");
    assert_eq!(got.error_type, None);
    assert_eq!(
        store
            .invocations(&InvocationQuery::default())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn invocations_newest_first_with_filters() {
    let (_dir, store) = temp_store();
    store
        .record(&[
            record("a", "a1", 100, "a one\n"),
            record("b", "b1", 200, "b one\n"),
            record("a", "a2", 300, "a two\n"),
            record("a", "a3", 400, "a three\n"),
        ])
        .unwrap();
    let all = store.invocations(&InvocationQuery::default()).unwrap();
    assert_eq!(
        all.iter()
            .map(|r| r.request_id.as_str())
            .collect::<Vec<_>>(),
        vec!["a3", "a2", "b1", "a1"]
    );
    assert!(all.iter().all(|r| r.log.is_empty()), "no log unless asked");

    let a = store
        .invocations(&InvocationQuery {
            function: Some("a".to_owned()),
            since_ms: Some(300),
            limit: 100,
            with_log: true,
        })
        .unwrap();
    assert_eq!(
        a.iter()
            .map(|r| (r.request_id.as_str(), r.log.as_str()))
            .collect::<Vec<_>>(),
        vec![("a3", "a three\n"), ("a2", "a two\n")]
    );
    let limited = store
        .invocations(&InvocationQuery {
            limit: 1,
            ..InvocationQuery::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].request_id, "a3");
}

#[test]
fn log_queries_since_filter_follow_limit() {
    let (_dir, store) = temp_store();
    store
        .record(&[
            record("a", "a1", 100, "START a1\nError: disk full\nEND a1\n"),
            record("b", "b1", 200, "START b1\nerror: lowercase\nEND b1\n"),
            record("a", "a2", 300, "START a2\nall good\nEND a2\n"),
        ])
        .unwrap();

    let only_a = store
        .logs(&LogQuery {
            function: Some("a".to_owned()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(only_a.len(), 6);
    assert!(only_a.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(only_a.iter().all(|l| l.function == "a"));
    assert_eq!(only_a[1].request_id, "a1");
    assert_eq!(only_a[1].ts_ms, 100);

    // Case-sensitive substring; `%` and `_` are plain characters.
    let errors = lines(
        &store,
        &LogQuery {
            filter: Some("Error".to_owned()),
            ..LogQuery::default()
        },
    );
    assert_eq!(errors, vec!["Error: disk full"]);
    assert!(
        lines(
            &store,
            &LogQuery {
                filter: Some("%".to_owned()),
                ..LogQuery::default()
            }
        )
        .is_empty()
    );

    let since = lines(
        &store,
        &LogQuery {
            since_ms: Some(200),
            ..LogQuery::default()
        },
    );
    assert_eq!(since.first().map(String::as_str), Some("START b1"));
    assert_eq!(since.len(), 6);

    // Follow: page forward from the last seq seen, two lines at a time.
    let mut after = None;
    let mut followed = Vec::new();
    loop {
        let page = store
            .logs(&LogQuery {
                after_seq: after,
                limit: 2,
                ..LogQuery::default()
            })
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        after = page.last().map(|l| l.seq);
        followed.extend(page.into_iter().map(|l| l.line));
    }
    assert_eq!(followed.len(), 9);
    store
        .record(&[record("a", "a3", 400, "late line\n")])
        .unwrap();
    let late = lines(
        &store,
        &LogQuery {
            after_seq: after,
            ..LogQuery::default()
        },
    );
    assert_eq!(late, vec!["late line"]);

    // The tail: the newest lines, still oldest first.
    let tail: Vec<String> = store
        .tail_logs(&LogQuery {
            function: Some("a".to_owned()),
            limit: 3,
            ..LogQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    assert_eq!(tail, vec!["all good", "END a2", "late line"]);
}

#[test]
fn usage_sums_per_function() {
    let (_dir, store) = temp_store();
    let mut a1 = record("a", "a1", 100, "");
    a1.billed_ms = 1_000;
    a1.memory_mb = 1_024;
    a1.fuel = Some(500);
    let mut a2 = record("a", "a2", 200, "");
    a2.billed_ms = 500;
    a2.memory_mb = 128;
    a2.error_type = Some("Runtime.Timeout".to_owned());
    a2.fuel = Some(250);
    let mut b1 = record("b", "b1", 300, "");
    b1.billed_ms = 3;
    b1.memory_mb = 512;
    store.record(&[a1, a2, b1]).unwrap();

    let usage = store.usage(None).unwrap();
    assert_eq!(usage.len(), 2);
    let a = &usage[0];
    assert_eq!(a.function, "a");
    assert_eq!(a.requests, 2);
    assert_eq!(a.errors, 1);
    assert_eq!(a.billed_ms, 1_500);
    // 1 s x 1 GB + 0.5 s x 0.125 GB
    assert!((a.gb_seconds - 1.0625).abs() < 1e-12, "{}", a.gb_seconds);
    assert_eq!(a.fuel, 750);
    let b = &usage[1];
    assert_eq!(
        (b.function.as_str(), b.requests, b.errors, b.fuel),
        ("b", 1, 0, 0)
    );
    assert!((b.gb_seconds - 0.003 * 0.5).abs() < 1e-12);

    let recent = store.usage(Some(200)).unwrap();
    assert_eq!(recent[0].requests, 1);
    assert_eq!(recent[0].billed_ms, 500);
    assert!((recent[0].gb_seconds - 0.0625).abs() < 1e-12);
    assert!(store.usage(Some(10_000)).unwrap().is_empty());
}

#[test]
fn prune_removes_old_records_and_lines() {
    let (_dir, store) = temp_store();
    store
        .record(&[
            record("a", "old1", 100, "one\ntwo\n"),
            record("a", "old2", 150, "three\n"),
            record("a", "new", 300, "four\nfive\n"),
        ])
        .unwrap();
    let max_seq = store
        .logs(&LogQuery::default())
        .unwrap()
        .last()
        .unwrap()
        .seq;
    assert_eq!(store.prune(200).unwrap(), 2 + 3);
    assert_eq!(store.prune(200).unwrap(), 0);
    assert_eq!(store.invocation("old1").unwrap(), None);
    assert_eq!(
        store.invocation("new").unwrap().unwrap().log,
        "four\nfive\n"
    );
    assert_eq!(lines(&store, &LogQuery::default()), vec!["four", "five"]);

    // Everything pruned: sequence numbers still never go back.
    assert_eq!(store.prune(1_000).unwrap(), 3);
    store
        .record(&[record("a", "later", 2_000, "six\n")])
        .unwrap();
    let after = store.logs(&LogQuery::default()).unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].seq > max_seq);
}
