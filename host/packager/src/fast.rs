//! The fast tier: a function that runs on its language's generic runtime at once, while its own
//! component (the snapshot [`Packager::package`] builds) is made in the background.
//!
//! The generic Python runtime is one component per SDK fingerprint, built on first use into
//! `<tools>/sdk-<fingerprint>/python-runtime/` by `package.sh --runtime-image`: `runtime.wasm`
//! imports the module `_HANDLER` names from `/var/task` at each event; `lang/` (mounted at
//! `/var/lang`) holds CPython's standard library, compiled; `runtime/` (mounted at
//! `/var/runtime`) holds fnhost's modules, boto3 and botocore included. The compiled component
//! is the same for every function, so the host's artifact cache compiles it once.

use std::path::{Path, PathBuf};

use fnhost_core::runtimes::SourceLanguage;

use crate::packager::check_code;
use crate::{PackageError, Packager, Request, sdk};

/// What a function needs to run on its language's generic runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The generic runtime component (shared by every function of the language).
    pub wasm: PathBuf,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// Where hosts of this machine share its compiled artifacts (one subdirectory per engine
    /// configuration), so a new host does not compile it again.
    pub compiled_dir: PathBuf,
    /// Mounted read-only at `/var/lang`.
    pub lang_dir: Option<PathBuf>,
    /// Mounted read-only at `/var/runtime`.
    pub runtime_dir: Option<PathBuf>,
}

/// The read-only directories a function of a source runtime sees beside its own files, on
/// either tier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeMounts {
    /// Mounted at `/var/lang`.
    pub lang_dir: Option<PathBuf>,
    /// Mounted at `/var/runtime`.
    pub runtime_dir: Option<PathBuf>,
}

impl Packager {
    /// Blocking. Make `request` runnable on the generic runtime of its language, building that
    /// runtime on first use (once per fnhost version: seconds to tens of seconds). A Python
    /// function's code is imported from `/var/task` as it is; a Node.js function's is bundled
    /// (esbuild) into a directory beside [`Request::out`], mounted at `/var/runtime`. `Ok(None)`
    /// when the function has no fast tier and only [`Packager::package`] can run it: a Python
    /// function with a `requirements.txt` (its packages are installed while packaging).
    pub fn prepare(
        &self,
        request: &Request,
        progress: &dyn Fn(&str),
    ) -> Result<Option<Prepared>, PackageError> {
        check_code(request)?;
        match request.language {
            SourceLanguage::Python => {
                if request.code.join("requirements.txt").is_file() {
                    return Ok(None);
                }
                let image = self.python_image(progress)?;
                let sha256 = image_sha256(&image).map_err(PackageError::io(format!(
                    "cannot hash the generic Python runtime in `{}`",
                    image.display()
                )))?;
                Ok(Some(Prepared {
                    wasm: image.join("runtime.wasm"),
                    sha256,
                    compiled_dir: image.join("compiled"),
                    lang_dir: Some(image.join("lang")),
                    runtime_dir: Some(image.join("runtime")),
                }))
            }
            SourceLanguage::Node => crate::node_fast::prepare(self, request, progress),
        }
    }

    /// What a function of `language` sees at `/var/lang` and `/var/runtime`, once the generic
    /// runtime exists (nothing before: a function packaged without it imports only what its
    /// snapshot holds).
    pub fn runtime_mounts(&self, language: SourceLanguage) -> RuntimeMounts {
        match language {
            SourceLanguage::Python => {
                let image = self.python_image_dir();
                if image.join("runtime.wasm").is_file() {
                    RuntimeMounts {
                        lang_dir: Some(image.join("lang")),
                        runtime_dir: Some(image.join("runtime")),
                    }
                } else {
                    RuntimeMounts::default()
                }
            }
            SourceLanguage::Node => RuntimeMounts::default(),
        }
    }

    /// The SHA-256 (hex) of each generic runtime built for this fnhost: code the host keeps
    /// compiled even while no function uses it, so the next new function starts at once.
    pub fn runtime_images(&self) -> Vec<String> {
        [self.python_image_dir(), crate::node_fast::image_dir(self)]
            .into_iter()
            .filter(|image| image.join("runtime.wasm").is_file())
            .filter_map(|image| match image_sha256(&image) {
                Ok(sha) => Some(sha),
                Err(err) => {
                    tracing::warn!(dir = %image.display(), %err, "cannot hash a generic runtime");
                    None
                }
            })
            .collect()
    }

    /// Where the generic Python runtime of this fnhost is (or will be) built.
    fn python_image_dir(&self) -> PathBuf {
        self.tools_dir()
            .join(format!("sdk-{}", self.fingerprint()))
            .join("python-runtime")
    }

    /// The generic Python runtime's directory, built if missing.
    fn python_image(&self, progress: &dyn Fn(&str)) -> Result<PathBuf, PackageError> {
        self.build_image(
            SourceLanguage::Python,
            &self.python_image_dir(),
            progress,
            |command, staging| {
                command.arg("--runtime-image").arg(staging);
            },
        )
    }

    /// The generic runtime of `language` in `image` (its `runtime.wasm` and what it mounts),
    /// built if missing by the language's script with the arguments `args` adds for a staging
    /// directory: one build at a time between processes (a lock in the tools directory), and
    /// the staging directory renamed into place, so a directory that exists is complete.
    pub(crate) fn build_image(
        &self,
        language: SourceLanguage,
        image: &Path,
        progress: &dyn Fn(&str),
        args: impl FnOnce(&mut std::process::Command, &Path),
    ) -> Result<PathBuf, PackageError> {
        if image.join("runtime.wasm").is_file() {
            return Ok(image.to_owned());
        }
        self.check_tools(language)?;
        let sdk = sdk::extract(self.tools_dir())?;
        let name = image
            .file_name()
            .map_or_else(|| "runtime".into(), |n| n.to_string_lossy().into_owned());
        let _lock = sdk::lock(self.tools_dir(), &name)?;
        // Another thread or process may have built it while this one waited.
        if image.join("runtime.wasm").is_file() {
            return Ok(image.to_owned());
        }
        progress(&format!(
            "fnhost: building the generic {} runtime, once per fnhost version",
            language.name()
        ));
        let staging = image.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(PackageError::io(format!(
            "cannot create `{}`",
            staging.display()
        )))?;
        let mut command = self.script(&sdk::script(&sdk, language));
        args(&mut command, &staging);
        let (ok, lines) = self.run(command, progress);
        let built = match ok {
            Ok(true) if staging.join("runtime.wasm").is_file() => std::fs::rename(&staging, image)
                .map_err(PackageError::io(format!(
                    "cannot move the generic {} runtime into `{}`",
                    language.name(),
                    image.display()
                ))),
            Ok(_) => Err(self.classify(language, &lines)),
            Err(e) => Err(e),
        };
        if built.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        built?;
        tracing::info!(dir = %image.display(), "built the generic {} runtime", language.name());
        Ok(image.to_owned())
    }
}

/// The hash of `image/runtime.wasm`, kept beside it in `runtime.sha256` once computed.
pub(crate) fn image_sha256(image: &Path) -> std::io::Result<String> {
    use sha2::Digest as _;
    let kept = image.join("runtime.sha256");
    if let Ok(text) = std::fs::read_to_string(&kept)
        && text.trim().len() == 64
    {
        return Ok(text.trim().to_owned());
    }
    let sha = hex::encode(sha2::Sha256::digest(std::fs::read(
        image.join("runtime.wasm"),
    )?));
    // A cache: another process may write the same text at the same time.
    let tmp = image.join(format!(".runtime.sha256.{}", std::process::id()));
    std::fs::write(&tmp, &sha)?;
    std::fs::rename(&tmp, &kept)?;
    Ok(sha)
}
