//! Why packaging failed.

use std::path::PathBuf;

/// Why a function's source could not be packaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The handler setting names a module that is not in the code, or is malformed: what Lambda
    /// reports on the first invocation, found before any tool runs.
    #[error("{error_type}: {message}")]
    HandlerNotFound {
        /// Lambda's error type: `Runtime.ImportModuleError` or `Runtime.MalformedHandlerName`.
        error_type: String,
        /// Lambda's text, e.g. `Unable to import module 'lambda_function': No module named
        /// 'lambda_function'`.
        message: String,
    },
    /// A program packaging needs is not installed.
    #[error("`{tool}` is not installed: {install}")]
    ToolMissing {
        /// The program (`python3`, `node`, `npm`, `bash`, …).
        tool: String,
        /// What to install, in a sentence.
        install: String,
    },
    /// A packaging tool or a dependency could not be downloaded.
    #[error(
        "cannot download {what} from {registry}: are you offline? fnhost installs it once, on \
         first use, into `{tools_dir}`; connect to the internet and retry ({detail})"
    )]
    Offline {
        /// What was being downloaded (`componentize-py 0.25.1`).
        what: String,
        /// Where from (`PyPI`, `the npm registry`).
        registry: String,
        /// The tools directory it goes to.
        tools_dir: PathBuf,
        /// The installer's own words.
        detail: String,
    },
    /// The packaging script failed (a bundling error, a dependency that cannot run, …).
    #[error("packaging failed: {message}")]
    Failed {
        /// What the script reported (its error lines).
        message: String,
    },
    /// A file or directory could not be read, written or run.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
}

impl PackageError {
    /// An [`PackageError::Io`] with what was being done.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PackageError {
        let what = what.into();
        move |e| PackageError::Io(what, e)
    }
}
