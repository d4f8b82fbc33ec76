//! `fnhost usage`: per function, how many requests ran and how many GB-seconds they were billed,
//! and what the same would cost on AWS Lambda (us-east-1, x86, on-demand) after the monthly
//! free tier. Reads the state database read-only, so it works while a host runs.

use anyhow::{Context as _, Result};
use fnhost_api::usage::{cost, net_cost, report};

use crate::commands::logs::{open_store, parse_since, since_ms};
use crate::project::Globals;

/// Arguments of `fnhost usage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only invocations started this long ago or later: `30s`, `10m`, `2h`, `30d`.
    #[arg(long, value_parser = parse_since)]
    since: Option<std::time::Duration>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Run `fnhost usage`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let store = open_store(globals)?;
    let since = args.since.map(since_ms);
    let usage = tokio::task::spawn_blocking(move || store.usage(since))
        .await
        .context("reading usage panicked")?
        .context("cannot read usage")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report(&usage))?);
        return Ok(true);
    }
    let requests: u64 = usage.iter().map(|u| u.requests).sum();
    let gb_seconds: f64 = usage.iter().map(|u| u.gb_seconds).sum();
    let width = usage
        .iter()
        .map(|u| u.function.len())
        .max()
        .unwrap_or(0)
        .max(8);
    println!(
        "{:width$}  {:>10}  {:>7}  {:>14}  {:>12}  TRIGGERS",
        "FUNCTION", "REQUESTS", "ERRORS", "GB-SECONDS", "COST (USD)"
    );
    for u in &usage {
        println!(
            "{:width$}  {:>10}  {:>7}  {:>14.6}  {:>12.7}  {}",
            u.function,
            u.requests,
            u.errors,
            u.gb_seconds,
            cost(u.requests, u.gb_seconds),
            triggers(&u.triggers)
        );
    }
    println!(
        "{:width$}  {:>10}  {:>7}  {:>14.6}  {:>12.7}",
        "TOTAL",
        requests,
        usage.iter().map(|u| u.errors).sum::<u64>(),
        gb_seconds,
        cost(requests, gb_seconds)
    );
    println!(
        "Lambda-equivalent cost after the monthly free tier (1,000,000 requests, 400,000 GB-s): ${:.7}",
        net_cost(requests, gb_seconds)
    );
    println!("(us-east-1 x86 on-demand: $0.20 per 1M requests, $0.0000166667 per GB-second)");
    Ok(true)
}

/// `http 12, s3 3`: requests by trigger, as the table shows them.
fn triggers(counts: &std::collections::BTreeMap<fnhost_core::Trigger, u64>) -> String {
    counts
        .iter()
        .map(|(trigger, n)| format!("{trigger} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
