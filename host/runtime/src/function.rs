//! Loading a function: detect what kind of wasm it is, compile or load its artifact, link once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime_wasi::p2::bindings::CommandPre;

use crate::cache::CacheStatus;
use crate::calls::{FunctionCalls, NoCalls};
use crate::error::{Result, RuntimeError, one_line};
use crate::host::{ComponentState, HandlerPre, ModuleState};
use crate::objects::{NoBuckets, ObjectAccess};
use crate::sandbox_fs::{FunctionFs, Mounts, TmpRoot};

pub use fnhost_core::limits::{ACCOUNT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, REGION};
pub use fnhost_core::limits::{DEFAULT_EPHEMERAL_MB, MAX_EPHEMERAL_MB, MIN_EPHEMERAL_MB};
pub use fnhost_core::outbound::AllowedHosts;

/// What a function is allowed and given: the validated configuration the runtime needs.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The function's name.
    pub name: String,
    /// `$LATEST` or a version number.
    pub version: String,
    /// Memory cap over all linear memories, in MB.
    pub memory_mb: u32,
    /// Wall-clock timeout.
    pub timeout: Duration,
    /// Fuel budget per invocation; `None` = not metered.
    pub fuel: Option<u64>,
    /// Environment variables set by the user (Lambda's reserved ones are added by the host).
    pub env: Vec<(String, String)>,
    /// Object storage as this function may use it.
    pub objects: Arc<dyn ObjectAccess>,
    /// Calls to other functions as this function may make them.
    pub calls: Arc<dyn FunctionCalls>,
    /// Size of the per-invocation `/tmp` in MB, `MIN_EPHEMERAL_MB..=MAX_EPHEMERAL_MB`.
    pub ephemeral_mb: u32,
    /// The function's own files, seen read-only at `/var/task`; an empty `/var/task` when `None`.
    pub task_dir: Option<PathBuf>,
    /// The function's layers merged in order, seen read-only at `/opt`; no `/opt` when `None`.
    pub opt_dir: Option<PathBuf>,
    /// The language runtime's files (e.g. Python's standard library), seen read-only at
    /// `/var/lang` as on Lambda; no `/var/lang` when `None`.
    pub lang_dir: Option<PathBuf>,
    /// The runtime's own code (fnhost's SDK modules, a bundled function), seen read-only at
    /// `/var/runtime` (`LAMBDA_RUNTIME_DIR`); no `/var/runtime` when `None`.
    pub runtime_dir: Option<PathBuf>,
    /// Lambda's handler setting (`lambda_function.lambda_handler`), given to the guest as
    /// `_HANDLER`; not set when `None` (a `.wasm` has no handler setting).
    pub handler: Option<String>,
    /// Where its outbound HTTP requests may go (`allowed_outbound_hosts`); empty denies all.
    pub allowed_outbound_hosts: Arc<AllowedHosts>,
}

impl FunctionSpec {
    /// A spec with Lambda's defaults (128 MB, 3 s, 512 MB of `/tmp`, no fuel, no env, no
    /// buckets, no calls, no files at `/var/task`, no layers, no outbound HTTP).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            objects: Arc::new(NoBuckets::new(name.clone())),
            calls: Arc::new(NoCalls::new(name.clone())),
            ephemeral_mb: DEFAULT_EPHEMERAL_MB,
            task_dir: None,
            opt_dir: None,
            lang_dir: None,
            runtime_dir: None,
            handler: None,
            allowed_outbound_hosts: Arc::default(),
            name,
            version: "$LATEST".into(),
            memory_mb: DEFAULT_MEMORY_MB,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_S.into()),
            fuel: None,
            env: Vec::new(),
        }
    }
}

/// Which calling convention a `.wasm` follows; detected from the binary, never configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FunctionKind {
    /// A component exporting `handle` from the `fnhost:function/handler` world.
    Handler,
    /// A WASI p2 command component (custom runtime: stdin, stdout, exit status).
    Command,
    /// A WASI p1 core module with `_start` (custom runtime).
    Module,
}

impl fmt::Display for FunctionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FunctionKind::Handler => "handler component",
            FunctionKind::Command => "WASI p2 command component (custom runtime)",
            FunctionKind::Module => "WASI p1 command module (custom runtime)",
        })
    }
}

pub(crate) enum Pre {
    Handler(HandlerPre<ComponentState>),
    Command(CommandPre<ComponentState>),
    Module(wasmtime::InstancePre<ModuleState>),
}

/// How a load went, for logs, `--json` output and tests.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadInfo {
    /// sha256 of the wasm binary (after WAT is parsed).
    pub sha256: String,
    /// What kind of wasm it is.
    pub kind: FunctionKind,
    /// Whether the compiled artifact came from the cache.
    pub cache: CacheStatus,
    /// Time to read, compile or load, and link (before any invocation; not an Init Duration).
    #[serde(serialize_with = "ms")]
    pub load_duration: Duration,
}

fn ms<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// A loaded, linked function, ready to instantiate per event. Cheap to share.
pub struct Function {
    pub(crate) spec: FunctionSpec,
    pub(crate) pre: Pre,
    pub(crate) engine: Engine,
    pub(crate) info: LoadInfo,
    pub(crate) cold: AtomicBool,
    pub(crate) log_stream: String,
    pub(crate) log_group: String,
    pub(crate) arn: String,
    pub(crate) base_env: Vec<(String, String)>,
    /// `/var/task` and `/opt`, opened once.
    pub(crate) fs: Arc<FunctionFs>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.spec.name)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Function {
    /// The configuration it was loaded with.
    pub fn spec(&self) -> &FunctionSpec {
        &self.spec
    }

    /// How it was loaded.
    pub fn info(&self) -> &LoadInfo {
        &self.info
    }

    /// The engine it was compiled for (shared with every function of its class).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether this is the loaded version's first invocation (its cold start), the first time
    /// it is asked; false ever after.
    pub(crate) fn take_cold_start(&self) -> bool {
        self.cold.swap(false, Ordering::AcqRel)
    }

    /// The names it imports and exports: component interfaces (`wasi:cli/environment@0.2.6`)
    /// or a core module's `module::name` pairs. For showing what the code is (the console);
    /// nothing is decided by them.
    pub fn interface(&self) -> Interface {
        match &self.pre {
            Pre::Handler(pre) => component_interface(pre.instance_pre().component(), &self.engine),
            Pre::Command(pre) => component_interface(pre.instance_pre().component(), &self.engine),
            Pre::Module(pre) => {
                let module = pre.module();
                Interface {
                    imports: module
                        .imports()
                        .map(|i| format!("{}::{}", i.module(), i.name()))
                        .collect(),
                    exports: module.exports().map(|e| e.name().to_owned()).collect(),
                }
            }
        }
    }

    /// `/aws/lambda/<name>`.
    pub fn log_group(&self) -> &str {
        &self.log_group
    }

    /// The unqualified ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }
}

/// What a function's code imports and exports ([`Function::interface`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// Imported names, in the binary's order.
    pub imports: Vec<String>,
    /// Exported names, in the binary's order.
    pub exports: Vec<String>,
}

fn component_interface(component: &wasmtime::component::Component, engine: &Engine) -> Interface {
    let ty = component.component_type();
    Interface {
        imports: ty
            .imports(engine)
            .map(|(name, _)| name.to_owned())
            .collect(),
        exports: ty
            .exports(engine)
            .map(|(name, _)| name.to_owned())
            .collect(),
    }
}

/// The binary form of a function's code: WAT text is parsed, anything else must be wasm.
pub(crate) fn wasm_bytes(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    if raw.starts_with(b"\0asm") {
        return Ok(raw);
    }
    let looks_textual =
        path.extension().is_some_and(|e| e == "wat") || raw.iter().take(64).all(|b| b.is_ascii());
    if looks_textual && !raw.is_empty() {
        return wat::parse_bytes(&raw)
            .map(|b| b.into_owned())
            .map_err(|e| RuntimeError::NotWasm {
                path: path.to_owned(),
                reason: format!("invalid WAT text: {}", e.to_string().replace('\n', " ")),
            });
    }
    Err(RuntimeError::NotWasm {
        path: path.to_owned(),
        reason: "missing the `\\0asm` magic number; fnhost runs .wasm components, core modules and .wat text".into(),
    })
}

/// A WASI p1 core module that opens files (imports `path_open`), as a p2 command component
/// made with wasmtime's p1 adapter: p1 has no seam for fnhost's `/tmp`, `/var/task` and
/// `/opt`, so such modules run on the p2 file system like every component. Modules that cannot
/// name a file stay on the faster p1 path. Anything else comes back unchanged.
pub(crate) fn adapt_p1(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if is_component(&bytes) || !imports_path_open(&bytes) {
        return Ok(bytes);
    }
    wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|e| {
            e.adapter(
                "wasi_snapshot_preview1",
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| RuntimeError::Unsupported {
            path: path.to_owned(),
            reason: format!("cannot adapt the WASI p1 module to a component: {e:#}"),
        })
}

fn imports_path_open(bytes: &[u8]) -> bool {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::ImportSection(reader)) => {
                return reader
                    .into_imports()
                    .flatten()
                    .any(|i| i.module == "wasi_snapshot_preview1" && i.name == "path_open");
            }
            Ok(wasmparser::Payload::CodeSectionStart { .. }) | Err(_) => return false,
            Ok(_) => {}
        }
    }
    false
}

/// Whether the binary is a component (layer 1) rather than a core module.
pub(crate) fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[6..8] == [1, 0]
}

pub(crate) struct Loaded {
    pub pre: Pre,
    pub kind: FunctionKind,
}

pub(crate) fn link_component(
    path: &Path,
    component: &Component,
    linker: &wasmtime::component::Linker<ComponentState>,
) -> Result<Loaded> {
    let unsupported = |reason: String| RuntimeError::Unsupported {
        path: path.to_owned(),
        reason,
    };
    let pre = linker
        .instantiate_pre(component)
        .map_err(|e| unsupported(one_line(&e)))?;
    if let Ok(handler) = HandlerPre::new(pre.clone()) {
        return Ok(Loaded {
            pre: Pre::Handler(handler),
            kind: FunctionKind::Handler,
        });
    }
    if let Ok(command) = CommandPre::new(pre) {
        return Ok(Loaded {
            pre: Pre::Command(command),
            kind: FunctionKind::Command,
        });
    }
    let engine = linker.engine();
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    Err(unsupported(format!(
        "the component exports {}; fnhost needs `handle` (world `fnhost:function/handler`) or `wasi:cli/run` (a command)",
        if exports.is_empty() {
            "nothing".to_string()
        } else {
            exports.join(", ")
        }
    )))
}

pub(crate) fn link_module(
    path: &Path,
    module: &wasmtime::Module,
    linker: &wasmtime::Linker<ModuleState>,
) -> Result<Loaded> {
    let unsupported = |reason: String| RuntimeError::Unsupported {
        path: path.to_owned(),
        reason,
    };
    if module.get_export("_start").is_none() {
        return Err(unsupported(
            "the core module has no `_start` export; fnhost runs core modules as WASI p1 commands (event on stdin, response on stdout)".into(),
        ));
    }
    let pre = linker
        .instantiate_pre(module)
        .map_err(|e| unsupported(one_line(&e)))?;
    Ok(Loaded {
        pre: Pre::Module(pre),
        kind: FunctionKind::Module,
    })
}

/// Variables fnhost sets that a function's own environment may replace (Lambda's list).
const USER_OVERRIDABLE: &[&str] = &["LANG", "PATH", "LD_LIBRARY_PATH", "TZ"];

/// Build the `Function` once its code is linked.
pub(crate) fn finish(
    spec: FunctionSpec,
    engine: Engine,
    loaded: Loaded,
    sha256: String,
    cache: CacheStatus,
    started: Instant,
    tmp: &TmpRoot,
) -> Result<Function> {
    let fs = FunctionFs::open(
        tmp,
        Mounts {
            task: spec.task_dir.as_deref(),
            opt: spec.opt_dir.as_deref(),
            lang: spec.lang_dir.as_deref(),
            runtime: spec.runtime_dir.as_deref(),
        },
    )
    .map_err(|(path, source)| RuntimeError::Read { path, source })?;
    let log_stream = format!(
        "{}/[{}]{}",
        chrono::Utc::now().format("%Y/%m/%d"),
        spec.version,
        uuid::Uuid::new_v4().simple()
    );
    // Computed once per load, not per event.
    let log_group = format!("/aws/lambda/{}", spec.name);
    let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}", spec.name);
    let mut base_env = vec![
        ("AWS_LAMBDA_FUNCTION_NAME".to_string(), spec.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            spec.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), spec.version.clone()),
        (
            "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
            spec.timeout.as_secs().to_string(),
        ),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", spec.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), log_stream.clone()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_DEFAULT_REGION".into(), REGION.into()),
        ("TZ".into(), ":UTC".into()),
        ("LANG".into(), "en_US.UTF-8".into()),
        ("LAMBDA_TASK_ROOT".into(), "/var/task".into()),
        ("LAMBDA_RUNTIME_DIR".into(), "/var/runtime".into()),
        (
            "PATH".into(),
            "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin".into(),
        ),
        (
            "LD_LIBRARY_PATH".into(),
            "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib".into(),
        ),
    ];
    if let Some(handler) = &spec.handler {
        base_env.push(("_HANDLER".into(), handler.clone()));
    }
    // The user may replace what Lambda lets them replace; the other names are Lambda's.
    for (key, value) in &spec.env {
        match base_env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) if USER_OVERRIDABLE.contains(&key.as_str()) => slot.1 = value.clone(),
            Some(_) => {}
            None => base_env.push((key.clone(), value.clone())),
        }
    }
    Ok(Function {
        fs: Arc::new(fs),
        info: LoadInfo {
            sha256,
            kind: loaded.kind,
            cache,
            load_duration: started.elapsed(),
        },
        spec,
        pre: loaded.pre,
        engine,
        cold: AtomicBool::new(true),
        log_stream,
        log_group,
        arn,
        base_env,
    })
}
