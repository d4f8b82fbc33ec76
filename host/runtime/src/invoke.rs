//! Running one event: a fresh store with limits, instantiate, call, classify, report.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use wasmtime::component::ResourceTable;
use wasmtime::{InstancePre, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

use fnhost_core::{Lineage, Trigger};

use crate::error::{Result, RuntimeError, one_line};
use crate::function::{Function, Pre};
use crate::host::{ComponentState, GuestContext, HandlerPre, Metered, ModuleState, unix_ms};
use crate::limits::{MemoryLimitExceeded, Meter};
use crate::logs::CappedPipe;
use crate::objects::WriteOrigin;
use crate::outcome::{MAX_RESPONSE_BYTES, Outcome};
use crate::report::{Report, billed_ms};
use crate::runtime::Runtime;
use crate::sandbox_fs::{Sandbox, TmpArea, TmpRoot};

pub use fnhost_core::limits::MAX_EVENT_BYTES;

/// One event to run.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    /// The event, JSON text.
    pub event: Bytes,
    /// Request id to use; a UUID v4 is made when absent.
    pub request_id: Option<String>,
    /// The ARN the caller used (qualified or not); the unqualified ARN when absent.
    pub invoked_function_arn: Option<String>,
    /// The chain this event belongs to, when another event caused it.
    pub lineage: Option<Lineage>,
    /// What delivered the event; records, metrics and logs show it.
    pub trigger: Trigger,
    /// A deadline the invocation may not outlive, whatever the function's timeout: a
    /// synchronous call from another function carries the caller's deadline.
    pub deadline_cap: Option<Instant>,
    /// `event` came from a [`JsonEvent`], so it is JSON by construction and is not parsed again.
    json_by_construction: bool,
}

/// Event JSON the host serialised itself (a trigger's event): JSON by construction, so
/// [`Runtime::invoke`] skips parsing it again to check it (it still checks its size).
#[derive(Debug, Clone)]
pub struct JsonEvent(Bytes);

impl JsonEvent {
    /// `value` serialised.
    pub fn from_value(value: &serde_json::Value) -> Self {
        // Serialising a `Value` cannot fail (its map keys are strings).
        Self(Bytes::from(serde_json::to_vec(value).unwrap_or_default()))
    }

    /// `value` serialised, without building a `Value` first; fails only for a value JSON
    /// cannot hold (a map with keys that are not strings).
    pub fn from_serialize(value: &impl Serialize) -> Result<Self, serde_json::Error> {
        serde_json::to_vec(value).map(|json| Self(Bytes::from(json)))
    }

    /// The JSON text.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }
}

impl InvokeRequest {
    /// A request for an event that `trigger` delivered, with a fresh request id.
    pub fn new(event: impl Into<Bytes>, trigger: Trigger) -> Self {
        Self {
            event: event.into(),
            request_id: None,
            invoked_function_arn: None,
            lineage: None,
            trigger,
            deadline_cap: None,
            json_by_construction: false,
        }
    }

    /// A request for an event the host built, with a fresh request id.
    pub fn from_json(event: JsonEvent, trigger: Trigger) -> Self {
        Self {
            json_by_construction: true,
            ..Self::new(event.0, trigger)
        }
    }
}

/// A fresh request id in UUID v4 form, without a system call (see `fastrand`).
pub fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
        .into_uuid()
        .to_string()
}

/// The result of one invocation: outcome, measurements and captured log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// The request id.
    pub request_id: String,
    /// How it ended.
    #[serde(skip)]
    pub outcome: Outcome,
    /// REPORT's fields.
    pub report: Report,
    /// The guest's stdout and stderr (the log), up to the cap.
    #[serde(skip)]
    pub log: Bytes,
    /// Log bytes dropped past the cap.
    pub log_dropped: u64,
    /// Trap details for the log (wasm backtrace), when the guest trapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What delivered the event, copied from the request.
    pub trigger: Trigger,
    /// The chain the event belongs to, copied from the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineage: Option<Lineage>,
}

impl Invocation {
    /// What the caller receives: the payload, or Lambda's error object.
    pub fn payload(&self) -> Bytes {
        self.outcome.payload(&self.request_id)
    }

    /// The whole Lambda-style log: START, guest output, error lines, END, REPORT.
    pub fn log_text(&self) -> String {
        let mut text = String::with_capacity(self.log.len() + 512);
        text.push_str(&self.report.start_line());
        text.push('\n');
        let guest = String::from_utf8_lossy(&self.log);
        text.push_str(&guest);
        if !guest.is_empty() && !guest.ends_with('\n') {
            text.push('\n');
        }
        if self.log_dropped > 0 {
            text.push_str(&format!(
                "[fnhost] log truncated: {} bytes dropped past the per-invocation cap\n",
                self.log_dropped
            ));
        }
        if let Some(message) = self.outcome.error_message(&self.request_id) {
            if matches!(self.outcome, Outcome::Timeout { .. }) {
                text.push_str(&format!(
                    "{} {} {}\n",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                    self.request_id,
                    message.rsplit("Error: ").next().unwrap_or(&message)
                ));
            } else if !matches!(self.outcome, Outcome::FunctionError { .. }) {
                text.push_str(&message);
                text.push('\n');
            }
        }
        if let Some(detail) = &self.detail {
            text.push_str(detail.trim_end());
            text.push('\n');
        }
        text.push_str(&self.report.end_line());
        text.push('\n');
        text.push_str(&self.report.report_line());
        text.push('\n');
        text
    }
}

/// What a finished (or stopped) call left behind.
struct Ended {
    outcome: Outcome,
    fuel_left: Option<u64>,
    detail: Option<String>,
    /// How long instantiation (the guest's own initialisation included) took, when it ran.
    instantiated: Option<Duration>,
}

impl Ended {
    /// The end of a call stopped by the outer timer, inside a host call.
    fn timed_out(function: &Function) -> Ended {
        Ended {
            outcome: timeout(function),
            fuel_left: None,
            detail: None,
            instantiated: None,
        }
    }
}

/// The fuel left and whether the memory cap was hit, read from a store after its call.
struct Spent {
    fuel_left: Option<u64>,
    exceeded: bool,
}

impl Spent {
    fn of<T: Metered>(store: &mut Store<T>, metered: bool) -> Spent {
        Spent {
            // Asking an unmetered store for fuel builds an error (with a backtrace when
            // RUST_BACKTRACE is set), which costs more than the rest of a small invocation.
            fuel_left: metered.then(|| store.get_fuel().ok()).flatten(),
            exceeded: store.data_mut().meter().exceeded(),
        }
    }
}

/// One event's run on a fresh instance: what every kind of guest needs.
struct Run<'a> {
    function: &'a Function,
    request: &'a InvokeRequest,
    request_id: &'a str,
    deadline: Instant,
    deadline_ms: u64,
    log: &'a CappedPipe,
    metered: bool,
    /// This invocation's `/tmp` budget and directory.
    tmp: &'a Arc<TmpArea>,
    tmp_root: &'a Arc<TmpRoot>,
    outbound: &'a Arc<fnhost_outbound::Outbound>,
}

impl Run<'_> {
    /// A handler component: `handle(event, context)`.
    async fn handler(&self, pre: &HandlerPre<ComponentState>, event: &str, meter: Meter) -> Ended {
        let function = self.function;
        let spec = &function.spec;
        let ctx = GuestContext {
            request_id: self.request_id.to_owned(),
            function_name: spec.name.clone(),
            function_version: spec.version.clone(),
            invoked_function_arn: self
                .request
                .invoked_function_arn
                .clone()
                .unwrap_or_else(|| function.arn().to_owned()),
            memory_limit_mb: spec.memory_mb,
            deadline_ms: self.deadline_ms,
            log_group_name: function.log_group().to_owned(),
            log_stream_name: function.log_stream.clone(),
        };
        let wasi = self.wasi().build();
        let mut store = self.component_store(wasi, meter);
        let mut instantiated = None;
        let result = async {
            let started = Instant::now();
            let handler = pre.instantiate_async(&mut store).await?;
            instantiated = Some(started.elapsed());
            handler.call_handle(&mut store, event, &ctx).await
        }
        .await;
        let spent = Spent::of(&mut store, self.metered);
        let outcome = match result {
            Ok(Ok(body)) if body.len() > MAX_RESPONSE_BYTES => {
                Outcome::ResponseTooLarge { size: body.len() }
            }
            Ok(Ok(body)) => Outcome::Ok(Bytes::from(body)),
            Ok(Err(e)) => Outcome::function_error(e.error_type, e.error_message, e.stack_trace),
            Err(err) => return failed(function, err, spent, instantiated),
        };
        Ended {
            outcome,
            fuel_left: spent.fuel_left,
            detail: None,
            instantiated,
        }
    }

    /// A WASI p2 command component (custom runtime): event on stdin, response on stdout.
    async fn command(&self, pre: &CommandPre<ComponentState>, meter: Meter) -> Ended {
        let stdout = CappedPipe::new(MAX_RESPONSE_BYTES + 1);
        let wasi = self
            .wasi()
            .stdin(MemoryInputPipe::new(self.request.event.clone()))
            .stdout(stdout.clone())
            .build();
        let mut store = self.component_store(wasi, meter);
        let mut instantiated = None;
        let result = async {
            let started = Instant::now();
            let command = pre.instantiate_async(&mut store).await?;
            instantiated = Some(started.elapsed());
            command.wasi_cli_run().call_run(&mut store).await
        }
        .await;
        let spent = Spent::of(&mut store, self.metered);
        let status = match result {
            Ok(Ok(())) => Ok(0),
            Ok(Err(())) => Ok(1),
            Err(err) => Err(err),
        };
        exited(self.function, status, &stdout, spent, instantiated)
    }

    /// A WASI p1 core module (custom runtime): `_start`, event on stdin, response on stdout.
    async fn module(&self, pre: &InstancePre<ModuleState>, meter: Meter) -> Ended {
        let stdout = CappedPipe::new(MAX_RESPONSE_BYTES + 1);
        let wasi = self
            .wasi()
            .stdin(MemoryInputPipe::new(self.request.event.clone()))
            .stdout(stdout.clone())
            .build_p1();
        let mut store = Store::new(&self.function.engine, ModuleState { wasi, meter });
        configure(&mut store, self.function, self.deadline);
        let mut instantiated = None;
        let result = async {
            let started = Instant::now();
            let instance = pre.instantiate_async(&mut store).await?;
            instantiated = Some(started.elapsed());
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            start.call_async(&mut store, ()).await
        }
        .await;
        let spent = Spent::of(&mut store, self.metered);
        exited(
            self.function,
            result.map(|()| 0),
            &stdout,
            spent,
            instantiated,
        )
    }

    /// The WASI context every kind gets: Lambda's environment, the log as stdout and stderr,
    /// and no network.
    fn wasi(&self) -> WasiCtxBuilder {
        let function = self.function;
        let mut builder = WasiCtx::builder();
        // wasmtime-wasi 48 denies these by default; saying so here keeps a future default (or
        // a copied `inherit_network()`) from opening the host's network to guests.
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .envs(&function.base_env)
            .env("AWS_REQUEST_ID", self.request_id)
            .env("FNHOST_DEADLINE_MS", self.deadline_ms.to_string())
            .arg(&function.spec.name)
            .stdout(self.log.clone())
            .stderr(self.log.clone());
        builder
    }

    /// A component's store: WASI, the meter, the object grants and this event's write origin.
    fn component_store(&self, wasi: WasiCtx, meter: Meter) -> Store<ComponentState> {
        let function = self.function;
        let origin = WriteOrigin {
            function: function.spec.name.clone(),
            request_id: self.request_id.to_owned(),
            lineage: self.request.lineage.clone(),
        };
        let state = ComponentState {
            wasi,
            table: ResourceTable::new(),
            meter,
            deadline_ms: self.deadline_ms,
            deadline: self.deadline,
            objects: function.spec.objects.clone(),
            origin: Arc::new(origin),
            calls: function.spec.calls.clone(),
            sandbox: Sandbox::new(
                Arc::clone(self.tmp_root),
                Arc::clone(&function.fs),
                Arc::clone(self.tmp),
            ),
            http: fnhost_outbound::http_ctx(),
            http_hooks: fnhost_outbound::OutboundHooks::new(
                Arc::clone(self.outbound),
                &function.spec.name,
                Arc::clone(&function.spec.allowed_outbound_hosts),
                self.deadline,
                self.request_id,
            ),
        };
        let mut store = Store::new(&function.engine, state);
        configure(&mut store, function, self.deadline);
        store
    }
}

impl Runtime {
    /// Run one event on a fresh instance of `function`.
    ///
    /// Errors are only for events that cannot be run (not JSON, too large); everything the
    /// guest does ends in an [`Outcome`].
    pub async fn invoke(&self, function: &Function, request: InvokeRequest) -> Result<Invocation> {
        let event = checked_event(&request.event, request.json_by_construction)?;
        let spec = &function.spec;
        let request_id = request.request_id.clone().unwrap_or_else(new_request_id);
        // Lambda reports Init Duration once per cold start: here, a loaded version's first
        // invocation, for the instantiation it waited for (never the compile before it).
        let cold = function.take_cold_start();
        let started = Instant::now();
        // A synchronous call from another function may not outlive its caller.
        let timeout = match request.deadline_cap {
            Some(cap) => spec.timeout.min(cap.saturating_duration_since(started)),
            None => spec.timeout,
        };
        let meter = Meter::new(u64::from(spec.memory_mb) << 20);
        let peak = meter.peak_handle();
        let log = CappedPipe::new(self.config().log_cap);
        let tmp = Arc::new(TmpArea::new(Arc::clone(self.tmp_root()), spec.ephemeral_mb));
        let run = Run {
            function,
            request: &request,
            request_id: &request_id,
            deadline: started + timeout,
            deadline_ms: unix_ms() + timeout.as_millis() as u64,
            log: &log,
            metered: spec.fuel.is_some(),
            tmp: &tmp,
            tmp_root: self.tmp_root(),
            outbound: &self.config().outbound,
        };
        let ran = async {
            match &function.pre {
                Pre::Handler(pre) => run.handler(pre, event, meter).await,
                Pre::Command(pre) => run.command(pre, meter).await,
                Pre::Module(pre) => run.module(pre, meter).await,
            }
        };
        // Epochs stop guest code at the deadline; this outer timer covers time blocked in host
        // calls (sleeps, I/O), where no wasm runs to check the epoch.
        let ended = tokio::time::timeout_at(run.deadline.into(), ran)
            .await
            .unwrap_or_else(|_| Ended::timed_out(function));
        // The store is gone (a timeout dropped it too): free /tmp before anyone sees the answer.
        tmp.release().await;
        let duration = started.elapsed();
        let (log, log_dropped) = log.take();
        let report = Report {
            request_id: request_id.clone(),
            version: spec.version.clone(),
            duration,
            billed_duration_ms: billed_ms(duration),
            memory_size_mb: spec.memory_mb,
            max_memory_used_mb: peak.load(Ordering::Relaxed).div_ceil(1 << 20),
            init_duration: if cold { ended.instantiated } else { None },
            fuel_consumed: spec
                .fuel
                .map(|budget| budget.saturating_sub(ended.fuel_left.unwrap_or(0))),
        };
        Ok(Invocation {
            request_id,
            outcome: ended.outcome,
            report,
            log,
            log_dropped,
            detail: ended.detail,
            trigger: request.trigger,
            lineage: request.lineage,
        })
    }
}

/// The event as text, if it can be run: at most [`MAX_EVENT_BYTES`], UTF-8 and JSON (parsed
/// to check, unless it is JSON by construction).
fn checked_event(event: &[u8], json_by_construction: bool) -> Result<&str> {
    if event.len() > MAX_EVENT_BYTES {
        return Err(RuntimeError::EventTooLarge {
            limit: MAX_EVENT_BYTES,
        });
    }
    let event = std::str::from_utf8(event)
        .map_err(|e| RuntimeError::InvalidEvent(format!("not UTF-8: {e}")))?;
    if !json_by_construction {
        serde_json::from_str::<serde::de::IgnoredAny>(event)
            .map_err(|e| RuntimeError::InvalidEvent(e.to_string()))?;
    }
    Ok(event)
}

fn configure<T: Metered>(store: &mut Store<T>, function: &Function, deadline: Instant) {
    store.limiter(|s| s.meter());
    if let Some(fuel) = function.spec.fuel {
        // Only fails on an engine without fuel, which metered specs never get.
        let _ = store.set_fuel(fuel);
    }
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        if Instant::now() >= deadline {
            Ok(UpdateDeadline::Interrupt)
        } else {
            // Yield each tick so a CPU-bound guest never pins a tokio worker.
            Ok(UpdateDeadline::Yield(1))
        }
    });
}

fn timeout(function: &Function) -> Outcome {
    Outcome::Timeout {
        timeout_s: function.spec.timeout.as_secs_f64(),
    }
}

/// Classify a failed instantiation or call.
fn failed(
    function: &Function,
    err: wasmtime::Error,
    spent: Spent,
    instantiated: Option<Duration>,
) -> Ended {
    // The cause chain carries the wasm backtrace; the host's own stack is of no use to a user.
    let detail = Some(
        err.chain()
            .map(|cause| cause.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let outcome = if spent.exceeded || err.downcast_ref::<MemoryLimitExceeded>().is_some() {
        Outcome::OutOfMemory {
            cap_mb: u64::from(function.spec.memory_mb).min(crate::limits::WASM32_MAX_BYTES >> 20),
        }
    } else if let Some(trap) = err.downcast_ref::<Trap>() {
        match trap {
            Trap::Interrupt => timeout(function),
            Trap::OutOfFuel => Outcome::OutOfFuel {
                budget: function.spec.fuel.unwrap_or(0),
            },
            other => Outcome::Trap {
                message: other.to_string(),
            },
        }
    } else if let Some(exit) = err.downcast_ref::<I32Exit>() {
        Outcome::Exit { code: exit.0 }
    } else {
        Outcome::Trap {
            message: one_line(&err),
        }
    };
    let detail = match outcome {
        Outcome::Timeout { .. } | Outcome::OutOfFuel { .. } => None,
        _ => detail,
    };
    Ended {
        outcome,
        fuel_left: spent.fuel_left,
        detail,
        instantiated,
    }
}

/// Classify a custom-runtime command by exit status and stdout.
fn exited(
    function: &Function,
    status: wasmtime::Result<i32>,
    stdout: &CappedPipe,
    spent: Spent,
    instantiated: Option<Duration>,
) -> Ended {
    let code = match status {
        Ok(code) => code,
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => return failed(function, err, spent, instantiated),
        },
    };
    let (body, dropped) = stdout.take();
    let outcome = if code == 0 {
        if dropped > 0 {
            Outcome::ResponseTooLarge {
                size: body.len() + dropped as usize,
            }
        } else {
            Outcome::Ok(body)
        }
    } else {
        command_error(&body).unwrap_or(Outcome::Exit { code })
    };
    Ended {
        outcome,
        fuel_left: spent.fuel_left,
        detail: None,
        instantiated,
    }
}

/// A command that failed may print Lambda's error object on stdout.
fn command_error(stdout: &[u8]) -> Option<Outcome> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ErrorJson {
        error_type: String,
        #[serde(default)]
        error_message: String,
        #[serde(default)]
        stack_trace: Vec<String>,
    }
    let parsed: ErrorJson = serde_json::from_slice(stdout).ok()?;
    Some(Outcome::function_error(
        parsed.error_type,
        parsed.error_message,
        parsed.stack_trace,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_error_json_is_a_function_error() {
        let out = command_error(br#"{"errorType":"CustomError","errorMessage":"asked to fail"}"#);
        assert_eq!(
            out,
            Some(Outcome::FunctionError {
                error_type: "CustomError".into(),
                message: "asked to fail".into(),
                stack_trace: vec![],
            })
        );
        assert_eq!(command_error(b"not json"), None);
    }

    #[test]
    fn only_events_from_outside_are_parsed_to_check_them() {
        assert!(checked_event(b"{oops", false).is_err());
        let built = JsonEvent::from_value(&serde_json::json!({"a": [1, "x"]}));
        assert_eq!(
            checked_event(built.bytes(), true).unwrap(),
            r#"{"a":[1,"x"]}"#
        );
        let big = vec![b' '; MAX_EVENT_BYTES + 1];
        assert!(matches!(
            checked_event(&big, true),
            Err(RuntimeError::EventTooLarge { .. })
        ));
    }

    #[test]
    fn duration_is_never_billed_as_zero() {
        assert_eq!(billed_ms(Duration::ZERO), 1);
    }
}
