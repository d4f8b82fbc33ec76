//! The fast tier for Node.js functions: no componentize per function.
//!
//! One generic runtime component (`guest-sdk/js/generic.js`) serves every Node.js function. It
//! is built once per embedded SDK into `<tools>/sdk-<fingerprint>/js-runtime/runtime.wasm`
//! (`package.sh --generic`), so the host compiles it once for all functions. Per function,
//! [`prepare`] only bundles the code with esbuild (`package.sh --prepare`: the same module
//! resolution, AWS SDK aliasing and layer paths as the full packaging) into
//! `<dir of Request::out>/js-runtime/<hash>/function.js`; the host mounts that directory at
//! `/var/runtime`, where the generic runtime reads and evaluates the bundle at each event. The
//! hash covers the code, the handler, the layers' Node.js packages and the SDK, so an unchanged
//! function reuses its directory, and a directory, once written, never changes.

use std::path::PathBuf;
use std::time::Instant;

use fnhost_core::runtimes::SourceLanguage;

use crate::fast::image_sha256;
use crate::{PackageError, Packager, Prepared, Request, sdk};

/// The line `package.sh --prepare` ends with, before the directory it prepared.
const RUNTIME_DIR_LINE: &str = "fnhost: runtime dir ";

/// Blocking. The generic runtime component and the function's bundle directory for `request`,
/// or `None` for a language other than Node.js. Builds the generic component on first use
/// (seconds, once per SDK version); afterwards this costs one esbuild run, or only hashing the
/// code when it was bundled before.
pub(crate) fn prepare(
    packager: &Packager,
    request: &Request,
    progress: &dyn Fn(&str),
) -> Result<Option<Prepared>, PackageError> {
    if request.language != SourceLanguage::Node {
        return Ok(None);
    }
    crate::packager::check_code(request)?;
    packager.check_tools(SourceLanguage::Node)?;
    let started = Instant::now();
    let runtime_dir = bundle(packager, request, progress)?;
    let image = generic_image(packager, progress)?;
    let sha256 = image_sha256(&image).map_err(PackageError::io(format!(
        "cannot hash the generic JavaScript runtime in `{}`",
        image.display()
    )))?;
    tracing::info!(
        code = %request.code.display(),
        handler = %request.handler,
        runtime_dir = %runtime_dir.display(),
        ms = started.elapsed().as_millis() as u64,
        "prepared for the generic JavaScript runtime"
    );
    Ok(Some(Prepared {
        wasm: image.join("runtime.wasm"),
        sha256,
        compiled_dir: image.join("compiled"),
        lang_dir: None,
        runtime_dir: Some(runtime_dir),
    }))
}

/// Where the generic JavaScript runtime of this fnhost is (or will be) built: `runtime.wasm`
/// (and `runtime.sha256`, `compiled/`) inside.
pub(crate) fn image_dir(packager: &Packager) -> PathBuf {
    packager
        .tools_dir()
        .join(format!("sdk-{}", packager.fingerprint()))
        .join("js-runtime")
}

/// Blocking. The generic runtime's directory, built if missing (also installs the npm tools on
/// first use): one build at a time between processes (a lock on `<tools>/.js-runtime.lock`);
/// the directory is complete once it exists (renamed into place). A host may call this at
/// start so that the first Node.js deploy does not wait for it.
pub(crate) fn generic_image(
    packager: &Packager,
    progress: &dyn Fn(&str),
) -> Result<PathBuf, PackageError> {
    packager.build_image(
        SourceLanguage::Node,
        &image_dir(packager),
        progress,
        |command, staging| {
            command.arg("--generic").arg(staging.join("runtime.wasm"));
        },
    )
}

/// Run `package.sh --prepare`: the directory holding the function's bundle.
fn bundle(
    packager: &Packager,
    request: &Request,
    progress: &dyn Fn(&str),
) -> Result<PathBuf, PackageError> {
    let root = match request.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join("js-runtime"),
        _ => PathBuf::from("js-runtime"),
    };
    let sdk = sdk::extract(packager.tools_dir())?;
    let mut command = packager.script(&sdk::script(&sdk, SourceLanguage::Node));
    command
        .arg("--prepare")
        .arg(&request.code)
        .arg(&root)
        .arg("--handler")
        .arg(&request.handler);
    match &request.opt_dir {
        Some(opt) => command.env("FNHOST_OPT_DIR", opt),
        None => command.env_remove("FNHOST_OPT_DIR"),
    };
    let (ok, lines) = packager.run(command, progress);
    let dir = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(RUNTIME_DIR_LINE))
        .map(PathBuf::from);
    match (ok?, dir) {
        (true, Some(dir)) if dir.join("function.js").is_file() => Ok(dir),
        _ => Err(packager.classify(SourceLanguage::Node, &lines)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_languages_have_no_fast_tier_here() {
        let packager = Packager::new(Some(PathBuf::from("/nonexistent-tools")));
        let request = Request {
            language: SourceLanguage::Python,
            handler: "lambda_function.lambda_handler".into(),
            code: PathBuf::from("/code"),
            opt_dir: None,
            out: PathBuf::from("/out.wasm"),
        };
        assert!(prepare(&packager, &request, &|_| {}).unwrap().is_none());
    }
}
