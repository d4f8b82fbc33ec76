//! Fixture: tmp-probe (being written).

use std::convert::Infallible;

use fnhost_sdk::Context;

fn handler(event: serde_json::Value, _ctx: &Context) -> Result<serde_json::Value, Infallible> {
    Ok(event)
}

fnhost_sdk::handler!(handler);
