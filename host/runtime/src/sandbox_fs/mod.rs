//! The guest's file system: a fresh, size-capped `/tmp` per invocation, the function's files
//! read-only at `/var/task`, its layers read-only at `/opt`, and the language runtime's files
//! read-only at `/var/lang` and `/var/runtime`.
//!
//! wasmtime-wasi's own host-directory file system does the work; the linker shadows the
//! `wasi:filesystem` calls that create, grow, shrink or remove something (`shadow.rs`), so that
//! they can
//! - create the invocation's `/tmp` directory on the first write only (until then `/tmp` is an
//!   empty read-only placeholder shared by every invocation, so a function that never writes
//!   pays no system call for it),
//! - charge every byte and entry against the invocation's budget (`ephemeral_mb`) and the host's
//!   free space, failing with ENOSPC past either,
//! - answer EROFS (`error-code::read-only`) for writes under the read-only mounts.
//!
//! The invocation's directory is removed when the invocation ends (timeouts and panics
//! included, through [`TmpArea`]'s `Drop`); directories of a host that was killed are removed
//! when the next one starts ([`TmpRoot::open`]).
//!
//! Accounting: a file costs its logical size (sparse files included) plus [`ENTRY_BYTES`] per
//! directory entry, which also bounds the number of inodes. Growth is charged before it happens
//! and freed by truncation, unlink and overwrite. A file unlinked while still open stays charged
//! until its last handle closes (then it is freed the next time the budget runs short).

mod shadow;
mod stream;

use std::fs::File;
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::filesystem::{Descriptor, Dir};
use wasmtime_wasi::p2::bindings::filesystem::types::ErrorCode;
use wasmtime_wasi::{FsPerms, OpenMode};

pub(crate) use shadow::add_to_linker;

/// What one directory entry (a file, directory or link) costs against the budget.
pub(crate) const ENTRY_BYTES: u64 = 4096;

/// The host's free space is checked again each time an invocation's usage crosses a multiple
/// of this many bytes; concurrent invocations can overshoot the headroom by at most this much
/// each.
const HOST_CHECK_BYTES: u64 = 16 << 20;

/// Writes are refused while the host's file system has less free space than this (or 5% of
/// its size, if smaller).
const HOST_HEADROOM_BYTES: u64 = 1 << 30;

/// The name of the empty directory behind the `/tmp` placeholder and an empty `/var/task`.
const EMPTY: &str = ".empty";

/// One host's area under `--tmp-dir`: `<tmp-dir>/<pid>-<random>/`, locked by
/// `<tmp-dir>/<pid>-<random>.lock` while the host runs.
pub(crate) struct TmpRoot {
    /// Everything the host itself owns; `None` when it could not be created (then guests get
    /// no `/tmp`).
    inner: Option<RootInner>,
}

struct RootInner {
    dir: PathBuf,
    lock_path: PathBuf,
    /// Held for the host's lifetime: the lock tells the next host this area is in use.
    _lock: File,
    /// The empty read-only `/tmp` every invocation sees until it writes.
    placeholder: Dir,
    next: AtomicU64,
}

impl TmpRoot {
    /// Remove what hosts that are gone left in `tmp_dir`, then create this host's area.
    pub(crate) fn open(tmp_dir: &Path) -> io::Result<TmpRoot> {
        std::fs::create_dir_all(tmp_dir)?;
        remove_stale(tmp_dir);
        let name = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
        let lock_path = tmp_dir.join(format!("{name}.lock"));
        let lock = File::create(&lock_path)?;
        lock.try_lock().map_err(io::Error::other)?;
        let dir = tmp_dir.join(&name);
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        std::fs::DirBuilder::new()
            .mode(0o555)
            .create(dir.join(EMPTY))?;
        let placeholder = open_dir(&dir.join(EMPTY), FsPerms::ReadOnly)?;
        Ok(TmpRoot {
            inner: Some(RootInner {
                dir,
                lock_path,
                _lock: lock,
                placeholder,
                next: AtomicU64::new(0),
            }),
        })
    }

    /// A root for a host whose `--tmp-dir` could not be set up: guests see no `/tmp`.
    pub(crate) fn disabled() -> TmpRoot {
        TmpRoot { inner: None }
    }

    /// This host's own directory under `--tmp-dir`.
    pub(crate) fn dir(&self) -> Option<&Path> {
        self.inner.as_ref().map(|i| i.dir.as_path())
    }

    /// How many invocation directories this host has created.
    pub(crate) fn created(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.next.load(Ordering::Relaxed))
    }

    /// A fresh handle on the empty directory (an empty `/var/task`).
    fn empty_dir(&self) -> io::Result<Option<Dir>> {
        match &self.inner {
            Some(inner) => open_dir(&inner.dir.join(EMPTY), FsPerms::ReadOnly).map(Some),
            None => Ok(None),
        }
    }

    /// Whether the host file system can take `more` bytes and keep its headroom.
    fn host_has_room(&self, more: u64) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        match rustix::fs::statvfs(&inner.dir) {
            Ok(st) => {
                let free = st.f_bavail.saturating_mul(st.f_frsize);
                let total = st.f_blocks.saturating_mul(st.f_frsize);
                let headroom = HOST_HEADROOM_BYTES.min(total / 20);
                free >= more.saturating_add(headroom)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the free space of the tmp dir");
                false
            }
        }
    }
}

impl Drop for TmpRoot {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = std::fs::remove_dir_all(&inner.dir);
            let _ = std::fs::remove_file(&inner.lock_path);
        }
    }
}

/// Remove every `<name>` area in `tmp_dir` whose `<name>.lock` is not held (its host is gone).
fn remove_stale(tmp_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "lock") {
            continue;
        }
        let Ok(lock) = File::options().write(true).open(&path) else {
            continue;
        };
        if lock.try_lock().is_err() {
            continue; // a running host's area
        }
        let area = path.with_extension("");
        match std::fs::remove_dir_all(&area) {
            Ok(()) => {
                tracing::info!(dir = %area.display(), "removed the /tmp files of a host that did not stop cleanly")
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(dir = %area.display(), error = %e, "cannot remove a stale tmp area");
                continue;
            }
        }
        let _ = std::fs::remove_file(&path);
    }
}

/// Open a host directory as a WASI preopen (as wasmtime-wasi's `preopened_dir` does).
fn open_dir(path: &Path, perms: FsPerms) -> io::Result<Dir> {
    let file = File::options()
        .read(true)
        .custom_flags(libc_flags())
        .open(path)?;
    let mode = match perms {
        FsPerms::ReadOnly => OpenMode::READ,
        FsPerms::ReadWrite => OpenMode::READ | OpenMode::WRITE,
    };
    Ok(Dir::new(file, perms, mode, false))
}

fn libc_flags() -> i32 {
    (rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::PATH).bits() as i32
}

/// The host directories behind a function's read-only mounts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mounts<'a> {
    /// `/var/task` (an empty directory when `None`).
    pub(crate) task: Option<&'a Path>,
    /// `/opt` (absent when `None`), as all the mounts below.
    pub(crate) opt: Option<&'a Path>,
    /// `/var/lang`.
    pub(crate) lang: Option<&'a Path>,
    /// `/var/runtime`.
    pub(crate) runtime: Option<&'a Path>,
}

/// A function's read-only directories, opened once when it is loaded.
pub(crate) struct FunctionFs {
    task: Option<Dir>,
    opt: Option<Dir>,
    lang: Option<Dir>,
    runtime: Option<Dir>,
}

impl FunctionFs {
    /// Open the directories of `mounts`. Errors name the directory that could not be opened.
    pub(crate) fn open(
        root: &TmpRoot,
        mounts: Mounts<'_>,
    ) -> Result<FunctionFs, (PathBuf, io::Error)> {
        let read_only = |dir: Option<&Path>| {
            dir.map(|p| open_dir(p, FsPerms::ReadOnly).map_err(|e| (p.to_owned(), e)))
                .transpose()
        };
        let task = match mounts.task {
            Some(p) => read_only(Some(p))?,
            None => root.empty_dir().map_err(|e| (PathBuf::from(EMPTY), e))?,
        };
        Ok(FunctionFs {
            task,
            opt: read_only(mounts.opt)?,
            lang: read_only(mounts.lang)?,
            runtime: read_only(mounts.runtime)?,
        })
    }
}

/// One invocation's `/tmp`: its budget and, once written, its directory. Shared by the store
/// (the shadows and streams charge it) and the invocation (which removes the directory).
pub(crate) struct TmpArea {
    root: Arc<TmpRoot>,
    limit: u64,
    used: AtomicU64,
    dir: Mutex<Option<PathBuf>>,
    /// Files unlinked while open: freed when their last handle is gone.
    orphans: Mutex<Vec<Orphan>>,
}

struct Orphan {
    file: Weak<File>,
    charged: u64,
}

impl TmpArea {
    /// A budget of `limit_mb` MB; no directory yet.
    pub(crate) fn new(root: Arc<TmpRoot>, limit_mb: u32) -> TmpArea {
        TmpArea {
            root,
            limit: u64::from(limit_mb) << 20,
            used: AtomicU64::new(0),
            dir: Mutex::new(None),
            orphans: Mutex::new(Vec::new()),
        }
    }

    /// Charge `n` bytes, or fail with `InsufficientSpace` (nothing charged).
    pub(crate) fn charge(&self, n: u64) -> Result<(), ErrorCode> {
        if n == 0 {
            return Ok(());
        }
        if self.try_charge(n) || (self.sweep_orphans() && self.try_charge(n)) {
            Ok(())
        } else {
            Err(ErrorCode::InsufficientSpace)
        }
    }

    fn try_charge(&self, n: u64) -> bool {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let Some(after) = used.checked_add(n).filter(|a| *a <= self.limit) else {
                return false;
            };
            if used / HOST_CHECK_BYTES != after / HOST_CHECK_BYTES
                && !self.root.host_has_room(HOST_CHECK_BYTES.max(n))
            {
                return false;
            }
            match self
                .used
                .compare_exchange(used, after, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => used = now,
            }
        }
    }

    /// Bytes left in the budget (after freeing closed orphans, when none are left).
    pub(crate) fn room(&self) -> u64 {
        let room = self.limit.saturating_sub(self.used.load(Ordering::Acquire));
        if room == 0 && self.sweep_orphans() {
            return self.limit.saturating_sub(self.used.load(Ordering::Acquire));
        }
        room
    }

    /// Give `n` charged bytes back.
    pub(crate) fn credit(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }

    /// Growth of `file` (charged already): if it is an orphan, freeing it frees this too.
    pub(crate) fn grew(&self, file: &Arc<File>, n: u64) {
        let Ok(mut orphans) = self.orphans.lock() else {
            return;
        };
        if let Some(o) = orphans
            .iter_mut()
            .find(|o| std::ptr::eq(o.file.as_ptr(), Arc::as_ptr(file)))
        {
            o.charged += n;
        }
    }

    fn orphan(&self, file: &Arc<File>, charged: u64) {
        if let Ok(mut orphans) = self.orphans.lock() {
            orphans.push(Orphan {
                file: Arc::downgrade(file),
                charged,
            });
        }
    }

    /// Credit orphans whose last handle is closed; whether any was.
    fn sweep_orphans(&self) -> bool {
        let Ok(mut orphans) = self.orphans.lock() else {
            return false;
        };
        let mut freed = 0;
        orphans.retain(|o| {
            let alive = o.file.strong_count() > 0;
            if !alive {
                freed += o.charged;
            }
            alive
        });
        drop(orphans);
        self.credit(freed);
        freed > 0
    }

    /// Create the invocation's directory (mode 0700) and open it read-write.
    fn materialise(&self) -> io::Result<Dir> {
        let Some(inner) = &self.root.inner else {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::ROFS.raw_os_error(),
            ));
        };
        if !self.root.host_has_room(HOST_CHECK_BYTES) {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::NOSPC.raw_os_error(),
            ));
        }
        let n = inner.next.fetch_add(1, Ordering::Relaxed);
        let path = inner.dir.join(format!("{n:x}"));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        match open_dir(&path, FsPerms::ReadWrite) {
            Ok(dir) => {
                if let Ok(mut d) = self.dir.lock() {
                    *d = Some(path);
                }
                Ok(dir)
            }
            Err(e) => {
                let _ = std::fs::remove_dir(&path);
                Err(e)
            }
        }
    }

    /// Remove the directory, off the async workers; the budget is then free.
    pub(crate) async fn release(&self) {
        let Some(path) = self.dir.lock().ok().and_then(|mut d| d.take()) else {
            return;
        };
        let removed = tokio::task::spawn_blocking(move || remove_area(&path)).await;
        if let Err(e) = removed {
            tracing::warn!(error = %e, "removing an invocation's /tmp failed");
        }
        self.used.store(0, Ordering::Release);
    }
}

impl Drop for TmpArea {
    fn drop(&mut self) {
        // An invocation that did not get to `release` (its future was dropped, or it panicked).
        if let Some(path) = self.dir.get_mut().ok().and_then(Option::take) {
            remove_area(&path);
        }
    }
}

fn remove_area(path: &Path) {
    if let Err(e) = std::fs::remove_dir_all(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(dir = %path.display(), error = %e, "cannot remove an invocation's /tmp");
    }
}

/// Per-store file-system state: what `get-directories` hands out and what the shadows track.
pub(crate) struct Sandbox {
    root: Arc<TmpRoot>,
    fs: Arc<FunctionFs>,
    area: Arc<TmpArea>,
    /// The invocation's `/tmp`, once materialised.
    tmp: Option<Dir>,
    /// Table slots holding the placeholder, swapped for the real `/tmp` when it is created.
    placeholders: Vec<u32>,
    /// Files opened under `/tmp` (unlinking one that is still open keeps it charged).
    open_files: Vec<Weak<File>>,
}

impl Sandbox {
    /// Costs three reference counts, no system call.
    pub(crate) fn new(root: Arc<TmpRoot>, fs: Arc<FunctionFs>, area: Arc<TmpArea>) -> Sandbox {
        Sandbox {
            root,
            fs,
            area,
            tmp: None,
            placeholders: Vec::new(),
            open_files: Vec::new(),
        }
    }

    /// A handle on the placeholder (an `Arc` clone).
    fn placeholder(&self) -> Option<Dir> {
        self.root.inner.as_ref().map(|i| i.placeholder.clone())
    }

    fn is_placeholder(&self, dir: &Dir) -> bool {
        self.root
            .inner
            .as_ref()
            .is_some_and(|i| Arc::ptr_eq(&i.placeholder.dir, &dir.dir))
    }

    /// Which part of the file system `fd` is in.
    fn kind(&self, table: &ResourceTable, fd: &Resource<Descriptor>) -> wasmtime::Result<Kind> {
        Ok(match table.get(fd)? {
            Descriptor::Dir(d) if self.is_placeholder(d) => Kind::Placeholder,
            Descriptor::Dir(Dir { perms, .. })
            | Descriptor::File(wasmtime_wasi::filesystem::File { perms, .. }) => {
                if perms.write_not_permitted() {
                    Kind::ReadOnly
                } else {
                    Kind::Tmp
                }
            }
        })
    }

    /// The preopens: `/tmp` (the placeholder until written), `/var/task`, `/opt`, `/var/lang`,
    /// `/var/runtime`.
    fn preopens(&self) -> Vec<(Dir, &'static str)> {
        let mut list = Vec::with_capacity(5);
        if let Some(tmp) = &self.tmp {
            list.push((tmp.clone(), "/tmp"));
        } else if let Some(inner) = &self.root.inner {
            list.push((inner.placeholder.clone(), "/tmp"));
        }
        if let Some(task) = &self.fs.task {
            list.push((task.clone(), "/var/task"));
        }
        if let Some(opt) = &self.fs.opt {
            list.push((opt.clone(), "/opt"));
        }
        if let Some(lang) = &self.fs.lang {
            list.push((lang.clone(), "/var/lang"));
        }
        if let Some(runtime) = &self.fs.runtime {
            list.push((runtime.clone(), "/var/runtime"));
        }
        list
    }

    /// Create the real `/tmp` and put it in every table slot that holds the placeholder.
    fn materialise(&mut self, table: &mut ResourceTable) -> Result<(), ErrorCode> {
        if self.tmp.is_some() {
            return Ok(());
        }
        let real = self.area.materialise().map_err(|e| ErrorCode::from(&e))?;
        for rep in std::mem::take(&mut self.placeholders) {
            let slot = Resource::<Descriptor>::new_borrow(rep);
            if let Ok(d) = table.get_mut(&slot)
                && matches!(d, Descriptor::Dir(dir) if self.is_placeholder(dir))
            {
                *d = Descriptor::Dir(real.clone());
            }
        }
        self.tmp = Some(real);
        Ok(())
    }

    /// Whether `file` (by device and inode) is open in this invocation.
    fn open_handle(&mut self, dev: u64, ino: u64) -> Option<Arc<File>> {
        self.open_files.retain(|w| w.strong_count() > 0);
        self.open_files
            .iter()
            .filter_map(Weak::upgrade)
            .find(|f| f.metadata().is_ok_and(|m| m.dev() == dev && m.ino() == ino))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// The invocation's own `/tmp` (read-write).
    Tmp,
    /// `/tmp` before the first write: empty, replaced on the first mutation.
    Placeholder,
    /// `/var/task`, `/opt`, `/var/lang` or `/var/runtime`.
    ReadOnly,
}

/// An `io::Error` for ENOSPC, as the guest's streams report it.
pub(crate) fn no_space() -> io::Error {
    io::Error::from_raw_os_error(rustix::io::Errno::NOSPC.raw_os_error())
}
