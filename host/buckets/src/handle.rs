//! Filesystem calls relative to an open directory, one name at a time, never following a link.
//!
//! A bucket keeps its root directory open; every object call walks from that handle with
//! `openat(O_NOFOLLOW)` per segment and ends in `openat`/`renameat`/`unlinkat` on the directory
//! it reached. A directory swapped for a symbolic link between two calls is therefore never
//! traversed (the `openat` refuses it), and a name swapped after it was checked is replaced or
//! removed inside the held directory, never resolved anew: nothing outside the bucket is
//! reachable however the tree changes. This is what `cap-std` does on Linux; fnhost calls
//! `rustix` directly because it also wants every refusal to name the offending segment.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// What a name in a directory is, links not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file: an object.
    File,
    /// A directory.
    Dir,
    /// A symbolic link: never followed.
    Symlink,
    /// A FIFO, socket or device: never opened for reading.
    Special,
}

impl Kind {
    pub(crate) fn of(stat: &Stat) -> Self {
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Special,
        }
    }
}

/// Whether an error means "nothing there" (missing, or a file where a directory should be).
pub(crate) fn is_absent(errno: Errno) -> bool {
    errno == Errno::NOENT || errno == Errno::NOTDIR
}

/// `lstat` of `name` in `dir`; `None` when there is nothing there.
pub(crate) fn lstat_at(dir: BorrowedFd<'_>, name: &str) -> io::Result<Option<Stat>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(stat)),
        Err(e) if is_absent(e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Open the directory `name` in `dir` for reading its entries; a link fails (`ELOOP`, or
/// `ENOTDIR` on some kernels), as does anything that is not a directory.
pub(crate) fn open_dir_at(dir: BorrowedFd<'_>, name: &str) -> Result<OwnedFd, Errno> {
    rfs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Open the regular file `name` in `dir` for reading. `Ok(None)` when there is no regular file
/// there (missing, a directory, a FIFO, a socket, a device); `Err(ELOOP)` when it is a link.
///
/// Special files are refused before the open, and the open is non-blocking in case one was
/// swapped in after the check (a FIFO opened for reading then returns at once instead of
/// waiting for a writer); the opened file is checked again.
pub(crate) fn open_file_at(dir: BorrowedFd<'_>, name: &str) -> Result<Option<File>, Errno> {
    let stat = match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(e) if is_absent(e) => return Ok(None),
        Err(e) => return Err(e),
    };
    match Kind::of(&stat) {
        Kind::File => {}
        Kind::Symlink => return Err(Errno::LOOP),
        Kind::Dir | Kind::Special => return Ok(None),
    }
    let fd = match rfs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) if is_absent(e) || e == Errno::NXIO => return Ok(None),
        Err(e) => return Err(e),
    };
    let stat = rfs::fstat(&fd)?;
    if Kind::of(&stat) != Kind::File {
        return Ok(None);
    }
    Ok(Some(File::from(fd)))
}

/// Create `name` in `dir` exclusively for writing (never an existing file, never a link).
pub(crate) fn create_file_at(dir: BorrowedFd<'_>, name: &str) -> Result<File, Errno> {
    rfs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .map(File::from)
}

/// Create the directory `name` in `dir` (the umask applies, as for `mkdir -p`).
pub(crate) fn mkdir_at(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    rfs::mkdirat(dir, name, Mode::from_raw_mode(0o777))
}

/// Rename `from` to `to`, both in `dir` (replacing `to`; a link at `to` is replaced, not
/// followed).
pub(crate) fn rename_at(dir: BorrowedFd<'_>, from: &str, to: &str) -> Result<(), Errno> {
    rfs::renameat(dir, from, dir, to)
}

/// Remove the file (or link) `name` from `dir`; a directory is refused by the kernel.
pub(crate) fn unlink_at(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    rfs::unlinkat(dir, name, AtFlags::empty())
}

/// Make a rename or removal in `dir` durable; a failure only costs durability, so it is logged.
pub(crate) fn sync_dir(dir: impl AsFd) {
    if let Err(e) = rfs::fsync(dir) {
        tracing::warn!(error = %e, "cannot fsync a bucket directory");
    }
}

/// One entry of a directory: its name (UTF-8 only; others are skipped) and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub is_dir: bool,
}

/// The files and directories in the open directory `dir` (links, FIFOs, sockets and devices
/// are no objects and are left out, as are names that are not UTF-8), unsorted.
pub(crate) fn entries(dir: BorrowedFd<'_>) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for entry in rfs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let Ok(name) = std::str::from_utf8(name) else {
            tracing::debug!(name = %String::from_utf8_lossy(name), "skipping a file name that is not UTF-8");
            continue;
        };
        let kind = match entry.file_type() {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            // Filesystems without d_type: ask.
            FileType::Unknown => match lstat_at(dir, name)? {
                Some(stat) => Kind::of(&stat),
                None => continue,
            },
            _ => continue,
        };
        match kind {
            Kind::File => out.push(Entry {
                name: name.to_owned(),
                is_dir: false,
            }),
            Kind::Dir => out.push(Entry {
                name: name.to_owned(),
                is_dir: true,
            }),
            Kind::Symlink | Kind::Special => {}
        }
    }
    Ok(out)
}
