//! Functions of a source runtime (`python3.x`, `nodejsN.x`): their zip of source is the
//! deployment package, and fnhost packages it into a component ([`fnhost_packager`]) and
//! compiles it in the background, with Lambda's function states.
//!
//! CreateFunction stores the function `Pending` and answers at once; an update of an `Active`
//! function stores `LastUpdateStatus: InProgress` and leaves the previous code running. A job
//! per change then waits for one of a bounded number of slots ([`ApiConfig::packaging_slots`]),
//! packages the source (unpacked at `<state>/tasks/<source_sha256>/`, which becomes the
//! function's `/var/task`) with the function's layers as `/opt`, compiles the component, and
//! under the write lock — if the function is still at the revision it packaged — makes it
//! `Active` / `Successful` and deploys it, or records `Failed` with Lambda's reason code and
//! text (a failed update keeps the previous code). Pending work survives a restart:
//! [`Api::restore`] queues it again.
//!
//! [`ApiConfig::packaging_slots`]: crate::ApiConfig::packaging_slots

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fnhost_core::runtimes::{Runtime, SourceLanguage};
use fnhost_packager::{PackageError, Request};
use fnhost_runtime::FunctionSpec;
use fnhost_store::{FunctionRecord, FunctionState, LATEST, Reason, UpdateStatus};

use crate::api::{Api, blocking, now_ms};
use crate::config::new_revision;
use crate::error::ApiError;
use crate::functions::{Compiled, spec_of};
use crate::name::{self, FunctionRef};

/// How long the host must go without a deploy (or a start) before it builds functions' own
/// components behind the fast tier.
pub(crate) const QUIET: Duration = Duration::from_secs(10);

/// `StateReason` while a function is created (Lambda's text), and while an update is in
/// progress (Lambda sends the same sentence).
pub(crate) const CREATING: &str = "The function is being created.";

/// The source language of `record`'s runtime, when fnhost packages its source.
pub(crate) fn source_language(record: &FunctionRecord) -> Option<SourceLanguage> {
    record
        .runtime
        .as_deref()
        .and_then(|r| Runtime::from_str(r).ok())
        .and_then(|r| r.language())
}

/// The 409 for an operation on a function that is not `Active`, or has an update in
/// progress; `None` when the operation may go ahead.
pub(crate) fn busy(record: &FunctionRecord) -> Option<ApiError> {
    if record.state != FunctionState::Active {
        return Some(ApiError::Conflict(format!(
            "The operation cannot be performed at this time. The function is currently in the following state: {}",
            record.state.as_str()
        )));
    }
    if record.last_update == UpdateStatus::InProgress {
        return Some(ApiError::Conflict(format!(
            "The operation cannot be performed at this time. An update is in progress for resource: {}",
            name::arn(&record.name)
        )));
    }
    None
}

/// `record`'s handler setting, or its runtime's default.
fn handler_of(record: &FunctionRecord) -> String {
    record
        .handler
        .clone()
        .or_else(|| {
            record
                .runtime
                .as_deref()
                .and_then(|r| Runtime::from_str(r).ok())
                .and_then(|r| r.default_handler().map(str::to_owned))
        })
        .unwrap_or_default()
}

/// Copy the compiled artifact `from` to `to` unless `to` exists (a hard link when both are on
/// one file system): the generic runtime is compiled once per machine, not once per host.
/// Best effort: without it the host compiles.
fn share_artifact(from: &Path, to: &Path) {
    if to.exists() || !from.is_file() {
        return;
    }
    let Some(parent) = to.parent() else {
        return;
    };
    let tmp = parent.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    let copied = std::fs::create_dir_all(parent)
        .and_then(|()| {
            std::fs::hard_link(from, &tmp).or_else(|_| std::fs::copy(from, &tmp).map(drop))
        })
        .and_then(|()| std::fs::rename(&tmp, to));
    if let Err(err) = copied {
        let _ = std::fs::remove_file(&tmp);
        tracing::debug!(from = %from.display(), to = %to.display(), %err, "cannot share a compiled artifact");
    }
}

/// The mounts of a function on the fast tier, as kept beside the state.
#[derive(serde::Serialize, serde::Deserialize)]
struct PreparedMounts {
    lang_dir: Option<std::path::PathBuf>,
    runtime_dir: Option<std::path::PathBuf>,
}

/// Whether two records of a function package into the same component.
fn same_package(a: &FunctionRecord, b: &FunctionRecord) -> bool {
    a.source_sha256 == b.source_sha256
        && a.handler == b.handler
        && a.runtime == b.runtime
        && a.layers == b.layers
}

/// Why packaging or compiling failed, as Lambda's reason code and text.
fn reason_of(err: &PackageError) -> Reason {
    match err {
        PackageError::HandlerNotFound {
            error_type,
            message,
        } => Reason::new("FunctionError", format!("{error_type}: {message}")),
        other => Reason::new("InternalError", other.to_string()),
    }
}

impl Api {
    /// Mark `record` (its source at `tasks/<source_sha256>`) as being packaged — `Pending`
    /// for a new function, `InProgress` for an update — before it is stored.
    pub(crate) fn mark_provisioning(record: &mut FunctionRecord, new: bool) {
        let reason = Some(Reason::new("Creating", CREATING));
        if new {
            record.state = FunctionState::Pending;
            record.state_reason = reason;
            record.last_update = UpdateStatus::Successful;
            record.last_update_reason = None;
        } else {
            record.last_update = UpdateStatus::InProgress;
            record.last_update_reason = reason;
        }
    }

    /// Package and deploy `record` in the background (it is stored, `Pending` or
    /// `InProgress`).
    /// `publish`: publish a version once it is `Active` (CreateFunction's and
    /// UpdateFunctionCode's `Publish`; not kept across a restart).
    pub(crate) fn provision(&self, record: FunctionRecord, publish: bool) {
        let Some(api) = self.this.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            let name = record.name.clone();
            // In a cluster one node packages each change (the others follow the result).
            if !api.claim_build(&record).await {
                return;
            }
            // A node that read the record before another node finished packaging it finds it
            // packaged once it holds the lease (which that node gave up only after its last
            // write): nothing is left to do.
            if !api.still_to_package(&record).await {
                api.release_build(&record).await;
                return;
            }
            let done = api.provision_now(record.clone(), publish).await;
            api.release_build(&record).await;
            if let Err(err) = done {
                tracing::warn!(function = %name, %err, "cannot record the end of packaging");
            }
        });
    }

    async fn provision_now(&self, record: FunctionRecord, publish: bool) -> Result<(), ApiError> {
        let started = Instant::now();
        self.deployed_now();
        match self.prepare_and_compile(&record).await {
            Ok(Some(compiled)) => {
                if let Some(done) = self.finish(&record, Ok(compiled), publish, started).await? {
                    self.specialize(done);
                }
                Ok(())
            }
            Ok(None) => {
                let slot = self.packaging.clone().acquire_owned().await;
                let built = self.package_and_compile(&record, false).await;
                drop(slot);
                self.finish(&record, built, publish, started)
                    .await
                    .map(drop)
            }
            Err(reason) => self
                .finish(&record, Err(reason), publish, started)
                .await
                .map(drop),
        }
    }

    /// Record how packaging `record` went: deploy it `Active` / `Successful`, or record
    /// `Failed`. The stored record when it is deployed now.
    async fn finish(
        &self,
        record: &FunctionRecord,
        built: Result<Compiled, Reason>,
        publish: bool,
        started: Instant,
    ) -> Result<Option<FunctionRecord>, ApiError> {
        let _writes = self.writes.lock().await;
        let Some(current) = self.record_of(&record.name).await? else {
            return Ok(None); // deleted meanwhile
        };
        if current.revision_id != record.revision_id {
            return Ok(None); // deleted and created again meanwhile
        }
        let current_state = (
            current.state,
            current.state_reason.clone(),
            current.last_update,
            current.last_update_reason.clone(),
        );
        let mut deployed = None;
        let mut done = current;
        done.revision_id = new_revision();
        done.last_modified_ms = now_ms();
        match built {
            Ok(compiled) => {
                done.code_sha256 = compiled.sha256.clone();
                done.code_size = compiled.wasm.len() as u64;
                done.task_sha256 = done.source_sha256.clone();
                done.state = FunctionState::Active;
                done.state_reason = None;
                done.last_update = UpdateStatus::Successful;
                done.last_update_reason = None;
                // Deployed while the record still says Pending / InProgress, then Active: a
                // client that saw Active can invoke at once.
                let mut staged = done.clone();
                staged.state = current_state.0;
                staged.state_reason = current_state.1;
                staged.last_update = current_state.2;
                staged.last_update_reason = current_state.3;
                // The staged record still says Pending / InProgress under its new revision: its
                // build lease, held until the record says Active, keeps the other nodes of a
                // cluster from packaging it again meanwhile.
                let staged_lease = self.hold_build_lease(&staged).await;
                let committed = self.commit(staged.clone(), compiled).await;
                let stored = match committed {
                    Ok(()) => self.put_record(&done).await,
                    Err(err) => Err(err),
                };
                if staged_lease {
                    self.release_build(&staged).await;
                }
                stored?;
                if publish {
                    self.publish_locked(&done.name).await?;
                }
                tracing::info!(
                    function = %done.name,
                    sha256 = %done.code_sha256,
                    seconds = started.elapsed().as_secs_f64(),
                    "packaged and deployed"
                );
                deployed = Some(done);
            }
            Err(reason) => {
                tracing::warn!(function = %done.name, code = %reason.code, reason = %reason.message, "packaging failed");
                if done.state == FunctionState::Pending {
                    done.state = FunctionState::Failed;
                    done.state_reason = Some(reason.clone());
                    done.last_update = UpdateStatus::Failed;
                    done.last_update_reason = Some(reason);
                } else {
                    // The previous code keeps running, and stays the source of the function.
                    done.last_update = UpdateStatus::Failed;
                    done.last_update_reason = Some(reason);
                    done.source_sha256 = done.task_sha256.clone();
                }
                let (store, saved) = (self.store.clone(), done.clone());
                blocking(move || {
                    store
                        .put_function(&saved)
                        .map_err(|e| ApiError::internal("writing the function registry", e))
                })
                .await?;
            }
        }
        self.collect_code().await?;
        Ok(deployed)
    }

    /// Note a deploy (or a start): background packaging waits [`QUIET`] after the last one.
    pub(crate) fn deployed_now(&self) {
        self.last_deploy_ms.fetch_max(now_ms(), Ordering::Relaxed);
    }

    /// Wait until no function was deployed for [`QUIET`]: a burst of deploys, or a restart,
    /// first makes every function answer, then spends the CPU on their own components.
    async fn quiet(&self) {
        loop {
            let due = self.last_deploy_ms.load(Ordering::Relaxed) + QUIET.as_millis() as u64;
            let now = now_ms();
            if now >= due {
                return;
            }
            tokio::time::sleep(Duration::from_millis(due - now)).await;
        }
    }

    /// Build `record`'s own component in the background (it runs on the generic runtime
    /// meanwhile) and deploy it in place of the generic one, unless the function changed.
    pub(crate) fn specialize(&self, record: FunctionRecord) {
        let Some(api) = self.this.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            let name = record.name.clone();
            // In a cluster one node builds it (the others follow the result).
            if !api.claim_build(&record).await {
                return;
            }
            let done = api.specialize_now(record.clone()).await;
            api.release_build(&record).await;
            if let Err(err) = done {
                tracing::warn!(function = %name, %err, "cannot deploy the function's own component");
            }
        });
    }

    async fn specialize_now(&self, record: FunctionRecord) -> Result<(), ApiError> {
        self.quiet().await;
        let slot = self.packaging.clone().acquire_owned().await;
        let started = Instant::now();
        let built = self.package_and_compile(&record, true).await;
        drop(slot);
        let mut revision = record.revision_id.clone();
        let mut compiled = match built {
            Ok(compiled) => compiled,
            Err(reason) => {
                tracing::warn!(function = %record.name, code = %reason.code, reason = %reason.message, "the function's own component cannot be built; it keeps running on the generic runtime");
                return Ok(());
            }
        };
        // A configuration change meanwhile (same code) is applied by loading the component
        // again with it, from the compiled artifact: a few tries, then the next start does it.
        for _ in 0..3 {
            let writes = self.writes.lock().await;
            let Some(current) = self.record_of(&record.name).await? else {
                return Ok(());
            };
            if current.state != FunctionState::Active
                || current.last_update == UpdateStatus::InProgress
                || current.code_sha256 != record.code_sha256
                || !same_package(&current, &record)
            {
                return Ok(()); // new code on its way, or deleted and created again
            }
            if current.revision_id != revision {
                drop(writes);
                compiled = self.reload(&current, compiled.wasm).await?;
                revision = current.revision_id;
                continue;
            }
            let mut done = current;
            done.code_sha256 = compiled.sha256.clone();
            done.code_size = compiled.wasm.len() as u64;
            self.commit(done.clone(), compiled).await?;
            tracing::info!(
                function = %done.name,
                sha256 = %done.code_sha256,
                seconds = started.elapsed().as_secs_f64(),
                "the function now runs its own component"
            );
            return self.collect_code().await;
        }
        Ok(())
    }

    /// CreateFunction of a source runtime: store the function `Pending` with its source as
    /// `/var/task`, answer, and package it in the background.
    pub(crate) async fn create_from_source(
        &self,
        mut record: FunctionRecord,
        tags: &BTreeMap<String, String>,
        package: Vec<u8>,
        publish: bool,
    ) -> Result<http::Response<http_body_util::Full<bytes::Bytes>>, ApiError> {
        let state = self.config.state_dir.clone();
        let mut task = blocking(move || {
            let mut task = unpack_source(&state, &package)?;
            task.zip = Some(package);
            Ok(task)
        })
        .await?;
        crate::layers::check_total_size(task.unzipped, &record.layers)?;
        let _writes = self.writes.lock().await;
        self.check_free(&record.name).await?;
        record.source_sha256 = Some(task.sha256.clone());
        record.task_sha256 = None;
        Api::mark_provisioning(&mut record, true);
        record.revision_id = new_revision();
        record.last_modified_ms = now_ms();
        let (store, saved, tags) = (self.store.clone(), record.clone(), tags.clone());
        let state = self.config.state_dir.clone();
        blocking(move || {
            if let Some(zip) = task.zip.take() {
                crate::shared::share(&store, &task.sha256, &zip)?;
            }
            task.commit(&state);
            store
                .clear_function_tags(&saved.name)
                .and_then(|()| store.tag_function(&saved.name, &tags))
                .and_then(|()| store.put_function(&saved))
                .map_err(|e| ApiError::internal("writing the function registry", e))
        })
        .await?;
        tracing::info!(function = %record.name, runtime = ?record.runtime, "function created; packaging its source");
        self.provision(record.clone(), publish);
        Ok(crate::api::json_response(
            http::StatusCode::CREATED,
            &crate::config::FunctionView::uploaded(record).configuration(),
        ))
    }

    /// UpdateFunctionCode of a source runtime: the new source is packaged in the background
    /// (`LastUpdateStatus: InProgress`) while the previous code keeps running.
    pub(crate) async fn update_source(
        &self,
        current: FunctionRecord,
        package: Vec<u8>,
        input: &crate::config::UpdateCodeInput,
    ) -> Result<http::Response<http_body_util::Full<bytes::Bytes>>, ApiError> {
        let state = self.config.state_dir.clone();
        let mut task = blocking(move || {
            let mut task = unpack_source(&state, &package)?;
            task.zip = Some(package);
            Ok(task)
        })
        .await?;
        crate::layers::check_total_size(task.unzipped, &current.layers)?;
        let mut record = current.clone();
        record.source_sha256 = Some(task.sha256.clone());
        if input.dry_run {
            return Ok(crate::api::json_response(
                http::StatusCode::OK,
                &crate::config::FunctionView::uploaded(record).configuration(),
            ));
        }
        let _writes = self.writes.lock().await;
        let latest = self
            .record_of(&current.name)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                arn: name::arn(&current.name),
            })?;
        if latest.revision_id != current.revision_id {
            return Err(ApiError::PreconditionFailed);
        }
        if let Some(err) = busy(&latest) {
            return Err(err);
        }
        Api::mark_provisioning(&mut record, false);
        record.revision_id = new_revision();
        record.last_modified_ms = now_ms();
        let (state, store) = (self.config.state_dir.clone(), self.store.clone());
        blocking(move || {
            if let Some(zip) = task.zip.take() {
                crate::shared::share(&store, &task.sha256, &zip)?;
            }
            task.commit(&state);
            Ok(())
        })
        .await?;
        self.put_record(&record).await?;
        tracing::info!(function = %record.name, "code updated; packaging its source");
        self.provision(record.clone(), input.publish);
        Ok(crate::api::json_response(
            http::StatusCode::OK,
            &crate::config::FunctionView::uploaded(record).configuration(),
        ))
    }

    /// Store `record` (caller holds the write lock).
    pub(crate) async fn put_record(&self, record: &FunctionRecord) -> Result<(), ApiError> {
        let (store, saved) = (self.store.clone(), record.clone());
        blocking(move || {
            store
                .put_function(&saved)
                .map_err(|e| ApiError::internal("writing the function registry", e))
        })
        .await
    }

    /// The `$LATEST` record of `name`, if stored.
    /// Whether `record` is still the stored `$LATEST` and waits to be packaged (`Pending`, or
    /// an update `InProgress`).
    async fn still_to_package(&self, record: &FunctionRecord) -> bool {
        match self.record_of(&record.name).await {
            Ok(Some(current)) => {
                current.revision_id == record.revision_id
                    && (current.state == FunctionState::Pending
                        || current.last_update == UpdateStatus::InProgress)
            }
            Ok(None) => false,
            // Unknown: package, as before the check (the result is the same code).
            Err(_) => true,
        }
    }

    pub(crate) async fn record_of(&self, name: &str) -> Result<Option<FunctionRecord>, ApiError> {
        let (store, name) = (self.store.clone(), name.to_owned());
        blocking(move || {
            store
                .function(&name, LATEST)
                .map_err(|e| ApiError::internal("reading the function registry", e))
        })
        .await
    }

    /// What `record` needs from its runtime setting: its language and handler.
    fn source_of(record: &FunctionRecord) -> Result<(SourceLanguage, String), Reason> {
        let language = source_language(record).ok_or_else(|| {
            Reason::new(
                "InvalidRuntime",
                format!(
                    "fnhost cannot package source for runtime {}",
                    record.runtime.as_deref().unwrap_or("(none)")
                ),
            )
        })?;
        Ok((language, handler_of(record)))
    }

    /// The spec `record` runs with, its source at `/var/task` (`source` unpacked) and its
    /// layers at `/opt`, with the runtime's mounts and `_HANDLER` (blocking).
    fn source_spec(
        &self,
        record: &FunctionRecord,
        tags: &BTreeMap<String, String>,
        language: SourceLanguage,
    ) -> Result<FunctionSpec, Reason> {
        let internal = |err: ApiError| Reason::new("InternalError", err.to_string());
        let mut spec = spec_of(record, tags, &self.config.uploads);
        let mut placed = record.clone();
        placed.task_sha256 = record.source_sha256.clone();
        let (opt, task) =
            crate::layers::environment_of(&self.config.state_dir, &placed).map_err(internal)?;
        spec.opt_dir = opt;
        spec.task_dir =
            Some(task.ok_or_else(|| Reason::new("InternalError", "no source directory"))?);
        self.source_mounts(record, language, &mut spec);
        Ok(spec)
    }

    /// Give a function of a source runtime its handler setting (`_HANDLER`) and the runtime's
    /// directories (`/var/lang`, `/var/runtime`).
    pub(crate) fn source_mounts(
        &self,
        record: &FunctionRecord,
        language: SourceLanguage,
        spec: &mut FunctionSpec,
    ) {
        let mounts = self.packager.runtime_mounts(language);
        spec.lang_dir = mounts.lang_dir;
        spec.runtime_dir = mounts.runtime_dir;
        spec.handler = Some(handler_of(record));
    }

    /// For a function still on its language's generic runtime (a restart, a configuration
    /// change): the generic runtime's mounts, the Node.js bundle included (blocking; the
    /// bundle is made again only if it is gone).
    pub(crate) fn generic_mounts(
        &self,
        record: &FunctionRecord,
        language: SourceLanguage,
        spec: &mut FunctionSpec,
    ) -> Result<(), ApiError> {
        if !self.packager.runtime_images().contains(&record.code_sha256) {
            return Ok(());
        }
        let (Some(task), Some(_)) = (&spec.task_dir, &record.source_sha256) else {
            return Ok(());
        };
        // This host's compiled artifact of the runtime: when it lacks one (a node of a cluster
        // that did not package the function, or a new state directory), the machine's shared
        // one is taken below rather than compiling the runtime again.
        let own = self
            .dispatcher
            .runtime()
            .artifact_path(spec, &record.code_sha256)
            .ok();
        let compiled = own.as_ref().is_some_and(|(path, _)| path.is_file());
        // What the fast tier prepared, remembered: no bundler run on the restart path.
        let remembered = self.prepared_path(record);
        if compiled
            && let Ok(text) = std::fs::read_to_string(&remembered)
            && let Ok(mounts) = serde_json::from_str::<PreparedMounts>(&text)
            && mounts.lang_dir.as_deref().is_none_or(Path::is_dir)
            && mounts.runtime_dir.as_deref().is_none_or(Path::is_dir)
        {
            spec.lang_dir = mounts.lang_dir;
            spec.runtime_dir = mounts.runtime_dir;
            return Ok(());
        }
        let request = Request {
            language,
            handler: handler_of(record),
            code: task.clone(),
            opt_dir: spec.opt_dir.clone(),
            out: self.config.state_dir.join("packages").join("function.wasm"),
        };
        let name = record.name.clone();
        let progress = |line: &str| tracing::debug!(function = %name, "{line}");
        let prepared = self
            .packager
            .prepare(&request, &progress)
            .map_err(|e| ApiError::internal("preparing the function for its runtime", e))?;
        if let Some(prepared) = prepared {
            if let Some((own, engine)) = &own
                && prepared.sha256 == record.code_sha256
            {
                let shared = prepared
                    .compiled_dir
                    .join(engine)
                    .join(format!("{}.cwasm", prepared.sha256));
                share_artifact(&shared, own);
            }
            self.remember_prepared(record, &prepared);
            spec.lang_dir = prepared.lang_dir;
            spec.runtime_dir = prepared.runtime_dir;
        }
        Ok(())
    }

    /// Where the mounts prepared for `record`'s code, handler, layers and runtime are kept.
    fn prepared_path(&self, record: &FunctionRecord) -> std::path::PathBuf {
        use sha2::Digest as _;
        let key = format!(
            "{}\n{}\n{}\n{}\n{}",
            record.source_sha256.as_deref().unwrap_or_default(),
            handler_of(record),
            record.runtime.as_deref().unwrap_or_default(),
            record.code_sha256,
            record
                .layers
                .iter()
                .map(|l| l.arn.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        self.config
            .state_dir
            .join("packages")
            .join("prepared")
            .join(format!("{}.json", hex::encode(sha2::Sha256::digest(key))))
    }

    /// Keep what [`Packager::prepare`] gave `record` (best effort: without it a restart
    /// prepares again).
    ///
    /// [`Packager::prepare`]: fnhost_packager::Packager::prepare
    fn remember_prepared(&self, record: &FunctionRecord, prepared: &fnhost_packager::Prepared) {
        let path = self.prepared_path(record);
        let mounts = PreparedMounts {
            lang_dir: prepared.lang_dir.clone(),
            runtime_dir: prepared.runtime_dir.clone(),
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
                std::fs::write(&tmp, serde_json::to_vec(&mounts).unwrap_or_default())
                    .and_then(|()| std::fs::rename(&tmp, &path))
            });
        if let Err(err) = written {
            tracing::debug!(path = %path.display(), %err, "cannot remember the prepared mounts");
        }
    }

    /// The fast tier: compile `record` on its language's generic runtime (built on first use,
    /// then compiled once for every function). `Ok(None)` when it has none.
    async fn prepare_and_compile(
        &self,
        record: &FunctionRecord,
    ) -> Result<Option<Compiled>, Reason> {
        let internal = |err: ApiError| Reason::new("InternalError", err.to_string());
        let (language, handler) = Self::source_of(record)?;
        let tags = self.tags(&record.name).await.map_err(internal)?;
        let Some(api) = self.this.upgrade() else {
            return Err(Reason::new("InternalError", "the host is stopping"));
        };
        let record = record.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let task = api.config.state_dir.join("tasks").join(
                record.source_sha256.as_deref().ok_or_else(|| {
                    Reason::new("InternalError", "the function has no source package")
                })?,
            );
            let (opt, _) =
                crate::layers::environment_of(&api.config.state_dir, &record).map_err(internal)?;
            let request = Request {
                language,
                handler,
                code: task,
                opt_dir: opt,
                // A Node.js function's bundle goes beside it (<state>/packages/js-runtime/).
                out: api.config.state_dir.join("packages").join("function.wasm"),
            };
            let name = record.name.clone();
            let progress = |line: &str| tracing::debug!(function = %name, "{line}");
            let Some(prepared) = api
                .packager
                .prepare(&request, &progress)
                .map_err(|e| reason_of(&e))?
            else {
                return Ok(None);
            };
            let wasm = std::fs::read(&prepared.wasm).map_err(|e| {
                Reason::new("InternalError", format!("reading the generic runtime: {e}"))
            })?;
            let mut spec = api.source_spec(&record, &tags, language)?;
            spec.lang_dir = prepared.lang_dir.clone();
            spec.runtime_dir = prepared.runtime_dir.clone();
            let mut stored = record.clone();
            stored.code_sha256 = prepared.sha256.clone();
            api.remember_prepared(&stored, &prepared);
            let runtime = api.dispatcher.runtime();
            let shared =
                runtime
                    .artifact_path(&spec, &prepared.sha256)
                    .ok()
                    .map(|(own, engine)| {
                        let shared = prepared
                            .compiled_dir
                            .join(engine)
                            .join(format!("{}.cwasm", prepared.sha256));
                        share_artifact(&shared, &own);
                        (own, shared)
                    });
            let (function, artifact) = runtime
                .compile_bytes(
                    spec,
                    Path::new("runtime.wasm"),
                    wasm.clone(),
                    Instant::now(),
                )
                .map_err(|e| Reason::new("InternalError", format!("compiling the runtime: {e}")))?;
            // Compiled here first: kept now, and offered to the other hosts of this machine.
            if let Some(artifact) = artifact {
                if let Err(err) = artifact.store() {
                    tracing::warn!(%err, "cannot store the generic runtime's compiled artifact");
                } else if let Some((own, shared)) = shared {
                    share_artifact(&own, &shared);
                }
            }
            Ok(Some(Compiled::new(function, wasm, None, None)))
        })
        .await;
        joined.unwrap_or_else(|e| {
            Err(Reason::new(
                "InternalError",
                format!("packaging stopped: {e}"),
            ))
        })
    }

    /// Load `wasm` (compiled before: the artifact is cached) with `record`'s configuration.
    async fn reload(&self, record: &FunctionRecord, wasm: Vec<u8>) -> Result<Compiled, ApiError> {
        let (language, _) =
            Self::source_of(record).map_err(|r| ApiError::internal("reloading", r.message))?;
        let tags = self.tags(&record.name).await?;
        let Some(api) = self.this.upgrade() else {
            return Err(ApiError::internal("reloading", "the host is stopping"));
        };
        let record = record.clone();
        blocking(move || {
            let spec = api
                .source_spec(&record, &tags, language)
                .map_err(|r| ApiError::internal("reloading", r.message))?;
            let (function, artifact) = api
                .dispatcher
                .runtime()
                .compile_bytes(
                    spec,
                    Path::new("package.wasm"),
                    wasm.clone(),
                    Instant::now(),
                )
                .map_err(|e| ApiError::internal("reloading", e))?;
            Ok(Compiled::new(function, wasm, artifact, None))
        })
        .await
    }

    /// Package `record`'s source and compile it (blocking work on its own thread).
    async fn package_and_compile(
        &self,
        record: &FunctionRecord,
        background: bool,
    ) -> Result<Compiled, Reason> {
        let internal = |err: ApiError| Reason::new("InternalError", err.to_string());
        let tags = self.tags(&record.name).await.map_err(internal)?;
        let (language, handler) = Self::source_of(record)?;
        let Some(api) = self.this.upgrade() else {
            return Err(Reason::new("InternalError", "the host is stopping"));
        };
        let record = record.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let spec = api.source_spec(&record, &tags, language)?;
            let packages = api.config.state_dir.join("packages");
            std::fs::create_dir_all(&packages)
                .map_err(|e| Reason::new("InternalError", format!("{}: {e}", packages.display())))?;
            let out = packages.join(format!(".{}.wasm", uuid::Uuid::new_v4().simple()));
            let request = Request {
                language,
                handler,
                code: spec.task_dir.clone().unwrap_or_default(),
                opt_dir: spec.opt_dir.clone(),
                out: out.clone(),
            };
            let name = record.name.clone();
            let progress = |line: &str| tracing::debug!(function = %name, "{line}");
            let packager = if background {
                &api.background_packager
            } else {
                &api.packager
            };
            let packaged = packager.package(&request, &progress);
            let wasm = packaged
                .map_err(|e| reason_of(&e))
                .and_then(|packaged| {
                    if let Some(init) = &packaged.init_error {
                        tracing::warn!(function = %name, error = %init, "the handler fails when it is loaded; every invocation will fail");
                    }
                    std::fs::read(&packaged.out).map_err(|e| {
                        Reason::new("InternalError", format!("reading the package: {e}"))
                    })
                });
            let _ = std::fs::remove_file(&out);
            let wasm = wasm?;
            let (function, artifact) = api
                .dispatcher
                .runtime()
                .compile_bytes(spec, Path::new("package.wasm"), wasm.clone(), Instant::now())
                .map_err(|e| Reason::new("InternalError", format!("compiling the package: {e}")))?;
            Ok(Compiled::new(function, wasm, artifact, None))
        })
        .await;
        joined.unwrap_or_else(|e| {
            Err(Reason::new(
                "InternalError",
                format!("packaging stopped: {e}"),
            ))
        })
    }

    /// The error for invoking `reference` when nothing is deployed under its key: the
    /// state's 409 for a function being created or that failed, else not found.
    pub(crate) async fn not_deployed(&self, reference: &FunctionRef) -> ApiError {
        if reference.version() == LATEST
            && let Ok(Some(record)) = self.record_of(&reference.name).await
            && let Some(err) = busy(&record)
        {
            return err;
        }
        reference.not_found()
    }

    /// Queue again what a restart interrupted: functions still `Pending` and updates still
    /// `InProgress`.
    pub(crate) fn resume(&self, records: &[FunctionRecord]) -> usize {
        let mut queued = 0;
        let mut generic = Vec::new();
        for record in records {
            if record.version == LATEST
                && (record.state == FunctionState::Pending
                    || record.last_update == UpdateStatus::InProgress)
            {
                self.provision(record.clone(), false);
                queued += 1;
            } else if record.version == LATEST && source_language(record).is_some() {
                generic.push(record.clone());
            }
        }
        // Functions still on the generic runtime get their own component built again.
        if !generic.is_empty()
            && let Some(api) = self.this.upgrade()
        {
            tokio::spawn(async move {
                let packager = api.packager.clone();
                let Ok(images) = blocking(move || Ok(packager.runtime_images())).await else {
                    return;
                };
                for record in generic {
                    if images.contains(&record.code_sha256) {
                        api.specialize(record);
                    }
                }
            });
        }
        queued
    }
}

/// The source package of a new or updated function: the zip, kept unpacked as its
/// `/var/task`. Returns the tasks entry (not yet committed) and its unzipped size.
pub(crate) fn unpack_source(
    state_dir: &Path,
    package: &[u8],
) -> Result<crate::layers::TaskPackage, ApiError> {
    if !package.starts_with(b"PK") {
        return Err(ApiError::InvalidParameter(
            "Could not unzip uploaded file. Please check your file, then try to upload again. (a python3.x or nodejsN.x function's code is a zip of its source)".into(),
        ));
    }
    crate::layers::TaskPackage::prepare(state_dir, package)?
        .ok_or_else(|| ApiError::InvalidParameter("the zip is empty".into()))
}

/// The runtime setting of a request, checked: `Ok(None)` when absent.
pub(crate) fn check_runtime(runtime: Option<&str>) -> Result<Option<Runtime>, ApiError> {
    let Some(text) = runtime else {
        return Ok(None);
    };
    let parsed = Runtime::from_str(text).map_err(|e| {
        ApiError::Validation(format!(
            "1 validation error detected: Value '{text}' at 'runtime' failed to satisfy constraint: {e}"
        ))
    })?;
    if parsed.deprecated() {
        return Err(ApiError::InvalidParameter(format!(
            "The runtime parameter of {text} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."
        )));
    }
    Ok(Some(parsed))
}

/// Lambda's `State*` / `LastUpdateStatus*` fields of a full configuration.
pub(crate) fn state_fields(record: &FunctionRecord) -> BTreeMap<&'static str, serde_json::Value> {
    let mut fields = BTreeMap::new();
    fields.insert("State", serde_json::json!(record.state.as_str()));
    if let Some(reason) = &record.state_reason {
        fields.insert("StateReason", serde_json::json!(reason.message));
        fields.insert("StateReasonCode", serde_json::json!(reason.code));
    }
    if record.state == FunctionState::Pending {
        // A function being created has no update yet (Lambda leaves these out).
        return fields;
    }
    fields.insert(
        "LastUpdateStatus",
        serde_json::json!(record.last_update.as_str()),
    );
    if let Some(reason) = &record.last_update_reason {
        fields.insert("LastUpdateStatusReason", serde_json::json!(reason.message));
        fields.insert("LastUpdateStatusReasonCode", serde_json::json!(reason.code));
    }
    fields
}
