//! A PostgreSQL cluster in a temporary directory, its postmaster, and its lifetime.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::Signal;
use tempfile::TempDir;

use crate::database::{Database, off_runtime};
use crate::error::{Error, io_err, sql_err};
use crate::install::{self, RunAs};
use crate::spawn;

/// The superuser `initdb` creates; connections need no password (trust, loopback only).
pub(crate) const USER: &str = "fnhost";
/// Prefix of the temporary directories, for the sweep of stale ones.
const DIR_PREFIX: &str = "fnhost-testpg-";
/// How long a start may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stop may take before it counts as failed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at a free port: another process may take the one picked before PostgreSQL binds it.
const PORT_ATTEMPTS: u32 = 5;

/// How to stop a server: PostgreSQL's three shutdown modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// SIGTERM: refuse new connections, wait for the open ones to end, then checkpoint.
    Smart,
    /// SIGINT: end every session (their transactions roll back), checkpoint, exit.
    Fast,
    /// SIGQUIT: exit at once without a checkpoint, like a crash; the next start recovers.
    Immediate,
}

impl Shutdown {
    fn signal(self) -> (Signal, &'static str) {
        match self {
            Shutdown::Smart => (Signal::TERM, "SIGTERM"),
            Shutdown::Fast => (Signal::INT, "SIGINT"),
            Shutdown::Immediate => (Signal::QUIT, "SIGQUIT"),
        }
    }
}

/// A PostgreSQL server of its own: a cluster made by `initdb` in a temporary directory, and
/// its `postgres` process listening on 127.0.0.1 on a free port (and on a Unix socket in the
/// same directory), superuser `fnhost` without a password.
///
/// Settings suit tests, not durability: `fsync` and `full_page_writes` are off, and so is
/// `synchronous_commit` on the shared server; `max_connections` is 200. When the tests run as root, PostgreSQL (which refuses
/// root) runs as `nobody`, or as FNHOST_PG_USER. The binaries are found as `.ci/postgres.sh`
/// finds them (FNHOST_PG_BIN, `pg_config --bindir`, the newest `/usr/lib/postgresql/*/bin`).
///
/// The postmaster gets SIGQUIT when the test process exits, however it exits. A
/// [private](Server::start_private) server also stops, and its directory is removed, when
/// dropped; the [shared](Server::shared) one lives until the process exits, and its directory
/// is removed by the next test process that starts a server (until then it stays in the
/// temporary directory, about 40 MB).
///
/// The API is blocking and meant for plain `#[test]` threads. It may be called from async code
/// too (its PostgreSQL calls run on a scoped thread of their own, since the synchronous
/// `postgres` client panics on a tokio worker), but it blocks that thread meanwhile.
#[derive(Debug)]
pub struct Server {
    dir: TempDir,
    bin: PathBuf,
    run_as: Option<RunAs>,
    port: u16,
    version_num: u32,
    /// `synchronous_commit=on`: a commit is in the kernel's page cache before it returns.
    durable_commits: bool,
    /// `ssl=on`, with the certificates in the data directory and a `pg_hba.conf` requiring it.
    tls: bool,
    postmaster: Option<Child>,
}

/// The certificates of a server started with [`Server::start_private_tls`], in PEM.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The server's certificate chain, leaf first.
    pub cert_pem: String,
    /// The server certificate's private key.
    pub key_pem: String,
    /// The CA that signs client certificates, for the roles in [`CERT_USERS`].
    pub client_ca_pem: String,
}

/// Who may connect to a [`Server::start_private_tls`] server, and how: the harness's own
/// connections (superuser `fnhost`, over TCP or the socket) need no TLS; every other role must
/// use TLS; members of [`CERT_USERS`] must also present a client certificate, signed by the
/// client CA, whose common name is the role's name (`cert` authentication).
const TLS_HBA: &str = "\
local   all  all           trust
host    all  fnhost        127.0.0.1/32  trust
hostssl all  +cert_users   127.0.0.1/32  cert
hostssl all  all           127.0.0.1/32  trust
";

/// The group role of a [`Server::start_private_tls`] server whose members log in with a client
/// certificate (`CREATE ROLE app LOGIN IN ROLE cert_users`).
pub const CERT_USERS: &str = "cert_users";

impl Server {
    /// The process-wide server for store tests, started by the first call.
    ///
    /// # Panics
    ///
    /// When the server cannot start (not installed, see [`Server::try_shared`]): a test that
    /// needs PostgreSQL fails with the reason and the fix.
    pub fn shared() -> &'static Server {
        match Server::try_shared() {
            Ok(server) => server,
            Err(err) => panic!("{err}"),
        }
    }

    /// The process-wide server, or why it could not start (each call returns the same error).
    pub fn try_shared() -> Result<&'static Server, &'static Error> {
        static SHARED: OnceLock<Result<Server, Error>> = OnceLock::new();
        SHARED
            .get_or_init(|| Server::start_new(false, None))
            .as_ref()
    }

    /// A server of the caller's own, independent of the shared one, for tests that stop and
    /// restart PostgreSQL ([`Server::stop`], [`Server::start`]). Dropping it stops it
    /// ([`Shutdown::Immediate`]) and removes its directory.
    ///
    /// Unlike the shared server it runs with `synchronous_commit=on`, so that a commit
    /// survives an immediate stop (a crash of PostgreSQL, not of the machine: `fsync` stays
    /// off), as the cluster tests that kill it expect.
    pub fn start_private() -> Result<Server, Error> {
        Server::start_new(true, None)
    }

    /// A [private](Server::start_private) server with `ssl=on` and `tls`'s certificates, which
    /// refuses unencrypted TCP connections from every role but the harness's own (see
    /// [`Tls`]), for the tests of TLS to PostgreSQL. Create the roles to connect as with
    /// [`Server::admin`].
    pub fn start_private_tls(tls: &Tls) -> Result<Server, Error> {
        Server::start_new(true, Some(tls))
    }

    /// A connection to the `postgres` database as superuser `fnhost`, unencrypted, for setting
    /// up roles and databases. Like [`crate::Database::connect`], use it off tokio workers.
    pub fn admin(&self) -> Result<postgres::Client, Error> {
        off_runtime(|| connect(self.port, "postgres"))
    }

    /// The TCP port on 127.0.0.1; it stays the same across [`Server::stop`] and
    /// [`Server::start`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the `postgres` maintenance database, as superuser `fnhost`.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// `server_version_num` (150004 for 15.4).
    pub fn version_num(&self) -> u32 {
        self.version_num
    }

    /// The server's log file (its standard output and error).
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// A new, empty database with a name unique in this server, owned by `fnhost`; dropping the
    /// handle drops the database.
    pub fn database(&self) -> Result<Database, Error> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        off_runtime(|| {
            let mut admin = connect(self.port, "postgres")?;
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .map_err(sql_err(format!("create database `{name}`")))
        })?;
        Ok(Database::new(name, self.port, self.version_num >= 130_000))
    }

    /// Stops the server in `mode` and waits for the postmaster to exit; a no-op when stopped.
    /// The data stays: [`Server::start`] brings the same cluster back on the same port.
    pub fn stop(&mut self, mode: Shutdown) -> Result<(), Error> {
        let Some(mut child) = self.postmaster.take() else {
            return Ok(());
        };
        let (signal, name) = mode.signal();
        if let Err(err) = spawn::signal(&child, signal) {
            self.postmaster = Some(child);
            return Err(io_err(format!("send {name} to PostgreSQL"))(err));
        }
        match wait_timeout(&mut child, STOP_TIMEOUT) {
            Ok(Some(_)) => {
                tracing::debug!(port = self.port, signal = name, "PostgreSQL stopped");
                Ok(())
            }
            Ok(None) => {
                self.postmaster = Some(child);
                Err(Error::Stop {
                    port: self.port,
                    signal: name,
                    seconds: STOP_TIMEOUT.as_secs(),
                })
            }
            Err(err) => Err(io_err("wait for PostgreSQL")(err)),
        }
    }

    /// Starts the stopped server again, on the same port with the same data (after an
    /// [`Shutdown::Immediate`] stop it recovers first); a no-op when it runs.
    pub fn start(&mut self) -> Result<(), Error> {
        if let Some(child) = &mut self.postmaster {
            match child.try_wait() {
                Ok(None) => return Ok(()),
                Ok(Some(_)) | Err(_) => self.postmaster = None,
            }
        }
        self.launch(self.port).map_err(|failure| failure.error)
    }

    /// Whether the postmaster process is alive (not whether it accepts connections).
    pub fn is_running(&mut self) -> bool {
        self.postmaster
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    fn url_of(&self, database: &str) -> String {
        url(self.port, database)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start_new(durable_commits: bool, tls: Option<&Tls>) -> Result<Server, Error> {
        sweep_stale_dirs();
        let bin = install::bin_dir()?;
        let run_as = install::run_as()?;
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir()
            .map_err(io_err("create a temporary directory for PostgreSQL"))?;
        fs::write(dir.path().join("owner.pid"), std::process::id().to_string()).map_err(io_err(
            format!("write `{}/owner.pid`", dir.path().display()),
        ))?;
        if let Some(user) = run_as {
            install::check_traversable(dir.path(), user)?;
            rustix::fs::chown(
                dir.path(),
                Some(rustix::fs::Uid::from_raw(user.uid)),
                Some(rustix::fs::Gid::from_raw(user.gid)),
            )
            .map_err(|err| io_err(format!("chown `{}`", dir.path().display()))(err.into()))?;
        }
        let mut server = Server {
            dir,
            bin,
            run_as,
            port: 0,
            version_num: 0,
            durable_commits,
            tls: tls.is_some(),
            postmaster: None,
        };
        server.initdb()?;
        if let Some(tls) = tls {
            server.write_tls(tls)?;
        }
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            match server.launch(port) {
                Ok(()) => break,
                Err(failure) if failure.port_taken && attempt < PORT_ATTEMPTS => {
                    tracing::debug!(port, "port taken before PostgreSQL bound it; retrying");
                    attempt += 1;
                }
                Err(failure) => return Err(failure.error),
            }
        }
        server.version_num = off_runtime(|| {
            let mut admin = connect(server.port, "postgres")?;
            if server.tls {
                admin
                    .batch_execute(&format!("CREATE ROLE {CERT_USERS} NOLOGIN"))
                    .map_err(sql_err("create the role of client certificates"))?;
            }
            let row = admin
                .query_one("SELECT current_setting('server_version_num')::int4", &[])
                .map_err(sql_err("read server_version_num"))?;
            Ok::<_, Error>(row.get::<_, i32>(0) as u32)
        })?;
        tracing::info!(
            port = server.port,
            dir = %server.dir.path().display(),
            version = server.version_num,
            "PostgreSQL started"
        );
        Ok(server)
    }

    fn initdb(&self) -> Result<(), Error> {
        let mut command = Command::new(self.bin.join("initdb"));
        command
            .arg("--pgdata")
            .arg(self.data_dir())
            .args(["--username", USER, "--auth", "trust", "--encoding", "UTF8"])
            .args(["--locale", "C", "--no-sync"])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = spawn::spawn(command, self.run_as).map_err(io_err(format!(
            "run `{}`",
            self.bin.join("initdb").display()
        )))?;
        let output = child
            .wait_with_output()
            .map_err(io_err("wait for initdb"))?;
        if output.status.success() {
            return Ok(());
        }
        Err(Error::Initdb {
            status: output.status,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }

    /// Puts `tls`'s files in the data directory (where `ssl_cert_file`, `ssl_key_file` and
    /// `ssl_ca_file` point), readable by the server's user only, and [`TLS_HBA`].
    fn write_tls(&self, tls: &Tls) -> Result<(), Error> {
        let data = self.data_dir();
        for (name, text) in [
            ("server.crt", tls.cert_pem.as_str()),
            ("server.key", &tls.key_pem),
            ("client-ca.crt", &tls.client_ca_pem),
            ("pg_hba.conf", TLS_HBA),
        ] {
            let path = data.join(name);
            let write = || -> std::io::Result<()> {
                fs::write(&path, text)?;
                rustix::fs::chmod(&path, rustix::fs::Mode::from_raw_mode(0o600))?;
                if let Some(user) = self.run_as {
                    rustix::fs::chown(
                        &path,
                        Some(rustix::fs::Uid::from_raw(user.uid)),
                        Some(rustix::fs::Gid::from_raw(user.gid)),
                    )?;
                }
                Ok(())
            };
            write().map_err(io_err(format!("write `{}`", path.display())))?;
        }
        Ok(())
    }

    /// Runs `postgres` on `port` and waits until it accepts connections.
    fn launch(&mut self, port: u16) -> Result<(), LaunchFailure> {
        let log_path = self.log_path();
        let fail = |reason: String, port_taken: bool| LaunchFailure {
            error: Error::Start {
                port,
                reason,
                tail: log_tail(&log_path),
            },
            port_taken,
        };
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|err| fail(format!("cannot open its log: {err}"), false))?;
        let log_err = log
            .try_clone()
            .map_err(|err| fail(format!("cannot open its log: {err}"), false))?;
        let mut command = Command::new(self.bin.join("postgres"));
        command
            .arg("-D")
            .arg(self.data_dir())
            .arg("-p")
            .arg(port.to_string());
        let socket_dir = format!("unix_socket_directories={}", self.dir.path().display());
        let synchronous_commit = if self.durable_commits {
            "synchronous_commit=on"
        } else {
            "synchronous_commit=off"
        };
        if self.tls {
            for setting in [
                "ssl=on",
                "ssl_cert_file=server.crt",
                "ssl_key_file=server.key",
                "ssl_ca_file=client-ca.crt",
            ] {
                command.arg("-c").arg(setting);
            }
        }
        for setting in [
            "listen_addresses=127.0.0.1",
            &socket_dir,
            "fsync=off",
            synchronous_commit,
            "full_page_writes=off",
            "max_connections=200",
            "shared_buffers=32MB",
            "max_wal_size=256MB",
            "logging_collector=off",
        ] {
            command.arg("-c").arg(setting);
        }
        command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let mut child = spawn::spawn(command, self.run_as)
            .map_err(|err| fail(format!("cannot run `postgres`: {err}"), false))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let taken = log_tail(&log_path).contains("Address already in use");
                    return Err(fail(format!("it exited ({status})"), taken));
                }
                Ok(None) => {}
                Err(err) => return Err(fail(format!("cannot wait for it: {err}"), false)),
            }
            if off_runtime(|| connect(port, "postgres").map(drop)).is_ok() {
                break;
            }
            if Instant::now() >= deadline {
                let _ = spawn::signal(&child, Signal::QUIT);
                let _ = wait_timeout(&mut child, STOP_TIMEOUT);
                return Err(fail(
                    format!(
                        "no connection accepted within {} s",
                        START_TIMEOUT.as_secs()
                    ),
                    false,
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
        self.port = port;
        self.postmaster = Some(child);
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(err) = self.stop(Shutdown::Immediate) {
            tracing::warn!(port = self.port, "{err}");
            if let Some(child) = &mut self.postmaster {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        // The TempDir field removes the directory next (best effort).
    }
}

/// A failed launch, and whether another process had taken the port.
struct LaunchFailure {
    error: Error,
    port_taken: bool,
}

/// A connection to `database` as `fnhost`, for the admin statements and the readiness probe.
/// Call through [`off_runtime`].
pub(crate) fn connect(port: u16, database: &str) -> Result<postgres::Client, Error> {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user(USER)
        .dbname(database)
        .connect_timeout(Duration::from_secs(5))
        .connect(postgres::NoTls)
        .map_err(sql_err(format!("connect to 127.0.0.1:{port}/{database}")))
}

/// `postgres://fnhost@127.0.0.1:PORT/DATABASE`.
pub(crate) fn url(port: u16, database: &str) -> String {
    format!("postgres://{USER}@127.0.0.1:{port}/{database}")
}

/// A port nothing listens on right now.
fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(io_err("bind 127.0.0.1:0 to find a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("read the address of 127.0.0.1:0"))?
        .port();
    Ok(port)
}

/// `Some(status)` when `child` exited within `timeout`, `None` when it still runs.
fn wait_timeout(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The last lines of the server's log (up to 4 KiB), for error messages.
fn log_tail(path: &Path) -> String {
    const TAIL: u64 = 4096;
    let Ok(mut file) = File::open(path) else {
        return "(no log)".to_owned();
    };
    let len = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    // Drop the first, probably partial, line when the log was cut.
    let text = if len > TAIL {
        text.split_once('\n').map_or(&*text, |(_, rest)| rest)
    } else {
        &text
    };
    text.trim_end().to_owned()
}

/// Removes the directories of earlier test processes whose owner and postmaster have both
/// exited (the shared server's directory outlives its process). Best effort, once per process.
fn sweep_stale_dirs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let is_ours = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.starts_with(DIR_PREFIX));
            let dir = entry.path();
            if !is_ours || !is_stale(&dir) {
                continue;
            }
            match fs::remove_dir_all(&dir) {
                Ok(()) => tracing::debug!(dir = %dir.display(), "removed a stale PostgreSQL dir"),
                Err(err) => tracing::debug!(dir = %dir.display(), "cannot remove: {err}"),
            }
        }
    });
}

/// Whether both the test process that made `dir` and its postmaster are gone. A directory
/// without an owner file is being created right now; one whose postmaster pid cannot be read
/// (another user's) is left alone.
fn is_stale(dir: &Path) -> bool {
    let Some(Some(owner)) = read_pid(&dir.join("owner.pid")) else {
        return false;
    };
    if alive(owner) {
        return false;
    }
    match read_pid(&dir.join("data/postmaster.pid")) {
        None => true,
        Some(Some(postmaster)) => !alive(postmaster),
        Some(None) => false,
    }
}

/// `None` when the file does not exist, `Some(None)` when it cannot be read or parsed.
fn read_pid(path: &Path) -> Option<Option<u32>> {
    match fs::read_to_string(path) {
        Ok(text) => Some(
            text.lines()
                .next()
                .and_then(|line| line.trim().parse().ok()),
        ),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => Some(None),
    }
}

fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}
