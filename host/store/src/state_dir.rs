//! The state directory itself: created private (0700), and owned by one host at a time
//! through an exclusive lock on `<state>/fnhost.lock`.
//!
//! Two hosts on one state directory would each re-queue the other's running jobs at start and
//! both deliver every file event, so `fnhost up` takes [`StateLock`] before it opens the
//! database. The lock is `flock(2)` (through [`std::fs::File::try_lock`]): the kernel drops it
//! when the process dies, however it dies, so a crashed host never leaves a stale lock behind.
//! The file holds the owner's pid, for the error the next host prints.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "fnhost.lock";

/// Mode of the state directory: only its owner may enter it.
const DIR_MODE: u32 = 0o700;
/// Mode of the database and the lock file: only its owner may read them.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) accessible to its owner only. A directory that
/// already exists keeps its mode, unless it already holds an fnhost database (a state
/// directory made by an older fnhost, 0755): that one is made 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        if !dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(err)?;
        }
        let meta = fs::metadata(dir).map_err(err)?;
        if meta.permissions().mode() & 0o077 != 0 && dir.join("fnhost.db").exists() {
            fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE)).map_err(err)?;
        }
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).map_err(err)?;
    Ok(())
}

/// Opens (creating it if needed) a file only its owner can read, and narrows the mode of one
/// that exists with a wider one.
pub(crate) fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(FILE_MODE);
        let file = options.open(path)?;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Creates a new, empty file only its owner can read; fails if it exists.
pub(crate) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options.open(path).map(drop)
}

/// Makes an existing file owner-only if its mode lets others in; a missing file is fine.
pub(crate) fn narrow_mode(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        match fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                fs::set_permissions(path, fs::Permissions::from_mode(FILE_MODE))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Exclusive ownership of a state directory, held until dropped (or the process ends).
#[derive(Debug)]
pub struct StateLock {
    /// Holds the `flock`; closing it releases the lock.
    _file: File,
    dir: PathBuf,
}

impl StateLock {
    /// Creates the state directory (0700) and takes its lock without waiting; fails with
    /// [`StoreError::InUse`] naming the owner's pid when another process holds it. Call it
    /// before anything opens the database or re-queues jobs.
    pub fn acquire(dir: &Path) -> Result<StateLock, StoreError> {
        create_private_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        let lock_err = |source| StoreError::Lock {
            path: path.clone(),
            source,
        };
        let mut file = open_private(&path).map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(StoreError::InUse {
                    dir: dir.to_path_buf(),
                    pid: text.trim().parse().ok(),
                });
            }
            Err(fs::TryLockError::Error(source)) => return Err(lock_err(source)),
        }
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()));
        written.map_err(lock_err)?;
        Ok(StateLock {
            _file: file,
            dir: dir.to_path_buf(),
        })
    }

    /// The directory this lock owns.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
