//! `fnhost invoke NAME -e FILE|-`: one event through one function, like `sam local invoke`.
//!
//! The response payload goes to stdout; START, the function's log, END and REPORT go to
//! stderr. The exit status is 1 when the function failed, 2 when it could not run. The
//! invocation is recorded in the state database with trigger `cli`, so `fnhost logs` and
//! `fnhost usage` show it beside the host's own invocations.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use fnhost_manifest::Manifest;
use fnhost_runtime::{Invocation, InvokeRequest, Outcome, Trigger};
use serde_json::json;

use crate::builder;
use crate::project::{Globals, Objects, spec};

/// Arguments of `fnhost invoke`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The function, as named in fnhost.toml.
    name: String,
    /// Event file (JSON), or `-` for stdin. Default: `{}`.
    #[arg(long, short = 'e')]
    event: Option<PathBuf>,
    /// Print one JSON object (payload, error, report, log, load info) on stdout instead.
    #[arg(long)]
    json: bool,
    /// Do not build the function even if its output is missing or stale.
    #[arg(long)]
    no_build: bool,
}

fn read_event(path: Option<&PathBuf>) -> Result<Vec<u8>> {
    match path {
        None => Ok(b"{}".to_vec()),
        Some(p) if p.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read the event from stdin")?;
            Ok(buf)
        }
        Some(p) => {
            std::fs::read(p).with_context(|| format!("cannot read event file `{}`", p.display()))
        }
    }
}

/// Keep the invocation's record and log in the store. A failure to record is a
/// warning: the invocation ran and its answer is printed all the same.
async fn record(globals: &Globals, manifest: &Manifest, name: &str, done: &Invocation) {
    let url = match globals.store_url(manifest) {
        Ok(url) => url,
        Err(err) => {
            tracing::warn!(err = format!("{err:#}"), "cannot record the invocation");
            return;
        }
    };
    let record = fnhost_api::record::record(name, done);
    let written =
        fnhost_core::blocking(move || url.open().and_then(|store| store.record(&[record]))).await;
    if let Err(err) = written {
        tracing::warn!(%err, "cannot record the invocation in the store");
    }
}

/// Run `fnhost invoke`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let manifest = globals.manifest()?;
    let config = manifest.function(&args.name)?;
    let event = read_event(args.event.as_ref())?;
    serde_json::from_slice::<serde::de::IgnoredAny>(&event)
        .map_err(|e| anyhow::anyhow!("the event is not valid JSON: {e}"))?;
    if !args.no_build && builder::stale_reason(&manifest, config).is_some() {
        builder::build(&manifest, &[config], false).await?;
    }

    let runtime = std::sync::Arc::new(globals.runtime(&manifest)?);
    let loader = runtime.clone();
    let objects = Objects::open(&manifest)?;
    let (mut spec, source) = (spec(config, &objects), config.source.clone());
    let placed = config.clone();
    let function = tokio::task::spawn_blocking(move || {
        crate::layers::place(&mut spec, &placed, &loader.config().state_dir)?;
        anyhow::Ok(loader.load(spec, &source)?)
    })
    .await
    .context("loading the function panicked")?
    .with_context(|| format!("cannot load function `{}`", args.name))?;
    tracing::info!(function = %args.name, cache = ?function.info().cache, "loaded");

    let done = runtime
        .invoke(&function, InvokeRequest::new(event, Trigger::Cli))
        .await?;
    record(globals, &manifest, &args.name, &done).await;
    let payload = done.payload();
    if args.json {
        let payload_json = serde_json::from_slice::<serde_json::Value>(&payload)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&payload)));
        let out = json!({
            "function": args.name,
            "requestId": done.request_id,
            "ok": done.outcome.is_ok(),
            "errorType": done.outcome.error_type(),
            "payload": payload_json,
            "report": done.report,
            "load": function.info(),
            "log": done.log_text(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        // Guest output on the operator's terminal: control characters escaped, line by line.
        for line in done.log_text().lines() {
            eprintln!("{}", fnhost_dispatch::terminal_safe(line));
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&payload)?;
        stdout.write_all(b"\n")?;
    }
    Ok(matches!(done.outcome, Outcome::Ok(_)))
}
