//! Lambda's runtime names, and what fnhost runs for each.
//!
//! Every `python3.x` name Lambda has used (`python3.6` … `python3.14`) runs fnhost's embedded
//! CPython 3.14 (componentize-py's build for WASI), and every `nodejs*` name (`nodejs`,
//! `nodejs4.3` … `nodejs24.x`) runs QuickJS: fnhost packages the source itself. `wasm` (the
//! default) and `provided`, `provided.al2`, `provided.al2023` take a prebuilt WebAssembly
//! component, as Lambda's OS-only runtimes take a prebuilt `bootstrap`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The CPython every `python3.x` runtime runs (embedded by componentize-py).
pub const EMBEDDED_PYTHON: &str = "3.14";

/// The Python minor versions Lambda has offered as `python3.x`.
const PYTHON_MINORS: &[u32] = &[6, 7, 8, 9, 10, 11, 12, 13, 14];

/// The Node.js major versions Lambda has offered, with the suffix of each name: `nodejs` (0.10),
/// `nodejs4.3`, `nodejs6.10`, `nodejs8.10`, then `nodejsN.x`.
const NODE_MAJORS: &[(u32, &str)] = &[
    (0, ""),
    (4, "4.3"),
    (6, "6.10"),
    (8, "8.10"),
    (10, "10.x"),
    (12, "12.x"),
    (14, "14.x"),
    (16, "16.x"),
    (18, "18.x"),
    (20, "20.x"),
    (22, "22.x"),
    (24, "24.x"),
];

/// Lambda's OS-only runtimes; fnhost takes a prebuilt `.wasm` for them.
const PROVIDED: &[&str] = &["provided", "provided.al2", "provided.al2023"];

/// A function's runtime, by its Lambda name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Runtime {
    /// `python3.<minor>`: Python source, run by fnhost's embedded CPython 3.14 whatever the minor.
    Python {
        /// The minor version of the name (`12` for `python3.12`).
        minor: u32,
    },
    /// `nodejs…`: JavaScript source, run by QuickJS whatever the major.
    Node {
        /// The major version of the name (`22` for `nodejs22.x`, `0` for `nodejs`).
        major: u32,
    },
    /// `wasm`: a prebuilt WebAssembly component (fnhost's own name, the default).
    Wasm,
    /// `provided`, `provided.al2` or `provided.al2023`: a prebuilt WebAssembly component too.
    Provided(String),
}

/// The source languages fnhost packages itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceLanguage {
    /// Python modules, packaged with componentize-py.
    Python,
    /// JavaScript (ES modules or CommonJS), packaged with componentize-qjs.
    Node,
}

impl SourceLanguage {
    /// `Python` or `Node.js`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            SourceLanguage::Python => "Python",
            SourceLanguage::Node => "Node.js",
        }
    }
}

impl fmt::Display for SourceLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A runtime name that is not one of Lambda's (or `wasm`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown runtime `{name}`: {hint}use {ACCEPTED}")]
pub struct RuntimeNameError {
    /// The name as written.
    pub name: String,
    hint: &'static str,
}

/// The accepted forms, for error messages.
const ACCEPTED: &str = "`python3.6` … `python3.14` (all run CPython 3.14), `nodejs`, `nodejs4.3`, \
     `nodejs6.10`, `nodejs8.10`, `nodejs10.x` … `nodejs24.x` (even majors; all run QuickJS), \
     `wasm` (a prebuilt component, the default) or `provided`, `provided.al2`, `provided.al2023` \
     (a prebuilt component too)";

impl Runtime {
    /// The language fnhost packages from source: `Some` for `python3.x` and `nodejs…`, `None` for
    /// the prebuilt-component runtimes.
    pub fn language(&self) -> Option<SourceLanguage> {
        match self {
            Runtime::Python { .. } => Some(SourceLanguage::Python),
            Runtime::Node { .. } => Some(SourceLanguage::Node),
            Runtime::Wasm | Runtime::Provided(_) => None,
        }
    }

    /// Lambda's default handler setting for a source runtime: `lambda_function.lambda_handler`
    /// (the console's Python template) or `index.handler`.
    pub fn default_handler(&self) -> Option<&'static str> {
        match self.language()? {
            SourceLanguage::Python => Some("lambda_function.lambda_handler"),
            SourceLanguage::Node => Some("index.handler"),
        }
    }

    /// Whether Lambda has deprecated the name (python3.8 and older, nodejs16.x and older,
    /// `provided` on Amazon Linux 1). fnhost still runs them, on the same interpreters as the
    /// current names.
    pub fn deprecated(&self) -> bool {
        match self {
            Runtime::Python { minor } => *minor <= 8,
            Runtime::Node { major } => *major <= 16,
            Runtime::Provided(name) => name == "provided",
            Runtime::Wasm => false,
        }
    }

    /// Every accepted name, oldest first per family.
    pub fn all() -> impl Iterator<Item = Runtime> {
        let python = PYTHON_MINORS.iter().map(|&minor| Runtime::Python { minor });
        let node = NODE_MAJORS
            .iter()
            .map(|&(major, _)| Runtime::Node { major });
        let provided = PROVIDED.iter().map(|p| Runtime::Provided((*p).to_owned()));
        python
            .chain(node)
            .chain(std::iter::once(Runtime::Wasm))
            .chain(provided)
    }
}

/// A handler setting Lambda's runtime cannot split into a module and a function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MalformedHandler {
    /// Lambda's text (`Bad handler 'x': not enough values to unpack (expected 2, got 1)` in
    /// Python, `Bad handler` in Node.js), reported with `Runtime.MalformedHandlerName`.
    pub message: String,
}

impl SourceLanguage {
    /// Lambda's split of a handler setting into the module, as a path relative to the code
    /// without its extension (`pkg/app`, `src/app`), and the function (possibly dotted in
    /// Node.js).
    ///
    /// Python (awslambdaric) splits at the last `.` and reads `/` in the module as `.`
    /// (`pkg/app.handler` and `pkg.app.handler` both import `pkg.app`); the module returned has
    /// `/` for either. Node.js (the runtime interface client) splits at the first `.` after
    /// the last `/` (`src/app.main`, `lib/app.handlers.get`) and refuses `..` anywhere.
    pub fn split_handler(self, handler: &str) -> Result<(String, String), MalformedHandler> {
        match self {
            SourceLanguage::Python => {
                let bad = |detail: &str| MalformedHandler {
                    message: format!("Bad handler '{handler}': {detail}"),
                };
                let (module, function) = handler
                    .rsplit_once('.')
                    .ok_or_else(|| bad("not enough values to unpack (expected 2, got 1)"))?;
                if module.is_empty() || function.is_empty() {
                    return Err(bad("empty module or function name"));
                }
                Ok((module.replace('.', "/"), function.to_owned()))
            }
            SourceLanguage::Node => {
                let bad = |message: &str| MalformedHandler {
                    message: message.to_owned(),
                };
                if handler.contains("..") {
                    return Err(bad("'../' not allowed in handler name"));
                }
                let start = handler.rfind('/').map_or(0, |slash| slash + 1);
                let (root, base) = handler.split_at(start);
                match base.split_once('.') {
                    Some((module, function)) if !module.is_empty() && !function.is_empty() => {
                        Ok((format!("{root}{module}"), function.to_owned()))
                    }
                    _ => Err(bad("Bad handler")),
                }
            }
        }
    }
}

impl Default for Runtime {
    /// `wasm`: a prebuilt component.
    fn default() -> Self {
        Runtime::Wasm
    }
}

impl FromStr for Runtime {
    type Err = RuntimeNameError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let unknown = |hint| RuntimeNameError {
            name: name.to_owned(),
            hint,
        };
        if name == "wasm" {
            return Ok(Runtime::Wasm);
        }
        if PROVIDED.contains(&name) {
            return Ok(Runtime::Provided(name.to_owned()));
        }
        if let Some(suffix) = name.strip_prefix("python3.") {
            // `python3.012` parses as 12 but is not a Lambda name: compare the text back.
            return PYTHON_MINORS
                .iter()
                .find(|m| m.to_string() == suffix)
                .map(|&minor| Runtime::Python { minor })
                .ok_or_else(|| unknown(""));
        }
        if let Some(suffix) = name.strip_prefix("nodejs") {
            return NODE_MAJORS
                .iter()
                .find(|(_, s)| *s == suffix)
                .map(|&(major, _)| Runtime::Node { major })
                .ok_or_else(|| unknown(""));
        }
        let hint = if name.starts_with("python2") {
            "Python 2 does not run in fnhost; "
        } else if ["java", "dotnet", "ruby", "go1"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            "fnhost packages Python and JavaScript from source; for other languages build a \
             WebAssembly component and "
        } else {
            ""
        };
        Err(unknown(hint))
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runtime::Python { minor } => write!(f, "python3.{minor}"),
            Runtime::Node { major } => {
                let suffix = NODE_MAJORS
                    .iter()
                    .find(|(m, _)| m == major)
                    .map(|(_, s)| (*s).to_owned())
                    .unwrap_or_else(|| format!("{major}.x"));
                write!(f, "nodejs{suffix}")
            }
            Runtime::Wasm => f.write_str("wasm"),
            Runtime::Provided(name) => f.write_str(name),
        }
    }
}

impl TryFrom<String> for Runtime {
    type Error = RuntimeNameError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl From<Runtime> for String {
    fn from(runtime: Runtime) -> String {
        runtime.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        let names: Vec<String> = Runtime::all().map(|r| r.to_string()).collect();
        for name in &names {
            let runtime: Runtime = name.parse().unwrap();
            assert_eq!(&runtime.to_string(), name);
        }
        for expected in [
            "python3.6",
            "python3.9",
            "python3.12",
            "python3.14",
            "nodejs",
            "nodejs4.3",
            "nodejs6.10",
            "nodejs8.10",
            "nodejs10.x",
            "nodejs22.x",
            "nodejs24.x",
            "wasm",
            "provided",
            "provided.al2",
            "provided.al2023",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing");
        }
    }

    #[test]
    fn parses_into_languages_and_handlers() {
        let py: Runtime = "python3.12".parse().unwrap();
        assert_eq!(py, Runtime::Python { minor: 12 });
        assert_eq!(py.language(), Some(SourceLanguage::Python));
        assert_eq!(py.default_handler(), Some("lambda_function.lambda_handler"));

        let node: Runtime = "nodejs22.x".parse().unwrap();
        assert_eq!(node, Runtime::Node { major: 22 });
        assert_eq!(node.language(), Some(SourceLanguage::Node));
        assert_eq!(node.default_handler(), Some("index.handler"));

        for prebuilt in ["wasm", "provided", "provided.al2023"] {
            let r: Runtime = prebuilt.parse().unwrap();
            assert_eq!(r.language(), None, "{prebuilt}");
            assert_eq!(r.default_handler(), None, "{prebuilt}");
        }
        assert_eq!(Runtime::default(), Runtime::Wasm);
    }

    #[test]
    fn deprecation_follows_lambda() {
        let deprecated = |name: &str| name.parse::<Runtime>().unwrap().deprecated();
        assert!(deprecated("python3.6"));
        assert!(deprecated("python3.8"));
        assert!(!deprecated("python3.9"));
        assert!(!deprecated("python3.14"));
        assert!(deprecated("nodejs"));
        assert!(deprecated("nodejs4.3"));
        assert!(deprecated("nodejs16.x"));
        assert!(!deprecated("nodejs18.x"));
        assert!(!deprecated("nodejs24.x"));
        assert!(deprecated("provided"));
        assert!(!deprecated("provided.al2"));
        assert!(!deprecated("provided.al2023"));
        assert!(!deprecated("wasm"));
    }

    #[test]
    fn unknown_names_list_the_accepted_forms() {
        for bad in [
            "python3.15",
            "python3.5",
            "python3.012",
            "python3.",
            "python3",
            "nodejs22",
            "nodejs23.x",
            "nodejs4.3-edge",
            "Python3.12",
            "java21",
            "python2.7",
            "",
        ] {
            let err = bad.parse::<Runtime>().unwrap_err();
            assert_eq!(err.name, bad);
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("unknown runtime `{bad}`: ")),
                "{text}"
            );
            assert!(text.contains("`python3.6` … `python3.14`"), "{text}");
            assert!(text.contains("`nodejs10.x` … `nodejs24.x`"), "{text}");
            assert!(text.contains("`provided.al2023`"), "{text}");
        }
        let java = "java21".parse::<Runtime>().unwrap_err().to_string();
        assert!(java.contains("build a WebAssembly component"), "{java}");
        let py2 = "python2.7".parse::<Runtime>().unwrap_err().to_string();
        assert!(py2.contains("Python 2 does not run"), "{py2}");
    }

    #[test]
    fn handlers_split_as_lambda_splits_them() {
        let py = |h: &str| SourceLanguage::Python.split_handler(h);
        let node = |h: &str| SourceLanguage::Node.split_handler(h);
        let pair = |m: &str, f: &str| Ok((m.to_owned(), f.to_owned()));
        assert_eq!(
            py("lambda_function.lambda_handler"),
            pair("lambda_function", "lambda_handler")
        );
        assert_eq!(py("pkg/app.handler"), pair("pkg/app", "handler"));
        assert_eq!(py("pkg.app.handler"), pair("pkg/app", "handler"));
        assert_eq!(
            py("handler").unwrap_err().message,
            "Bad handler 'handler': not enough values to unpack (expected 2, got 1)"
        );
        assert!(py(".handler").is_err() && py("app.").is_err());

        assert_eq!(node("index.handler"), pair("index", "handler"));
        assert_eq!(node("src/app.main"), pair("src/app", "main"));
        assert_eq!(
            node("lib.v2/app.handlers.get"),
            pair("lib.v2/app", "handlers.get")
        );
        assert_eq!(node("index").unwrap_err().message, "Bad handler");
        assert_eq!(node("src/.handler").unwrap_err().message, "Bad handler");
        assert_eq!(
            node("../index.handler").unwrap_err().message,
            "'../' not allowed in handler name"
        );
    }

    #[test]
    fn serde_uses_the_lambda_name() {
        let json = serde_json::to_string(&Runtime::Node { major: 20 }).unwrap();
        assert_eq!(json, "\"nodejs20.x\"");
        let back: Runtime = serde_json::from_str("\"python3.13\"").unwrap();
        assert_eq!(back, Runtime::Python { minor: 13 });
        assert!(serde_json::from_str::<Runtime>("\"cobol\"").is_err());
    }
}
