//! Where PostgreSQL's server binaries are, and which user runs them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::{env, fs};

use crate::error::{Error, io_err};

/// The directory of `initdb` and `postgres`: FNHOST_PG_BIN when set, else `pg_config --bindir`
/// when that directory holds the server (Debian's `pg_config` may come from a newer libpq-dev
/// than the server), else the newest `/usr/lib/postgresql/*/bin`.
pub(crate) fn bin_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = env::var_os("FNHOST_PG_BIN") {
        let dir = PathBuf::from(dir);
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(Error::NotInstalled {
                searched: format!("FNHOST_PG_BIN=`{}`", dir.display()),
            })
        };
    }
    if let Some(dir) = pg_config_bindir().filter(|dir| has_server(dir)) {
        return Ok(dir);
    }
    newest_debian_bin().ok_or_else(|| Error::NotInstalled {
        searched: "`pg_config --bindir` and /usr/lib/postgresql/*/bin".to_owned(),
    })
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

fn pg_config_bindir() -> Option<PathBuf> {
    let out = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !dir.trim().is_empty()).then(|| PathBuf::from(dir.trim()))
}

/// The highest version (numerically: 9.6 < 10 < 15) of Debian's parallel installs.
fn newest_debian_bin() -> Option<PathBuf> {
    fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: Vec<u32> = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// An unprivileged account to run PostgreSQL as, when the tests run as root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

/// `None` when the process is not root (PostgreSQL then runs as the current user); else the
/// user of FNHOST_PG_USER (a name or `uid:gid`), by default Debian's `nobody` (`nogroup`).
pub(crate) fn run_as() -> Result<Option<RunAs>, Error> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let user = env::var("FNHOST_PG_USER").unwrap_or_else(|_| "nobody".to_owned());
    let found = match numeric(&user) {
        Some(ids) => ids,
        None => {
            let passwd = fs::read_to_string("/etc/passwd").map_err(io_err("read /etc/passwd"))?;
            lookup(&passwd, &user).ok_or_else(|| Error::UnknownUser { user: user.clone() })?
        }
    };
    if found.uid == 0 {
        return Err(Error::RootUser { user });
    }
    Ok(Some(found))
}

fn numeric(user: &str) -> Option<RunAs> {
    let (uid, gid) = user.split_once(':')?;
    Some(RunAs {
        uid: uid.parse().ok()?,
        gid: gid.parse().ok()?,
    })
}

/// The uid and primary gid of `name` in passwd(5) text (`name:x:uid:gid:...`).
fn lookup(passwd: &str, name: &str) -> Option<RunAs> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        Some(RunAs {
            uid: fields.next()?.parse().ok()?,
            gid: fields.next()?.parse().ok()?,
        })
    })
}

/// Checks that every directory above `dir` lets `user` through (the execute bit for its class),
/// so that PostgreSQL, running as `user`, can reach its data directory.
pub(crate) fn check_traversable(dir: &Path, user: RunAs) -> Result<(), Error> {
    for ancestor in dir.ancestors().skip(1) {
        let meta =
            fs::metadata(ancestor).map_err(io_err(format!("stat `{}`", ancestor.display())))?;
        let bit = if meta.uid() == user.uid {
            0o100
        } else if meta.gid() == user.gid {
            0o010
        } else {
            0o001
        };
        if meta.mode() & bit == 0 {
            return Err(Error::NotTraversable {
                path: ancestor.to_owned(),
                uid: user.uid,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_users_in_passwd_text() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        assert_eq!(
            lookup(passwd, "nobody"),
            Some(RunAs {
                uid: 65534,
                gid: 65534
            })
        );
        assert_eq!(lookup(passwd, "nobod"), None);
        assert_eq!(lookup("broken:x:abc:1:", "broken"), None);
    }

    #[test]
    fn reads_numeric_users() {
        assert_eq!(
            numeric("1000:100"),
            Some(RunAs {
                uid: 1000,
                gid: 100
            })
        );
        assert_eq!(numeric("nobody"), None);
        assert_eq!(numeric("1000:"), None);
    }

    #[test]
    fn refuses_a_directory_others_cannot_enter() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let closed = root.path().join("closed");
        let inner = closed.join("inner");
        fs::create_dir_all(&inner).unwrap();
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        // A user that is neither the owner nor in the group of `closed`.
        let stranger = RunAs {
            uid: 4_000_000_001,
            gid: 4_000_000_001,
        };
        let err = check_traversable(&inner.join("data"), stranger).unwrap_err();
        assert!(
            matches!(&err, Error::NotTraversable { path, .. } if *path == inner || *path == closed),
            "{err}"
        );
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o711)).unwrap();
        fs::set_permissions(&inner, fs::Permissions::from_mode(0o711)).unwrap();
        // The ancestors above the temp dir may themselves be closed (a TMPDIR under /root);
        // only assert on the directories this test controls.
        match check_traversable(&inner.join("data"), stranger) {
            Ok(()) => {}
            Err(Error::NotTraversable { path, .. }) => {
                assert!(!path.starts_with(root.path()), "{}", path.display())
            }
            Err(other) => panic!("{other}"),
        }
    }
}
