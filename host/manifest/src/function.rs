//! [`FunctionConfig`]: one validated `[function.NAME]` table, with defaults applied and paths
//! made absolute.

use fnhost_core::outbound::AllowedHosts;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use fnhost_core::runtimes::Runtime;
use toml::Spanned;

use crate::bucket::{BucketConfig, ObjectGrants};
use crate::delivery::AsyncConfig;
use crate::error::ManifestError;
use crate::http::HttpRoute;
use crate::layer::LayerConfig;
use crate::raw;
use crate::runtime::packaged_source;
use crate::s3::S3Trigger;
use crate::schedule::ScheduleTrigger;
use crate::source::Source;

pub use fnhost_core::limits::{
    DEFAULT_EPHEMERAL_MB, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, MAX_EPHEMERAL_MB, MAX_MEMORY_MB,
    MAX_TIMEOUT_S, MIN_EPHEMERAL_MB, MIN_MEMORY_MB, MIN_TIMEOUT_S,
};

/// Smallest `reserved_concurrency`.
pub const MIN_RESERVED_CONCURRENCY: u32 = 1;
/// Largest `reserved_concurrency` (Lambda's default account-wide limit).
pub const MAX_RESERVED_CONCURRENCY: u32 = 1000;

/// A function as it runs: what one `[function.NAME]` table declares, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    /// The `NAME` in `[function.NAME]`: 1–64 of `[A-Za-z0-9_-]`.
    pub name: String,
    /// Free text for listings.
    pub description: Option<String>,
    /// The `.wasm` (core module or component) or `.wat` file; absolute. For a source runtime,
    /// where fnhost packages `code`: [`packaged_source`](crate::packaged_source) in the default
    /// state directory (`.fnhost/` beside the manifest), which the CLI moves under
    /// `--state-dir`.
    pub source: PathBuf,
    /// How to produce `source`, if fnhost should build it (never for a source runtime).
    pub build: Option<BuildConfig>,
    /// The runtime (`runtime`, default `wasm`: a prebuilt component). For `python3.x` and
    /// `nodejs…` fnhost packages `code` itself (every `python3.x` runs its embedded CPython
    /// 3.14, every `nodejs…` QuickJS).
    pub runtime: Runtime,
    /// Lambda's handler setting for a source runtime (`handler`, default
    /// `lambda_function.lambda_handler` or `index.handler`); `None` for a prebuilt component.
    pub handler: Option<String>,
    /// Memory limit in MB, `MIN_MEMORY_MB..=MAX_MEMORY_MB`.
    pub memory_mb: u32,
    /// Wall-clock limit per invocation in seconds, `MIN_TIMEOUT_S..=MAX_TIMEOUT_S`.
    pub timeout_s: u32,
    /// Fuel budget per invocation; `None` means not metered.
    pub fuel: Option<u64>,
    /// The most instances of this function that may run at once, within the server's
    /// `max_concurrency`; `None` means only the server's limit applies.
    pub reserved_concurrency: Option<u32>,
    /// Environment variables the guest sees (besides the ones fnhost sets).
    pub env: BTreeMap<String, String>,
    /// The HTTP routes that invoke it, in manifest order; empty when it has none.
    pub http: Vec<HttpRoute>,
    /// The buckets it may read and write; none unless `objects` is given.
    pub objects: ObjectGrants,
    /// How its asynchronous invocations are retried and expired (`async`).
    pub async_config: AsyncConfig,
    /// The file-watch triggers that invoke it, in manifest order; empty when it has none.
    pub s3: Vec<S3Trigger>,
    /// The schedules that invoke it, in manifest order; empty when it has none.
    pub schedules: Vec<ScheduleTrigger>,
    /// Size of its per-invocation `/tmp` in MB (`ephemeral_storage_mb`, 512–10240).
    pub ephemeral_storage_mb: u32,
    /// Its own files, seen read-only at `/var/task` (`code`); absolute.
    pub code: Option<PathBuf>,
    /// The `[layer.NAME]`s it uses (`layers`), resolved, in order: later ones override earlier
    /// files in `/opt`.
    pub layers: Vec<LayerConfig>,
    /// The functions it may invoke (`invoke`).
    pub invoke: Vec<String>,
    /// Where its outbound HTTP requests may go (`allowed_outbound_hosts`); empty denies all.
    pub allowed_outbound_hosts: AllowedHosts,
    /// Its function URL on the HTTP listener (`url`), when it has one.
    pub url: Option<crate::url::FunctionUrlConfig>,
    /// The alias that follows its code (`auto_publish_alias`, SAM's `AutoPublishAlias`):
    /// locally it names the current code (`$LATEST`); `fnhost deploy` publishes a version
    /// when the code or configuration changed and points the alias at it.
    pub auto_publish_alias: Option<String>,
}

/// How to build a function's `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildConfig {
    /// Shell command line.
    pub command: String,
    /// Directory to run it in; absolute (the manifest's directory unless `workdir` is given).
    pub workdir: PathBuf,
    /// Globs, relative to the manifest's directory and as written, whose changes make the
    /// build stale; empty when not given.
    pub watch: Vec<String>,
}

/// Validate one function table; `dir` is the manifest's (absolute) directory and `buckets` the
/// ones it declares.
pub(crate) fn validate(
    name: &Spanned<String>,
    table: Spanned<raw::Function>,
    dir: &Path,
    buckets: &BTreeMap<String, BucketConfig>,
    layers: &BTreeMap<String, LayerConfig>,
    src: &Source<'_>,
) -> Result<FunctionConfig, ManifestError> {
    let (table_span, mut table) = (table.span(), table.into_inner());
    let name_text = name.get_ref().clone();
    if !is_valid_name(&name_text) {
        return Err(ManifestError::InvalidName {
            at: src.at(name.span()),
            name: name_text,
        });
    }
    let environment = crate::layer::validate_function(&name_text, &mut table, dir, layers, src)?;
    let (runtime, handler) = crate::runtime::validate(&name_text, &mut table, src)?;
    let source = if runtime.language().is_some() {
        // fnhost packages `code`: it is required, and the component goes to the state dir.
        if environment.code.is_none() {
            return Err(ManifestError::MissingField {
                at: src.at(table_span),
                what: format!("function `{name_text}` (runtime `{runtime}`)"),
                field: "code",
                example: format!("code = \"functions/{name_text}\""),
            });
        }
        packaged_source(&dir.join(".fnhost"), &name_text)
    } else {
        let source = table.source.ok_or_else(|| ManifestError::MissingField {
            at: src.at(table_span),
            what: format!("function `{name_text}`"),
            field: "source",
            example: format!("source = \"path/to/{name_text}.wasm\""),
        })?;
        let is_wasm = matches!(
            Path::new(source.get_ref())
                .extension()
                .and_then(|e| e.to_str()),
            Some("wasm" | "wat")
        );
        if !is_wasm {
            return Err(ManifestError::InvalidSource {
                at: src.at(source.span()),
                function: name_text,
                path: source.into_inner(),
            });
        }
        dir.join(source.get_ref())
    };

    let build = table
        .build
        .map(|build| validate_build(&name_text, build, dir, src))
        .transpose()?;
    let memory = MIN_MEMORY_MB..=MAX_MEMORY_MB;
    let memory_mb = in_range(&name_text, "memory_mb", table.memory_mb, memory, src)?;
    let timeout = MIN_TIMEOUT_S..=MAX_TIMEOUT_S;
    let timeout_s = in_range(&name_text, "timeout_s", table.timeout_s, timeout, src)?;
    let fuel = in_range(&name_text, "fuel", table.fuel, 1..=u64::MAX, src)?;
    let reserved = MIN_RESERVED_CONCURRENCY..=MAX_RESERVED_CONCURRENCY;
    let reserved_concurrency = in_range(
        &name_text,
        "reserved_concurrency",
        table.reserved_concurrency,
        reserved,
        src,
    )?;
    let env = crate::env::validate(&name_text, table.env, src)?;
    let http = crate::http::validate_routes(&name_text, table.http.0, src)?;
    let objects = crate::bucket::validate_grants(&name_text, table.objects, buckets, src)?;
    let async_config = crate::delivery::validate_async(&name_text, table.async_, src)?;
    let s3 = crate::s3::validate_triggers(&name_text, table.s3.0, buckets, src)?;
    let schedules = crate::schedule::validate_triggers(&name_text, table.schedule.0, src)?;
    let allowed_outbound_hosts =
        crate::network::validate_allowed_hosts(&name_text, table.allowed_outbound_hosts, src)?;
    let url = crate::url::validate(&name_text, table.url, src)?;
    let auto_publish_alias = match table.auto_publish_alias {
        Some(alias) if !crate::target::is_alias_name(alias.get_ref()) => {
            return Err(ManifestError::InvalidAliasName {
                at: src.at(alias.span()),
                function: name_text,
                name: alias.into_inner(),
            });
        }
        alias => alias.map(Spanned::into_inner),
    };
    let ephemeral = MIN_EPHEMERAL_MB..=MAX_EPHEMERAL_MB;
    let ephemeral_storage_mb = in_range(
        &name_text,
        "ephemeral_storage_mb",
        table.ephemeral_storage_mb,
        ephemeral,
        src,
    )?;

    Ok(FunctionConfig {
        source,
        name: name_text,
        description: table.description,
        build,
        runtime,
        handler,
        memory_mb: memory_mb.unwrap_or(DEFAULT_MEMORY_MB),
        timeout_s: timeout_s.unwrap_or(DEFAULT_TIMEOUT_S),
        fuel,
        reserved_concurrency,
        env,
        http,
        objects,
        async_config,
        s3,
        schedules,
        ephemeral_storage_mb: ephemeral_storage_mb.unwrap_or(DEFAULT_EPHEMERAL_MB),
        code: environment.code,
        layers: environment.layers,
        invoke: environment.invoke,
        allowed_outbound_hosts,
        url,
        auto_publish_alias,
    })
}

fn validate_build(
    function: &str,
    build: Spanned<raw::Build>,
    dir: &Path,
    src: &Source<'_>,
) -> Result<BuildConfig, ManifestError> {
    let span = build.span();
    let table = match build.into_inner() {
        raw::Build::Command(command) => raw::BuildTable {
            command: Some(Spanned::new(span.clone(), command)),
            workdir: None,
            watch: Vec::new(),
        },
        raw::Build::Table(table) => table,
    };
    let command = table.command.ok_or_else(|| ManifestError::MissingField {
        at: src.at(span),
        what: format!("function `{function}`: build"),
        field: "command",
        example: format!("command = \"cargo build --target wasm32-wasip2 -p {function}\""),
    })?;
    if command.get_ref().trim().is_empty() {
        let at = src.at(command.span());
        return Err(ManifestError::EmptyBuildCommand {
            at,
            function: function.to_owned(),
        });
    }
    for glob in &table.watch {
        if let Err(error) = glob::Pattern::new(glob.get_ref()) {
            return Err(ManifestError::InvalidWatchGlob {
                at: src.at(glob.span()),
                function: function.to_owned(),
                glob: glob.get_ref().clone(),
                position: error.pos,
                reason: error.msg,
            });
        }
    }
    Ok(BuildConfig {
        command: command.into_inner(),
        workdir: table
            .workdir
            .map_or_else(|| dir.to_owned(), |w| dir.join(w)),
        watch: table.watch.into_iter().map(Spanned::into_inner).collect(),
    })
}

/// `None` when absent, the value when inside `range`, otherwise an "out of range" error.
fn in_range<T: TryFrom<i64> + PartialOrd>(
    function: &str,
    field: &'static str,
    value: Option<Spanned<raw::Integer>>,
    range: RangeInclusive<T>,
    src: &Source<'_>,
) -> Result<Option<T>, ManifestError> {
    let Some(value) = value else { return Ok(None) };
    match T::try_from(value.get_ref().0) {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(ManifestError::OutOfRange {
            at: src.at(value.span()),
            function: function.into(),
            field,
            value: src.as_written(value.span()).into(),
            fix: range_fix(field).into(),
        }),
    }
}

/// How to fix an out-of-range `field` of a function table, for [`ManifestError::OutOfRange`].
fn range_fix(field: &str) -> String {
    match field {
        "memory_mb" => format!(
            "use {MIN_MEMORY_MB} to {MAX_MEMORY_MB} \
             (MB, Lambda's limits; wasm32 guests can use at most 4096)"
        ),
        "timeout_s" => format!("use {MIN_TIMEOUT_S} to {MAX_TIMEOUT_S} (seconds, Lambda's limits)"),
        "reserved_concurrency" => format!(
            "use {MIN_RESERVED_CONCURRENCY} to {MAX_RESERVED_CONCURRENCY} \
             (instances of this function running at once), or remove it to share the server's limit"
        ),
        "fuel" => "use a positive number, or remove `fuel` to run unmetered".to_owned(),
        "ephemeral_storage_mb" => format!(
            "use {MIN_EPHEMERAL_MB} to {MAX_EPHEMERAL_MB} (MB of /tmp per invocation, Lambda's limits)"
        ),
        other => format!("`{other}` has no range here"),
    }
}

/// Lambda's rule: 1 to 64 of `[A-Za-z0-9_-]`, which also keeps names safe as path segments.
fn is_valid_name(name: &str) -> bool {
    crate::target::is_function_name(name)
}
