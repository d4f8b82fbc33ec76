//! The `wasi:filesystem` calls fnhost answers itself before (or instead of) wasmtime-wasi.
//!
//! Each shadow classifies its descriptor (the invocation's `/tmp`, the `/tmp` placeholder, or
//! read-only `/var/task` and `/opt`), charges or credits the budget, and hands the call to
//! wasmtime-wasi's `HostDescriptor`. Guests import older 0.2.x versions; the linker resolves
//! them to these 0.2.12 names by semver.

use std::fs::File;
use std::os::unix::fs::MetadataExt as _;
use std::sync::Arc;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView as _};
use wasmtime_wasi::p2::bindings::filesystem::types::{
    DescriptorFlags, DescriptorType, ErrorCode, HostDescriptor, NewTimestamp, OpenFlags, PathFlags,
};
use wasmtime_wasi::p2::{DynOutputStream, FsResult};

use super::stream::BudgetStream;
use super::{ENTRY_BYTES, Kind};
use crate::host::ComponentState;

const TYPES: &str = "wasi:filesystem/types@0.2.12";
const PREOPENS: &str = "wasi:filesystem/preopens@0.2.12";

/// What a shadow returns: a trap, or the call's own result.
type Answer<T> = wasmtime::Result<Result<T, ErrorCode>>;

/// Return the error code from the shadow (the call's result, not a trap).
macro_rules! code {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return Ok(Err(code)),
        }
    };
}

/// Shadow the mutating `wasi:filesystem` calls and `get-directories`. Call after wasmtime-wasi's
/// own `add_to_linker_async`, with shadowing allowed.
pub(crate) fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    linker.instance(PREOPENS)?.func_wrap(
        "get-directories",
        |mut store: StoreContextMut<'_, ComponentState>, (): ()| {
            Ok((get_directories(store.data_mut())?,))
        },
    )?;
    let mut types = linker.instance(TYPES)?;
    types.func_wrap_async(
        "[method]descriptor.write",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, buf, off): (Resource<Descriptor>, Vec<u8>, u64)| {
            Box::new(async move { Ok((write(store.data_mut(), fd, buf, off).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.set-size",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, size): (Resource<Descriptor>, u64)| {
            Box::new(async move { Ok((set_size(store.data_mut(), fd, size).await?,)) })
        },
    )?;
    types.func_wrap(
        "[method]descriptor.write-via-stream",
        |mut store: StoreContextMut<'_, ComponentState>, (fd, off): (Resource<Descriptor>, u64)| {
            Ok((stream(store.data_mut(), fd, off, false)?,))
        },
    )?;
    types.func_wrap(
        "[method]descriptor.append-via-stream",
        |mut store: StoreContextMut<'_, ComponentState>, (fd,): (Resource<Descriptor>,)| {
            Ok((stream(store.data_mut(), fd, 0, true)?,))
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, pflags, path, oflags, flags): (
            Resource<Descriptor>,
            PathFlags,
            String,
            OpenFlags,
            DescriptorFlags,
        )| {
            Box::new(async move {
                Ok((open_at(store.data_mut(), fd, pflags, path, oflags, flags).await?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.create-directory-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, path): (Resource<Descriptor>, String)| {
            Box::new(async move { Ok((create_directory_at(store.data_mut(), fd, path).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.symlink-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, old, new): (Resource<Descriptor>, String, String)| {
            Box::new(async move { Ok((symlink_at(store.data_mut(), fd, old, new).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.link-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, pflags, old, new_fd, new): (
            Resource<Descriptor>,
            PathFlags,
            String,
            Resource<Descriptor>,
            String,
        )| {
            Box::new(async move {
                Ok((link_at(store.data_mut(), fd, pflags, old, new_fd, new).await?,))
            })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.unlink-file-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, path): (Resource<Descriptor>, String)| {
            Box::new(async move { Ok((unlink_file_at(store.data_mut(), fd, path).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.remove-directory-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, path): (Resource<Descriptor>, String)| {
            Box::new(async move { Ok((remove_directory_at(store.data_mut(), fd, path).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.rename-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, old, new_fd, new): (Resource<Descriptor>, String, Resource<Descriptor>, String)| {
            Box::new(async move { Ok((rename_at(store.data_mut(), fd, old, new_fd, new).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.set-times",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, atim, mtim): (Resource<Descriptor>, NewTimestamp, NewTimestamp)| {
            Box::new(async move { Ok((set_times(store.data_mut(), fd, atim, mtim).await?,)) })
        },
    )?;
    types.func_wrap_async(
        "[method]descriptor.set-times-at",
        |mut store: StoreContextMut<'_, ComponentState>,
         (fd, pflags, path, atim, mtim): (
            Resource<Descriptor>,
            PathFlags,
            String,
            NewTimestamp,
            NewTimestamp,
        )| {
            Box::new(async move {
                Ok((set_times_at(store.data_mut(), fd, pflags, path, atim, mtim).await?,))
            })
        },
    )?;
    Ok(())
}

/// wasmtime-wasi's error to the call's result; a trap stays a trap.
fn lower<T>(done: FsResult<T>) -> Answer<T> {
    match done {
        Ok(v) => Ok(Ok(v)),
        Err(e) => Ok(Err(e.downcast()?)),
    }
}

fn refund_on_error<T>(s: &ComponentState, done: FsResult<T>, charged: u64) -> Answer<T> {
    if done.is_err() {
        s.sandbox.area.credit(charged);
    }
    lower(done)
}

fn borrow(rep: u32) -> Resource<Descriptor> {
    Resource::new_borrow(rep)
}

/// Ready `rep` (and `others`) for a mutation: EROFS under `/var/task` and `/opt`; the real
/// `/tmp` in place of the placeholder.
fn writable(s: &mut ComponentState, rep: u32, others: &[u32]) -> Answer<()> {
    let mut placeholder = false;
    for r in std::iter::once(rep).chain(others.iter().copied()) {
        match s.sandbox.kind(&s.table, &borrow(r))? {
            Kind::ReadOnly => return Ok(Err(ErrorCode::ReadOnly)),
            Kind::Placeholder => placeholder = true,
            Kind::Tmp => {}
        }
    }
    if placeholder {
        code!(s.sandbox.materialise(&mut s.table));
    }
    Ok(Ok(()))
}

/// Ready `rep` for removing an entry: EROFS under `/var/task` and `/opt`; nothing to remove in
/// an untouched `/tmp`.
fn removable(s: &mut ComponentState, rep: u32) -> Answer<()> {
    match s.sandbox.kind(&s.table, &borrow(rep))? {
        Kind::ReadOnly => Ok(Err(ErrorCode::ReadOnly)),
        Kind::Placeholder => Ok(Err(ErrorCode::NoEntry)),
        Kind::Tmp => Ok(Ok(())),
    }
}

/// The host file behind a file descriptor (`None` for a directory).
fn file_of(s: &ComponentState, rep: u32) -> wasmtime::Result<Option<Arc<File>>> {
    Ok(match s.table.get(&borrow(rep))? {
        Descriptor::File(f) => Some(Arc::clone(&f.file)),
        Descriptor::Dir(_) => None,
    })
}

fn length(file: &File) -> Result<u64, ErrorCode> {
    file.metadata()
        .map(|m| m.len())
        .map_err(|e| ErrorCode::from(&e))
}

/// After a write that was charged `charged` for a file `before` bytes long: keep the charge
/// for what it grew, give the rest back.
fn settle(s: &ComponentState, file: &Arc<File>, before: u64, charged: u64) {
    let after = file.metadata().map(|m| m.len()).unwrap_or(before + charged);
    let grew = after.saturating_sub(before).min(charged);
    s.sandbox.area.credit(charged - grew);
    s.sandbox.area.grew(file, grew);
}

fn get_directories(
    s: &mut ComponentState,
) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
    let preopens = s.sandbox.preopens();
    let mut out = Vec::with_capacity(preopens.len());
    for (dir, name) in preopens {
        let placeholder = s.sandbox.is_placeholder(&dir);
        let fd = s.table.push(Descriptor::Dir(dir))?;
        if placeholder {
            s.sandbox.placeholders.push(fd.rep());
        }
        out.push((fd, name.to_owned()));
    }
    Ok(out)
}

async fn write(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    buf: Vec<u8>,
    off: u64,
) -> Answer<u64> {
    let rep = fd.rep();
    code!(writable(s, rep, &[])?);
    let Some(file) = file_of(s, rep)? else {
        return lower(HostDescriptor::write(&mut s.filesystem(), fd, buf, off).await);
    };
    let before = code!(length(&file));
    let charged = off.saturating_add(buf.len() as u64).saturating_sub(before);
    code!(s.sandbox.area.charge(charged));
    let done = HostDescriptor::write(&mut s.filesystem(), fd, buf, off).await;
    settle(s, &file, before, charged);
    lower(done)
}

async fn set_size(s: &mut ComponentState, fd: Resource<Descriptor>, size: u64) -> Answer<()> {
    let rep = fd.rep();
    code!(writable(s, rep, &[])?);
    let Some(file) = file_of(s, rep)? else {
        return lower(HostDescriptor::set_size(&mut s.filesystem(), fd, size).await);
    };
    let before = code!(length(&file));
    let charged = size.saturating_sub(before);
    code!(s.sandbox.area.charge(charged));
    let done = HostDescriptor::set_size(&mut s.filesystem(), fd, size).await;
    if done.is_ok() && size < before {
        s.sandbox.area.credit(before - size);
    } else {
        settle(s, &file, before, charged);
    }
    lower(done)
}

fn stream(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    offset: u64,
    append: bool,
) -> Answer<Resource<DynOutputStream>> {
    code!(writable(s, fd.rep(), &[])?);
    let Some(file) = file_of(s, fd.rep())? else {
        return Ok(Err(ErrorCode::BadDescriptor));
    };
    // wasi-libc turns every error of a stream into EIO, but an error here reaches the guest
    // as ENOSPC: a stream that could only grow the file fails now, when the budget is spent.
    let len = code!(length(&file));
    if (append || offset >= len) && s.sandbox.area.room() == 0 {
        return Ok(Err(ErrorCode::InsufficientSpace));
    }
    let stream: DynOutputStream = Box::new(BudgetStream::new(
        file,
        offset,
        append,
        Arc::clone(&s.sandbox.area),
    ));
    Ok(Ok(s.table.push(stream)?))
}

async fn open_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    pflags: PathFlags,
    path: String,
    oflags: OpenFlags,
    flags: DescriptorFlags,
) -> Answer<Resource<Descriptor>> {
    let rep = fd.rep();
    let mutating = oflags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE)
        || flags.contains(DescriptorFlags::WRITE);
    match s.sandbox.kind(&s.table, &fd)? {
        Kind::ReadOnly if mutating => return Ok(Err(ErrorCode::ReadOnly)),
        Kind::ReadOnly => {
            return lower(
                HostDescriptor::open_at(&mut s.filesystem(), fd, pflags, path, oflags, flags).await,
            );
        }
        Kind::Placeholder if !mutating => {
            let opened =
                HostDescriptor::open_at(&mut s.filesystem(), fd, pflags, path, oflags, flags).await;
            let opened = code!(lower(opened)?);
            // The only directory in the empty placeholder is itself: keep it recognisable, so
            // that it is swapped for the real /tmp too.
            if let Descriptor::Dir(d) = s.table.get_mut(&opened)?
                && let Some(placeholder) = s.sandbox.placeholder()
            {
                *d = placeholder;
                s.sandbox.placeholders.push(opened.rep());
            }
            return Ok(Ok(opened));
        }
        Kind::Placeholder => code!(s.sandbox.materialise(&mut s.table)),
        Kind::Tmp => {}
    }
    let before = if oflags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE) {
        let stat =
            HostDescriptor::stat_at(&mut s.filesystem(), borrow(rep), pflags, path.clone()).await;
        Some(lower(stat)?)
    } else {
        None
    };
    let entry = match &before {
        Some(Err(ErrorCode::NoEntry)) if oflags.contains(OpenFlags::CREATE) => ENTRY_BYTES,
        _ => 0,
    };
    code!(s.sandbox.area.charge(entry));
    let opened =
        HostDescriptor::open_at(&mut s.filesystem(), fd, pflags, path, oflags, flags).await;
    let opened = match lower(opened)? {
        Ok(opened) => opened,
        Err(code) => {
            s.sandbox.area.credit(entry);
            return Ok(Err(code));
        }
    };
    if oflags.contains(OpenFlags::TRUNCATE)
        && let Some(Ok(stat)) = &before
        && stat.type_ == DescriptorType::RegularFile
    {
        s.sandbox.area.credit(stat.size);
    }
    if let Descriptor::File(f) = s.table.get(&opened)? {
        s.sandbox.open_files.push(Arc::downgrade(&f.file));
    }
    Ok(Ok(opened))
}

/// A regular file about to lose a name: what freeing it gives back.
struct Victim {
    size: u64,
    links: u64,
    dev: u64,
    ino: u64,
}

/// Look at `path` under `rep` (not following a final symlink) through the sandboxed open.
async fn victim(s: &mut ComponentState, rep: u32, path: &str) -> wasmtime::Result<Option<Victim>> {
    let opened = HostDescriptor::open_at(
        &mut s.filesystem(),
        borrow(rep),
        PathFlags::empty(),
        path.to_owned(),
        OpenFlags::empty(),
        DescriptorFlags::READ,
    )
    .await;
    let Ok(opened) = opened else {
        return Ok(None);
    };
    let Descriptor::File(f) = s.table.delete(opened)? else {
        return Ok(None);
    };
    Ok(f.file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| Victim {
            size: m.len(),
            links: m.nlink(),
            dev: m.dev(),
            ino: m.ino(),
        }))
}

/// Credit a name removed from `/tmp` (and the file's bytes, with its last name).
fn removed(s: &mut ComponentState, victim: Option<Victim>) {
    s.sandbox.area.credit(ENTRY_BYTES);
    let Some(v) = victim.filter(|v| v.links <= 1) else {
        return;
    };
    match s.sandbox.open_handle(v.dev, v.ino) {
        // Still open: its blocks stay in use until the last handle closes.
        Some(handle) => s.sandbox.area.orphan(&handle, v.size),
        None => s.sandbox.area.credit(v.size),
    }
}

async fn unlink_file_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    path: String,
) -> Answer<()> {
    let rep = fd.rep();
    code!(removable(s, rep)?);
    let victim = victim(s, rep, &path).await?;
    let done = HostDescriptor::unlink_file_at(&mut s.filesystem(), fd, path).await;
    if done.is_ok() {
        removed(s, victim);
    }
    lower(done)
}

async fn rename_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    old: String,
    new_fd: Resource<Descriptor>,
    new: String,
) -> Answer<()> {
    let (rep, new_rep) = (fd.rep(), new_fd.rep());
    for r in [rep, new_rep] {
        match s.sandbox.kind(&s.table, &borrow(r))? {
            Kind::ReadOnly => return Ok(Err(ErrorCode::ReadOnly)),
            Kind::Placeholder => return Ok(Err(ErrorCode::NoEntry)),
            Kind::Tmp => {}
        }
    }
    let exists = HostDescriptor::stat_at(
        &mut s.filesystem(),
        borrow(new_rep),
        PathFlags::empty(),
        new.clone(),
    )
    .await
    .is_ok();
    let target = if exists {
        let target = victim(s, new_rep, &new).await?;
        let source = victim(s, rep, &old).await?;
        // Renaming a name onto another name of the same file changes nothing.
        match (&target, &source) {
            (Some(t), Some(src)) if t.dev == src.dev && t.ino == src.ino => None,
            _ => Some(target),
        }
    } else {
        None
    };
    let done = HostDescriptor::rename_at(&mut s.filesystem(), fd, old, new_fd, new).await;
    if done.is_ok()
        && let Some(target) = target
    {
        removed(s, target);
    }
    lower(done)
}

async fn create_directory_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    path: String,
) -> Answer<()> {
    code!(writable(s, fd.rep(), &[])?);
    code!(s.sandbox.area.charge(ENTRY_BYTES));
    let done = HostDescriptor::create_directory_at(&mut s.filesystem(), fd, path).await;
    refund_on_error(s, done, ENTRY_BYTES)
}

async fn symlink_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    old: String,
    new: String,
) -> Answer<()> {
    code!(writable(s, fd.rep(), &[])?);
    code!(s.sandbox.area.charge(ENTRY_BYTES));
    let done = HostDescriptor::symlink_at(&mut s.filesystem(), fd, old, new).await;
    refund_on_error(s, done, ENTRY_BYTES)
}

async fn link_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    pflags: PathFlags,
    old: String,
    new_fd: Resource<Descriptor>,
    new: String,
) -> Answer<()> {
    // A link out of /var/task into /tmp would make a read-only file writable.
    code!(writable(s, fd.rep(), &[new_fd.rep()])?);
    code!(s.sandbox.area.charge(ENTRY_BYTES));
    let done = HostDescriptor::link_at(&mut s.filesystem(), fd, pflags, old, new_fd, new).await;
    refund_on_error(s, done, ENTRY_BYTES)
}

async fn remove_directory_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    path: String,
) -> Answer<()> {
    code!(removable(s, fd.rep())?);
    let done = HostDescriptor::remove_directory_at(&mut s.filesystem(), fd, path).await;
    if done.is_ok() {
        s.sandbox.area.credit(ENTRY_BYTES);
    }
    lower(done)
}

async fn set_times(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    atim: NewTimestamp,
    mtim: NewTimestamp,
) -> Answer<()> {
    code!(writable(s, fd.rep(), &[])?);
    lower(HostDescriptor::set_times(&mut s.filesystem(), fd, atim, mtim).await)
}

async fn set_times_at(
    s: &mut ComponentState,
    fd: Resource<Descriptor>,
    pflags: PathFlags,
    path: String,
    atim: NewTimestamp,
    mtim: NewTimestamp,
) -> Answer<()> {
    code!(writable(s, fd.rep(), &[])?);
    lower(HostDescriptor::set_times_at(&mut s.filesystem(), fd, pflags, path, atim, mtim).await)
}
