//! Errors that stop a function from loading or an event from being run.

use std::path::PathBuf;

/// Everything that can go wrong before a guest runs. Guest failures are not errors: they are
/// [`crate::Outcome`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The wasm file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not WebAssembly (nor WAT text).
    #[error("`{path}` is not WebAssembly: {reason}")]
    NotWasm {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Validation or compilation failed.
    #[error("`{path}` failed to compile: {reason}")]
    Compile {
        /// The file.
        path: PathBuf,
        /// wasmtime's explanation, one line.
        reason: String,
    },
    /// The module or component needs something fnhost does not provide, or exports nothing
    /// fnhost can call.
    #[error("`{path}` cannot run on fnhost: {reason}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Which import or export is the problem and what fnhost expects.
        reason: String,
    },
    /// The state directory could not be written.
    #[error("cannot write the artifact cache in `{path}`: {source}")]
    Cache {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The wasmtime engine could not be created.
    #[error("cannot create the wasm engine: {0}")]
    Engine(String),
    /// The event is not valid JSON (Lambda's `InvalidRequestContentException`).
    #[error("could not parse request body into json: {0}")]
    InvalidEvent(String),
    /// The event is larger than the synchronous payload limit.
    #[error("request must be smaller than {limit} bytes for the InvokeFunction operation")]
    EventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

/// One line from a wasmtime error chain (wasmtime's Display can span lines).
pub(crate) fn one_line(err: &wasmtime::Error) -> String {
    let text = format!("{err:#}");
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
