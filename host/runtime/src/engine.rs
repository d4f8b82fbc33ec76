//! Long-lived wasmtime engines, one per configuration class, and the epoch ticker.
//!
//! Fuel metering is compiled into code, so metered functions get an engine of their own; the
//! plain engine serves everything else. Both use the pooling allocator (sized to the admission
//! limit, so a full pool is never a request error) with copy-on-write memory images, and epoch
//! interruption driven by one ticker thread for the whole process.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::{
    CacheStore, Config, Enabled, Engine, EngineWeak, InstanceAllocationStrategy,
    PoolingAllocationConfig,
};

use crate::error::{Result, RuntimeError};

/// How often the epoch advances; a CPU-bound guest is stopped at most this long after its
/// deadline, and yields to the executor this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Which engine a function needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineClass {
    /// No fuel metering.
    Plain,
    /// Fuel metering compiled in (functions with a `fuel` budget).
    Metered,
}

/// Settings shared by the engines.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Most instances alive at once (sizes the pool; the admission limit must not exceed it).
    pub max_instances: u32,
    /// Use the pooling allocator when the address space allows it.
    pub pooling: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            max_instances: 1000,
            pooling: true,
        }
    }
}

/// Create the engine of `class` and start its epoch ticker. With `cache`, Cranelift reuses the
/// code of every function it compiled before (see `crate::incremental`).
pub(crate) fn create_engine(
    settings: &EngineSettings,
    class: EngineClass,
    cache: Option<Arc<dyn CacheStore>>,
) -> Result<Engine> {
    let engine = build(settings, class, cache)?;
    start_ticker(engine.weak());
    Ok(engine)
}

fn config(class: EngineClass, cache: Option<&Arc<dyn CacheStore>>) -> Config {
    let mut config = Config::new();
    if let Some(cache) = cache {
        // Only the compiler changes: the same code comes out, so artifacts and their engine
        // compatibility hash are unaffected.
        if let Err(err) = config.enable_incremental_compilation(cache.clone()) {
            tracing::warn!(error = %crate::error::one_line(&err), "incremental compilation cache unavailable");
        }
    }
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(class == EngineClass::Metered);
    // memory64 guests would need their own engine with 10 GiB slots to use more than wasm32's
    // 4 GiB; until then they are refused at load with a message that says so.
    config.wasm_memory64(false);
    // Keep wasm's own stack well inside the fiber stack, so a host call made at the bottom of a
    // deep guest recursion still has room (host stack overflow would abort the process).
    config.max_wasm_stack(1 << 20);
    config.async_stack_size(4 << 20);
    config
}

fn pool(max_instances: u32) -> PoolingAllocationConfig {
    let n = max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    // A component is several core instances (Python's is a handful); budget 4 per instance.
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(4))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(4))
        .total_stacks(n)
        .max_memories_per_component(32)
        .max_tables_per_component(64)
        .max_core_instances_per_component(200)
        .max_memories_per_module(2)
        .max_tables_per_module(2)
        .table_elements(100_000)
        .max_core_instance_size(10 << 20)
        .max_component_instance_size(10 << 20)
        // Reset the first MiB of a reused memory slot with memset instead of madvise, but only
        // the pages actually touched when the kernel can tell (pagemap scan, Linux >= 6.7).
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    pool
}

fn build(
    settings: &EngineSettings,
    class: EngineClass,
    cache: Option<Arc<dyn CacheStore>>,
) -> Result<Engine> {
    if settings.pooling {
        let mut config = config(class, cache.as_ref());
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(
            settings.max_instances,
        )));
        match Engine::new(&config) {
            Ok(engine) => return Ok(engine),
            // Small address spaces (39-bit VA boards, RLIMIT_AS) cannot reserve the pool.
            Err(err) => tracing::warn!(
                error = %crate::error::one_line(&err),
                "pooling allocator unavailable, using on-demand allocation"
            ),
        }
    }
    Engine::new(&config(class, cache.as_ref()))
        .map_err(|e| RuntimeError::Engine(crate::error::one_line(&e)))
}

fn start_ticker(weak: EngineWeak) {
    let spawned = std::thread::Builder::new()
        .name("fnhost-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "cannot start the epoch ticker; timeouts only fire in host calls");
    }
}
