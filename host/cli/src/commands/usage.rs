//! `fnhost usage`: per function, how many requests ran and how many GB-seconds they were billed,
//! and what the same would cost on AWS Lambda (us-east-1, x86, on-demand) after the monthly
//! free tier. Reads the state database read-only, so it works while a host runs.

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::commands::logs::{open_store, parse_since, since_ms};
use crate::project::Globals;

/// Price per request: $0.20 per million.
pub const PRICE_PER_REQUEST: f64 = 0.20 / 1_000_000.0;
/// Price per GB-second (x86).
pub const PRICE_PER_GB_SECOND: f64 = 0.000_016_666_7;
/// Requests free each month.
pub const FREE_REQUESTS: u64 = 1_000_000;
/// GB-seconds free each month.
pub const FREE_GB_SECONDS: f64 = 400_000.0;

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

/// The cost of `requests` and `gb_seconds` at Lambda's prices, before the free tier.
pub fn cost(requests: u64, gb_seconds: f64) -> f64 {
    requests as f64 * PRICE_PER_REQUEST + gb_seconds * PRICE_PER_GB_SECOND
}

/// Run `fnhost usage`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let store = open_store(globals)?;
    let since = args.since.map(since_ms);
    let usage = tokio::task::spawn_blocking(move || store.usage(since))
        .await
        .context("reading usage panicked")?
        .context("cannot read usage")?;
    let requests: u64 = usage.iter().map(|u| u.requests).sum();
    let gb_seconds: f64 = usage.iter().map(|u| u.gb_seconds).sum();
    let gross = cost(requests, gb_seconds);
    // The free tier is monthly; it is applied once to the period shown.
    let net = cost(
        requests.saturating_sub(FREE_REQUESTS),
        (gb_seconds - FREE_GB_SECONDS).max(0.0),
    );
    if args.json {
        let functions: Vec<_> = usage
            .iter()
            .map(|u| {
                json!({
                    "function": u.function,
                    "requests": u.requests,
                    "errors": u.errors,
                    "billedMs": u.billed_ms,
                    "gbSeconds": u.gb_seconds,
                    "fuel": u.fuel,
                    "triggers": u.triggers,
                    "costUsd": cost(u.requests, u.gb_seconds),
                })
            })
            .collect();
        let out = json!({
            "functions": functions,
            "total": { "requests": requests, "gbSeconds": gb_seconds, "costUsd": gross },
            "freeTier": { "requests": FREE_REQUESTS, "gbSeconds": FREE_GB_SECONDS },
            "netCostUsd": net,
            "prices": { "perRequestUsd": PRICE_PER_REQUEST, "perGbSecondUsd": PRICE_PER_GB_SECOND },
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(true);
    }
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
        gross
    );
    println!(
        "Lambda-equivalent cost after the monthly free tier (1,000,000 requests, 400,000 GB-s): ${net:.7}"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_lambdas() {
        assert!((cost(1_000_000, 0.0) - 0.20).abs() < 1e-12);
        assert!((cost(0, 1.0) - 0.0000166667).abs() < 1e-15);
    }
}
