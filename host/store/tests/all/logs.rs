//! Invocation records, log queries, usage and retention.

use fnhost_store::{InvocationQuery, InvocationRecord, Location, LogQuery, Store};

use crate::record;

both_backends!(
    records_keep_their_log_exactly,
    retries_share_a_request_id_and_the_newest_wins,
    invocations_newest_first_with_filters,
    log_queries_since_filter_follow_limit,
    usage_sums_per_function,
    prune_removes_old_records_and_lines,
    seqs_are_invocation_id_and_line_index,
    follow_pages_across_invocations_and_new_records,
    a_filter_picks_lines_inside_an_invocation,
    the_tail_cuts_inside_an_invocation,
    seqs_are_never_reused_after_pruning_everything,
    a_log_past_the_line_cap_keeps_its_rest_in_the_last_line,
);

fn lines(store: &fnhost_store::Store, query: &LogQuery) -> Vec<String> {
    store
        .logs(query)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

fn records_keep_their_log_exactly(store: Store) {
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

fn retries_share_a_request_id_and_the_newest_wins(store: Store) {
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

fn invocations_newest_first_with_filters(store: Store) {
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
            ..InvocationQuery::default()
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
    // A page back from 300 (inclusive), as the console asks.
    let earlier = store
        .invocations(&InvocationQuery {
            function: Some("a".to_owned()),
            until_ms: Some(300),
            ..InvocationQuery::default()
        })
        .unwrap();
    assert_eq!(
        earlier
            .iter()
            .map(|r| r.request_id.as_str())
            .collect::<Vec<_>>(),
        vec!["a2", "a1"]
    );
}

fn log_queries_since_filter_follow_limit(store: Store) {
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

fn usage_sums_per_function(store: Store) {
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

fn prune_removes_old_records_and_lines(store: Store) {
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

/// Every line of every invocation, as `logs` pages them from the start.
fn all_lines(store: &fnhost_store::Store, query: &LogQuery) -> Vec<fnhost_store::LogLine> {
    store
        .logs(&LogQuery {
            limit: usize::MAX,
            after_seq: None,
            ..query.clone()
        })
        .unwrap()
}

/// Pages forward `limit` lines at a time from `after`, as `fnhost logs --follow` does.
fn follow(
    store: &fnhost_store::Store,
    query: &LogQuery,
    after: &mut Option<i64>,
) -> Vec<fnhost_store::LogLine> {
    let mut seen = Vec::new();
    loop {
        let page = store
            .logs(&LogQuery {
                after_seq: *after,
                ..query.clone()
            })
            .unwrap();
        assert!(page.len() <= query.limit, "{page:?}");
        let Some(last) = page.last() else {
            return seen;
        };
        *after = Some(last.seq);
        seen.extend(page);
    }
}

fn seqs_are_invocation_id_and_line_index(store: Store) {
    store
        .record(&[
            record("a", "a1", 100, "one\ntwo\nthree\n"),
            record("a", "empty", 150, ""),
            record("a", "a2", 200, "four\nfive"),
        ])
        .unwrap();
    let lines = all_lines(&store, &LogQuery::default());
    let parts: Vec<(i64, i64, &str)> = lines
        .iter()
        .map(|l| (l.seq >> 20, l.seq & ((1 << 20) - 1), l.line.as_str()))
        .collect();
    let (first, second) = (parts[0].0, parts[3].0);
    assert!(first > 0);
    // The empty log took an id of its own in between.
    assert_eq!(second, first + 2, "{parts:?}");
    assert_eq!(
        parts,
        vec![
            (first, 0, "one"),
            (first, 1, "two"),
            (first, 2, "three"),
            (second, 0, "four"),
            (second, 1, "five"),
        ]
    );
}

fn follow_pages_across_invocations_and_new_records(store: Store) {
    let log = |n: u32, lines: u32| {
        (0..lines)
            .map(|l| format!("inv {n} line {l}\n"))
            .collect::<String>()
    };
    store
        .record(&[
            record("a", "r0", 100, &log(0, 3)),
            record("b", "r1", 110, &log(1, 1)),
            record("a", "r2", 120, &log(2, 5)),
        ])
        .unwrap();
    // Pages of 2 end inside invocations (after line 1 of r0, line 0 of r2, ...).
    let query = LogQuery {
        limit: 2,
        ..LogQuery::default()
    };
    let mut after = None;
    let mut seen = follow(&store, &query, &mut after);
    assert_eq!(seen.len(), 9);

    // New records while following: picked up once, in order.
    store
        .record(&[
            record("a", "r3", 130, &log(3, 3)),
            record("b", "r4", 140, &log(4, 2)),
        ])
        .unwrap();
    seen.extend(follow(&store, &query, &mut after));
    assert!(follow(&store, &query, &mut after).is_empty());
    assert_eq!(seen, all_lines(&store, &LogQuery::default()));
    let texts: Vec<&str> = seen.iter().map(|l| l.line.as_str()).collect();
    let expected: Vec<String> = [(0, 3), (1, 1), (2, 5), (3, 3), (4, 2)]
        .into_iter()
        .flat_map(|(n, lines)| (0..lines).map(move |l| format!("inv {n} line {l}")))
        .collect();
    assert_eq!(texts, expected);
    assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(seen[4].request_id, "r2");
    assert_eq!(seen[4].ts_ms, 120);

    // One function only, three lines a page: b's lines are skipped, a's all arrive.
    let only_a = LogQuery {
        function: Some("a".to_owned()),
        limit: 3,
        ..LogQuery::default()
    };
    let mut after_a = None;
    let a_lines = follow(&store, &only_a, &mut after_a);
    assert_eq!(a_lines.len(), 11);
    assert!(a_lines.iter().all(|l| l.function == "a"));
    assert_eq!(a_lines, all_lines(&store, &only_a));
}

fn a_filter_picks_lines_inside_an_invocation(store: Store) {
    store
        .record(&[
            record(
                "f",
                "r1",
                100,
                "START r1\nerror: one\nfine\nan error: two\nEND r1\n",
            ),
            record("f", "r2", 200, "START r2\nall good\nEND r2\n"),
            record("f", "r3", 300, "START r3\nError: capital\nerror: three\n"),
        ])
        .unwrap();
    let everything = all_lines(&store, &LogQuery::default());
    let errors = LogQuery {
        filter: Some("error".to_owned()),
        ..LogQuery::default()
    };
    let matched = all_lines(&store, &errors);
    assert_eq!(
        matched.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        vec!["error: one", "an error: two", "error: three"]
    );
    // Each match carries the seq the line has unfiltered.
    for line in &matched {
        assert!(everything.contains(line), "{line:?}");
    }

    // Following a filter from inside an invocation: only the later matches.
    let after_first = store
        .logs(&LogQuery {
            after_seq: Some(matched[0].seq),
            ..errors.clone()
        })
        .unwrap();
    assert_eq!(after_first, matched[1..]);
    let mut after = Some(matched[0].seq);
    let paged = follow(
        &store,
        &LogQuery {
            limit: 1,
            ..errors.clone()
        },
        &mut after,
    );
    assert_eq!(paged, matched[1..]);

    // The tail of a filter, cut inside the first invocation.
    let tail = store
        .tail_logs(&LogQuery {
            limit: 2,
            ..errors.clone()
        })
        .unwrap();
    assert_eq!(tail, matched[1..]);
    // A filter found in no line (only across a line break) matches nothing.
    let across = LogQuery {
        filter: Some("one\nfine".to_owned()),
        ..LogQuery::default()
    };
    assert!(all_lines(&store, &across).is_empty());
}

fn the_tail_cuts_inside_an_invocation(store: Store) {
    store
        .record(&[
            record("a", "r1", 100, "a1\na2\na3\n"),
            record("b", "r2", 200, "b1\nb2\n"),
            record("a", "r3", 300, "a4\na5\na6\na7\n"),
        ])
        .unwrap();
    let tail = |query: LogQuery| -> Vec<String> {
        store
            .tail_logs(&query)
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect()
    };
    assert_eq!(
        tail(LogQuery {
            limit: 5,
            ..LogQuery::default()
        }),
        vec!["b2", "a4", "a5", "a6", "a7"]
    );
    assert_eq!(
        tail(LogQuery {
            function: Some("a".to_owned()),
            limit: 6,
            ..LogQuery::default()
        }),
        vec!["a2", "a3", "a4", "a5", "a6", "a7"]
    );
    assert_eq!(
        tail(LogQuery {
            limit: 2,
            ..LogQuery::default()
        }),
        vec!["a6", "a7"]
    );
    assert!(
        tail(LogQuery {
            limit: 0,
            ..LogQuery::default()
        })
        .is_empty()
    );
    // The tail after a seq: the newest lines, none at or before it.
    let all = all_lines(&store, &LogQuery::default());
    let after_a2 = tail(LogQuery {
        after_seq: Some(all[1].seq),
        limit: 100,
        ..LogQuery::default()
    });
    assert_eq!(after_a2, vec!["a3", "b1", "b2", "a4", "a5", "a6", "a7"]);
    // Within the time window only.
    assert_eq!(
        tail(LogQuery {
            since_ms: Some(200),
            limit: 3,
            ..LogQuery::default()
        }),
        vec!["a5", "a6", "a7"]
    );
    assert_eq!(
        tail(LogQuery {
            since_ms: Some(200),
            limit: 100,
            ..LogQuery::default()
        }),
        vec!["b1", "b2", "a4", "a5", "a6", "a7"]
    );
}

fn seqs_are_never_reused_after_pruning_everything(store: Store) {
    store
        .record(&[
            record("a", "old1", 100, "one\ntwo\n"),
            record("a", "old2", 200, "three\n"),
        ])
        .unwrap();
    let mut after = None;
    let before = follow(&store, &LogQuery::default(), &mut after);
    assert_eq!(before.len(), 3);
    assert_eq!(store.prune(1_000).unwrap(), 2 + 3);
    assert!(all_lines(&store, &LogQuery::default()).is_empty());

    // Across a restart too: the id counter lives in the database.
    let store = reopen(store);
    store
        .record(&[record("a", "new", 2_000, "four\nfive\n")])
        .unwrap();
    let lines = all_lines(&store, &LogQuery::default());
    assert!(lines.iter().all(|l| Some(l.seq) > after), "{lines:?}");
    // A follower that saw the pruned lines gets exactly the new ones.
    let followed = follow(&store, &LogQuery::default(), &mut after);
    assert_eq!(
        followed.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        vec!["four", "five"]
    );
}

fn a_log_past_the_line_cap_keeps_its_rest_in_the_last_line(store: Store) {
    let cap = fnhost_store::LINES_PER_INVOCATION;
    assert_eq!(cap, 1 << 20);
    // Three lines more than the cap: the last seq slot holds the final four lines.
    let log = "x\n".repeat(cap + 3);
    store.record(&[record("f", "huge", 100, &log)]).unwrap();
    store
        .record(&[record("f", "next", 200, "after\n")])
        .unwrap();
    assert_eq!(store.invocation("huge").unwrap().unwrap().log, log);
    let tail = store
        .tail_logs(&LogQuery {
            limit: 3,
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(
        tail.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        vec!["x", "x\nx\nx\nx", "after"]
    );
    assert_eq!(tail[1].seq & ((1 << 20) - 1), (1 << 20) - 1);
    assert_eq!(tail[0].seq + 1, tail[1].seq);
    assert!(tail[1].seq < tail[2].seq);
    // Following from the capped line's neighbour: each line once.
    let rest = store
        .logs(&LogQuery {
            after_seq: Some(tail[0].seq),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(rest, tail[1..]);
    assert_eq!(store.prune(1_000).unwrap(), 2 + cap as u64 + 1);
}

/// `store` closed and opened again: the same file, or a new connection to the same database.
fn reopen(store: Store) -> Store {
    match store.location() {
        Location::File(path) => {
            let path = path.to_owned();
            drop(store);
            Store::open(&path).unwrap()
        }
        Location::Server(url) => {
            let url = url.to_owned();
            drop(store);
            Store::connect(&url).unwrap()
        }
    }
}

/// A second handle on the same data: another connection, as another node (or process) has.
fn open_again(store: &Store) -> Store {
    match store.location() {
        Location::File(path) => Store::open(path).unwrap(),
        Location::Server(url) => Store::connect(url).unwrap(),
    }
}

fn any_text_is_kept(store: Store) {
    let mut failed = record("f", "nul", 100, "before\0after\nzwei: Grüße 봄\n\0\n");
    failed.error_type = Some("Custom\0Error".to_owned());
    store.record(&[failed.clone()]).unwrap();
    assert_eq!(store.invocation("nul").unwrap().unwrap(), failed);
    let all = all_lines(&store, &LogQuery::default());
    assert_eq!(
        all.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        vec!["before\0after", "zwei: Grüße 봄", "\0"]
    );
    let filtered = |filter: &str| {
        all_lines(
            &store,
            &LogQuery {
                filter: Some(filter.to_owned()),
                ..LogQuery::default()
            },
        )
    };
    assert_eq!(filtered("ü")[0].line, "zwei: Grüße 봄");
    assert_eq!(filtered("\0").len(), 2);
    assert!(filtered("grüße").is_empty(), "case-sensitive");
    assert_eq!(store.usage(None).unwrap()[0].errors, 1);
}

fn usage_orders_functions_by_their_bytes(store: Store) {
    let names = ["a", "B", "_x", "ä", "b-2", "b"];
    let records: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| record(name, &format!("r{i}"), 100 + i as u64, ""))
        .collect();
    store.record(&records).unwrap();
    let usage: Vec<String> = store
        .usage(None)
        .unwrap()
        .into_iter()
        .map(|u| u.function)
        .collect();
    assert_eq!(usage, ["B", "_x", "a", "b", "b-2", "ä"]);
}

/// Two writers (two nodes of a cluster, or the host and a second process) record batches of the
/// same functions while a follower pages forward: it sees every line exactly once, in seq
/// order, because seqs are handed out in commit order; the rollups count every record once.
fn a_follower_misses_nothing_while_two_writers_record(store: Store) {
    let other = open_again(&store);
    let follower = open_again(&store);
    let query = LogQuery {
        limit: 37,
        ..LogQuery::default()
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|scope| {
        let follow_thread = scope.spawn(|| {
            let mut after = None;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                seen.extend(follow(&follower, &query, &mut after));
                if finished {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = [(&store, "w1"), (&other, "w2")]
            .into_iter()
            .map(|(store, writer)| {
                scope.spawn(move || {
                    for batch in 0..40 {
                        let records: Vec<_> = (0..25)
                            .map(|i| {
                                let id = format!("{writer}-{batch}-{i}");
                                let log = format!("{id} one\n{id} two\n");
                                let function = if i % 5 == 0 { "a" } else { "b" };
                                record(function, &id, 1_000 + batch, &log)
                            })
                            .collect();
                        store.record(&records).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        follow_thread.join().unwrap()
    });
    let all = all_lines(&store, &LogQuery::default());
    assert_eq!(all.len(), 2 * 40 * 25 * 2);
    // (Not assert_eq: thousands of lines.)
    assert!(
        seen == all,
        "the follower saw {} lines of {}, {} of them not stored",
        seen.len(),
        all.len(),
        seen.iter().filter(|l| !all.contains(l)).count()
    );
    let summaries = store.function_summaries(1_000).unwrap();
    let counts: Vec<(&str, u64)> = summaries
        .iter()
        .map(|s| (s.function.as_str(), s.invocations))
        .collect();
    assert_eq!(counts, [("a", 2 * 40 * 5), ("b", 2 * 40 * 20)]);
}

both_backends!(
    any_text_is_kept,
    usage_orders_functions_by_their_bytes,
    a_follower_misses_nothing_while_two_writers_record,
);
