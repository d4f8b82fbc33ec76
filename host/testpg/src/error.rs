//! What can go wrong while starting, using or stopping a throwaway server.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// An error of this crate; the message says how to fix it where the fix is known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No directory holding both `initdb` and `postgres` was found.
    #[error(
        "PostgreSQL's server binaries (`initdb`, `postgres`) not found (looked in {searched}): \
         install them with `bash .ci/postgres.sh`, or set FNHOST_PG_BIN to their directory"
    )]
    NotInstalled {
        /// The places looked at, in order.
        searched: String,
    },
    /// The user to run PostgreSQL as (when the tests run as root) is unknown.
    #[error(
        "user `{user}` not found in /etc/passwd: PostgreSQL refuses to run as root, so the \
         tests run it as an unprivileged user; set FNHOST_PG_USER to an existing one (a name \
         or `uid:gid`)"
    )]
    UnknownUser {
        /// The name looked up.
        user: String,
    },
    /// FNHOST_PG_USER names root.
    #[error("FNHOST_PG_USER=`{user}` is root, which PostgreSQL refuses; name an unprivileged user")]
    RootUser {
        /// The value of FNHOST_PG_USER.
        user: String,
    },
    /// A directory above the cluster's is closed to the user PostgreSQL runs as.
    #[error(
        "`{}` cannot be traversed by uid {uid}, which runs PostgreSQL: set TMPDIR to a \
         directory it can reach, such as /tmp",
        path.display()
    )]
    NotTraversable {
        /// The directory without the execute bit for that user.
        path: PathBuf,
        /// The uid PostgreSQL runs as.
        uid: u32,
    },
    /// A file-system or process operation failed.
    #[error("cannot {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// `initdb` exited with an error.
    #[error("initdb failed ({status}):\n{output}")]
    Initdb {
        /// Its exit status.
        status: ExitStatus,
        /// Its standard output and error.
        output: String,
    },
    /// The server did not come up.
    #[error("PostgreSQL on port {port} did not start: {reason}; the end of its log:\n{tail}")]
    Start {
        /// The port it was told to listen on.
        port: u16,
        /// Why it is considered failed (exited, or the time-out).
        reason: String,
        /// The last lines of its log (the log itself goes with its temporary directory).
        tail: String,
    },
    /// The server did not stop in time.
    #[error("PostgreSQL on port {port} did not stop within {seconds} s after {signal}")]
    Stop {
        /// Its port.
        port: u16,
        /// The signal sent.
        signal: &'static str,
        /// How long it was given.
        seconds: u64,
    },
    /// A statement or connection failed.
    #[error("cannot {what}: {source}")]
    Sql {
        /// What was being done.
        what: String,
        /// The client's error.
        source: postgres::Error,
    },
}

/// Maps an `io::Error` to [`Error::Io`] with a description of what was being done.
pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Maps a `postgres::Error` to [`Error::Sql`] with a description of what was being done.
pub(crate) fn sql_err(what: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
    let what = what.into();
    move |source| Error::Sql { what, source }
}
