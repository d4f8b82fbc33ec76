//! A writer killed with SIGKILL mid-stream leaves an intact database holding every transaction
//! it reported committed, each one whole.
//!
//! The child is this test binary run again with `FNHOST_STORE_CRASH_CHILD` set; it enqueues
//! batches (jobs plus a checkpoint plus an invocation record with log lines, each batch one
//! transaction per call) and prints each batch after it commits.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fnhost_store::{Checkpoint, CheckpointChange, Durability, LogQuery, Store};

use crate::{job, record};

const CHILD_ENV: &str = "FNHOST_STORE_CRASH_CHILD";
const JOBS_PER_BATCH: u32 = 16;

/// The child's side: runs only when re-executed by [`kill_9_mid_write_loses_nothing_committed`].
#[test]
#[ignore = "runs as the child process of kill_9_mid_write_loses_nothing_committed"]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (path, first_batch) = spec.split_once('|').expect("path|first batch");
    let first_batch: u32 = first_batch.parse().expect("batch number");
    let store = Store::open_with(Path::new(path), Durability::Normal).expect("child open");
    let payload = vec![b'x'; 2048];
    let mut out = std::io::stdout().lock();
    for batch in first_batch.. {
        let jobs: Vec<_> = (0..JOBS_PER_BATCH)
            .map(|n| {
                let mut j = job("crash", batch * JOBS_PER_BATCH + n, 0);
                j.payload = payload.clone();
                j
            })
            .collect();
        let checkpoint = CheckpointChange::Put(Checkpoint {
            bucket: "crash".to_owned(),
            key: format!("batch-{batch}"),
            size: u64::from(batch),
            mtime_ns: 0,
            etag: String::new(),
            sequencer: String::new(),
        });
        let ids = store.enqueue(&jobs, &[checkpoint]).expect("enqueue");
        let log = (0..8)
            .map(|l| format!("batch {batch} line {l}\n"))
            .collect::<String>();
        store
            .record(&[record(
                "crash",
                &format!("batch-{batch}"),
                u64::from(batch),
                &log,
            )])
            .expect("record");
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        writeln!(out, "committed {batch} {}", ids.join(",")).expect("stdout");
        out.flush().expect("flush");
    }
}

/// Runs one child until it has reported `at_least` batches, waits `jitter_us`, then SIGKILLs
/// it. Returns the batches it reported: batch number -> job ids.
fn run_and_kill(
    db: &Path,
    first_batch: u32,
    at_least: usize,
    jitter_us: u64,
) -> BTreeMap<u32, Vec<i64>> {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "crash::crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{}|{first_batch}", db.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest may print its "test ... " prefix on the same line as the first report.
            let Some(rest) = line
                .find("committed ")
                .map(|at| &line[at + "committed ".len()..])
            else {
                continue;
            };
            let (batch, ids) = rest.split_once(' ').expect("batch and ids");
            let ids = ids.split(',').map(|id| id.parse().expect("id")).collect();
            if tx
                .send((batch.parse::<u32>().expect("batch"), ids))
                .is_err()
            {
                break;
            }
        }
    });
    let mut reported = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while reported.len() < at_least {
        let left = deadline.saturating_duration_since(Instant::now());
        let (batch, ids) = rx.recv_timeout(left).expect("child reports batches");
        reported.insert(batch, ids);
    }
    // Land the kill at varying points of the child's next transactions.
    std::thread::sleep(Duration::from_micros(jitter_us));
    child.kill().expect("SIGKILL");
    child.wait().expect("reap child");
    reader.join().expect("reader thread");
    // Lines written before the kill and still in the pipe were committed too.
    reported.extend(rx.try_iter());
    reported
}

#[test]
fn kill_9_mid_write_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fnhost.db");
    let mut reported = BTreeMap::new();
    // Kill at different points, including while a WAL checkpoint may run (the 2 KiB payloads
    // fill the 4 MiB auto-checkpoint threshold every ~120 batches); each run continues the
    // batch numbers of the last.
    let rounds: [(usize, u64); 8] = [
        (300, 0),
        (40, 150),
        (1_100, 330),
        (90, 70),
        (700, 510),
        (20, 900),
        (250, 25),
        (130, 1_300),
    ];
    for (round, (at_least, jitter_us)) in rounds.into_iter().enumerate() {
        let first = reported.keys().next_back().map_or(0, |b: &u32| b + 1_000);
        let got = run_and_kill(&db, first, at_least, jitter_us);
        assert!(got.len() >= at_least, "round {round}");
        reported.extend(got);

        let store = Store::open(&db).expect("reopen after kill -9");
        let conn = rusqlite::Connection::open(&db).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");

        let in_db: BTreeSet<i64> = conn
            .prepare("SELECT id FROM jobs")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (batch, ids) in &reported {
            for id in ids {
                assert!(
                    in_db.contains(id),
                    "round {round}: job {id} of batch {batch} lost"
                );
            }
        }
        // Every transaction is whole: a checkpoint exists exactly for the batches whose jobs do.
        let checkpoints: BTreeSet<u32> = store
            .checkpoints("crash")
            .unwrap()
            .into_iter()
            .map(|c| u32::try_from(c.size).unwrap())
            .collect();
        let batches_with_jobs: BTreeMap<u32, usize> = store
            .claim(0, usize::MAX)
            .unwrap()
            .into_iter()
            .fold(BTreeMap::new(), |mut m, j| {
                *m.entry(batch_of(&j.request_id)).or_insert(0) += 1;
                m
            });
        assert!(
            batches_with_jobs
                .values()
                .all(|n| *n == JOBS_PER_BATCH as usize)
        );
        assert_eq!(
            batches_with_jobs.keys().copied().collect::<BTreeSet<_>>(),
            checkpoints,
            "round {round}"
        );
        assert!(reported.keys().all(|b| checkpoints.contains(b)));
        // Put the jobs back for the next round (they are running after the claim).
        store.recover().unwrap();

        // Every invocation record has all of its log lines.
        for batch in checkpoints.iter().filter(|b| reported.contains_key(b)) {
            let rec = store
                .invocation(&format!("batch-{batch}"))
                .unwrap()
                .unwrap();
            assert_eq!(rec.log.lines().count(), 8, "round {round} batch {batch}");
        }
        let lines = store
            .logs(&LogQuery {
                limit: usize::MAX,
                ..LogQuery::default()
            })
            .unwrap();
        assert_eq!(lines.len() % 8, 0, "no invocation with part of its lines");
    }
}

/// The batch a crash job belongs to, from its request id `req-crash-N`.
fn batch_of(request_id: &str) -> u32 {
    let n: u32 = request_id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("request id");
    n / JOBS_PER_BATCH
}
