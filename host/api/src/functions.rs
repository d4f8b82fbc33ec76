//! The control plane: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
//! UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, PublishVersion,
//! ListVersionsByFunction and GetAccountSettings, plus restoring uploads at startup.
//!
//! An upload is unpacked and compiled and linked (which proves it is real wasm of a kind
//! fnhost runs, with imports fnhost provides) in memory, before anything is written; then,
//! under the write lock and only once its name, revision and the code storage quota are
//! checked (a DryRun stops before), its code goes to `<state>/code/<sha256>.wasm`, its
//! compiled artifact to the cache, its record to the store, and the already-loaded function
//! into the registry. Deleting or replacing code collects the code files and artifacts nothing
//! uses any more. Functions of `fnhost.toml` are listed and invoked like uploads but changed
//! only by editing the manifest.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fnhost_dispatch::{Deployed, Origin};
use fnhost_runtime::{Function, FunctionSpec, PendingArtifact, RuntimeError};
use fnhost_store::{FunctionRecord, LATEST};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde_json::{Value, json};

use crate::api::{Api, blocking, empty, json_response, now_ms};
use crate::config::{
    ConfigInput, CreateInput, FunctionView, PublishInput, UpdateCodeInput, apply, new_record,
    new_revision, parse_body, zip_file,
};
use crate::error::ApiError;
use crate::grants::{Uploads, check_tags};
use crate::name::{self, FunctionRef};
use crate::package::{self, PackageError};
use crate::paging::Page;
use crate::provision;

type Reply = Result<Response<Full<Bytes>>, ApiError>;

/// What the runtime needs from a stored record, with the grants of the function's `tags`
/// applied to `uploads` (the host's buckets and call router).
pub fn spec_of(
    record: &FunctionRecord,
    tags: &BTreeMap<String, String>,
    uploads: &Uploads,
) -> FunctionSpec {
    let mut spec = FunctionSpec::new(&record.name);
    spec.version = record.version.clone();
    spec.memory_mb = record.memory_mb;
    spec.timeout = Duration::from_secs(record.timeout_s.into());
    spec.fuel = record.fuel;
    spec.env = record
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    spec.ephemeral_mb = record.ephemeral_storage_mb;
    uploads.apply(&mut spec, tags);
    spec
}

/// The registry key of a record.
pub(crate) fn key_of(record: &FunctionRecord) -> String {
    if record.version == LATEST {
        record.name.clone()
    } else {
        format!("{}:{}", record.name, record.version)
    }
}

fn manifest_conflict(name: &str) -> ApiError {
    ApiError::Conflict(format!(
        "Function `{name}` is declared in fnhost.toml; change it by editing fnhost.toml (fnhost reloads it), not through the API"
    ))
}

fn store_err(what: &'static str) -> impl Fn(fnhost_store::StoreError) -> ApiError {
    move |e| ApiError::internal(what, e)
}

/// How an upload was refused by the runtime.
fn load_error(err: RuntimeError) -> ApiError {
    match err {
        RuntimeError::NotWasm { .. }
        | RuntimeError::Compile { .. }
        | RuntimeError::Unsupported { .. } => {
            ApiError::InvalidParameter(format!("the uploaded code cannot run on fnhost: {err}"))
        }
        other => ApiError::internal("loading the function", other),
    }
}

fn package_error(err: PackageError) -> ApiError {
    match err {
        PackageError::ZippedTooLarge | PackageError::UnzippedTooLarge => {
            ApiError::TooLarge(err.to_string())
        }
        other => ApiError::InvalidParameter(other.to_string()),
    }
}

/// A loaded upload, not yet stored: nothing of it is on disk.
pub(crate) struct Compiled {
    pub(crate) function: Function,
    pub(crate) wasm: Vec<u8>,
    pub(crate) sha256: String,
    /// The compiled artifact, when the cache did not have it yet.
    pub(crate) artifact: Option<PendingArtifact>,
    /// The zip, unpacked into the function's `/var/task` on commit (`None` for a bare `.wasm`).
    pub(crate) task: Option<crate::layers::TaskPackage>,
}

impl Compiled {
    /// A compiled `function` of `wasm`, kept by the hash the runtime computed.
    pub(crate) fn new(
        function: Function,
        wasm: Vec<u8>,
        artifact: Option<PendingArtifact>,
        task: Option<crate::layers::TaskPackage>,
    ) -> Self {
        Self {
            sha256: function.info().sha256.clone(),
            function,
            wasm,
            artifact,
            task,
        }
    }
}

impl Api {
    /// An uploaded function's version for the registry, behind its function's reserved gate
    /// when it has one (PutFunctionConcurrency), else the shared gate.
    pub(crate) fn deployed(&self, function: Function) -> Deployed {
        let (gate, reserved_concurrency) = self.gate_of(&function.spec().name);
        Deployed {
            function: Arc::new(function),
            gate,
            reserved_concurrency,
            origin: Origin::Api,
        }
    }

    /// The tags of function `name`.
    pub(crate) async fn tags(&self, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let (store, name) = (self.store.clone(), name.to_owned());
        blocking(move || {
            store
                .function_tags(&name)
                .map_err(store_err("reading the function's tags"))
        })
        .await
    }

    /// Unpack and load a package on a blocking thread, with `record`'s configuration and its
    /// stored tags.
    async fn compile(
        &self,
        record: &FunctionRecord,
        package: Vec<u8>,
    ) -> Result<Compiled, ApiError> {
        let tags = self.tags(&record.name).await?;
        self.compile_tagged(record, &tags, package).await
    }

    /// Unpack and load a package on a blocking thread, with `record`'s configuration and the
    /// grants of `tags`.
    async fn compile_tagged(
        &self,
        record: &FunctionRecord,
        tags: &BTreeMap<String, String>,
        package: Vec<u8>,
    ) -> Result<Compiled, ApiError> {
        self.deployed_now();
        let runtime = self.dispatcher.runtime().clone();
        let mut spec = spec_of(record, tags, &self.config.uploads);
        let (state, mut placed) = (self.config.state_dir.clone(), record.clone());
        blocking(move || {
            let unpacked = package::unpack(&package).map_err(package_error)?;
            let task = crate::layers::TaskPackage::prepare(&state, &package)?;
            placed.task_sha256 = None;
            (spec.opt_dir, _) = crate::layers::environment_of(&state, &placed)?;
            spec.task_dir = task.as_ref().map(|t| t.dir.clone());
            if !unpacked.wasm.starts_with(b"\0asm") {
                return Err(ApiError::InvalidParameter(format!(
                    "the uploaded code cannot run on fnhost: `{}` is not WebAssembly (no `\\0asm` magic number); upload the compiled .wasm",
                    unpacked.origin
                )));
            }
            let wasm = unpacked.wasm.clone();
            let (function, artifact) = runtime
                .compile_bytes(spec, Path::new(&unpacked.origin), unpacked.wasm, Instant::now())
                .map_err(load_error)?;
            // The zip goes to the shared blobs with the code (a cluster's other nodes).
            let task = task.map(|mut task| {
                task.zip = Some(package);
                task
            });
            Ok(Compiled::new(function, wasm, artifact, task))
        })
        .await
    }

    /// Load a stored version from its code file (the compiled artifact is in the cache).
    pub(crate) async fn load_stored(&self, record: &FunctionRecord) -> Result<Function, ApiError> {
        let runtime = self.dispatcher.runtime().clone();
        let tags = self.tags(&record.name).await?;
        let mut spec = spec_of(record, &tags, &self.config.uploads);
        let language = provision::source_language(record);
        if let Some(language) = language {
            self.source_mounts(record, language, &mut spec);
        }
        let path = self.code.path(&record.code_sha256);
        let (state, stored) = (self.config.state_dir.clone(), record.clone());
        let api = self.this.upgrade();
        let (store, code) = (self.store.clone(), self.code.clone());
        blocking(move || {
            // A node of a cluster that lacks the files takes them from the shared blobs.
            crate::shared::ensure_record(&store, &code, &state, &stored)?;
            (spec.opt_dir, spec.task_dir) = crate::layers::environment_of(&state, &stored)?;
            if let (Some(language), Some(api)) = (language, api) {
                api.generic_mounts(&stored, language, &mut spec)?;
            }
            // The code file is named by the hash of its code: its artifact is mapped without
            // reading and hashing the file.
            runtime
                .load_stored(spec, &path, &stored.code_sha256)
                .map_err(load_error)
        })
        .await
    }

    async fn record(&self, name: &str, version: &str) -> Result<Option<FunctionRecord>, ApiError> {
        let (store, name, version) = (self.store.clone(), name.to_owned(), version.to_owned());
        blocking(move || {
            store
                .function(&name, &version)
                .map_err(store_err("reading the function registry"))
        })
        .await
    }

    /// The `$LATEST` record of an uploaded function named by `reference`.
    pub(crate) async fn uploaded(
        &self,
        reference: &FunctionRef,
    ) -> Result<FunctionRecord, ApiError> {
        match self.dispatcher.registry().get(&reference.name) {
            Some(d) if d.origin == Origin::Manifest => {
                return Err(manifest_conflict(&reference.name));
            }
            _ => {}
        }
        self.record(&reference.name, LATEST)
            .await?
            .ok_or_else(|| reference.not_found())
    }

    /// The view of one deployed version.
    async fn view(&self, reference: &FunctionRef) -> Result<FunctionView, ApiError> {
        if let Some(deployed) = self.dispatcher.registry().get(&reference.key())
            && deployed.origin == Origin::Manifest
        {
            return Ok(FunctionView::manifest(
                &reference.name,
                &deployed,
                self.started_ms,
            ));
        }
        // An upload is shown from its record, deployed or not (Pending, Failed).
        self.record(&reference.name, reference.version())
            .await?
            .map(FunctionView::uploaded)
            .ok_or_else(|| reference.not_found())
    }

    /// Refuse if `name` is taken (by the manifest or an upload, deployed or only stored).
    pub(crate) async fn check_free(&self, name: &str) -> Result<(), ApiError> {
        if let Some(d) = self.dispatcher.registry().get(name) {
            return Err(match d.origin {
                Origin::Manifest => ApiError::Conflict(format!(
                    "Function already exist: {name} (declared in fnhost.toml; pick another name, or edit fnhost.toml)"
                )),
                Origin::Api => ApiError::Conflict(format!("Function already exist: {name}")),
            });
        }
        if self.record(name, LATEST).await?.is_some() {
            return Err(ApiError::Conflict(format!(
                "Function already exist: {name}"
            )));
        }
        Ok(())
    }

    /// Refuse a change that would take the code storage total past the quota: `latest` the
    /// new `$LATEST` of its function (`None`: unchanged), `publish` whether the function's
    /// `$LATEST` is then published. Counted by [`fnhost_store::code_storage`], the one rule,
    /// over every stored version as it would be after the change (caller holds the write lock).
    async fn check_quota(
        &self,
        name: &str,
        latest: Option<&FunctionRecord>,
        publish: bool,
    ) -> Result<(), ApiError> {
        let (store, owned) = (self.store.clone(), name.to_owned());
        let mut records = blocking(move || {
            let mut records = Vec::new();
            for latest in store.functions().map_err(store_err("listing functions"))? {
                records.extend(
                    store
                        .versions(&latest.name)
                        .map_err(store_err("listing versions"))?,
                );
            }
            Ok(records)
        })
        .await?;
        let before = total_of(&records);
        if let Some(latest) = latest {
            records.retain(|r| !(r.name == owned && r.version == LATEST));
            records.push(latest.clone());
        }
        if publish
            && let Some(latest) = records
                .iter()
                .find(|r| r.name == owned && r.version == LATEST)
        {
            // Publishing adds a version unless the newest one already matches (Lambda's rule,
            // as `Store::publish_version` applies it).
            let newest = records
                .iter()
                .filter(|r| r.name == owned && r.version != LATEST)
                .max_by_key(|r| r.version.parse::<u64>().unwrap_or(0));
            if !newest.is_some_and(|n| n.same_code_and_config(latest)) {
                let mut version = latest.clone();
                version.version = "0".to_owned();
                records.push(version);
            }
        }
        let after = total_of(&records);
        let limit = self.config.code_storage_limit;
        if after > limit && after > before {
            let adds = after - before;
            return Err(ApiError::CodeStorageExceeded(format!(
                "Code storage limit exceeded: {before} bytes are stored, this change adds {adds} and the limit is {limit} bytes (each published version counts its code); delete functions or versions you no longer need, or raise --code-storage-limit"
            )));
        }
        Ok(())
    }

    /// Write the code file and the record, then deploy (caller holds the write lock).
    pub(crate) async fn commit(
        &self,
        record: FunctionRecord,
        compiled: Compiled,
    ) -> Result<(), ApiError> {
        let (code, store, saved) = (self.code.clone(), self.store.clone(), record.clone());
        let wasm = compiled.wasm;
        let sha = compiled.sha256;
        let artifact = compiled.artifact;
        let (mut task, state) = (compiled.task, self.config.state_dir.clone());
        blocking(move || {
            code.write(&sha, &wasm)
                .map_err(|e| ApiError::internal("writing the code", e))?;
            // Shared before the record is written: a node that reads it finds the content.
            crate::shared::share(&store, &sha, &wasm)?;
            if let Some(task) = &mut task {
                if let Some(zip) = task.zip.take() {
                    crate::shared::share(&store, &task.sha256, &zip)?;
                }
                task.commit(&state);
            }
            store
                .put_function(&saved)
                .map_err(store_err("writing the function registry"))?;
            // The function runs from memory either way; without the artifact the next start
            // compiles it again.
            if let Some(Err(err)) = artifact.map(PendingArtifact::store) {
                tracing::warn!(sha256 = %sha, %err, "cannot store the compiled artifact");
            }
            Ok(())
        })
        .await?;
        self.dispatcher
            .registry()
            .insert(&key_of(&record), self.deployed(compiled.function));
        self.applied.deployed(&record);
        Ok(())
    }

    /// Delete code files no record refers to, and compiled artifacts of code that neither a
    /// record nor a deployed function (manifest ones included) uses (caller holds the write
    /// lock).
    pub(crate) async fn collect_code(&self) -> Result<(), ApiError> {
        let (store, code) = (self.store.clone(), self.code.clone());
        let state = self.config.state_dir.clone();
        let runtime = self.dispatcher.runtime().clone();
        let packager = self.packager.clone();
        let deployed: Vec<String> = self
            .dispatcher
            .registry()
            .snapshot()
            .values()
            .map(|d| d.function.info().sha256.clone())
            .collect();
        blocking(move || {
            let mut keep = BTreeSet::new();
            for latest in store.functions().map_err(store_err("listing functions"))? {
                for version in store
                    .versions(&latest.name)
                    .map_err(store_err("listing versions"))?
                {
                    keep.insert(version.code_sha256);
                }
            }
            // The generic runtimes stay compiled for the next new function.
            keep.extend(packager.runtime_images());
            crate::shared::collect_blobs(&store, &keep, now_ms());
            code.retain(&keep)
                .map_err(|e| ApiError::internal("removing unused code", e))?;
            crate::layers::collect(&state, &store)?;
            let mut used: HashSet<String> = keep.into_iter().collect();
            used.extend(deployed);
            match runtime.collect_artifacts(&used) {
                Ok(collected) if collected.files > 0 => {
                    tracing::info!(
                        files = collected.files,
                        bytes = collected.bytes,
                        "removed unused compiled artifacts"
                    );
                }
                Ok(_) => {}
                // The cache is an optimisation: a failure leaves files behind, nothing breaks.
                Err(err) => tracing::warn!(%err, "cannot collect unused compiled artifacts"),
            }
            Ok(())
        })
        .await
    }

    /// Publish `$LATEST` of `name` and deploy the version (caller holds the write lock).
    pub(crate) async fn publish_locked(&self, name: &str) -> Result<FunctionRecord, ApiError> {
        let (store, owned) = (self.store.clone(), name.to_owned());
        let published = blocking(move || {
            store
                .publish_version(&owned, now_ms())
                .map_err(store_err("publishing a version"))
        })
        .await?
        .ok_or_else(|| ApiError::NotFound {
            arn: name::arn(name),
        })?;
        let key = key_of(&published);
        if self.dispatcher.registry().get(&key).is_none() {
            let function = self.load_stored(&published).await?;
            self.dispatcher
                .registry()
                .insert(&key, self.deployed(function));
        }
        self.applied.deployed(&published);
        Ok(published)
    }

    pub(crate) async fn create_function(&self, body: &[u8]) -> Reply {
        let input: CreateInput = parse_body(body)?;
        let reference = name::parse(&input.function_name, None)?;
        if reference.qualifier.is_some() {
            return Err(ApiError::Validation(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: a new function's name cannot name a version",
                input.function_name
            )));
        }
        let name = reference.name;
        check_tags(&input.tags)?;
        self.check_free(&name).await?;
        let mut record = new_record(&name);
        let mut config = input.config;
        let layers = config.layers.take();
        apply(&mut record, config)?;
        if let Some(arns) = layers {
            record.layers = self.resolve_layers(&arns, &[]).await?;
        }
        let package = zip_file(
            input.code.zip_file.as_deref(),
            input.code.s3_bucket.as_deref(),
            input.code.image_uri.as_deref(),
        )?;
        if provision::source_language(&record).is_some() {
            return self
                .create_from_source(record, &input.tags, package, input.publish)
                .await;
        }
        let compiled = self.compile_tagged(&record, &input.tags, package).await?;
        let _writes = self.writes.lock().await;
        self.check_free(&name).await?;
        record.code_sha256 = compiled.sha256.clone();
        record.code_size = compiled.wasm.len() as u64;
        record.task_sha256 = compiled.task.as_ref().map(|t| t.sha256.clone());
        let unzipped = compiled
            .task
            .as_ref()
            .map_or(record.code_size, |t| t.unzipped);
        crate::layers::check_total_size(unzipped, &record.layers)?;
        self.check_quota(&name, Some(&record), input.publish)
            .await?;
        record.revision_id = new_revision();
        record.last_modified_ms = now_ms();
        // The new function's tags replace whatever an earlier, failed create of the name left.
        let (store, tagged, tags) = (self.store.clone(), name.clone(), input.tags.clone());
        blocking(move || {
            store
                .clear_function_tags(&tagged)
                .and_then(|()| store.tag_function(&tagged, &tags))
                .map_err(store_err("tagging the function"))
        })
        .await?;
        self.commit(record.clone(), compiled).await?;
        tracing::info!(function = %name, sha256 = %record.code_sha256, "function created");
        let shown = if input.publish {
            self.publish_locked(&name).await?
        } else {
            record
        };
        Ok(json_response(
            StatusCode::CREATED,
            &FunctionView::uploaded(shown).configuration(),
        ))
    }

    pub(crate) async fn get_function(&self, function: &str, qualifier: Option<&str>) -> Reply {
        let reference = name::parse(function, qualifier)?;
        let view = self.view(&reference).await?;
        let tags = match self.dispatcher.registry().get(&reference.key()) {
            Some(d) if d.origin == Origin::Api => self.tags(&reference.name).await?,
            _ => BTreeMap::new(),
        };
        let mut body = json!({
            "Configuration": view.configuration(),
            "Code": { "RepositoryType": "S3" },
            "Tags": tags,
        });
        let reserved = match view.origin {
            Origin::Manifest => view.reserved_concurrency,
            Origin::Api => self.reserved_of(&reference.name),
        };
        if let (Some(n), Some(object)) = (reserved, body.as_object_mut()) {
            object.insert(
                "Concurrency".into(),
                json!({ "ReservedConcurrentExecutions": n }),
            );
        }
        Ok(json_response(StatusCode::OK, &body))
    }

    pub(crate) async fn get_configuration(&self, function: &str, qualifier: Option<&str>) -> Reply {
        let reference = name::parse(function, qualifier)?;
        let view = self.view(&reference).await?;
        Ok(json_response(StatusCode::OK, &view.configuration()))
    }

    pub(crate) async fn list_functions(
        &self,
        query: &std::collections::BTreeMap<String, String>,
    ) -> Reply {
        let all = query.get("FunctionVersion").is_some_and(|v| v == "ALL");
        let page = Page::of(query, 10_000, "ListFunctions")?;
        let snapshot = self.dispatcher.registry().snapshot();
        let store = self.store.clone();
        let records = blocking(move || {
            let mut records = Vec::new();
            for latest in store.functions().map_err(store_err("listing functions"))? {
                if all {
                    records.extend(
                        store
                            .versions(&latest.name)
                            .map_err(store_err("listing versions"))?,
                    );
                } else {
                    records.push(latest);
                }
            }
            Ok(records)
        })
        .await?;
        let mut views: Vec<(String, FunctionView)> = Vec::new();
        for record in records {
            // Uploads, deployed or not (Pending, Failed), unless the manifest took the name.
            if !snapshot
                .get(&record.name)
                .is_some_and(|d| d.origin == Origin::Manifest)
            {
                views.push((
                    sort_key(&record.name, &record.version),
                    FunctionView::uploaded(record),
                ));
            }
        }
        for (key, deployed) in snapshot.iter() {
            if deployed.origin == Origin::Manifest {
                views.push((
                    sort_key(key, LATEST),
                    FunctionView::manifest(key, deployed, self.started_ms),
                ));
            }
        }
        views.sort_by(|a, b| a.0.cmp(&b.0));
        let (shown, next) = page.slice(&views);
        let mut body = json!({
            "Functions": shown.iter().map(|(_, v)| v.listed()).collect::<Vec<Value>>(),
        });
        if let (Some(next), Some(object)) = (next, body.as_object_mut()) {
            object.insert("NextMarker".into(), json!(next));
        }
        Ok(json_response(StatusCode::OK, &body))
    }

    pub(crate) async fn list_versions(&self, function: &str) -> Reply {
        let reference = name::parse(function, None)?;
        let deployed = self
            .dispatcher
            .registry()
            .get(&reference.name)
            .ok_or_else(|| reference.not_found())?;
        let versions: Vec<Value> = if deployed.origin == Origin::Manifest {
            vec![FunctionView::manifest(&reference.name, &deployed, self.started_ms).listed()]
        } else {
            let (store, name) = (self.store.clone(), reference.name.clone());
            blocking(move || store.versions(&name).map_err(store_err("listing versions")))
                .await?
                .into_iter()
                .map(|r| FunctionView::uploaded(r).listed())
                .collect()
        };
        Ok(json_response(
            StatusCode::OK,
            &json!({ "Versions": versions }),
        ))
    }

    pub(crate) async fn update_code(&self, function: &str, body: &[u8]) -> Reply {
        let reference = name::parse(function, None)?;
        let input: UpdateCodeInput = parse_body(body)?;
        let current = self.uploaded(&reference).await?;
        check_revision(&current, input.revision_id.as_deref())?;
        if let Some(err) = provision::busy(&current) {
            return Err(err);
        }
        let package = zip_file(
            input.zip_file.as_deref(),
            input.s3_bucket.as_deref(),
            input.image_uri.as_deref(),
        )?;
        if provision::source_language(&current).is_some() {
            return self.update_source(current, package, &input).await;
        }
        let compiled = self.compile(&current, package).await?;
        let mut record = current.clone();
        record.code_sha256 = compiled.sha256.clone();
        record.code_size = compiled.wasm.len() as u64;
        record.task_sha256 = compiled.task.as_ref().map(|t| t.sha256.clone());
        let unzipped = compiled
            .task
            .as_ref()
            .map_or(record.code_size, |t| t.unzipped);
        crate::layers::check_total_size(unzipped, &record.layers)?;
        if input.dry_run {
            return Ok(json_response(
                StatusCode::OK,
                &FunctionView::uploaded(record).configuration(),
            ));
        }
        let _writes = self.writes.lock().await;
        let latest = self.uploaded(&reference).await?;
        check_revision(&latest, Some(&current.revision_id))?;
        if let Some(err) = provision::busy(&latest) {
            return Err(err);
        }
        self.check_quota(&record.name, Some(&record), input.publish)
            .await?;
        record.revision_id = new_revision();
        record.last_modified_ms = now_ms();
        self.commit(record.clone(), compiled).await?;
        self.collect_code().await?;
        tracing::info!(function = %record.name, sha256 = %record.code_sha256, "code updated");
        let shown = if input.publish {
            self.publish_locked(&record.name).await?
        } else {
            record
        };
        Ok(json_response(
            StatusCode::OK,
            &FunctionView::uploaded(shown).configuration(),
        ))
    }

    pub(crate) async fn update_configuration(&self, function: &str, body: &[u8]) -> Reply {
        let reference = name::parse(function, None)?;
        let input: ConfigInput = parse_body(body)?;
        let _writes = self.writes.lock().await;
        let mut record = self.uploaded(&reference).await?;
        check_revision(&record, input.revision_id.as_deref())?;
        if let Some(err) = provision::busy(&record) {
            return Err(err);
        }
        let before = record.clone();
        let mut input = input;
        let layers = input.layers.take();
        apply(&mut record, input)?;
        if provision::source_language(&before).is_some()
            != provision::source_language(&record).is_some()
        {
            return Err(ApiError::InvalidParameter(format!(
                "Runtime {} and {} take different code (source to package, or a prebuilt .wasm): change the runtime together with the code, with UpdateFunctionCode after deleting and creating the function",
                before.runtime.as_deref().unwrap_or("(none)"),
                record.runtime.as_deref().unwrap_or("(none)")
            )));
        }
        if let Some(arns) = layers {
            record.layers = self.resolve_layers(&arns, &record.layers).await?;
            let (state, function) = (self.config.state_dir.clone(), record.clone());
            let bytes =
                blocking(move || Ok(crate::layers::function_bytes(&state, &function))).await?;
            crate::layers::check_total_size(bytes, &record.layers)?;
        }
        record.revision_id = new_revision();
        record.last_modified_ms = now_ms();
        if provision::source_language(&record).is_some()
            && (record.runtime != before.runtime
                || record.handler != before.handler
                || record.layers != before.layers)
        {
            // The handler and the layers are packaged into the component: package again; the
            // previous code keeps running until then.
            Api::mark_provisioning(&mut record, false);
            self.put_record(&record).await?;
            self.provision(record.clone(), false);
            return Ok(json_response(
                StatusCode::OK,
                &FunctionView::uploaded(record).configuration(),
            ));
        }
        let loaded = self.load_stored(&record).await?;
        let (store, saved) = (self.store.clone(), record.clone());
        blocking(move || {
            store
                .put_function(&saved)
                .map_err(store_err("writing the function registry"))
        })
        .await?;
        self.dispatcher
            .registry()
            .insert(&record.name, self.deployed(loaded));
        self.applied.deployed(&record);
        // Layer versions deleted earlier and now used by no function lose their files.
        self.collect_code().await?;
        Ok(json_response(
            StatusCode::OK,
            &FunctionView::uploaded(record).configuration(),
        ))
    }

    pub(crate) async fn delete_function(&self, function: &str, qualifier: Option<&str>) -> Reply {
        let reference = name::parse(function, qualifier)?;
        if reference.qualifier.as_deref() == Some(LATEST) {
            return Err(ApiError::InvalidParameter(
                "$LATEST version cannot be deleted without deleting the function.".into(),
            ));
        }
        let _writes = self.writes.lock().await;
        self.uploaded(&reference).await?;
        self.alias_delete_hook(&reference).await?;
        let (store, name, version) = (
            self.store.clone(),
            reference.name.clone(),
            reference.qualifier.clone(),
        );
        let deleted = blocking(move || {
            let deleted = store
                .delete_function(&name, version.as_deref())
                .map_err(store_err("deleting from the function registry"))?;
            if deleted && version.is_none() {
                store
                    .clear_function_tags(&name)
                    .map_err(store_err("deleting the function's tags"))?;
                // The console's saved test events go with the function, as on Lambda.
                store
                    .delete_test_events(&name)
                    .map_err(store_err("deleting the function's test events"))?;
            }
            Ok(deleted)
        })
        .await?;
        if !deleted {
            return Err(reference.not_found());
        }
        if reference.qualifier.is_none() {
            self.delete_function_urls(&reference.name).await?;
            self.concurrency_delete_hook(&reference.name).await?;
        }
        let registry = self.dispatcher.registry();
        match &reference.qualifier {
            Some(_) => {
                registry.remove(&reference.key());
            }
            None => {
                let prefix = format!("{}:", reference.name);
                for key in registry.names() {
                    if key == reference.name || key.starts_with(&prefix) {
                        registry.remove(&key);
                    }
                }
            }
        }
        self.collect_code().await?;
        tracing::info!(function = %reference.arn(), "deleted");
        Ok(empty(StatusCode::NO_CONTENT))
    }

    pub(crate) async fn publish_version(&self, function: &str, body: &[u8]) -> Reply {
        let reference = name::parse(function, None)?;
        let input: PublishInput = parse_body(body)?;
        let _writes = self.writes.lock().await;
        let latest = self.uploaded(&reference).await?;
        check_revision(&latest, input.revision_id.as_deref())?;
        if let Some(err) = provision::busy(&latest) {
            return Err(err);
        }
        self.check_quota(&reference.name, None, true).await?;
        let published = self.publish_locked(&reference.name).await?;
        Ok(json_response(
            StatusCode::CREATED,
            &FunctionView::uploaded(published).configuration(),
        ))
    }

    pub(crate) async fn account_settings(&self) -> Reply {
        let store = self.store.clone();
        let (total, count) = blocking(move || {
            Ok((
                store
                    .code_bytes_total()
                    .map_err(store_err("reading the code storage total"))?,
                store
                    .functions()
                    .map_err(store_err("listing functions"))?
                    .len(),
            ))
        })
        .await?;
        let admission = self.dispatcher.admission();
        let manifest = self
            .dispatcher
            .registry()
            .snapshot()
            .values()
            .filter(|d| d.origin == Origin::Manifest)
            .count();
        Ok(json_response(
            StatusCode::OK,
            &json!({
                "AccountLimit": {
                    "TotalCodeSize": self.config.code_storage_limit,
                    "CodeSizeUnzipped": package::MAX_UNZIPPED_BYTES,
                    "CodeSizeZipped": package::MAX_ZIPPED_BYTES,
                    "ConcurrentExecutions": admission.config().max_concurrency,
                    "UnreservedConcurrentExecutions": admission.shared().size(),
                },
                "AccountUsage": { "TotalCodeSize": total, "FunctionCount": count + manifest },
            }),
        ))
    }

    /// Deploy every stored upload (each version) at startup, skipping names `fnhost.toml`
    /// holds, and remove code files nothing refers to. Returns the versions deployed.
    pub async fn restore(&self) -> Result<usize, ApiError> {
        let _writes = self.writes.lock().await;
        let store = self.store.clone();
        let records = blocking(move || {
            let mut records = Vec::new();
            for latest in store.functions().map_err(store_err("listing functions"))? {
                records.extend(
                    store
                        .versions(&latest.name)
                        .map_err(store_err("listing versions"))?,
                );
            }
            Ok(records)
        })
        .await?;
        // The reservations first: the versions deploy behind their function's gate.
        self.restore_concurrency().await?;
        let registry = self.dispatcher.registry();
        let mut deployed = 0;
        let resumed = self.resume(&records);
        if resumed > 0 {
            tracing::info!(
                functions = resumed,
                "packaging again what a restart interrupted"
            );
        }
        for record in records {
            if registry
                .get(&record.name)
                .is_some_and(|d| d.origin == Origin::Manifest)
            {
                if record.version == LATEST {
                    tracing::warn!(function = %record.name, "fnhost.toml declares a function of the same name as an upload; the manifest's wins and the upload is not deployed");
                }
                continue;
            }
            if record.state != fnhost_store::FunctionState::Active {
                continue; // Pending: queued again below; Failed: nothing to run.
            }
            match self.load_stored(&record).await {
                Ok(function) => {
                    registry.insert(&key_of(&record), self.deployed(function));
                    self.applied.deployed(&record);
                    deployed += 1;
                }
                Err(err) => {
                    tracing::warn!(function = %record.name, version = %record.version, %err, "cannot deploy a stored upload");
                }
            }
        }
        self.restore_aliases().await?;
        self.collect_code().await?;
        Ok(deployed)
    }
}

/// The code storage quota's count over `records`.
fn total_of(records: &[FunctionRecord]) -> u64 {
    fnhost_store::code_storage(
        records
            .iter()
            .map(|r| (r.version.as_str(), r.code_sha256.as_str(), r.code_size)),
    )
}

/// `name` then the version: `$LATEST` first, then numbers in order.
fn sort_key(name: &str, version: &str) -> String {
    let rank = if version == LATEST {
        String::new()
    } else {
        format!("{:0>10}", version)
    };
    format!("{name}\u{0}{rank}")
}

fn check_revision(record: &FunctionRecord, expected: Option<&str>) -> Result<(), ApiError> {
    match expected {
        Some(expected) if expected != record.revision_id => Err(ApiError::PreconditionFailed),
        _ => Ok(()),
    }
}
