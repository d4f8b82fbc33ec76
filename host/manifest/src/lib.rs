//! `fnhost.toml`: the versioned manifest that declares functions, their limits and how to build
//! them.
//!
//! Reading happens in two layers. `raw` holds serde structs that mirror what the user wrote
//! for one `manifest_version`, with unknown fields rejected; validation then turns them into the
//! types the host runs ([`Manifest`], [`FunctionConfig`], [`BuildConfig`]) with defaults applied
//! and paths made absolute. Every error is one line that names the file and line, the offending
//! value and a fix ([`ManifestError`]).
//!
//! HTTP triggers are `[[function.NAME.http]]` tables ([`HttpRoute`]: a [`RoutePattern`], its
//! [`Methods`] and [`PayloadFormat`]), checked across the whole manifest so that no two routes
//! claim the same request; the top-level `[http]` table configures the server
//! ([`HttpServerConfig`]). [`RoutePattern::parse`] works without a manifest.
//!
//! A new section (e.g. `[bucket.NAME]`) gets a raw struct in `raw`, a validated type in its
//! own module and a field on [`Manifest`]; a new function field goes into `raw::Function` and
//! `function::validate`.

mod env;
mod error;
mod function;
mod http;
mod manifest;
mod raw;
mod source;
mod spelling;

pub use env::{ENV_MAX_BYTES, is_reserved_env};
pub use error::{Location, ManifestError};
pub use function::{
    BuildConfig, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, FunctionConfig, MAX_MEMORY_MB,
    MAX_RESERVED_CONCURRENCY, MAX_TIMEOUT_S, MIN_MEMORY_MB, MIN_RESERVED_CONCURRENCY,
    MIN_TIMEOUT_S,
};
pub use http::{
    HttpRoute, HttpServerConfig, Methods, PayloadFormat, RESERVED_PREFIX, RouteError, RoutePattern,
    Segment,
};
pub use manifest::{MANIFEST_FILE, Manifest, SUPPORTED_VERSIONS};
