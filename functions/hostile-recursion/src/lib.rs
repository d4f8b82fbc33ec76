//! Hostile fixture: recurses until the stack runs out (a trap). `black_box` keeps the recursion
//! from being turned into a loop or a tail call.

use std::convert::Infallible;
use std::hint::black_box;

use fnhost_sdk::Context;
use serde_json::Value;

fn dive(_event: Value, _ctx: &Context) -> Result<Value, Infallible> {
    Ok(Value::from(depth(0)))
}

fn depth(level: u64) -> u64 {
    // Never true; it only tells the compiler the recursion is not unconditional.
    if black_box(level) == u64::MAX {
        return level;
    }
    let frame = black_box([level; 8]);
    black_box(depth(black_box(level + 1))) + frame[7]
}

fnhost_sdk::handler!(dive);
