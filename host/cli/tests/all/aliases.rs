//! Lambda aliases end to end, with boto3 against the real `fnhost up` (`tests/py/aliases.py`):
//! a canary alias's weights over 2,000 invocations, the version that ran in every response's
//! header, context and log, every error row of Lambda's alias table, UpdateAlias, ListAliases
//! paging, GetFunction through an alias, DeleteAlias, and aliases surviving a restart.

use crate::api::{manifest, run_py};
use crate::up::Server;

#[test]
fn boto3_aliases_route_by_weight_and_survive_a_restart() {
    let mut server = Server::start(&manifest(), &["-q"]);
    let out = run_py("aliases.py", &server, &[]);
    assert!(out.contains("passed aliases.py"), "{out}");
    // The share, for the record (the script asserts 10 % ± 3 %).
    let share = out.lines().find(|l| l.starts_with("version 2 ran "));
    eprintln!("{}", share.expect("the script prints the share"));

    assert!(server.terminate().success(), "{}", server.stderr());
    let server = Server::start_in(server.kill9(), &["-q"]);
    let out = run_py("aliases.py", &server, &[("FNHOST_TEST_PHASE", "restart")]);
    assert!(out.contains("passed aliases.py"), "{out}");
}
