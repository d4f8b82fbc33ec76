//! The project a command works on: manifest, state directory, and runtime specs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use fnhost_api::calls::CallRouter;
use fnhost_buckets::{Bucket, Buckets, CallLimits, FunctionObjects, Grants, WriteJournal};
use fnhost_manifest::{FunctionConfig, Manifest};
use fnhost_runtime::{FunctionSpec, Runtime, RuntimeConfig};
use fnhost_store::StoreUrl;

/// Flags every subcommand shares.
#[derive(Debug, Clone)]
pub struct Globals {
    /// `--manifest`.
    pub manifest: Option<PathBuf>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--store` / `FNHOST_STORE`.
    pub store: Option<String>,
}

impl Globals {
    /// Find and load the manifest, its source-runtime functions packaged under the state
    /// directory.
    pub fn manifest(&self) -> Result<Manifest> {
        let mut manifest = self.find_manifest()?;
        let state_dir = self.state_dir(&manifest);
        crate::builder::place_packages(&mut manifest, &state_dir);
        Ok(manifest)
    }

    fn find_manifest(&self) -> Result<Manifest> {
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

    /// The manifest, or — when there is none and none was named — the empty manifest of a
    /// host that only runs uploads, anchored at the current directory (`None` says so).
    pub fn manifest_or_empty(&self) -> Result<(Manifest, bool)> {
        if self.manifest.is_some() {
            return Ok((self.manifest()?, true));
        }
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        match Manifest::find(&cwd) {
            Some(path) => {
                let mut manifest = Manifest::load(&path)?;
                let state_dir = self.state_dir(&manifest);
                crate::builder::place_packages(&mut manifest, &state_dir);
                Ok((manifest, true))
            }
            None => Ok((Manifest::empty(&cwd), false)),
        }
    }

    /// The state directory: `--state-dir`, else `.fnhost/` beside the manifest.
    pub fn state_dir(&self, manifest: &Manifest) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| manifest.dir.join(".fnhost"))
    }

    /// The store: `--store` / `FNHOST_STORE`, else the manifest's `[store] url` (an SQLite
    /// path in it is relative to the manifest's directory), else the SQLite file `fnhost.db` in
    /// the state directory.
    pub fn store_url(&self, manifest: &Manifest) -> Result<StoreUrl> {
        if let Some(url) = self.given_store()? {
            return Ok(url);
        }
        match &manifest.store.url {
            Some(spec) => match StoreUrl::parse(spec)
                .with_context(|| format!("{}: [store] url", manifest.path.display()))?
            {
                StoreUrl::File(path) => Ok(StoreUrl::File(manifest.dir.join(path))),
                url => Ok(url),
            },
            None => Ok(StoreUrl::file(self.state_dir(manifest).join("fnhost.db"))),
        }
    }

    /// The store `--store` / `FNHOST_STORE` names, if any: commands that only read the store
    /// need no manifest then.
    pub fn given_store(&self) -> Result<Option<StoreUrl>> {
        self.store
            .as_deref()
            .map(|spec| StoreUrl::parse(spec).context("--store / FNHOST_STORE"))
            .transpose()
    }

    /// A runtime over this project's state directory, with the manifest's `[network]`.
    pub fn runtime(&self, manifest: &Manifest) -> anyhow::Result<Runtime> {
        let mut config = RuntimeConfig::new(self.state_dir(manifest));
        config.outbound = outbound(manifest)?;
        Ok(Runtime::new(config))
    }
}

/// Open the store at `url` (for reading only with `read_only`). The error names the store
/// once: the store's own errors mostly do already.
pub fn open_store(url: &StoreUrl, read_only: bool) -> Result<fnhost_store::Store> {
    let opened = if read_only {
        url.open_read_only()
    } else {
        url.open()
    };
    opened.map_err(|err| {
        if err.names_the_store() {
            err.into()
        } else {
            anyhow::Error::new(err).context(format!("cannot open the store `{url}`"))
        }
    })
}

/// Outbound HTTP as the manifest's `[network]` table sets it up (its CA files read now).
pub fn outbound(manifest: &Manifest) -> anyhow::Result<Arc<fnhost_runtime::Outbound>> {
    let outbound = fnhost_runtime::Outbound::new(manifest.network.clone())
        .with_context(|| format!("{}: [network]", manifest.path.display()))?;
    Ok(Arc::new(outbound))
}

/// The manifest's buckets (directories created if missing), the journal of what functions
/// wrote into them (the loop guard reads it) and the router of calls between functions.
#[derive(Debug, Clone)]
pub struct Objects {
    /// Every `[bucket.NAME]`.
    pub buckets: Arc<Buckets>,
    /// Writes and deletes made by functions, by bucket and key.
    pub journal: Arc<WriteJournal>,
    /// Calls between functions; `fnhost up` connects it to its dispatcher once that exists.
    pub calls: Arc<CallRouter>,
}

impl Objects {
    /// Open (and create) every bucket directory of `manifest`.
    pub fn open(manifest: &Manifest) -> Result<Self> {
        let mut buckets = Vec::new();
        for config in manifest.buckets.values() {
            let bucket =
                Bucket::open(&config.name, &config.path, &config.ignore).with_context(|| {
                    format!(
                        "cannot open bucket `{}` at `{}` (fnhost.toml line {})",
                        config.name,
                        config.path.display(),
                        config.line
                    )
                })?;
            buckets.push(bucket);
        }
        Ok(Self {
            buckets: Arc::new(Buckets::new(buckets)),
            journal: Arc::new(WriteJournal::new()),
            calls: CallRouter::new(manifest.events.loop_hops),
        })
    }
}

/// What the runtime needs from a manifest function; object calls go to `objects` under the
/// function's grants, and one call hashes or lists for at most the function's timeout.
pub fn spec(config: &FunctionConfig, objects: &Objects) -> FunctionSpec {
    let mut spec = FunctionSpec::new(&config.name);
    spec.timeout = Duration::from_secs(config.timeout_s.into());
    let access = FunctionObjects::new(
        &config.name,
        objects.buckets.clone(),
        Grants {
            read: config.objects.read.clone(),
            write: config.objects.write.clone(),
        },
        objects.journal.clone(),
    )
    .with_limits(CallLimits {
        budget: spec.timeout,
        ..CallLimits::default()
    });
    spec.objects = Arc::new(access);
    spec.calls = objects
        .calls
        .manifest_calls(&config.name, config.invoke.iter().cloned());
    spec.memory_mb = config.memory_mb;
    spec.fuel = config.fuel;
    spec.ephemeral_mb = config.ephemeral_storage_mb;
    spec.allowed_outbound_hosts = Arc::new(config.allowed_outbound_hosts.clone());
    spec.task_dir = config.code.clone();
    if let Some(language) = config.runtime.language() {
        // As for uploads: `_HANDLER`, and the runtime's own files once fnhost has built them.
        let mounts = fnhost_packager::Packager::new(None).runtime_mounts(language);
        spec.lang_dir = mounts.lang_dir;
        spec.runtime_dir = mounts.runtime_dir;
        spec.handler = config
            .handler
            .clone()
            .or_else(|| config.runtime.default_handler().map(str::to_owned));
    }
    spec.env = config
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec
}
