//! The `fnhost` command line: thin dispatch to one file per subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// See the workspace's `mimalloc` entry for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod builder;
mod commands;
mod layers;
mod project;

/// Run WebAssembly functions the way AWS Lambda runs handlers.
#[derive(Debug, Parser)]
#[command(name = "fnhost", version, about, max_term_width = 100)]
struct Cli {
    /// The manifest (default: `fnhost.toml` in this directory or the nearest parent).
    #[arg(long, short = 'f', global = true, env = "FNHOST_MANIFEST")]
    manifest: Option<PathBuf>,
    /// State directory for compiled artifacts (default: `.fnhost/` beside the manifest).
    #[arg(long, global = true, env = "FNHOST_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// The store: `postgres://user:password@host/db` for a cluster's shared PostgreSQL, or an
    /// SQLite file (default: `fnhost.db` in the state directory, or the manifest's `[store] url`).
    #[arg(
        long,
        global = true,
        env = "FNHOST_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every function's HTTP routes, hot-reload changes, drain on Ctrl-C/SIGTERM.
    Up(Box<commands::up::Args>),
    /// Build or package functions: run declared `build` commands, package python/nodejs source.
    Build(commands::build::Args),
    /// Run one event through a function, like `sam local invoke`.
    Invoke(commands::invoke::Args),
    /// Print a sample event as API Gateway, S3 or EventBridge would send it.
    GenerateEvent(commands::generate_event::Args),
    /// List, show and re-drive asynchronous events that failed every attempt.
    DeadLetters(commands::dead_letters::Args),
    /// Print a function's invocation logs from the state database (works while a host runs).
    Logs(commands::logs::Args),
    /// Per-function requests, GB-seconds and the Lambda-equivalent cost.
    Usage(commands::usage::Args),
    /// Write a new function (handler, fnhost.toml entry, test event), like `sam init`.
    New(commands::new::Args),
    /// Push the manifest's functions to a running fnhost through its Lambda API (SigV4).
    Deploy(commands::deploy::Args),
}

/// Exit status for a function that ran and failed.
const EXIT_FUNCTION_ERROR: u8 = 1;
/// Exit status for errors before a function could run (bad manifest, wasm, event...).
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FNHOST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let result = runtime.block_on(async move {
        let globals = project::Globals {
            manifest: cli.manifest,
            state_dir: cli.state_dir,
            store: cli.store,
        };
        match cli.command {
            Command::Up(args) => commands::up::run(&globals, *args).await,
            Command::Build(args) => commands::build::run(&globals, args).await,
            Command::Invoke(args) => commands::invoke::run(&globals, args).await,
            Command::GenerateEvent(args) => commands::generate_event::run(args),
            Command::DeadLetters(args) => commands::dead_letters::run(&globals, args).await,
            Command::Logs(args) => commands::logs::run(&globals, args).await,
            Command::Usage(args) => commands::usage::run(&globals, args).await,
            Command::New(args) => commands::new::run(&globals, args),
            Command::Deploy(args) => commands::deploy::run(&globals, args).await,
        }
    });
    // Background work still running (a Python package being compiled for an upload) must not
    // hold the exit: it is resumed at the next start.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_FUNCTION_ERROR),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// clap's own checks (unique short flags across global and subcommand arguments, among
    /// others), which release builds skip at run time.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
