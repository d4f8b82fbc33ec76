//! The output stream of a `/tmp` file: every write is charged before it reaches the disk.
//!
//! Its errors carry ENOSPC, which the p1 adapter passes on (`filesystem-error-code`), but
//! wasi-libc's p2 `write` maps any stream error to EIO; so the permit stops at the budget (a
//! write reaching the cap is short), and the next write fails.
//!
//! wasmtime-wasi's own file stream is private, so this one writes itself: synchronously, with
//! a permit small enough that a write takes microseconds (page cache), and an exact charge
//! (the file's length is read right before each growing write).

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;

use bytes::Bytes;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use super::{TmpArea, no_space};

/// Most bytes the guest may hand over in one `write`.
const PERMIT: usize = 64 << 10;

pub(crate) struct BudgetStream {
    file: Arc<File>,
    /// Where the next write goes; ignored when appending.
    pos: u64,
    append: bool,
    area: Arc<TmpArea>,
    /// A failed write ends the stream, as for wasmtime-wasi's own file streams.
    failed: bool,
}

impl BudgetStream {
    pub(crate) fn new(file: Arc<File>, pos: u64, append: bool, area: Arc<TmpArea>) -> Self {
        Self {
            file,
            pos,
            append,
            area,
            failed: false,
        }
    }

    fn failed(&mut self, err: std::io::Error) -> StreamError {
        self.failed = true;
        StreamError::LastOperationFailed(wasmtime::Error::from(err))
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for BudgetStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if self.failed {
            return Err(StreamError::Closed);
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let n = bytes.len() as u64;
        let len = match self.file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return Err(self.failed(e)),
        };
        let at = if self.append { len } else { self.pos };
        let end = at.saturating_add(n);
        let growth = end.saturating_sub(len);
        if self.area.charge(growth).is_err() {
            // Not the end of the stream: the guest may free space and write on.
            return Err(StreamError::LastOperationFailed(wasmtime::Error::from(
                no_space(),
            )));
        }
        if let Err(e) = self.file.write_all_at(&bytes, at) {
            // Give back what did not land.
            let now = self.file.metadata().map(|m| m.len()).unwrap_or(end);
            self.area
                .credit(growth.saturating_sub(now.saturating_sub(len)));
            return Err(self.failed(e));
        }
        self.area.grew(&self.file, growth);
        self.pos = end;
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        if self.failed {
            return Err(StreamError::Closed);
        }
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        if self.failed {
            return Err(StreamError::Closed);
        }
        // Permit no more than the budget takes, so that a write reaching the cap is a short
        // write of what fits (wasi-libc's `write` returns it), not an error.
        let len = match self.file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return Err(self.failed(e)),
        };
        let overwrite = if self.append {
            0
        } else {
            len.saturating_sub(self.pos)
        };
        let permit = overwrite
            .saturating_add(self.area.room())
            .min(PERMIT as u64);
        if permit == 0 {
            // A zero permit would have the guest poll forever; wasi-libc reports this as EIO.
            return Err(StreamError::LastOperationFailed(wasmtime::Error::from(
                no_space(),
            )));
        }
        Ok(permit as usize)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for BudgetStream {
    async fn ready(&mut self) {}
}
