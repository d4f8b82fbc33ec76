//! A function's `runtime` and `handler`: Lambda's runtime names, and for the source runtimes
//! (`python3.x`, `nodejs…`) the handler setting and the rule that fnhost packages `code`
//! itself, so `source` and `build` do not apply.

use std::path::{Path, PathBuf};

use fnhost_core::runtimes::Runtime;
use toml::Spanned;

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// Where fnhost packages a source-runtime function in state directory `state_dir`:
/// `<state_dir>/packages/<name>.wasm`.
pub fn packaged_source(state_dir: &Path, name: &str) -> PathBuf {
    state_dir.join("packages").join(format!("{name}.wasm"))
}

/// `runtime` (default `wasm`) and `handler` (the runtime's default for a source runtime, none
/// otherwise) of function `function`; for a source runtime, `source` and `build` are refused.
pub(crate) fn validate(
    function: &str,
    table: &mut raw::Function,
    src: &Source<'_>,
) -> Result<(Runtime, Option<String>), ManifestError> {
    let runtime = match table.runtime.take() {
        None => Runtime::Wasm,
        Some(name) => {
            name.get_ref()
                .parse::<Runtime>()
                .map_err(|e| ManifestError::UnknownRuntime {
                    at: src.at(name.span()),
                    function: function.to_owned(),
                    message: e.to_string(),
                })?
        }
    };
    let Some(language) = runtime.language() else {
        if let Some(handler) = &table.handler {
            return Err(ManifestError::HandlerWithoutSourceRuntime {
                at: src.at(handler.span()),
                function: function.to_owned(),
                runtime: runtime.to_string(),
            });
        }
        return Ok((runtime, None));
    };
    let prebuilt = |field: &'static str, span: std::ops::Range<usize>| {
        ManifestError::PrebuiltFieldWithSourceRuntime {
            at: src.at(span),
            function: function.to_owned(),
            runtime: runtime.to_string(),
            field,
        }
    };
    if let Some(source) = &table.source {
        return Err(prebuilt("source", source.span()));
    }
    if let Some(build) = &table.build {
        return Err(prebuilt("build", build.span()));
    }
    let handler = match table.handler.take() {
        None => runtime.default_handler().unwrap_or_default().to_owned(),
        Some(handler) => {
            let (span, handler) = (handler.span(), Spanned::into_inner(handler));
            if let Err(e) = language.split_handler(&handler) {
                return Err(ManifestError::InvalidHandler {
                    at: src.at(span),
                    function: function.into(),
                    handler: handler.into(),
                    reason: e.message.into(),
                    example: runtime.default_handler().unwrap_or_default(),
                });
            }
            handler
        }
    };
    Ok((runtime, Some(handler)))
}
