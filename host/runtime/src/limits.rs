//! Per-invocation resource limits: one memory cap over all of an instance's memories and tables.
//!
//! wasmtime's `StoreLimits` caps each linear memory on its own; a component with several core
//! modules has several memories, so the cap here is on their sum, as Lambda's is on the whole
//! sandbox. Tables live in host memory outside the linear memories, a pointer per element, so
//! their elements count against the same cap. The meter also records the peak, which becomes
//! REPORT's `Max Memory Used`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::ResourceLimiter;

/// wasm32 can address at most 4 GiB (65,536 pages of 64 KiB), whatever the configured cap.
pub const WASM32_MAX_BYTES: u64 = 4 << 30;

/// Largest table one instance may grow (Python and JS runtimes use tens of thousands).
const MAX_TABLE_ELEMENTS: usize = 1_000_000;

/// Host bytes per table element: wasmtime keeps a pointer's worth for each (see
/// `ResourceLimiter::table_growing`).
const TABLE_ELEMENT_BYTES: u64 = std::mem::size_of::<usize>() as u64;

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

/// Aggregate memory cap (linear memories and tables) and peak tracker for one store.
#[derive(Debug)]
pub struct Meter {
    cap: u64,
    total: u64,
    // Shared so the peak survives a store dropped mid-call (a timeout in a host call).
    peak: Arc<AtomicU64>,
    exceeded: bool,
}

impl Meter {
    /// A meter allowing `cap_bytes` over all memories and tables (clamped to what wasm32 can
    /// address).
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

    /// Count `grow` more bytes, or trap with [`MemoryLimitExceeded`] past the cap.
    ///
    /// A grow the allocator then fails to make stays counted: that only makes the cap stricter
    /// for the rest of a call that is failing anyway.
    fn charge(&mut self, grow: u64) -> wasmtime::Result<()> {
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
        Ok(())
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
        self.charge(desired.saturating_sub(current) as u64)?;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Past the table's own limits `table.grow` returns -1, as wasm specifies.
        if desired > MAX_TABLE_ELEMENTS || maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let grow = desired.saturating_sub(current) as u64;
        self.charge(grow.saturating_mul(TABLE_ELEMENT_BYTES))?;
        Ok(true)
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
    fn table_elements_count_against_the_same_cap() {
        let mut meter = Meter::new(128 << 20);
        assert!(meter.memory_growing(0, 127 * MIB, None).unwrap());
        let per_mib = MIB / TABLE_ELEMENT_BYTES as usize;
        assert!(meter.table_growing(0, per_mib / 2, None).unwrap());
        assert_eq!(
            meter.peak_handle().load(Ordering::Relaxed),
            (127 * MIB + MIB / 2) as u64
        );
        let err = meter
            .table_growing(per_mib / 2, per_mib + 1, None)
            .unwrap_err();
        assert!(err.downcast_ref::<MemoryLimitExceeded>().is_some(), "{err}");
        assert!(meter.exceeded());
        // A table's own maximum (or the per-table limit) refuses without trapping.
        let mut meter = Meter::new(128 << 20);
        assert!(!meter.table_growing(0, 20, Some(10)).unwrap());
        assert!(
            !meter
                .table_growing(0, MAX_TABLE_ELEMENTS + 1, None)
                .unwrap()
        );
        assert!(!meter.exceeded());
    }

    #[test]
    fn module_maximum_is_respected_without_trapping() {
        let mut meter = Meter::new(128 << 20);
        assert!(!meter.memory_growing(0, 2 * MIB, Some(MIB)).unwrap());
        assert!(!meter.exceeded());
    }
}
