//! [`StoreUrl`]: which store a host uses, as `--store`, `FNHOST_STORE` or the manifest's
//! `[store] url` name it.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::handle::Store;
use crate::pg::{is_postgres_url, redact_url};

/// Where a host keeps its state: an SQLite file (one machine, the default) or a PostgreSQL
/// database (shared by the nodes of a cluster).
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite database file: a path, or `sqlite://PATH`.
    File(PathBuf),
    /// A PostgreSQL database: `postgres://user:password@host:port/database` (or
    /// `postgresql://`).
    Postgres(String),
}

impl StoreUrl {
    /// Reads a store URL: `postgres://…` / `postgresql://…`, `sqlite://PATH`, or a plain path
    /// to an SQLite file.
    pub fn parse(spec: &str) -> Result<StoreUrl, StoreError> {
        let spec = spec.trim();
        if is_postgres_url(spec) {
            return Ok(StoreUrl::Postgres(spec.to_owned()));
        }
        let path = spec.strip_prefix("sqlite://").unwrap_or(spec);
        if path.is_empty() || spec.contains("://") && !spec.starts_with("sqlite://") {
            return Err(StoreError::InvalidUrl {
                url: redact_url(spec),
                reason: "expected postgres://user:password@host:port/database, sqlite://PATH \
                         or the path of an SQLite file"
                    .to_owned(),
            });
        }
        Ok(StoreUrl::File(PathBuf::from(path)))
    }

    /// The SQLite file at `path`.
    pub fn file(path: impl AsRef<Path>) -> StoreUrl {
        StoreUrl::File(path.as_ref().to_path_buf())
    }

    /// True for a store the nodes of a cluster share (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self, StoreUrl::Postgres(_))
    }

    /// Opens the store for a host: creates and migrates it if needed.
    pub fn open(&self) -> Result<Store, StoreError> {
        match self {
            StoreUrl::File(path) => Store::open(path),
            StoreUrl::Postgres(url) => Store::connect(url),
        }
    }

    /// Opens the store for a command that only reads (`fnhost logs`, `fnhost usage`) while a
    /// host may be writing. An SQLite file must exist already ([`StoreError::Missing`]); a
    /// PostgreSQL database is connected to as [`StoreUrl::open`] does.
    pub fn open_read_only(&self) -> Result<Store, StoreError> {
        match self {
            StoreUrl::File(path) => Store::open_read_only(path),
            StoreUrl::Postgres(url) => Store::connect(url),
        }
    }
}

/// Shows the path, or the URL without its password.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::File(path) => write!(f, "{}", path.display()),
            StoreUrl::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// Like `Display`: never shows a password.
impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::File(path) => f.debug_tuple("File").field(path).finish(),
            StoreUrl::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_backend_and_hide_passwords() {
        let pg = StoreUrl::parse("postgres://fnhost:pw@db:5432/fnhost").unwrap();
        assert!(pg.is_shared());
        assert_eq!(pg.to_string(), "postgres://fnhost:***@db:5432/fnhost");
        assert!(!format!("{pg:?}").contains("pw"));
        assert_eq!(
            StoreUrl::parse("postgresql://db/x").unwrap(),
            StoreUrl::Postgres("postgresql://db/x".to_owned())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:///var/lib/fnhost/fnhost.db").unwrap(),
            StoreUrl::file("/var/lib/fnhost/fnhost.db")
        );
        assert_eq!(
            StoreUrl::parse(" state/fnhost.db ").unwrap(),
            StoreUrl::file("state/fnhost.db")
        );
        assert!(!StoreUrl::file("x.db").is_shared());
        for bad in ["", "sqlite://", "mysql://db/x", "redis://u:pw@h/0"] {
            let err = StoreUrl::parse(bad).unwrap_err();
            assert!(matches!(err, StoreError::InvalidUrl { .. }), "{bad}: {err}");
            assert!(!err.to_string().contains(":pw@"), "{err}");
        }
    }
}
