//! How long fnhost takes to compile (or load) functions: loads each `.wasm` given on the command
//! line, in order, into one runtime over the state directory `--state DIR`, and prints the time
//! and cache status of each load. Used by `bench/deploy.sh`'s investigation and by hand:
//!
//! ```text
//! cargo run --release -p fnhost-runtime --example compile_time -- [--no-incremental] --state /tmp/s \
//!     target/guests/python-hello.wasm target/guests/python-greet.wasm
//! ```

use std::path::PathBuf;
use std::time::Instant;

use fnhost_runtime::{FunctionSpec, Runtime, RuntimeConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut state = None;
    let mut files = Vec::new();
    let mut incremental = true;
    while let Some(arg) = args.next() {
        if arg == "--no-incremental" {
            incremental = false;
        } else if arg == "--state" {
            state = args.next().map(PathBuf::from);
        } else {
            files.push(PathBuf::from(arg));
        }
    }
    let Some(state) = state else {
        eprintln!("usage: compile_time [--no-incremental] --state DIR FILE.wasm...");
        std::process::exit(2);
    };
    let mut config = RuntimeConfig::new(state);
    if !incremental {
        config.incremental_cache_dir = None;
    }
    let runtime = Runtime::new(config);
    for (i, file) in files.iter().enumerate() {
        let started = Instant::now();
        let raw = std::fs::read(file).expect("read the wasm");
        match runtime.compile_bytes(FunctionSpec::new(format!("f{i}")), file, raw, started) {
            Ok((function, _)) => println!(
                "{:>9.1} ms  {:?}  {}",
                started.elapsed().as_secs_f64() * 1000.0,
                function.info().cache,
                file.display()
            ),
            Err(err) => println!("error: {}: {err}", file.display()),
        }
    }
}
