//! `fnhost.toml`: the versioned manifest that declares functions, their limits and how to build
//! them.
//!
//! Reading happens in two layers. `raw` holds serde structs that mirror what the user wrote
//! for one `manifest_version`, with unknown fields rejected; validation then turns them into the
//! types the host runs ([`Manifest`], [`FunctionConfig`], [`BuildConfig`]) with defaults applied
//! and paths made absolute. Every error is one line that names the file and line, the offending
//! value and a fix ([`ManifestError`]).
//!
//! A new section (e.g. `[bucket.NAME]`) gets a raw struct in `raw`, a validated type in its
//! own module and a field on [`Manifest`]; a new function field goes into `raw::Function` and
//! `function::validate`.

mod env;
mod error;
mod function;
mod manifest;
mod raw;
mod source;
mod spelling;

pub use env::{ENV_MAX_BYTES, is_reserved_env};
pub use error::{Location, ManifestError};
pub use function::{
    BuildConfig, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, FunctionConfig, MAX_MEMORY_MB,
    MAX_TIMEOUT_S, MIN_MEMORY_MB, MIN_TIMEOUT_S,
};
pub use manifest::{MANIFEST_FILE, Manifest, SUPPORTED_VERSIONS};
