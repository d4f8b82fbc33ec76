//! [`ManifestError`]: everything that can be wrong with a manifest, each as one line of text.

use std::fmt;
use std::path::PathBuf;

/// Where in the manifest an error is: `fnhost.toml:7` (or `fnhost.toml:7:12`, or `fnhost.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The manifest file, as given to [`Manifest::load`](crate::Manifest::load) or `parse`.
    pub file: PathBuf,
    /// 1-based line, when the error points at one.
    pub line: Option<u32>,
    /// 1-based column in characters; only syntax errors carry one.
    pub column: Option<u32>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// Two `s3` triggers that would both fire for some object, as
/// [`ManifestError::OverlappingS3Triggers`] names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Overlap {
    /// The bucket.
    pub bucket: String,
    /// The later trigger's function.
    pub function: String,
    /// The later trigger, as shown (events, prefix, suffix).
    pub trigger: String,
    /// The earlier trigger's function.
    pub other_function: String,
    /// The earlier trigger, as shown.
    pub other_trigger: String,
    /// The earlier trigger's line.
    pub other_line: usize,
}

/// Why a manifest could not be loaded, or a function not found in it.
///
/// Every message is one line: where (`fnhost.toml:7`), what (the value in backticks) and how
/// to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest file could not be read.
    #[error("cannot read `{}`: {error}", path.display())]
    Read {
        /// The file we tried to read.
        path: PathBuf,
        /// What the operating system said; part of the message, so not a `source`.
        error: std::io::Error,
    },

    /// The file is not valid TOML.
    #[error("{at}: invalid TOML: {message}")]
    Syntax {
        /// Line and column of the first error.
        at: Location,
        /// toml's description, on one line.
        message: String,
    },

    /// The file has no `manifest_version`.
    #[error("{at}: missing `manifest_version`; add `manifest_version = 1` as the first line")]
    MissingVersion {
        /// The file.
        at: Location,
    },

    /// `manifest_version` is not an integer.
    #[error(
        "{at}: manifest_version = `{value}` is not a version number; write `manifest_version = 1`"
    )]
    InvalidVersion {
        /// The `manifest_version` line.
        at: Location,
        /// The value as written.
        value: String,
    },

    /// `manifest_version` names a version this fnhost does not read.
    #[error(
        "{at}: unsupported manifest_version `{value}`; this fnhost reads {}",
        versions(crate::SUPPORTED_VERSIONS)
    )]
    UnsupportedVersion {
        /// The `manifest_version` line.
        at: Location,
        /// The value as written.
        value: String,
    },

    /// A key the schema does not know (usually a typo).
    #[error("{at}: unknown field {}; expected {}{}", unknown_field(.path), list(.expected, "one of "), did_you_mean(.suggestion))]
    UnknownField {
        /// The key's line.
        at: Location,
        /// The keys leading to it, e.g. `["function", "hello", "memroy_mb"]` (unquoted).
        path: Vec<String>,
        /// The keys allowed there.
        expected: Vec<String>,
        /// The closest allowed key, if one is close.
        suggestion: Option<String>,
    },

    /// A value of the wrong type (string for number, ...), as reported by the TOML reader.
    #[error("{at}: {what}: {message}")]
    Invalid {
        /// The value's line.
        at: Location,
        /// The value's place, e.g. ``function `hello`: memory_mb``.
        what: String,
        /// What was wrong and what was expected.
        message: String,
    },

    /// A required field is missing.
    #[error("{at}: {what}: missing `{field}`; add `{example}`")]
    MissingField {
        /// The line of the table that lacks the field.
        at: Location,
        /// The table, e.g. ``function `hello` ``.
        what: String,
        /// The missing key.
        field: &'static str,
        /// A line to add.
        example: String,
    },

    /// A function name breaks Lambda's naming rule.
    #[error("{at}: invalid function name `{name}`; use 1 to 64 letters, digits, `-` or `_`")]
    InvalidName {
        /// The name's line.
        at: Location,
        /// The name as written.
        name: String,
    },

    /// A function's `url` is not valid (an unknown `auth`, `cors` past Lambda's limits).
    #[error("{at}: function `{function}`: url: {reason}")]
    InvalidUrl {
        /// The `url` key's (or the bad value's) line.
        at: Location,
        /// The function.
        function: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A number outside its allowed range.
    #[error("{at}: function `{function}`: {field} = `{value}` is out of range; {fix}")]
    OutOfRange {
        /// The value's line.
        at: Location,
        /// The function.
        function: Box<str>,
        /// The key: `memory_mb`, `timeout_s`, `fuel`, `reserved_concurrency`, `async.retries`
        /// or `async.max_event_age_s`.
        field: &'static str,
        /// The value as written.
        value: Box<str>,
        /// The allowed range and what the key means, written where the key is checked.
        fix: Box<str>,
    },

    /// `source` does not name a `.wasm` or `.wat` file.
    #[error(
        "{at}: function `{function}`: source = `{path}` is not a `.wasm` or `.wat` file; point it at the compiled module or component"
    )]
    InvalidSource {
        /// The `source` line.
        at: Location,
        /// The function.
        function: String,
        /// The path as written.
        path: String,
    },

    /// `build` has an empty command.
    #[error(
        "{at}: function `{function}`: build command is empty; write the command that produces `source`, or remove `build`"
    )]
    EmptyBuildCommand {
        /// The command's line.
        at: Location,
        /// The function.
        function: String,
    },

    /// A `build.watch` entry is not a valid glob.
    #[error(
        "{at}: function `{function}`: watch glob `{glob}` is invalid at character {position} ({reason}); fix the pattern, e.g. `src/**/*.rs`"
    )]
    InvalidWatchGlob {
        /// The glob's line.
        at: Location,
        /// The function.
        function: String,
        /// The glob as written.
        glob: String,
        /// 0-based character index of the problem.
        position: usize,
        /// What the glob parser said.
        reason: &'static str,
    },

    /// An env key that is not a valid variable name.
    #[error(
        "{at}: function `{function}`: env key `{key}` is invalid; use at least two characters, start with a letter and use only letters, digits and `_`"
    )]
    InvalidEnvKey {
        /// The key's line.
        at: Location,
        /// The function.
        function: String,
        /// The key as written.
        key: String,
    },

    /// An env key that the Lambda runtime or fnhost sets itself.
    #[error("{at}: function `{function}`: env key `{key}` is reserved by {owner}; rename it")]
    ReservedEnvKey {
        /// The key's line.
        at: Location,
        /// The function.
        function: String,
        /// The key as written.
        key: String,
        /// Who sets it: `the Lambda runtime` or `fnhost`.
        owner: &'static str,
    },

    /// The env map is larger than Lambda allows.
    #[error(
        "{at}: function `{function}`: env of `{size}` bytes exceeded the 4KB limit ({} bytes of JSON); shorten or remove variables",
        crate::ENV_MAX_BYTES
    )]
    EnvTooLarge {
        /// The `env` line.
        at: Location,
        /// The function.
        function: String,
        /// Size of the JSON-serialised map.
        size: usize,
    },

    /// A route that is not a valid path pattern.
    #[error("{at}: function `{function}`: invalid route `{route}`: {error}")]
    InvalidRoute {
        /// The `route` line.
        at: Location,
        /// The function.
        function: String,
        /// The route as written.
        route: String,
        /// What is wrong with it and how to fix it; part of the message, so not a `source`.
        error: RouteError,
    },

    /// A route under [`RESERVED_PREFIX`](crate::RESERVED_PREFIX), which fnhost serves itself.
    #[error(
        "{at}: function `{function}`: route `{route}` is under `/.well-known/fnhost/`, which fnhost keeps for its own endpoints (health checks); choose another path"
    )]
    ReservedRoute {
        /// The `route` line.
        at: Location,
        /// The function.
        function: String,
        /// The route as written.
        route: String,
    },

    /// A `methods` entry that is not a method fnhost routes.
    #[error(
        "{at}: function `{function}`: http method `{method}` is not supported; use `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or `ANY`{}",
        did_you_mean(.suggestion)
    )]
    InvalidMethod {
        /// The method's line.
        at: Location,
        /// The function.
        function: String,
        /// The method as written.
        method: String,
        /// The closest supported method, if one is close.
        suggestion: Option<String>,
    },

    /// `methods = []`.
    #[error(
        "{at}: function `{function}`: `methods` is empty; list at least one, e.g. `methods = [\"GET\"]`, or remove `methods` to accept any"
    )]
    EmptyMethods {
        /// The `methods` line.
        at: Location,
        /// The function.
        function: String,
    },

    /// A method listed twice, in any mix of case.
    #[error("{at}: function `{function}`: http method `{method}` is listed twice; remove one")]
    DuplicateMethod {
        /// The second occurrence's line.
        at: Location,
        /// The function.
        function: String,
        /// The method, upper-case.
        method: String,
    },

    /// `ANY` listed next to another method, which it already includes.
    #[error(
        "{at}: function `{function}`: `methods` lists `ANY` and `{method}`, but `ANY` already accepts every method; keep only `ANY` or only the others"
    )]
    RedundantAny {
        /// The `methods` line.
        at: Location,
        /// The function.
        function: String,
        /// One of the other methods, upper-case.
        method: String,
    },

    /// `payload` is neither `"1.0"` nor `"2.0"`.
    #[error(
        "{at}: function `{function}`: payload = `{value}` is not a payload format; use `\"2.0\"` (HTTP API, the default) or `\"1.0\"` (REST API)"
    )]
    InvalidPayload {
        /// The `payload` line.
        at: Location,
        /// The function.
        function: String,
        /// The value as written, without quotes.
        value: String,
    },

    /// Two routes, in one function or two, that would both match some request.
    ///
    /// The texts are `Box<str>` rather than `String` to keep `ManifestError` small.
    #[error(
        "{at}: route `{route}` of function `{function}` conflicts with `{other_route}` of function `{other_function}` (line {other_line}); change the path or the methods of one of them"
    )]
    RouteConflict {
        /// The later route's line.
        at: Location,
        /// The later route's function.
        function: Box<str>,
        /// The later route: methods and path, e.g. `GET /users/{id}`.
        route: Box<str>,
        /// The earlier route's function.
        other_function: Box<str>,
        /// The earlier route.
        other_route: Box<str>,
        /// The earlier route's line.
        other_line: usize,
    },

    /// A `[[route]]`'s `function` is not `NAME` or `NAME:QUALIFIER`.
    #[error("{at}: route: function = `{target}` is invalid: {error}")]
    InvalidTarget {
        /// The `function` line.
        at: Location,
        /// The value as written.
        target: String,
        /// What is wrong and how to fix it; part of the message, so not a `source`.
        error: crate::target::TargetError,
    },

    /// A `[[route]]` names, without a qualifier, a function the manifest does not declare.
    #[error(
        "{at}: route: function = `{name}`: no function `{name}` in the manifest{}; declare [function.{name}], or, to route to a function uploaded through the Lambda API, name its alias or version, e.g. `{name}:live` or `{name}:$LATEST`",
        did_you_mean(.suggestion)
    )]
    UnknownRouteFunction {
        /// The `function` line.
        at: Location,
        /// The name as written.
        name: String,
        /// The closest declared function, if one is close.
        suggestion: Option<String>,
    },

    /// A `[[route]]` names a version, or an undeclared alias, of a manifest function.
    ///
    /// The texts are `Box<str>` rather than `String` to keep `ManifestError` small.
    #[error(
        "{at}: route: function = `{target}`: function `{function}` of the manifest has no {what}; {fix}"
    )]
    UnknownQualifier {
        /// The `function` line.
        at: Location,
        /// The value as written.
        target: Box<str>,
        /// The function.
        function: Box<str>,
        /// What it lacks.
        what: Box<str>,
        /// How to fix it.
        fix: Box<str>,
    },

    /// `auto_publish_alias` is not an alias name.
    #[error(
        "{at}: function `{function}`: auto_publish_alias = `{name}` is not an alias name; use 1 to 128 letters, digits, `-` or `_`, not all digits, e.g. `live`"
    )]
    InvalidAliasName {
        /// The value's line.
        at: Location,
        /// The function.
        function: String,
        /// The value as written.
        name: String,
    },

    /// A number in `[http]` outside its allowed range.
    #[error("{at}: http.{field} = `{value}` is out of range; {fix}")]
    ServerOutOfRange {
        /// The value's line.
        at: Location,
        /// The key, e.g. `max_concurrency`.
        field: &'static str,
        /// The value as written.
        value: String,
        /// The allowed range and what the key means.
        fix: Box<str>,
    },

    /// `[http] listen` is not an `ip:port` socket address.
    #[error(
        "{at}: http.listen = `{value}` is not a socket address; write an IP address and a port, e.g. `127.0.0.1:8080` or `[::1]:8080`"
    )]
    InvalidListen {
        /// The `listen` line.
        at: Location,
        /// The value as written, without quotes.
        value: String,
    },

    /// A `[bucket.NAME]` whose name breaks S3's bucket naming rule.
    #[error("{at}: invalid bucket name `{name}`; {reason} (S3's naming rule)")]
    InvalidBucketName {
        /// The name's line.
        at: Location,
        /// The name as written.
        name: String,
        /// Which part of the rule it breaks, phrased as the fix.
        reason: &'static str,
    },

    /// A bucket's `path` is empty.
    #[error(
        "{at}: bucket `{bucket}`: path is empty; write the directory that holds its objects, e.g. `path = \"data/{bucket}\"`"
    )]
    EmptyBucketPath {
        /// The `path` line.
        at: Location,
        /// The bucket.
        bucket: String,
    },

    /// A bucket's directory is the manifest's own directory or one of its parents, where fnhost
    /// keeps its state and builds.
    #[error(
        "{at}: bucket `{bucket}`: path = `{path}` contains the manifest's directory, where fnhost keeps its state and builds; use a subdirectory, e.g. `path = \"data/{bucket}\"`"
    )]
    BucketContainsManifest {
        /// The `path` line.
        at: Location,
        /// The bucket.
        bucket: String,
        /// The path as written.
        path: String,
    },

    /// Two buckets whose directories are the same or nested (compared after resolving `.` and
    /// `..`, without looking at the filesystem).
    #[error(
        "{at}: bucket `{bucket}`: path = `{path}` {overlap} bucket `{other_bucket}` (path = `{other_path}`, line {other_line}); give each bucket its own directory, neither inside the other"
    )]
    OverlappingBuckets {
        /// The later bucket's `path` line.
        at: Location,
        /// The later bucket.
        bucket: Box<str>,
        /// Its path as written.
        path: Box<str>,
        /// How its directory relates to the other's.
        overlap: BucketOverlap,
        /// The earlier bucket.
        other_bucket: Box<str>,
        /// Its path as written.
        other_path: Box<str>,
        /// Its `path` line.
        other_line: u32,
    },

    /// A bucket `ignore` entry that is not a valid file-name pattern.
    #[error(
        "{at}: bucket `{bucket}`: ignore pattern `{pattern}` {reason}; fix the pattern, e.g. `*.tmp`"
    )]
    InvalidIgnorePattern {
        /// The pattern's line.
        at: Location,
        /// The bucket.
        bucket: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },

    /// `objects` or an `s3` trigger names a bucket that no `[bucket.NAME]` declares.
    ///
    /// The texts are boxed to keep `ManifestError` small.
    #[error(
        "{at}: function `{function}`: {field} names unknown bucket `{bucket}`{}; declared buckets: {}; declare it with `[bucket.{bucket}]` and `path = \"data/{bucket}\"`",
        did_you_mean(&crate::spelling::closest(.bucket, .known)),
        list_or_none(.known)
    )]
    UnknownBucket {
        /// The bucket name's line.
        at: Location,
        /// The function.
        function: Box<str>,
        /// Where it was named: `objects.read`, `objects.write` or `s3.bucket`.
        field: &'static str,
        /// The name as written.
        bucket: Box<str>,
        /// The buckets the manifest declares; the message suggests the closest one.
        known: Box<[String]>,
    },

    /// An `s3` trigger's `events` entry that is not an event type fnhost delivers.
    #[error(
        "{at}: function `{function}`: s3 event `{event}` is not supported; use `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `s3:ObjectCreated:Copy`, `s3:ObjectRemoved:*` or `s3:ObjectRemoved:Delete`{}",
        did_you_mean(.suggestion)
    )]
    InvalidS3Event {
        /// The event's line.
        at: Location,
        /// The function.
        function: String,
        /// The event as written.
        event: String,
        /// The closest supported event, if one is close.
        suggestion: Option<String>,
    },

    /// `events = []` in an `s3` trigger.
    #[error(
        "{at}: function `{function}`: s3 `events` is empty; list at least one, e.g. `events = [\"s3:ObjectCreated:*\"]`, or remove `events` for that default"
    )]
    EmptyS3Events {
        /// The `events` line.
        at: Location,
        /// The function.
        function: String,
    },

    /// An `s3` trigger lists an event type twice, or one that another entry already includes.
    #[error(
        "{at}: function `{function}`: s3 event `{event}` overlaps `{other}`, listed before it in the same `events`; remove one"
    )]
    RedundantS3Event {
        /// The later entry's line.
        at: Location,
        /// The function.
        function: String,
        /// The later entry, e.g. `s3:ObjectCreated:Put`.
        event: String,
        /// The earlier entry, e.g. `s3:ObjectCreated:*`.
        other: String,
    },

    /// An `s3` trigger `prefix` starting with `/`, which no key does.
    #[error(
        "{at}: function `{function}`: s3 prefix `{prefix}` starts with `/`, but keys are relative to the bucket's directory; write `{}`",
        .prefix.trim_start_matches('/')
    )]
    AbsoluteS3Prefix {
        /// The `prefix` line.
        at: Location,
        /// The function.
        function: String,
        /// The prefix as written.
        prefix: String,
    },

    /// Two `s3` triggers on one bucket that would both fire for some object (S3's overlap rule).
    #[error(
        "{at}: s3 trigger of function `{}` ({}) overlaps the one of function `{}` (line {}: {}) on bucket `{}`: both would fire for some object; S3 rejects this too: make the prefixes or suffixes disjoint",
        .overlap.function, .overlap.trigger, .overlap.other_function, .overlap.other_line,
        .overlap.other_trigger, .overlap.bucket
    )]
    OverlappingS3Triggers {
        /// The later trigger's `bucket` line.
        at: Location,
        /// The two triggers.
        overlap: Box<S3Overlap>,
    },

    /// A `schedule` expression that EventBridge would not accept.
    #[error("{at}: function `{function}`: invalid schedule expression `{expression}`: {reason}")]
    InvalidSchedule {
        /// The `expression` line.
        at: Location,
        /// The function.
        function: String,
        /// The expression as written.
        expression: String,
        /// What the schedule parser said.
        reason: String,
    },

    /// A `schedule` name that breaks EventBridge's rule-name rule.
    #[error(
        "{at}: function `{function}`: invalid schedule name `{name}`; use 1 to 64 letters, digits, `.`, `-` or `_`"
    )]
    InvalidScheduleName {
        /// The `name` line.
        at: Location,
        /// The function.
        function: String,
        /// The name as written.
        name: String,
    },

    /// Two schedules with the same name, given or defaulted.
    #[error(
        "{at}: schedule name `{name}` of function `{function}` is already used by a schedule of function `{other_function}` (line {other_line}); schedule names are unique across the manifest: give one of them another `name`"
    )]
    DuplicateScheduleName {
        /// The later schedule's `expression` line.
        at: Location,
        /// The name both have.
        name: Box<str>,
        /// The later schedule's function.
        function: Box<str>,
        /// The earlier schedule's function.
        other_function: Box<str>,
        /// The earlier schedule's `expression` line.
        other_line: usize,
    },

    /// A `schedule` `input` that is not JSON text.
    #[error(
        "{at}: function `{function}`: schedule input is not JSON ({reason}); write JSON text, e.g. `input = '{{\"job\":\"cleanup\"}}'`, or remove `input` to pass the Scheduled Event"
    )]
    InvalidScheduleInput {
        /// The `input` line.
        at: Location,
        /// The function.
        function: String,
        /// What the JSON parser said.
        reason: String,
    },

    /// A `[layer.NAME]` whose name breaks Lambda's layer naming rule.
    #[error("{at}: invalid layer name `{name}`; use 1 to 140 letters, digits, `-` or `_`")]
    InvalidLayerName {
        /// The name's line.
        at: Location,
        /// The name as written.
        name: String,
    },

    /// A layer's `path` is empty.
    #[error(
        "{at}: layer `{layer}`: path is empty; write the directory or `.zip` that holds its files, e.g. `path = \"layers/{layer}\"`"
    )]
    EmptyLayerPath {
        /// The `path` line.
        at: Location,
        /// The layer.
        layer: String,
    },

    /// A function's `code` is empty.
    #[error(
        "{at}: function `{function}`: code is empty; write the directory or `.zip` of the function's files (seen at /var/task), or remove `code`"
    )]
    EmptyCode {
        /// The `code` line.
        at: Location,
        /// The function.
        function: String,
    },

    /// A function's `runtime` is not one of Lambda's runtime names (or `wasm`).
    #[error("{at}: function `{function}`: {message}")]
    UnknownRuntime {
        /// The `runtime` line.
        at: Location,
        /// The function.
        function: String,
        /// What is wrong, with the accepted names.
        message: String,
    },

    /// `source` or `build` on a function whose runtime fnhost packages from `code`.
    #[error(
        "{at}: function `{function}`: runtime `{runtime}` is packaged by fnhost from `code`, so `{field}` does not apply; remove `{field}` (or set `runtime = \"wasm\"` to run a prebuilt component)"
    )]
    PrebuiltFieldWithSourceRuntime {
        /// The offending key's line.
        at: Location,
        /// The function.
        function: String,
        /// The runtime, as Lambda names it.
        runtime: String,
        /// `source` or `build`.
        field: &'static str,
    },

    /// `handler` on a function that runs a prebuilt component.
    #[error(
        "{at}: function `{function}`: `handler` applies to the python3.x and nodejs runtimes, not `{runtime}`; remove it, or set `runtime` (e.g. `runtime = \"python3.14\"`) and `code` to have fnhost package the source"
    )]
    HandlerWithoutSourceRuntime {
        /// The `handler` line.
        at: Location,
        /// The function.
        function: String,
        /// The runtime, as written or defaulted (`wasm`).
        runtime: String,
    },

    /// A `handler` that Lambda's runtime cannot split into a module and a function.
    ///
    /// The texts are boxed to keep `ManifestError` small.
    #[error(
        "{at}: function `{function}`: handler `{handler}` is malformed ({reason}); write MODULE.FUNCTION, e.g. `{example}`"
    )]
    InvalidHandler {
        /// The `handler` line.
        at: Location,
        /// The function.
        function: Box<str>,
        /// The handler as written.
        handler: Box<str>,
        /// Lambda's words for it.
        reason: Box<str>,
        /// The runtime's default handler.
        example: &'static str,
    },

    /// A function's `layers` names a layer that no `[layer.NAME]` declares.
    ///
    /// The texts are boxed to keep `ManifestError` small.
    #[error(
        "{at}: function `{function}`: layers names unknown layer `{layer}`{}; declared layers: {}; declare it with `[layer.{layer}]` and `path = \"layers/{layer}\"`",
        did_you_mean(&crate::spelling::closest(.layer, .known)),
        list_or_none(.known)
    )]
    UnknownLayer {
        /// The layer name's line.
        at: Location,
        /// The function.
        function: Box<str>,
        /// The name as written.
        layer: Box<str>,
        /// The layers the manifest declares; the message suggests the closest one.
        known: Box<[String]>,
    },

    /// A function's `layers` lists more than Lambda's limit.
    #[error(
        "{at}: function `{function}`: layers lists {count} layers, but a function can use at most {}; merge some layers into one",
        fnhost_core::limits::MAX_LAYERS
    )]
    TooManyLayers {
        /// The `layers` line.
        at: Location,
        /// The function.
        function: String,
        /// How many it lists.
        count: usize,
    },

    /// A function's `layers` lists one layer twice.
    #[error("{at}: function `{function}`: layer `{layer}` is listed twice in `layers`; remove one")]
    DuplicateLayer {
        /// The second occurrence's line.
        at: Location,
        /// The function.
        function: String,
        /// The layer.
        layer: String,
    },

    /// An `invoke` entry that is not a valid function name.
    #[error(
        "{at}: function `{function}`: invoke names `{name}`, which is not a function name; use 1 to 64 letters, digits, `-` or `_` (the name of a function in fnhost.toml or an uploaded one)"
    )]
    InvalidInvokeName {
        /// The entry's line.
        at: Location,
        /// The function.
        function: String,
        /// The entry as written.
        name: String,
    },

    /// A number in `[cluster]` outside its allowed range.
    #[error("{at}: cluster.{field} = `{value}` is out of range; {fix}")]
    ClusterOutOfRange {
        /// The value's line.
        at: Location,
        /// The key, e.g. `lease_s`.
        field: &'static str,
        /// The value as written.
        value: String,
        /// The allowed range and what the key means.
        fix: Box<str>,
    },

    /// A `[store] url` that names neither a PostgreSQL database nor an SQLite file.
    #[error("{at}: store.url = `{value}` is not a store URL; {fix}")]
    InvalidStoreUrl {
        /// The value's line.
        at: Location,
        /// The value as written, any password left out.
        value: String,
        /// What is accepted.
        fix: Box<str>,
    },

    /// A number in `[events]` outside its allowed range.
    #[error("{at}: events.{field} = `{value}` is out of range; {fix}")]
    EventsOutOfRange {
        /// The value's line.
        at: Location,
        /// The key, e.g. `workers`.
        field: &'static str,
        /// The value as written.
        value: String,
        /// The allowed range and what the key means.
        fix: Box<str>,
    },

    /// [`Manifest::function`](crate::Manifest::function) was asked for a name the manifest lacks.
    #[error("no function `{name}` in {}; known functions: {}{}", file.display(), list(.known, ""), did_you_mean(.suggestion))]
    UnknownFunction {
        /// The name asked for.
        name: String,
        /// The manifest file.
        file: PathBuf,
        /// The functions it declares.
        known: Vec<String>,
        /// The closest known name, if one is close.
        suggestion: Option<String>,
    },
}

/// How one bucket's directory overlaps another's, in [`ManifestError::OverlappingBuckets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketOverlap {
    /// Both are the same directory.
    Same,
    /// It is inside the other's directory.
    Inside,
    /// It contains the other's directory.
    Contains,
}

/// `is the same directory as`, `is inside the directory of`, `contains the directory of`.
impl fmt::Display for BucketOverlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BucketOverlap::Same => "is the same directory as",
            BucketOverlap::Inside => "is inside the directory of",
            BucketOverlap::Contains => "contains the directory of",
        })
    }
}

/// `` `memroy_mb` in function `hello` `` for the key path `function.hello.memroy_mb`.
fn unknown_field(path: &[String]) -> String {
    let Some((field, section)) = path.split_last() else {
        return "``".to_owned();
    };
    let section = match section {
        [] => "at the top level".to_owned(),
        [table, name] if table == "function" => format!("in function `{name}`"),
        [table, name, rest @ ..] if table == "function" => {
            format!("in `{}` of function `{name}`", rest.join("."))
        }
        _ => format!("in `[{}]`", section.join(".")),
    };
    format!("`{field}` {section}")
}

/// `` `a`, `b`, `c` ``, with `many` (e.g. `one of `) in front when there is more than one.
fn list(items: &[String], many: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.len() {
        0 => "nothing".to_owned(),
        1 => quoted[0].clone(),
        _ => format!("{many}{}", quoted.join(", ")),
    }
}

/// `` `a`, `b` ``, or `none` for an empty list.
fn list_or_none(items: &[String]) -> String {
    match items {
        [] => "none".to_owned(),
        _ => list(items, ""),
    }
}

fn did_you_mean<S: AsRef<str>>(suggestion: &Option<S>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{}`?)", s.as_ref()))
        .unwrap_or_default()
}

fn versions(supported: &[i64]) -> String {
    let numbers: Vec<String> = supported.iter().map(i64::to_string).collect();
    match numbers.len() {
        1 => format!("version {}", numbers[0]),
        _ => format!("versions {}", numbers.join(", ")),
    }
}

/// Why a route is not a valid [`RoutePattern`](crate::RoutePattern); each message says how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The route is the empty string.
    #[error("route is empty; write `/` for the root or a path such as `/hello`")]
    Empty,
    /// The route does not start with `/`.
    #[error("a route starts with `/`; write `/{route}`")]
    NoLeadingSlash {
        /// The route as written.
        route: String,
    },
    /// Two `/` in a row.
    #[error("empty segment (`//`); remove the extra `/`")]
    EmptySegment,
    /// A `/` at the end of a route other than `/`.
    #[error("trailing `/`; remove it (only the root route `/` ends with `/`)")]
    TrailingSlash,
    /// A `.` or `..` segment, which clients resolve away before sending the path.
    #[error("segment `{segment}` never reaches the server (clients resolve it away); remove it")]
    DotSegment {
        /// `.` or `..`.
        segment: String,
    },
    /// A literal segment with a character that cannot be matched literally.
    #[error("segment `{segment}` contains {}", forbidden(*.character))]
    ForbiddenCharacter {
        /// The segment as written.
        segment: String,
        /// The first offending character.
        character: char,
    },
    /// `{...}` whose name is empty or not made of letters, digits and `_`.
    #[error("parameter `{segment}` needs a name of letters, digits and `_`, e.g. `{{id}}`")]
    InvalidParamName {
        /// The segment as written, braces included.
        segment: String,
    },
    /// `{name+}` before the last segment.
    #[error("`{segment}` matches the rest of the path, so it must be the last segment")]
    ProxyNotLast {
        /// The segment as written.
        segment: String,
    },
    /// Two parameters with the same name.
    #[error("parameter `{name}` appears twice; give each parameter its own name")]
    DuplicateParam {
        /// The repeated name.
        name: String,
    },
}

/// The rest of a [`RouteError::ForbiddenCharacter`] message: the character and the fix.
fn forbidden(character: char) -> String {
    match character {
        '?' => "`?`; a route matches the path only, so remove the query string".to_owned(),
        '#' => "`#`; a route matches the path only, so remove the fragment".to_owned(),
        '*' => "`*`; to match the rest of the path, end the route with `{name+}`".to_owned(),
        '{' | '}' => {
            format!("`{character}`; a parameter is a whole segment, e.g. `/users/{{id}}`")
        }
        c if c.is_whitespace() => "whitespace; remove it".to_owned(),
        c => format!("`{}`; remove it", c.escape_debug()),
    }
}
