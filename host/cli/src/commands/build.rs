//! `fnhost build`: build stale functions (or the named ones) with a progress bar.

use anyhow::Result;

use crate::builder;
use crate::project::Globals;

/// Arguments of `fnhost build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Functions to build (default: all).
    names: Vec<String>,
    /// Build even when the output looks current.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Run `fnhost build`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let manifest = globals.manifest()?;
    let functions = if args.names.is_empty() {
        manifest.functions.values().collect::<Vec<_>>()
    } else {
        args.names
            .iter()
            .map(|n| manifest.function(n))
            .collect::<Result<Vec<_>, _>>()?
    };
    let results = builder::build(&manifest, &functions, args.force).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            match (r.status, r.seconds) {
                ("built", Some(s)) => println!("{:<24} built in {s:.1}s", r.name),
                (status, _) => println!("{:<24} {status}", r.name),
            }
        }
    }
    Ok(true)
}
