//! [`ManifestError`]: everything that can be wrong with a manifest, each as one line of text.

use std::fmt;
use std::path::PathBuf;

use crate::http::RouteError;

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

    /// The manifest declares no functions.
    #[error(
        "{at}: no functions; add one: `[function.hello]` followed by `source = \"hello.wasm\"`"
    )]
    NoFunctions {
        /// The file.
        at: Location,
    },

    /// A function name breaks Lambda's naming rule.
    #[error("{at}: invalid function name `{name}`; use 1 to 64 letters, digits, `-` or `_`")]
    InvalidName {
        /// The name's line.
        at: Location,
        /// The name as written.
        name: String,
    },

    /// A number outside its allowed range.
    #[error("{at}: function `{function}`: {field} = `{value}` is out of range; {}", crate::function::range_fix(.field))]
    OutOfRange {
        /// The value's line.
        at: Location,
        /// The function.
        function: String,
        /// The key: `memory_mb`, `timeout_s`, `fuel` or `reserved_concurrency`.
        field: &'static str,
        /// The value as written.
        value: String,
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
        "{at}: function `{function}`: env key `{key}` is invalid; start with a letter and use only letters, digits and `_`"
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

    /// A number in `[http]` outside its allowed range.
    #[error("{at}: http.{field} = `{value}` is out of range; {}", crate::http::server_range_fix(.field))]
    ServerOutOfRange {
        /// The value's line.
        at: Location,
        /// The key, e.g. `max_concurrency`.
        field: &'static str,
        /// The value as written.
        value: String,
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

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

fn versions(supported: &[i64]) -> String {
    let numbers: Vec<String> = supported.iter().map(i64::to_string).collect();
    match numbers.len() {
        1 => format!("version {}", numbers[0]),
        _ => format!("versions {}", numbers.join(", ")),
    }
}
