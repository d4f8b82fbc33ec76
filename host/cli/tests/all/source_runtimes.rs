//! Lambda's deployment model through the API, on an upload-only host: `fnhost up` in an empty
//! directory, then zips of source with `Runtime` python3.x / nodejsN.x packaged in the
//! background with Lambda's function states (tests/py/source.py, real boto3 and its waiters).

use crate::api::run_py;
use crate::root;
use crate::up::Server;

/// The packaging tools `.ci/guests.sh` installed, so the host does not download them again.
pub(crate) fn tools_dir() -> String {
    root().join("target/guest-tools").display().to_string()
}

#[test]
fn an_empty_host_packages_source_zips_with_function_states() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir();
    let server = Server::start_with_env(dir, &["-q"], &[("FNHOST_TOOLS_DIR", &tools)]);
    let stdout = server.stdout();
    assert!(
        stdout.contains("no fnhost.toml") && stdout.contains("no functions yet"),
        "{stdout}"
    );
    let out = run_py("source.py", &server, &[]);
    assert!(out.contains("passed source.py"), "{out}");
    // The failed function's reason is also in the host's log, for operators.
    assert!(
        server.stderr().contains("packaging failed"),
        "{}",
        server.stderr()
    );
}
