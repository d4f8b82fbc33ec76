//! `fnhost logs NAME`: a function's invocation logs (START, its output, END, REPORT) from the
//! state database, like `aws logs tail /aws/lambda/NAME`. It opens the database read-only, so
//! it works while a host is running; `--follow` keeps printing new lines.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use fnhost_store::{LogLine, LogQuery, Store, StoreUrl};
use serde_json::json;

use crate::project::Globals;

/// Arguments of `fnhost logs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The function.
    name: String,
    /// Keep printing new lines as invocations finish (Ctrl-C to stop). No `-f`: that is the
    /// global `--manifest`.
    #[arg(long)]
    follow: bool,
    /// Only invocations started this long ago or later: `30s`, `10m`, `2h`, `1d`.
    #[arg(long, value_parser = parse_since)]
    since: Option<Duration>,
    /// Only lines containing this text (case-sensitive).
    #[arg(long)]
    filter: Option<String>,
    /// One JSON object per line (seq, timestamp, requestId, function, line).
    #[arg(long)]
    json: bool,
}

/// Lines shown before following, at most.
const TAIL_LINES: usize = 10_000;
/// How often `--follow` looks for new lines.
const POLL: Duration = Duration::from_millis(300);

/// `30s`, `10m`, `2h`, `1d` (a bare number is seconds).
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 10m, 2h or 1d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` has an unknown unit; use s, m, h or d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(seconds)))
}

/// Milliseconds since the epoch, `ago` before now.
pub fn since_ms(ago: Duration) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    now.saturating_sub(ago.as_millis() as u64)
}

/// The store, for reading: `--store` (no manifest needed then; a cluster's PostgreSQL store
/// is read from any machine), else the project's state database, with a clear error when no
/// host has created it yet.
pub fn open_store(globals: &Globals) -> Result<Store> {
    let url = match globals.given_store()? {
        Some(url) => url,
        None => globals.store_url(&globals.manifest()?)?,
    };
    if let StoreUrl::File(path) = &url
        && !path.exists()
    {
        bail!(
            "no state database at `{}`: nothing has run yet (start `fnhost up`, or pass --state-dir or --store)",
            path.display()
        );
    }
    crate::project::open_store(&url, true)
}

fn print(lines: &[LogLine], as_json: bool) {
    for l in lines {
        if as_json {
            let ts = chrono::DateTime::from_timestamp_millis(l.ts_ms as i64)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            println!(
                "{}",
                json!({"seq": l.seq, "timestamp": ts, "requestId": l.request_id, "function": l.function, "trigger": l.trigger, "line": l.line})
            );
        } else {
            // Guest output: escaped so it cannot move the cursor or forge a line.
            println!("{}", fnhost_dispatch::terminal_safe(&l.line));
        }
    }
}

/// Run `fnhost logs`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let store = open_store(globals)?;
    let mut query = LogQuery {
        function: Some(args.name.clone()),
        since_ms: args.since.map(since_ms),
        filter: args.filter.clone(),
        after_seq: None,
        limit: TAIL_LINES,
    };
    let reader = store.clone();
    let q = query.clone();
    let lines = tokio::task::spawn_blocking(move || reader.tail_logs(&q))
        .await
        .context("reading logs panicked")?
        .context("cannot read logs")?;
    print(&lines, args.json);
    if !args.follow {
        return Ok(true);
    }
    let mut last = lines.last().map(|l| l.seq);
    if last.is_none() {
        // Start after whatever exists now that the filters hid.
        let reader = store.clone();
        let mut probe = query.clone();
        probe.filter = None;
        probe.limit = 1;
        last = tokio::task::spawn_blocking(move || reader.tail_logs(&probe))
            .await
            .context("reading logs panicked")??
            .last()
            .map(|l| l.seq);
    }
    query.limit = 1000;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(true),
            () = tokio::time::sleep(POLL) => {}
        }
        query.after_seq = last;
        let (reader, q) = (store.clone(), query.clone());
        let new = tokio::task::spawn_blocking(move || reader.logs(&q))
            .await
            .context("reading logs panicked")?
            .context("cannot read logs")?;
        if let Some(l) = new.last() {
            last = Some(l.seq);
        }
        print(&new, args.json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_since("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_since("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_since("45"), Ok(Duration::from_secs(45)));
        assert!(parse_since("10 weeks").is_err());
        assert!(parse_since("m").is_err());
    }
}
