//! The runtime: engines per class, their artifact caches and linkers, and loading functions.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::cache::{
    ArtifactCache, CacheStatus, Collected, DEFAULT_ARTIFACT_BUDGET, Digest, PendingArtifact,
    SourceIndex, Stamp, sha256_hex,
};
use crate::engine::{EngineClass, EngineSettings, create_engine};
use crate::error::{Result, RuntimeError, one_line};
use crate::function::{
    Function, FunctionKind, FunctionSpec, adapt_p1, finish, is_component, link_component,
    link_module, wasm_bytes,
};
use crate::host::{ComponentState, ModuleState, component_linker, module_linker};
use crate::incremental::{DEFAULT_INCREMENTAL_BUDGET, IncrementalCache};
use crate::logs::DEFAULT_LOG_CAP;
use crate::sandbox_fs::TmpRoot;
use fnhost_outbound::Outbound;

/// How to build a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The state directory; compiled artifacts go to `<state_dir>/artifacts`, the hashes of
    /// unchanged source files to `<state_dir>/sources`.
    pub state_dir: PathBuf,
    /// Engine and pool settings.
    pub engine: EngineSettings,
    /// Bytes of guest output kept per invocation (the rest is counted and dropped).
    pub log_cap: usize,
    /// Most bytes of compiled artifacts kept in `<state_dir>/artifacts`; past it the least
    /// recently used are removed (default 2 GiB).
    pub artifact_budget: u64,
    /// Where invocations' `/tmp` files live (default `<state_dir>/tmp`). Each invocation gets
    /// a fresh directory there on its first write, removed when it ends; what a host that did
    /// not stop cleanly left is removed when the next one starts.
    pub tmp_dir: PathBuf,
    /// Outbound HTTP: the operator's `[network]` settings, TLS roots, caps and counters.
    pub outbound: Arc<Outbound>,
    /// Where Cranelift's incremental compilation cache lives (default
    /// `<state_dir>/cache/incremental`; `None` turns it off): a function body compiled once,
    /// such as CPython's in every Python function or QuickJS's in every JavaScript function, is
    /// not compiled again by the next function that carries it.
    pub incremental_cache_dir: Option<PathBuf>,
    /// Most bytes kept in the incremental cache; past it the least recently used entries are
    /// removed (default 1 GiB).
    pub incremental_budget: u64,
}

impl RuntimeConfig {
    /// Defaults with artifacts under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        let state_dir = state_dir.into();
        Self {
            tmp_dir: state_dir.join("tmp"),
            incremental_cache_dir: Some(state_dir.join("cache").join("incremental")),
            incremental_budget: DEFAULT_INCREMENTAL_BUDGET,
            state_dir,
            engine: EngineSettings::default(),
            log_cap: DEFAULT_LOG_CAP,
            artifact_budget: DEFAULT_ARTIFACT_BUDGET,
            outbound: Arc::new(Outbound::default()),
        }
    }
}

/// One engine with what hangs off it.
pub(crate) struct Class {
    pub engine: Engine,
    pub cache: ArtifactCache,
    pub components: Linker<ComponentState>,
    pub modules: wasmtime::Linker<ModuleState>,
}

/// Loads functions and runs events. Share it behind an `Arc`; every method takes `&self`.
pub struct Runtime {
    config: RuntimeConfig,
    sources: SourceIndex,
    plain: OnceLock<Class>,
    metered: OnceLock<Class>,
    tmp: Arc<TmpRoot>,
    /// Shared by both engines: their code differs only where fuel metering changes it.
    incremental: Option<Arc<IncrementalCache>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // The incremental cache writes its entries in the background: what this runtime
        // compiled is on disk for the next one (engines still alive elsewhere keep the cache).
        if let Some(incremental) = &self.incremental {
            incremental.flush();
        }
    }
}

impl Runtime {
    /// A runtime; engines are created when the first function needs them.
    ///
    /// Removes what a host that did not stop cleanly left in `tmp_dir`. If `tmp_dir` cannot
    /// be set up, the error is logged and guests get no `/tmp`.
    pub fn new(config: RuntimeConfig) -> Self {
        let tmp = TmpRoot::open(&config.tmp_dir).unwrap_or_else(|e| {
            tracing::error!(dir = %config.tmp_dir.display(), error = %e, "cannot set up the tmp dir; guests get no /tmp");
            TmpRoot::disabled()
        });
        let incremental = config
            .incremental_cache_dir
            .clone()
            .map(|dir| Arc::new(IncrementalCache::new(dir, config.incremental_budget)));
        Self {
            tmp: Arc::new(tmp),
            incremental,
            sources: SourceIndex::new(&config.state_dir),
            config,
            plain: OnceLock::new(),
            metered: OnceLock::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// This host's area under `tmp_dir`, shared by every invocation.
    pub(crate) fn tmp_root(&self) -> &Arc<TmpRoot> {
        &self.tmp
    }

    /// The directory holding this host's invocation directories (inside `tmp_dir`), when
    /// `tmp_dir` could be set up.
    pub fn tmp_area(&self) -> Option<&Path> {
        self.tmp.dir()
    }

    /// How many invocations have written to `/tmp` (each got its own directory) since the
    /// runtime started; invocations that never write create none.
    pub fn tmp_dirs_created(&self) -> u64 {
        self.tmp.created()
    }

    pub(crate) fn class(&self, class: EngineClass) -> Result<&Class> {
        let cell = match class {
            EngineClass::Plain => &self.plain,
            EngineClass::Metered => &self.metered,
        };
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let cache = self
            .incremental
            .clone()
            .map(|c| c as Arc<dyn wasmtime::CacheStore>);
        let engine = create_engine(&self.config.engine, class, cache)?;
        let link_err = |e: wasmtime::Error| RuntimeError::Engine(one_line(&e));
        let built = Class {
            cache: ArtifactCache::new(&self.config.state_dir, &engine)
                .with_budget(self.config.artifact_budget),
            components: component_linker(&engine).map_err(link_err)?,
            modules: module_linker(&engine).map_err(link_err)?,
            engine,
        };
        Ok(cell.get_or_init(|| built))
    }

    /// The engine a spec needs (fuel budgets need the metered engine).
    pub fn engine_for(&self, spec: &FunctionSpec) -> Result<&Engine> {
        Ok(&self.class(class_of(spec))?.engine)
    }

    /// Where the compiled artifact of the code `sha256` for `spec`'s engine is kept, and the
    /// name of that engine's cache directory (artifacts of other engines cannot be loaded).
    pub fn artifact_path(&self, spec: &FunctionSpec, sha256: &str) -> Result<(PathBuf, String)> {
        let cache = &self.class(class_of(spec))?.cache;
        let engine = cache
            .dir()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((cache.path_for(sha256), engine))
    }

    /// Read, compile (or load from the cache) and link a function. Blocking: compiling a large
    /// guest takes seconds, so async callers use `spawn_blocking`.
    ///
    /// A file unchanged since an earlier load (same path, inode, size, mtime and ctime; see
    /// `SourceIndex`) is not read at all: its artifact is mapped by the hash recorded then.
    pub fn load(&self, spec: FunctionSpec, path: &Path) -> Result<Function> {
        let started = Instant::now();
        if let Some(known) = self.sources.lookup(path)
            && let Some(function) = self.load_known(spec.clone(), path, &known, started)?
        {
            return Ok(function);
        }
        let read_err = |source| RuntimeError::Read {
            path: path.to_owned(),
            source,
        };
        // The stamp is taken before reading: a write racing with the read changes the file's
        // ctime, so the entry recorded below can only be too old, never wrong.
        let now = SystemTime::now();
        let mut file = std::fs::File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        let mut raw = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut raw).map_err(read_err)?;
        let function = self.load_bytes(spec, path, raw, started)?;
        let digest = Digest {
            sha256: function.info().sha256.clone(),
            component: function.info().kind != FunctionKind::Module,
        };
        self.sources.record(path, Stamp::of(&meta), &digest, now);
        Ok(function)
    }

    /// [`Runtime::load`] for a file stored under its content address: `sha256` is what
    /// [`crate::LoadInfo::sha256`] reported when the file's code was compiled (the name of its
    /// artifact). When that artifact is in the cache it is mapped without reading or hashing
    /// the file, which dominates the start of a large component such as a Python one; otherwise
    /// the file is loaded as by [`Runtime::load`] (read, hashed, compiled on a miss).
    ///
    /// The caller vouches for the address: the artifact of `sha256` is run whatever `path`
    /// holds now. fnhost's code store names each file by that hash when it writes it.
    pub fn load_stored(&self, spec: FunctionSpec, path: &Path, sha256: &str) -> Result<Function> {
        let started = Instant::now();
        if is_sha256_hex(sha256) {
            let class = self.class(class_of(&spec))?;
            let artifact = class.cache.path_for(sha256);
            // The artifact's header says which it is (a WASI p1 module adapted at compile time
            // is a component although its file is a core module).
            let component = match Engine::detect_precompiled_file(&artifact) {
                Ok(Some(wasmtime::Precompiled::Component)) => Some(true),
                Ok(Some(wasmtime::Precompiled::Module)) => Some(false),
                _ => None,
            };
            if let Some(component) = component {
                let known = Digest {
                    sha256: sha256.to_owned(),
                    component,
                };
                if let Some(function) = self.load_known(spec.clone(), path, &known, started)? {
                    return Ok(function);
                }
            }
        }
        self.load(spec, path)
    }

    /// Link from the artifact of a source the index knows; `None` when there is no usable
    /// artifact, and the caller reads and hashes the file instead.
    fn load_known(
        &self,
        spec: FunctionSpec,
        origin: &Path,
        known: &Digest,
        started: Instant,
    ) -> Result<Option<Function>> {
        let class = self.class(class_of(&spec))?;
        let engine = &class.engine;
        let artifact = class.cache.path_for(&known.sha256);
        let loaded = if known.component {
            // SAFETY: as in `load_bytes`: written by the cache, read through the checked loader.
            match unsafe { Component::deserialize_file(engine, &artifact) } {
                Ok(component) => link_component(origin, &component, &class.components)?,
                Err(_) => return Ok(None),
            }
        } else {
            // SAFETY: as above.
            match unsafe { wasmtime::Module::deserialize_file(engine, &artifact) } {
                Ok(module) => link_module(origin, &module, &class.modules)?,
                Err(_) => return Ok(None),
            }
        };
        // Recently used: the budget evicts the least recently used first; a failure only
        // makes this artifact look older.
        let _ = std::fs::File::open(&artifact).and_then(|f| f.set_modified(SystemTime::now()));
        tracing::debug!(source = %origin.display(), sha256 = %known.sha256, "source unchanged, artifact mapped without reading it");
        Ok(Some(finish(
            spec,
            engine.clone(),
            loaded,
            known.sha256.clone(),
            CacheStatus::Hit,
            started,
            &self.tmp,
        )?))
    }

    /// Like [`Runtime::load`] for code already in memory; `origin` names it in errors.
    pub fn load_bytes(
        &self,
        spec: FunctionSpec,
        origin: &Path,
        raw: Vec<u8>,
        started: Instant,
    ) -> Result<Function> {
        self.load_bytes_as(spec, origin, raw, started, false)
            .map(|(function, _)| function)
    }

    /// Like [`Runtime::load_bytes`], but a fresh compile is not written to the artifact cache:
    /// it comes back as a [`PendingArtifact`] to [`PendingArtifact::store`] once the code is
    /// accepted (`None` when the cache already had it). For uploads, which must leave nothing
    /// on disk until their quota and name are checked.
    pub fn compile_bytes(
        &self,
        spec: FunctionSpec,
        origin: &Path,
        raw: Vec<u8>,
        started: Instant,
    ) -> Result<(Function, Option<PendingArtifact>)> {
        self.load_bytes_as(spec, origin, raw, started, true)
    }

    /// Garbage-collect `<state_dir>/artifacts`: remove the artifacts of code not in `keep`
    /// (sha256 of every function and version that can be loaded) and those of engines not in
    /// use, and stale temporary files. Call it after every function in `keep` was loaded (so
    /// that their engines exist).
    pub fn collect_artifacts(&self, keep: &HashSet<String>) -> std::io::Result<Collected> {
        let live: Vec<PathBuf> = [self.plain.get(), self.metered.get()]
            .into_iter()
            .flatten()
            .map(|class| class.cache.dir().to_path_buf())
            .collect();
        ArtifactCache::collect(&self.config.state_dir.join("artifacts"), &live, keep)
    }

    fn load_bytes_as(
        &self,
        spec: FunctionSpec,
        origin: &Path,
        raw: Vec<u8>,
        started: Instant,
        pending: bool,
    ) -> Result<(Function, Option<PendingArtifact>)> {
        let bytes = adapt_p1(origin, wasm_bytes(origin, raw)?)?;
        let sha256 = sha256_hex(&bytes);
        let class = self.class(class_of(&spec))?;
        let engine = &class.engine;
        let compile_err = |e: wasmtime::Error| RuntimeError::Compile {
            path: origin.to_owned(),
            reason: explain_compile_error(&one_line(&e)),
        };
        let (loaded, cache, artifact) = if is_component(&bytes) {
            let compile = || engine.precompile_component(&bytes).map_err(compile_err);
            // SAFETY: the artifact was written by this cache (temp file + rename, never
            // modified in place) and is only read through wasmtime's checked loader.
            let load = |p: &Path| unsafe { Component::deserialize_file(engine, p) };
            let (component, status, artifact) = if pending {
                // SAFETY: the bytes were produced by `precompile_component` of this engine
                // just now, and are checked by the same loader.
                class
                    .cache
                    .get_or_compile_pending(&sha256, compile, load, |b| unsafe {
                        Component::deserialize(engine, b)
                    })?
            } else {
                let (component, status) = class.cache.get_or_compile(&sha256, compile, load)?;
                (component, status, None)
            };
            (
                link_component(origin, &component, &class.components)?,
                status,
                artifact,
            )
        } else {
            let compile = || engine.precompile_module(&bytes).map_err(compile_err);
            // SAFETY: as above.
            let load = |p: &Path| unsafe { wasmtime::Module::deserialize_file(engine, p) };
            let (module, status, artifact) = if pending {
                // SAFETY: as above.
                class
                    .cache
                    .get_or_compile_pending(&sha256, compile, load, |b| unsafe {
                        wasmtime::Module::deserialize(engine, b)
                    })?
            } else {
                let (module, status) = class.cache.get_or_compile(&sha256, compile, load)?;
                (module, status, None)
            };
            (
                link_module(origin, &module, &class.modules)?,
                status,
                artifact,
            )
        };
        Ok((
            finish(
                spec,
                engine.clone(),
                loaded,
                sha256,
                cache,
                started,
                &self.tmp,
            )?,
            artifact,
        ))
    }
}

/// Whether `s` can name an artifact: 64 lowercase hex digits, nothing that walks the path.
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn class_of(spec: &FunctionSpec) -> EngineClass {
    if spec.fuel.is_some() {
        EngineClass::Metered
    } else {
        EngineClass::Plain
    }
}

fn explain_compile_error(reason: &str) -> String {
    if reason.contains("memory64") {
        format!(
            "{reason} (memory64 guests are not supported; wasm32 guests can use at most 4096 MB)"
        )
    } else {
        reason.to_string()
    }
}
