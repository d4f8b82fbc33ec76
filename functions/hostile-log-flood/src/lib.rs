//! Hostile fixture: writes 2,000,000 log lines of 100 bytes (200 MB) to stdout, then returns
//! `{"ok":true}`. Write errors are ignored, so a host that stops capturing does not make it panic.

use std::convert::Infallible;
use std::io::{BufWriter, Write};

use fnhost_sdk::Context;
use serde_json::{Value, json};

const LINES: u32 = 2_000_000;

fn flood(_event: Value, _ctx: &Context) -> Result<Value, Infallible> {
    // Buffered so the flood costs few host calls; the volume is the point, not the call count.
    let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    for i in 0..LINES {
        // 6 + 7 + 1 + 85 characters and a newline: 100 bytes.
        let _ = writeln!(out, "flood {i:07} {:x<85}", "");
    }
    let _ = out.flush();
    Ok(json!({"ok": true}))
}

fnhost_sdk::handler!(flood);
