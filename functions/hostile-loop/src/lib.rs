//! Hostile fixture: spins forever. `black_box` keeps the optimizer from removing the loop, so
//! only the host's deadline (epoch interruption) or fuel limit can stop it.

use std::convert::Infallible;
use std::hint::black_box;

use fnhost_sdk::Context;
use serde_json::Value;

fn spin(_event: Value, _ctx: &Context) -> Result<Value, Infallible> {
    let mut i = 0u64;
    loop {
        i = black_box(i.wrapping_add(1));
    }
}

fnhost_sdk::handler!(spin);
