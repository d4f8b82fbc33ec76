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
use std::time::Instant;

use fnhost_core::runtimes::{Runtime, SourceLanguage};
use fnhost_packager::{PackageError, Request};
use fnhost_store::{FunctionRecord, FunctionState, LATEST, Reason, UpdateStatus};

use crate::api::{Api, blocking, now_ms};
use crate::config::new_revision;
use crate::error::ApiError;
use crate::functions::{Compiled, spec_of};
use crate::name::{self, FunctionRef};

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
            if let Err(err) = api.provision_now(record, publish).await {
                tracing::warn!(function = %name, %err, "cannot record the end of packaging");
            }
        });
    }

    async fn provision_now(&self, record: FunctionRecord, publish: bool) -> Result<(), ApiError> {
        let slot = self.packaging.clone().acquire_owned().await;
        let started = Instant::now();
        let built = self.package_and_compile(&record).await;
        drop(slot);
        let _writes = self.writes.lock().await;
        let Some(current) = self.record_of(&record.name).await? else {
            return Ok(()); // deleted meanwhile
        };
        if current.revision_id != record.revision_id {
            return Ok(()); // deleted and created again meanwhile
        }
        let current_state = (
            current.state,
            current.state_reason.clone(),
            current.last_update,
            current.last_update_reason.clone(),
        );
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
                self.commit(staged, compiled).await?;
                self.put_record(&done).await?;
                if publish {
                    self.publish_locked(&done.name).await?;
                }
                tracing::info!(
                    function = %done.name,
                    sha256 = %done.code_sha256,
                    seconds = started.elapsed().as_secs_f64(),
                    "packaged and deployed"
                );
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
        self.collect_code().await
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
        let mut task = blocking(move || unpack_source(&state, &package)).await?;
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
        let mut task = blocking(move || unpack_source(&state, &package)).await?;
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
        let state = self.config.state_dir.clone();
        blocking(move || {
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
    pub(crate) async fn record_of(&self, name: &str) -> Result<Option<FunctionRecord>, ApiError> {
        let (store, name) = (self.store.clone(), name.to_owned());
        blocking(move || {
            store
                .function(&name, LATEST)
                .map_err(|e| ApiError::internal("reading the function registry", e))
        })
        .await
    }

    /// Package `record`'s source and compile it (blocking work on its own thread).
    async fn package_and_compile(&self, record: &FunctionRecord) -> Result<Compiled, Reason> {
        let internal = |err: ApiError| Reason::new("InternalError", err.to_string());
        let tags = self.tags(&record.name).await.map_err(internal)?;
        let language = source_language(record).ok_or_else(|| {
            Reason::new(
                "InvalidRuntime",
                format!(
                    "fnhost cannot package source for runtime {}",
                    record.runtime.as_deref().unwrap_or("(none)")
                ),
            )
        })?;
        let Some(source) = record.source_sha256.clone() else {
            return Err(Reason::new(
                "InternalError",
                "the function has no source package",
            ));
        };
        let handler = record
            .handler
            .clone()
            .or_else(|| {
                record
                    .runtime
                    .as_deref()
                    .and_then(|r| Runtime::from_str(r).ok())
                    .and_then(|r| r.default_handler().map(str::to_owned))
            })
            .unwrap_or_default();
        let runtime = self.dispatcher.runtime().clone();
        let packager = self.packager.clone();
        let mut spec = spec_of(record, &tags, &self.config.uploads);
        let state = self.config.state_dir.clone();
        let mut placed = record.clone();
        placed.task_sha256 = Some(source.clone());
        let name = record.name.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let (opt, task) = crate::layers::environment_of(&state, &placed).map_err(internal)?;
            let task = task.ok_or_else(|| Reason::new("InternalError", "no source directory"))?;
            let packages = state.join("packages");
            std::fs::create_dir_all(&packages)
                .map_err(|e| Reason::new("InternalError", format!("{}: {e}", packages.display())))?;
            let out = packages.join(format!(".{}.wasm", uuid::Uuid::new_v4().simple()));
            let request = Request {
                language,
                handler,
                code: task.clone(),
                opt_dir: opt.clone(),
                out: out.clone(),
            };
            let progress = |line: &str| tracing::debug!(function = %name, "{line}");
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
            spec.opt_dir = opt;
            spec.task_dir = Some(task);
            let (function, artifact) = runtime
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
        for record in records {
            if record.version == LATEST
                && (record.state == FunctionState::Pending
                    || record.last_update == UpdateStatus::InProgress)
            {
                self.provision(record.clone(), false);
                queued += 1;
            }
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
