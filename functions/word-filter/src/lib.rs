//! Example: flags banned words in uploaded text files and writes a JSON report
//!
//! Scaffold: the example is being written.

use fnhost_sdk::Context;

fn handle(event: serde_json::Value, _ctx: &Context) -> Result<serde_json::Value, serde_json::Error> {
    Ok(event)
}

fnhost_sdk::handler!(handle);
