//! Per-invocation resource limits: one memory cap over all of an instance's memories.
//!
//! wasmtime's `StoreLimits` caps each linear memory on its own; a component with several core
//! modules has several memories, so the cap here is on their sum, as Lambda's is on the whole
//! sandbox. The meter also records the peak, which becomes REPORT's `Max Memory Used`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::ResourceLimiter;

/// wasm32 can address at most 4 GiB (65,536 pages of 64 KiB), whatever the configured cap.
pub const WASM32_MAX_BYTES: u64 = 4 << 30;

/// Largest table one instance may grow (Python and JS runtimes use tens of thousands).
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Instances, tables and memories one store may create (components are several core instances).
const MAX_INSTANCES: usize = 1_000;
const MAX_TABLES: usize = 1_000;
const MAX_MEMORIES: usize = 1_000;

/// The trap raised when a guest asks for memory past its cap.
#[derive(Debug, thiserror::Error)]
#[error("memory limit exceeded: the function asked for {wanted_mb} MB, its cap is {cap_mb} MB")]
pub struct MemoryLimitExceeded {
    /// Total memory the grow would have reached, in MB (rounded up).
    pub wanted_mb: u64,
    /// The function's cap in MB.
    pub cap_mb: u64,
}

/// Aggregate memory cap and peak tracker for one store.
#[derive(Debug)]
pub struct Meter {
    cap: u64,
    total: u64,
    // Shared so the peak survives a store dropped mid-call (a timeout in a host call).
    peak: Arc<AtomicU64>,
    exceeded: bool,
}

impl Meter {
    /// A meter allowing `cap_bytes` over all memories (clamped to what wasm32 can address).
    pub fn new(cap_bytes: u64) -> Self {
        Self {
            cap: cap_bytes.min(WASM32_MAX_BYTES),
            total: 0,
            peak: Arc::new(AtomicU64::new(0)),
            exceeded: false,
        }
    }

    /// A handle that keeps reading the peak after the store is gone.
    pub fn peak_handle(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.peak)
    }

    /// Whether a grow was refused because of the cap.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }
}

fn mb_ceil(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

impl ResourceLimiter for Meter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let grow = desired.saturating_sub(current) as u64;
        let wanted = self.total.saturating_add(grow);
        if wanted > self.cap {
            self.exceeded = true;
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                wanted_mb: mb_ceil(wanted),
                cap_mb: mb_ceil(self.cap),
            }));
        }
        self.total = wanted;
        self.peak.fetch_max(wanted, Ordering::Relaxed);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS && maximum.is_none_or(|max| desired <= max))
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn cap_is_over_the_sum_of_memories() {
        let mut meter = Meter::new(128 << 20);
        assert!(meter.memory_growing(0, 64 * MIB, None).unwrap());
        assert!(meter.memory_growing(0, 64 * MIB, None).unwrap());
        let err = meter.memory_growing(0, MIB, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "memory limit exceeded: the function asked for 129 MB, its cap is 128 MB"
        );
        assert!(meter.exceeded());
        assert_eq!(meter.peak_handle().load(Ordering::Relaxed), 128 << 20);
    }

    #[test]
    fn wasm32_cap_is_four_gib() {
        let meter = Meter::new(10_240 << 20);
        assert_eq!(meter.cap, WASM32_MAX_BYTES);
    }

    #[test]
    fn module_maximum_is_respected_without_trapping() {
        let mut meter = Meter::new(128 << 20);
        assert!(!meter.memory_growing(0, 2 * MIB, Some(MIB)).unwrap());
        assert!(!meter.exceeded());
    }
}
