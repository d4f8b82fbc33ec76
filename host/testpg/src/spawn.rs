//! Starting PostgreSQL's processes so that they die with the test process.
//!
//! `PR_SET_PDEATHSIG` signals the child when the *thread* that forked it exits, not the process.
//! A test thread ends with its test, so every child is forked by one dedicated thread that lives
//! as long as the process: the postmaster then gets SIGQUIT (immediate shutdown) exactly when
//! the test process exits, however it exits.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};
use std::thread;

use rustix::process::{Pid, Signal};
use rustix::thread::{set_thread_gid, set_thread_groups, set_thread_uid};
use rustix::{fs::Gid, fs::Uid};

use crate::install::RunAs;

struct Request {
    command: Command,
    reply: Sender<io::Result<Child>>,
}

/// The spawning thread's queue; the sender lives in a static, so the thread never ends.
static SPAWNER: OnceLock<Sender<Request>> = OnceLock::new();

fn spawner() -> io::Result<&'static Sender<Request>> {
    if let Some(sender) = SPAWNER.get() {
        return Ok(sender);
    }
    let (sender, receiver) = mpsc::channel::<Request>();
    // Two racing callers may both start a thread; the loser's thread ends at once because its
    // sender is dropped, and no child was ever forked by it.
    thread::Builder::new()
        .name("fnhost-testpg-spawner".to_owned())
        .spawn(move || {
            for mut request in receiver {
                let _ = request.reply.send(request.command.spawn());
            }
        })?;
    Ok(SPAWNER.get_or_init(|| sender))
}

/// Spawns `command` from the long-lived spawner thread, as `run_as` when given, with SIGQUIT
/// as its parent-death signal.
pub(crate) fn spawn(mut command: Command, run_as: Option<RunAs>) -> io::Result<Child> {
    let parent = Pid::from_raw(std::process::id() as i32);
    // SAFETY: the closure runs in the forked child before exec and makes only raw system calls
    // (no allocation, no lock), which is what `pre_exec` requires.
    unsafe {
        command.pre_exec(move || {
            if let Some(user) = run_as {
                set_thread_groups(&[])?;
                set_thread_gid(Gid::from_raw(user.gid))?;
                set_thread_uid(Uid::from_raw(user.uid))?;
            }
            // After the uid change: changing credentials clears the parent-death signal.
            rustix::process::set_parent_process_death_signal(Some(Signal::QUIT))?;
            // The parent may have died between fork and prctl; then nobody would signal us.
            if rustix::process::getppid() != parent {
                return Err(io::Error::other("the test process exited during spawn"));
            }
            Ok(())
        });
    }
    let (reply, response) = mpsc::channel();
    spawner()?
        .send(Request { command, reply })
        .map_err(|_| io::Error::other("the spawner thread of fnhost-testpg is gone"))?;
    response
        .recv()
        .map_err(|_| io::Error::other("the spawner thread of fnhost-testpg is gone"))?
}

/// Sends `signal` to a child.
pub(crate) fn signal(child: &Child, signal: Signal) -> io::Result<()> {
    Ok(rustix::process::kill_process(
        Pid::from_child(child),
        signal,
    )?)
}
