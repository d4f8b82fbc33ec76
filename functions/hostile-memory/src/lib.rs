//! Hostile fixture: allocates 8 MiB chunks and writes to every page of each, never freeing, until
//! the host refuses to grow memory (the allocator then aborts: a trap). Logs progress per chunk.

use std::convert::Infallible;
use std::hint::black_box;
use std::io::Write;

use fnhost_sdk::Context;
use serde_json::Value;

const CHUNK: usize = 8 << 20;
const PAGE: usize = 4096;

fn hog(_event: Value, _ctx: &Context) -> Result<Value, Infallible> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        // Touch every page so the memory is really used, not just reserved.
        for page in chunk.chunks_mut(PAGE) {
            page[0] = 1;
        }
        chunks.push(black_box(chunk));
        let _ = writeln!(
            std::io::stdout(),
            "allocated {} MiB in {} chunks",
            chunks.len() * (CHUNK >> 20),
            chunks.len()
        );
    }
}

fnhost_sdk::handler!(hog);
