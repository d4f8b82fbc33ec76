//! `fnhost.toml`: the versioned manifest that declares functions, their limits and how to build
//! them, the buckets they use and the triggers that invoke them.
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
//! Buckets are `[bucket.NAME]` tables ([`BucketConfig`]): an S3-valid name for a directory of
//! objects, no two directories the same or nested, with file-name patterns of temporary files to
//! ignore. A function's `objects` ([`ObjectGrants`]) names the buckets it may read and write, and
//! its `async` table ([`AsyncConfig`]) how failed asynchronous invocations are retried. File-watch
//! triggers are `[[function.NAME.s3]]` tables ([`S3Trigger`]: a bucket, [`S3EventType`]s, a key
//! prefix and suffix), checked across the manifest with S3's own rule that no two triggers on a
//! bucket fire for the same object. Schedule triggers are `[[function.NAME.schedule]]` tables
//! ([`ScheduleTrigger`]): an EventBridge `rate(...)` or `cron(...)` expression parsed by
//! `fnhost_schedule`, a rule name unique across the manifest, and optional constant JSON input.
//! The top-level `[events]` table ([`EventsConfig`]) says how file events are detected and
//! delivered. Layers are `[layer.NAME]` tables ([`LayerConfig`]: a directory or `.zip` of files
//! merged into a function's read-only `/opt`); a function lists up to five in `layers`, names its
//! own files for `/var/task` in `code`, sizes its `/tmp` with `ephemeral_storage_mb` and names
//! the functions it may call in `invoke`. A function's `runtime` ([`Runtime`], default `wasm`)
//! is one of Lambda's names: for `python3.x` and `nodejs…` fnhost packages `code` itself with
//! `handler`, so such a function has no `source` or `build`.
//!
//! ```
//! # use std::path::Path;
//! # use fnhost_manifest::{Manifest, S3EventType};
//! let text = r#"
//! manifest_version = 1
//!
//! [bucket.uploads]
//! path = "data/uploads"
//!
//! [function.thumbnail]
//! source = "thumbnail.wasm"
//! objects = { read = ["uploads"] }
//!
//! [[function.thumbnail.s3]]
//! bucket = "uploads"
//! suffix = ".png"
//!
//! [[function.thumbnail.schedule]]
//! expression = "rate(1 hour)"
//! "#;
//! let manifest = Manifest::parse(text, Path::new("/proj/fnhost.toml"))?;
//! assert_eq!(manifest.buckets["uploads"].path, Path::new("/proj/data/uploads"));
//! let thumbnail = manifest.function("thumbnail")?;
//! assert!(thumbnail.objects.can_read("uploads"));
//! assert_eq!(thumbnail.s3[0].events, [S3EventType::CreatedAll]);
//! assert!(thumbnail.s3[0].matches("ObjectCreated:Put", "cats/tom.png"));
//! assert_eq!(thumbnail.schedules[0].name, "thumbnail-1");
//! # Ok::<(), fnhost_manifest::ManifestError>(())
//! ```
//!
//! Top-level `[[route]]` tables ([`RouteConfig`]) are HTTP routes that name their function,
//! optionally qualified as Lambda qualifies an ARN ([`FunctionTarget`]): `function =
//! "hello:live"` runs, per request, the version alias `live` names; a name the manifest does
//! not declare is an upload, and must be qualified. A function's `auto_publish_alias` is
//! SAM's `AutoPublishAlias`.
//!
//! A new section (e.g. `[bucket.NAME]`) gets a raw struct in `raw`, a validated type in its
//! own module and a field on [`Manifest`]; a new function field goes into `raw::Function` and
//! `function::validate`. Checks that span functions (route conflicts, s3 overlaps, schedule
//! names) run in `Manifest::parse` once every function is valid.

mod bucket;
mod cluster;
mod delivery;
mod env;
mod error;
mod function;
mod http;
mod layer;
mod manifest;
mod network;
mod raw;
mod routes;
mod runtime;
mod s3;
mod schedule;
mod source;
mod spelling;
mod store;
mod target;
mod url;

pub use bucket::{BucketConfig, ObjectGrants};
pub use cluster::ClusterConfig;
pub use delivery::{AsyncConfig, EventsConfig};
pub use store::StoreConfig;

pub use env::{ENV_MAX_BYTES, is_reserved_env};
pub use error::{BucketOverlap, Location, ManifestError, S3Overlap};
pub use fnhost_core::outbound::{AllowedHosts, NetworkSettings};
pub use fnhost_core::runtimes::{Runtime, SourceLanguage};
pub use function::{
    BuildConfig, DEFAULT_EPHEMERAL_MB, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, FunctionConfig,
    MAX_EPHEMERAL_MB, MAX_MEMORY_MB, MAX_RESERVED_CONCURRENCY, MAX_TIMEOUT_S, MIN_EPHEMERAL_MB,
    MIN_MEMORY_MB, MIN_RESERVED_CONCURRENCY, MIN_TIMEOUT_S,
};
pub use http::{
    HttpRoute, HttpServerConfig, Methods, PayloadFormat, RESERVED_PREFIX, RouteError, RoutePattern,
    Segment,
};
pub use layer::LayerConfig;
pub use manifest::{MANIFEST_FILE, Manifest, SUPPORTED_VERSIONS};
pub use routes::RouteConfig;
pub use runtime::packaged_source;
pub use s3::{S3EventType, S3Trigger};
pub use schedule::ScheduleTrigger;
pub use target::{FunctionTarget, LATEST, Qualifier, TargetError, is_alias_name};
pub use url::{
    FunctionUrlConfig, MAX_CORS_HEADER_LEN, MAX_CORS_ITEMS, MAX_CORS_MAX_AGE, MAX_CORS_METHOD_LEN,
    MAX_CORS_METHODS, MAX_CORS_ORIGIN_LEN, URL_ID_LEN, UnknownAuthType, UrlAuthType, UrlCors,
    is_url_id, url_id_for,
};
