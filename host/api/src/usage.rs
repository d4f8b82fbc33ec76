//! What invocations would cost on AWS Lambda (us-east-1, x86, on-demand) after the monthly
//! free tier: one rule for `fnhost usage` and the console's Usage page.

use fnhost_store::Usage;
use serde_json::{Value, json};

/// Price per request: $0.20 per million.
pub const PRICE_PER_REQUEST: f64 = 0.20 / 1_000_000.0;
/// Price per GB-second (x86).
pub const PRICE_PER_GB_SECOND: f64 = 0.000_016_666_7;
/// Requests free each month.
pub const FREE_REQUESTS: u64 = 1_000_000;
/// GB-seconds free each month.
pub const FREE_GB_SECONDS: f64 = 400_000.0;

/// The cost of `requests` and `gb_seconds` at Lambda's prices, before the free tier.
pub fn cost(requests: u64, gb_seconds: f64) -> f64 {
    requests as f64 * PRICE_PER_REQUEST + gb_seconds * PRICE_PER_GB_SECOND
}

/// The cost of the whole period after the free tier, applied once (it is monthly).
pub fn net_cost(requests: u64, gb_seconds: f64) -> f64 {
    cost(
        requests.saturating_sub(FREE_REQUESTS),
        (gb_seconds - FREE_GB_SECONDS).max(0.0),
    )
}

/// The report `fnhost usage --json` prints and the console shows: per function, the total,
/// the free tier, the net cost and the prices.
pub fn report(usage: &[Usage]) -> Value {
    let requests: u64 = usage.iter().map(|u| u.requests).sum();
    let gb_seconds: f64 = usage.iter().map(|u| u.gb_seconds).sum();
    let functions: Vec<Value> = usage
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
    json!({
        "functions": functions,
        "total": { "requests": requests, "gbSeconds": gb_seconds, "costUsd": cost(requests, gb_seconds) },
        "freeTier": { "requests": FREE_REQUESTS, "gbSeconds": FREE_GB_SECONDS },
        "netCostUsd": net_cost(requests, gb_seconds),
        "prices": { "perRequestUsd": PRICE_PER_REQUEST, "perGbSecondUsd": PRICE_PER_GB_SECOND },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_free_tier_applies_once_to_the_total() {
        assert!((cost(1_000_000, 0.0) - 0.20).abs() < 1e-12);
        assert!((cost(0, 1.0) - 0.0000166667).abs() < 1e-15);
        assert_eq!(net_cost(999_999, 399_999.0), 0.0);
        let over = net_cost(2_000_000, 400_001.0);
        assert!((over - (0.20 + PRICE_PER_GB_SECOND)).abs() < 1e-9, "{over}");
        let usage = vec![Usage {
            function: "f".into(),
            requests: 10,
            errors: 1,
            billed_ms: 1000,
            gb_seconds: 0.125,
            fuel: 0,
            triggers: Default::default(),
        }];
        let shown = report(&usage);
        assert_eq!(shown["total"]["requests"], 10);
        assert_eq!(shown["functions"][0]["function"], "f");
        assert_eq!(shown["netCostUsd"], 0.0);
    }
}
