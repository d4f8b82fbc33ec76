//! Store state and the host side of the `handler` world's imports.

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limits::Meter;
use crate::objects::{ObjectAccess, ObjectFailure, ObjectMeta, WriteOrigin};

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
    pub(crate) objects: Arc<dyn ObjectAccess>,
    /// Who this invocation's writes come from; built once per invocation, shared with the
    /// blocking object calls.
    pub(crate) origin: Arc<WriteOrigin>,
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

/// A linker with WASI p2 and the fnhost imports.
pub(crate) fn component_linker(
    engine: &wasmtime::Engine,
) -> wasmtime::Result<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    Handler::add_to_linker::<ComponentState, HasSelf<ComponentState>>(&mut linker, |s| s)?;
    Ok(linker)
}

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

/// Run blocking object I/O off the async workers.
async fn blocking<T: Send + 'static>(
    access: &Arc<dyn ObjectAccess>,
    op: impl FnOnce(&dyn ObjectAccess) -> Result<T, ObjectFailure> + Send + 'static,
) -> Result<T, ObjectError> {
    let access = Arc::clone(access);
    fnhost_core::blocking(move || op(access.as_ref()))
        .await
        .map_err(to_wit)
}

impl fnhost::function::objects::Host for ComponentState {
    async fn get_object(
        &mut self,
        bucket: String,
        key: String,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, ObjectError> {
        blocking(&self.objects, move |a| a.get(&bucket, &key, range)).await
    }

    async fn put_object(
        &mut self,
        bucket: String,
        key: String,
        body: Vec<u8>,
    ) -> Result<ObjectInfo, ObjectError> {
        let origin = Arc::clone(&self.origin);
        blocking(&self.objects, move |a| {
            a.put(&bucket, &key, &body, &origin).map(info)
        })
        .await
    }

    async fn head_object(
        &mut self,
        bucket: String,
        key: String,
    ) -> Result<ObjectInfo, ObjectError> {
        blocking(&self.objects, move |a| a.head(&bucket, &key).map(info)).await
    }

    async fn delete_object(&mut self, bucket: String, key: String) -> Result<(), ObjectError> {
        let origin = Arc::clone(&self.origin);
        blocking(&self.objects, move |a| a.delete(&bucket, &key, &origin)).await
    }

    async fn list_objects(
        &mut self,
        bucket: String,
        prefix: String,
        start_after: Option<String>,
        max_keys: u32,
    ) -> Result<Vec<ObjectInfo>, ObjectError> {
        blocking(&self.objects, move |a| {
            a.list(&bucket, &prefix, start_after.as_deref(), max_keys)
                .map(|list| list.into_iter().map(info).collect())
        })
        .await
    }
}
