//! The project a command works on: manifest, state directory, and runtime specs.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use fnhost_manifest::{FunctionConfig, Manifest};
use fnhost_runtime::{FunctionSpec, Runtime, RuntimeConfig};

/// Flags every subcommand shares.
#[derive(Debug, Clone)]
pub struct Globals {
    /// `--manifest`.
    pub manifest: Option<PathBuf>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
}

impl Globals {
    /// Find and load the manifest.
    pub fn manifest(&self) -> Result<Manifest> {
        let path = match &self.manifest {
            Some(path) => path.clone(),
            None => {
                let cwd = std::env::current_dir().context("cannot read the current directory")?;
                match Manifest::find(&cwd) {
                    Some(path) => path,
                    None => bail!(
                        "no fnhost.toml in `{}` or any parent; create one or pass --manifest PATH",
                        cwd.display()
                    ),
                }
            }
        };
        Ok(Manifest::load(&path)?)
    }

    /// The state directory: `--state-dir`, else `.fnhost/` beside the manifest.
    pub fn state_dir(&self, manifest: &Manifest) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| manifest.dir.join(".fnhost"))
    }

    /// A runtime over this project's state directory.
    pub fn runtime(&self, manifest: &Manifest) -> Runtime {
        Runtime::new(RuntimeConfig::new(self.state_dir(manifest)))
    }
}

/// What the runtime needs from a manifest function.
pub fn spec(config: &FunctionConfig) -> FunctionSpec {
    let mut spec = FunctionSpec::new(&config.name);
    spec.memory_mb = config.memory_mb;
    spec.timeout = Duration::from_secs(config.timeout_s.into());
    spec.fuel = config.fuel;
    spec.env = config
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec
}
