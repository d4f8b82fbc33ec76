//! Hostile fixture: sleeps `event.ms` milliseconds (default 60,000) in a blocking host call
//! (`std::thread::sleep` is a WASI clock poll), then returns `{"sleptMs": ms}`.

use std::convert::Infallible;
use std::time::Duration;

use fnhost_sdk::Context;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Sleep {
    #[serde(default = "default_ms")]
    ms: u64,
}

fn default_ms() -> u64 {
    60_000
}

/// `null` as well as `{}` means the default.
fn sleep(event: Option<Sleep>, _ctx: &Context) -> Result<Value, Infallible> {
    let ms = event.map_or_else(default_ms, |e| e.ms);
    std::thread::sleep(Duration::from_millis(ms));
    Ok(json!({"sleptMs": ms}))
}

fnhost_sdk::handler!(sleep);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_the_requested_time() {
        let out = fnhost_sdk::invoke(r#"{"ms":1}"#, &Context::default(), sleep).unwrap();
        assert_eq!(out, r#"{"sleptMs":1}"#);
    }
}
