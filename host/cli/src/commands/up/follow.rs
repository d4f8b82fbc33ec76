//! The follower of a cluster node: when the store is shared (PostgreSQL), a thread waits on
//! the store's change feed and makes this node's registry match every function another node
//! changed ([`Api::follow_function`]), re-reading everything after the feed missed
//! announcements and every [`RESYNC`] anyway ([`Api::follow_all`]). With the SQLite store
//! there is nothing to follow and no thread.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use fnhost_api::Api;
use fnhost_store::{Change, ChangeFeed, Store};

/// How often a node re-reads the whole registry even when no announcement came: the fallback
/// for announcements lost without the feed noticing.
pub const RESYNC: Duration = Duration::from_secs(30);

/// How long one wait on the feed lasts at most (the thread notices a stopped host this often).
const WAIT: Duration = Duration::from_secs(1);

/// Start following the other nodes, if `store` is shared. The thread ends with the host.
pub fn spawn(api: &Arc<Api>, store: &Store) -> Result<()> {
    let Some(feed) = store
        .follow_changes()
        .context("cannot follow the changes other nodes make to the function registry")?
    else {
        return Ok(());
    };
    let runtime = tokio::runtime::Handle::current();
    let api = Arc::downgrade(api);
    std::thread::Builder::new()
        .name("fnhost-follow".into())
        .spawn(move || follow(&runtime, &api, feed))
        .context("cannot start the follower thread")?;
    Ok(())
}

fn follow(runtime: &tokio::runtime::Handle, weak: &Weak<Api>, mut feed: ChangeFeed) {
    // Whatever changed between the start-up restore and the feed's first wait.
    let mut full = true;
    let mut last_full = Instant::now();
    loop {
        let Some(api) = weak.upgrade() else {
            return;
        };
        if full || last_full.elapsed() >= RESYNC {
            full = false;
            last_full = Instant::now();
            match runtime.block_on(api.follow_all()) {
                Ok(0) => {}
                Ok(n) => tracing::info!(functions = n, "caught up with the other nodes"),
                Err(err) => tracing::warn!(%err, "cannot re-read the function registry"),
            }
        }
        drop(api);
        let changes = feed.wait(WAIT);
        let Some(api) = weak.upgrade() else {
            return;
        };
        for change in changes {
            match change {
                Change::Function(name) => {
                    let started = Instant::now();
                    match runtime.block_on(api.follow_function(&name)) {
                        Ok(true) => tracing::info!(
                            function = %name,
                            ms = started.elapsed().as_millis() as u64,
                            "followed a change made on another node"
                        ),
                        Ok(false) => {}
                        Err(err) => {
                            tracing::warn!(function = %name, %err, "cannot follow a change; the next re-read retries");
                        }
                    }
                }
                Change::Missed => full = true,
            }
        }
    }
}
