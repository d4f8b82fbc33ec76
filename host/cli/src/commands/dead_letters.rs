//! `fnhost dead-letters`: list, show and re-drive asynchronous events that failed every
//! attempt (or were stopped by the loop guard, or grew too old).
//!
//! It works on the state database directly, so it works whether or not a host is running; a
//! running host picks re-driven events up within its poll interval (half a second).

use anyhow::{Result, bail};
use fnhost_api::REDRIVE_MAX_AGE_MS;
use fnhost_store::DeadLetter;
use serde_json::json;

use crate::project::Globals;

/// Arguments of `fnhost dead-letters`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// Only this function's dead letters (for `list` and `redrive`).
    #[arg(long, global = true)]
    function: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List dead letters, oldest first (the default).
    List,
    /// Print one dead letter with its event.
    Show {
        /// The dead letter's number, as `list` prints it.
        id: i64,
    },
    /// Put dead letters back on the queue with fresh attempts: the given numbers, or all of
    /// them (of `--function` if given) with `--all`.
    Redrive {
        /// Dead-letter numbers.
        ids: Vec<i64>,
        /// Re-drive every dead letter (of `--function` if given).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

/// Run `fnhost dead-letters`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let manifest = globals.manifest()?;
    let url = globals.store_url(&manifest)?;
    let store = crate::project::open_store(&url, false)?;
    let function = args.function.as_deref();
    match args.action.unwrap_or(Action::List) {
        Action::List => {
            let letters = store.dead_letters(function)?;
            if args.json {
                let rows: Vec<_> = letters.iter().map(to_json).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if letters.is_empty() {
                println!("no dead letters");
            } else {
                print_table(&letters);
            }
        }
        Action::Show { id } => {
            let letters = store.dead_letters(None)?;
            let Some(letter) = letters.iter().find(|l| l.id == id) else {
                bail!("no dead letter #{id}; `fnhost dead-letters list` shows them");
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&to_json(letter))?);
            } else {
                println!("dead letter #{}", letter.id);
                println!("function:   {}", letter.function);
                println!("trigger:    {}", letter.trigger);
                println!("source:     {}", letter.trigger.event_source());
                println!("request id: {}", letter.request_id);
                println!("reason:     {}", letter.reason.as_str());
                println!("attempts:   {} of {}", letter.attempts, letter.max_attempts);
                println!("queued at:  {}", time(letter.enqueued_at_ms));
                println!("failed at:  {}", time(letter.failed_at_ms));
                println!(
                    "chain:      {} (hop {})",
                    letter.lineage.chain_id, letter.lineage.hop
                );
                println!("error:      {}", letter.error);
                println!("event:\n{}", String::from_utf8_lossy(&letter.payload));
            }
        }
        Action::Redrive { ids, all } => {
            if ids.is_empty() && !all {
                bail!(
                    "name the dead letters to re-drive (`fnhost dead-letters redrive 3 4`) or pass --all"
                );
            }
            let now = fnhost_core::unix_ms();
            let queued = store.redrive(&ids, function, now, now + REDRIVE_MAX_AGE_MS)?;
            if args.json {
                println!("{}", json!({ "requeued": queued.len(), "jobs": queued }));
            } else {
                println!(
                    "re-queued {} event(s); a running `fnhost up` delivers them within a second, \
                     otherwise the next one does",
                    queued.len()
                );
            }
        }
    }
    Ok(true)
}

fn to_json(letter: &DeadLetter) -> serde_json::Value {
    json!({
        "id": letter.id,
        "function": letter.function,
        "trigger": letter.trigger,
        "source": letter.trigger.event_source(),
        "requestId": letter.request_id,
        "reason": letter.reason.as_str(),
        "attempts": letter.attempts,
        "maxAttempts": letter.max_attempts,
        "error": letter.error,
        "chainId": letter.lineage.chain_id,
        "hop": letter.lineage.hop,
        "enqueuedAt": time(letter.enqueued_at_ms),
        "failedAt": time(letter.failed_at_ms),
        "event": serde_json::from_slice::<serde_json::Value>(&letter.payload)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&letter.payload))),
    })
}

fn time(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

fn print_table(letters: &[DeadLetter]) {
    let fw = letters
        .iter()
        .map(|l| l.function.len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "{:>5}  {:fw$}  {:16}  {:8}  {:19}  error",
        "#", "function", "reason", "attempts", "failed at"
    );
    for l in letters {
        let mut error = l.error.replace('\n', " ");
        if error.chars().count() > 80 {
            error = error.chars().take(77).collect::<String>() + "...";
        }
        println!(
            "{:>5}  {:fw$}  {:16}  {:>8}  {:19}  {error}",
            l.id,
            l.function,
            l.reason.as_str(),
            l.attempts,
            time(l.failed_at_ms)
        );
    }
}
