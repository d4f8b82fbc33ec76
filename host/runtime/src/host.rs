//! Store state and the host side of the `handler` world's imports.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::StoreContextMut;
use wasmtime::component::{HasSelf, Linker, ResourceTable, WasmList};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use fnhost_outbound::OutboundHooks;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::calls::FunctionCalls;
use crate::limits::Meter;
use crate::objects::{
    NoSlot, ObjectAccess, ObjectFailure, ObjectMeta, WriteOrigin, check_put_size,
};
use crate::sandbox_fs::Sandbox;

wasmtime::component::bindgen!({
    world: "handler",
    path: "../../wit",
    imports: { default: async },
    exports: { default: async },
});

pub use fnhost::function::objects::{ObjectError, ObjectInfo};
pub use fnhost::function::types::Context as GuestContext;

/// State of a store running a component (handler or WASI p2 command).
pub struct ComponentState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) meter: Meter,
    pub(crate) deadline_ms: u64,
    /// The invocation's deadline: object calls stop waiting for a slot there.
    pub(crate) deadline: Instant,
    pub(crate) objects: Arc<dyn ObjectAccess>,
    /// Who this invocation's writes come from; built once per invocation, shared with the
    /// blocking object calls.
    pub(crate) origin: Arc<WriteOrigin>,
    /// Calls to other functions, under this function's grants.
    pub(crate) calls: Arc<dyn FunctionCalls>,
    /// `/tmp`, `/var/task` and `/opt` as this invocation sees them.
    pub(crate) sandbox: Sandbox,
    /// `wasi:http`'s context and fnhost's hooks: every outbound request is checked there.
    pub(crate) http: WasiHttpCtx,
    pub(crate) http_hooks: OutboundHooks,
}

/// State of a store running a WASI p1 core module (custom runtime).
pub struct ModuleState {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) meter: Meter,
}

/// Access to the meter, whatever the store's state type.
pub(crate) trait Metered: Send + 'static {
    fn meter(&mut self) -> &mut Meter;
}

impl Metered for ComponentState {
    fn meter(&mut self) -> &mut Meter {
        &mut self.meter
    }
}

impl Metered for ModuleState {
    fn meter(&mut self) -> &mut Meter {
        &mut self.meter
    }
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_hooks,
        }
    }
}

/// A linker with WASI p2, `wasi:http`'s outgoing handler and the fnhost imports.
pub(crate) fn component_linker(
    engine: &wasmtime::Engine,
) -> wasmtime::Result<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    // Outbound HTTP for components that import it; requests go through `OutboundHooks`.
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    Handler::add_to_linker::<ComponentState, HasSelf<ComponentState>>(&mut linker, |s| s)?;
    // The generated `put-object` lifts the body into a `Vec` (a copy of up to all of the
    // guest's memory) before any host code runs. This one takes the list as a view into guest
    // memory, refuses it by its length, and only then copies it.
    linker.allow_shadowing(true);
    // The guest's /tmp, /var/task and /opt (see `sandbox_fs`).
    crate::sandbox_fs::add_to_linker(&mut linker)?;
    linker.instance(OBJECTS_INTERFACE)?.func_wrap_async(
        "put-object",
        |mut store: StoreContextMut<'_, ComponentState>,
         (bucket, key, body): (String, String, WasmList<u8>)| {
            Box::new(async move {
                if let Err(e) = check_put_size(body.len()) {
                    return Ok((Err(to_wit(e)),));
                }
                let body = body.as_le_slice(&store).to_vec();
                let done = fnhost::function::objects::Host::put_object(
                    store.data_mut(),
                    bucket,
                    key,
                    body,
                )
                .await;
                Ok((done,))
            })
        },
    )?;
    linker.allow_shadowing(false);
    Ok(linker)
}

/// The `objects` interface's name in the `handler` world (`wit/handler.wit`).
const OBJECTS_INTERFACE: &str = "fnhost:function/objects@0.1.0";

/// A linker with WASI p1 for core modules.
pub(crate) fn module_linker(
    engine: &wasmtime::Engine,
) -> wasmtime::Result<wasmtime::Linker<ModuleState>> {
    let mut linker = wasmtime::Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut ModuleState| &mut s.wasi)?;
    Ok(linker)
}

pub(crate) use fnhost_core::unix_ms;

impl fnhost::function::types::Host for ComponentState {}

impl fnhost::function::runtime::Host for ComponentState {
    async fn remaining_time_ms(&mut self) -> u64 {
        self.deadline_ms.saturating_sub(unix_ms())
    }
}

fn to_wit(failure: ObjectFailure) -> ObjectError {
    match failure {
        ObjectFailure::NoSuchKey(m) => ObjectError::NoSuchKey(m),
        ObjectFailure::NoSuchBucket(m) => ObjectError::NoSuchBucket(m),
        ObjectFailure::AccessDenied(m) => ObjectError::AccessDenied(m),
        ObjectFailure::InvalidKey(m) => ObjectError::InvalidKey(m),
        ObjectFailure::TooLarge(m) => ObjectError::TooLarge(m),
        ObjectFailure::Io(m) => ObjectError::Io(m),
    }
}

fn info(meta: ObjectMeta) -> ObjectInfo {
    ObjectInfo {
        key: meta.key,
        size: meta.size,
        etag: meta.etag,
        last_modified_ms: meta.last_modified_ms,
    }
}

/// Run blocking object I/O off the async workers, in one of the function's call slots.
///
/// The slot is taken before the work gets a blocking thread, so calls waiting for one hold
/// none; the wait ends after the function's `wait` (`SlowDown`) or at the invocation's
/// deadline. `op` gets that deadline: work that hashes or lists stops there (or at the
/// function's budget, if sooner). The blocking work keeps its slot until it ends, so a function
/// never has more blocking threads than slots.
fn blocking<T: Send + 'static>(
    state: &ComponentState,
    op: impl FnOnce(&dyn ObjectAccess, Instant) -> Result<T, ObjectFailure> + Send + 'static,
) -> impl Future<Output = Result<T, ObjectError>> + Send + 'static {
    // Only what the call needs crosses the awaits (the store's state is not `Sync`).
    let access = Arc::clone(&state.objects);
    let origin = Arc::clone(&state.origin);
    let deadline = state.deadline;
    async move {
        let Some(slots) = access.slots() else {
            return op(access.as_ref(), deadline).map_err(to_wit);
        };
        let slot = match slots.enter(deadline).await {
            Ok(slot) => slot,
            Err(NoSlot::Busy) => {
                return Err(ObjectError::Io(format!(
                    "SlowDown: function `{}` already has {} object calls running; retry with backoff",
                    origin.function,
                    slots.limits().concurrency
                )));
            }
            // The invocation's own timer, set to the same instant, ends it as a timeout; an
            // error here could reach the guest first and turn the timeout into a function error.
            Err(NoSlot::Deadline) => std::future::pending().await,
        };
        let done = fnhost_core::blocking(move || {
            let _slot = slot;
            op(access.as_ref(), deadline)
        })
        .await;
        match done {
            // Work stopped at the invocation's deadline: as for the slot wait above, the
            // invocation's timer ends it as a timeout, not the guest with this error.
            Err(_) if Instant::now() >= deadline => std::future::pending().await,
            done => done.map_err(to_wit),
        }
    }
}

impl fnhost::function::objects::Host for ComponentState {
    async fn get_object(
        &mut self,
        bucket: String,
        key: String,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, ObjectError> {
        blocking(self, move |a, _| a.get(&bucket, &key, range)).await
    }

    async fn put_object(
        &mut self,
        bucket: String,
        key: String,
        body: Vec<u8>,
    ) -> Result<ObjectInfo, ObjectError> {
        // Reached only through the linker's `put-object`, which checked the size before it
        // copied the body.
        let origin = Arc::clone(&self.origin);
        blocking(self, move |a, _| {
            a.put(&bucket, &key, &body, &origin).map(info)
        })
        .await
    }

    async fn head_object(
        &mut self,
        bucket: String,
        key: String,
    ) -> Result<ObjectInfo, ObjectError> {
        blocking(self, move |a, deadline| {
            a.head(&bucket, &key, deadline).map(info)
        })
        .await
    }

    async fn delete_object(&mut self, bucket: String, key: String) -> Result<(), ObjectError> {
        let origin = Arc::clone(&self.origin);
        blocking(self, move |a, _| a.delete(&bucket, &key, &origin)).await
    }

    async fn copy_object(
        &mut self,
        src_bucket: String,
        src_key: String,
        bucket: String,
        key: String,
    ) -> Result<ObjectInfo, ObjectError> {
        let origin = Arc::clone(&self.origin);
        blocking(self, move |a, deadline| {
            a.copy(&src_bucket, &src_key, &bucket, &key, &origin, deadline)
                .map(info)
        })
        .await
    }

    async fn list_objects(
        &mut self,
        bucket: String,
        prefix: String,
        start_after: Option<String>,
        max_keys: u32,
    ) -> Result<Vec<ObjectInfo>, ObjectError> {
        blocking(self, move |a, deadline| {
            a.list(&bucket, &prefix, start_after.as_deref(), max_keys, deadline)
                .map(|list| list.into_iter().map(info).collect())
        })
        .await
    }
}

impl fnhost::function::functions::Host for ComponentState {
    async fn invoke(
        &mut self,
        function_name: String,
        qualifier: Option<String>,
        invocation_type: functions::InvocationType,
        payload: Vec<u8>,
        log_tail: bool,
    ) -> Result<functions::InvokeResponse, functions::InvokeError> {
        // Who calls, its chain and its deadline come from the host, never from the guest.
        let caller = Caller {
            function: self.origin.function.clone(),
            request_id: self.origin.request_id.clone(),
            lineage: self.origin.lineage.clone(),
            deadline: self.deadline,
        };
        let request = CallRequest {
            function_name,
            qualifier,
            invocation_type: match invocation_type {
                functions::InvocationType::RequestResponse => InvocationType::RequestResponse,
                functions::InvocationType::Event => InvocationType::Event,
                functions::InvocationType::DryRun => InvocationType::DryRun,
            },
            payload: payload.into(),
            log_tail,
        };
        match self.calls.invoke(caller, request).await {
            Ok(r) => Ok(functions::InvokeResponse {
                status_code: r.status_code,
                function_error: r.function_error,
                executed_version: r.executed_version,
                payload: r.payload,
                log_result: r.log_result,
            }),
            Err(failure) => Err(match failure {
                CallFailure::ResourceNotFound(m) => functions::InvokeError::ResourceNotFound(m),
                CallFailure::AccessDenied(m) => functions::InvokeError::AccessDenied(m),
                CallFailure::TooManyRequests(m) => functions::InvokeError::TooManyRequests(m),
                CallFailure::RequestTooLarge(m) => functions::InvokeError::RequestTooLarge(m),
                CallFailure::InvalidParameter(m) => functions::InvokeError::InvalidParameter(m),
                CallFailure::RecursiveInvocation(m) => {
                    functions::InvokeError::RecursiveInvocation(m)
                }
                CallFailure::Service(m) => functions::InvokeError::Service(m),
            }),
        }
    }
}

use crate::calls::{CallFailure, CallRequest, Caller, InvocationType};
use fnhost::function::functions;
