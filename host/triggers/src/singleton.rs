//! Cluster singletons: work that must run on exactly one node at a time (the bucket watcher,
//! the scheduler), chosen by a lease in the store.
//!
//! [`spawn`] starts a runner that loops: take the lease ([`LeaseStore::acquire_lease`]) →
//! start the work → renew the lease every `lease / 3` → stop the work when the lease is lost or
//! cannot be renewed in time → try again. Nodes that do not hold the lease ask for it every
//! `lease / 10`.
//!
//! The lease row is written for `lease − lease / 10` (the poll interval), so after a holder
//! dies another node holds the lease at most `lease` later: the row expires at most
//! `lease − lease / 10` after the holder's last renewal, and a waiting node asks again within
//! `lease / 10`. A holder that cannot renew (the store is unreachable, or a renewal is refused
//! because another node took the lease) stops its work once two renewal periods have passed
//! since its last good renewal, a third of a period before its row expires, so two nodes run
//! the work at the same time only when a stop takes longer than that (a watcher thread stuck in
//! a filesystem call). The work must tolerate that rare overlap: the scheduler claims every
//! tick in the store ([`LeaseStore::claim_tick`]) before firing it, and the watcher delivers at
//! least once anyway.
//!
//! On [`SingletonHandle::stop`] the work stops and the lease is expired at once (its row is
//! kept with `until_ms = now`), so another node takes over at its next poll instead of after
//! the lease, and learns from the row ([`Takeover::follows`]) that it continues after a holder.
//!
//! On one machine (SQLite) the lease is trivially this host's, through the same code.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnhost_core::unix_ms;
use fnhost_store::{Lease, Store};
use tokio::sync::watch;

use crate::blocking;

/// The failover bound when not configured (`[cluster] lease_s`).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// The shortest lease accepted: renewals every third of it must fit in a store round trip.
pub const MIN_LEASE: Duration = Duration::from_millis(300);

/// One singleton's lease: its name in the store, who takes it and how long failover may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingletonConfig {
    /// The lease's name (e.g. `scheduler`, `bucket-watcher`).
    pub name: String,
    /// Who takes it: this process (see [`holder`]).
    pub holder: String,
    /// The failover bound: after the holder dies, another node holds the lease within this
    /// long. At least [`MIN_LEASE`] (shorter values are raised to it).
    pub lease: Duration,
}

impl SingletonConfig {
    fn lease(&self) -> Duration {
        self.lease.max(MIN_LEASE)
    }

    /// How often a node that does not hold the lease asks for it.
    pub fn poll_every(&self) -> Duration {
        self.lease() / 10
    }

    /// How long the lease row is written for on each renewal.
    pub fn row_ttl(&self) -> Duration {
        self.lease() - self.poll_every()
    }

    /// How often the holder renews.
    pub fn renew_every(&self) -> Duration {
        self.lease() / 3
    }

    /// How long after its last good renewal a holder that cannot renew stops its work.
    pub fn give_up_after(&self) -> Duration {
        self.renew_every() * 2
    }
}

/// The lease holder name of this process on node `node`: the node name itself on a store only
/// this machine uses (SQLite: a restarted host takes its own lease back at once), and
/// `node#XXXXXXXX`, a random suffix per process start, on a store the nodes of a cluster share
/// (PostgreSQL): two processes that were given the same node name by mistake never both hold
/// a lease, and a node restarted after a crash waits for its old lease to expire like any
/// other node (at most the lease; another node may well take over first).
pub fn holder(node: &str, shared_store: bool) -> String {
    if !shared_store {
        return node.to_owned();
    }
    let random = fnhost_runtime::new_request_id();
    format!("{node}#{}", &random[..8])
}

/// What a node knows when it has just taken a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover {
    /// The lease row as it was just before this node took it, when another holder had it.
    pub previous: Option<Lease>,
    /// When this node took the lease, unix ms.
    pub at_ms: u64,
    /// The configured lease, to judge `previous` by.
    lease: Duration,
    row_ttl: Duration,
}

impl Takeover {
    /// When this node continues right after another holder (it died or stopped less than one
    /// lease ago): the start of that holder's last lease term, unix ms, from which on work it
    /// was due to do may not have been done. `None` after a longer gap (the whole cluster was
    /// down: what fell due meanwhile is not made up for, as on one machine) or when nobody
    /// else held the lease.
    pub fn follows(&self) -> Option<u64> {
        let previous = self.previous.as_ref()?;
        let lease_ms = self.lease.as_millis() as u64;
        (previous.until_ms.saturating_add(lease_ms) >= self.at_ms).then(|| {
            previous
                .until_ms
                .saturating_sub(self.row_ttl.as_millis() as u64)
        })
    }
}

/// A running singleton runner.
#[derive(Debug)]
pub struct SingletonHandle {
    name: String,
    stop: watch::Sender<bool>,
    holding: watch::Receiver<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SingletonHandle {
    /// Whether this node holds the lease and runs the work now.
    pub fn is_holding(&self) -> bool {
        *self.holding.borrow()
    }

    /// Changes of [`SingletonHandle::is_holding`].
    pub fn holding(&self) -> watch::Receiver<bool> {
        self.holding.clone()
    }

    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stop the work and give the lease up, so that another node takes over at once.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SingletonHandle {
    /// Asks the runner to stop (it stops the work and gives the lease up on its own).
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Start a runner for `config` on the current runtime: whenever this node holds the lease,
/// `start` has been called (on a blocking thread) and what it returned is alive; it is dropped
/// (on a blocking thread) to stop the work. A `start` that fails is logged, the lease is given
/// up and the node tries again after one lease.
pub fn spawn<R, E, F>(store: Store, config: SingletonConfig, start: F) -> SingletonHandle
where
    R: Send + 'static,
    E: fmt::Display + Send + 'static,
    F: Fn(&Takeover) -> Result<R, E> + Send + Sync + 'static,
{
    let (stop_tx, stop_rx) = watch::channel(false);
    let (holding_tx, holding) = watch::channel(false);
    let runner = Runner {
        store,
        config: config.clone(),
        stop: stop_rx,
        holding: holding_tx,
    };
    let task = tokio::spawn(runner.run(Arc::new(start)));
    SingletonHandle {
        name: config.name,
        stop: stop_tx,
        holding,
        task: Some(task),
    }
}

struct Runner {
    store: Store,
    config: SingletonConfig,
    stop: watch::Receiver<bool>,
    holding: watch::Sender<bool>,
}

/// Why a holder stopped its work.
enum Ended {
    /// Asked to stop: give the lease up.
    Stop,
    /// Another holder took the lease.
    Lost,
    /// No renewal succeeded in time.
    Unrenewed,
}

impl Runner {
    async fn run<R, E, F>(mut self, start: Arc<F>)
    where
        R: Send + 'static,
        E: fmt::Display + Send + 'static,
        F: Fn(&Takeover) -> Result<R, E> + Send + Sync + 'static,
    {
        let name = self.config.name.clone();
        loop {
            let Some((takeover, renewed_at)) = self.acquire().await else {
                return;
            };
            tracing::info!(
                lease = %name,
                holder = %self.config.holder,
                previous = ?takeover.previous.as_ref().map(|l| &l.holder),
                "took the lease; starting"
            );
            let starting = start.clone();
            let started = blocking(move || starting(&takeover)).await;
            let running = match started {
                Ok(running) => running,
                Err(err) => {
                    tracing::error!(lease = %name, %err, "cannot start; giving the lease up");
                    self.give_up().await;
                    if self.pause(self.config.lease()).await {
                        return;
                    }
                    continue;
                }
            };
            let _ = self.holding.send(true);
            let ended = self.hold(renewed_at).await;
            let _ = self.holding.send(false);
            blocking(move || drop(running)).await;
            match ended {
                Ended::Stop => {
                    self.give_up().await;
                    tracing::info!(lease = %name, "stopped; lease given up");
                    return;
                }
                Ended::Lost => {
                    tracing::warn!(lease = %name, "another node took the lease; stopped here")
                }
                Ended::Unrenewed => tracing::warn!(
                    lease = %name,
                    "could not renew the lease in time (is the store reachable?); stopped here"
                ),
            }
        }
    }

    /// Wait until this node holds the lease: the takeover and when the lease was taken (the
    /// instant before the store call). `None` when asked to stop first.
    async fn acquire(&mut self) -> Option<(Takeover, Instant)> {
        let mut failing = false;
        loop {
            if *self.stop.borrow() {
                return None;
            }
            let asked = Instant::now();
            let at_ms = unix_ms();
            let store = self.store.clone();
            let (name, holder) = (self.config.name.clone(), self.config.holder.clone());
            let ttl = self.config.row_ttl().as_millis() as u64;
            let attempt = blocking(move || {
                let previous = store.lease(&name)?;
                let taken = store.acquire_lease(&name, &holder, at_ms, ttl)?;
                Ok::<_, fnhost_store::StoreError>((previous, taken))
            });
            match tokio::time::timeout(self.config.row_ttl(), attempt).await {
                Ok(Ok((previous, true))) => {
                    let takeover = Takeover {
                        previous: previous.filter(|l| l.holder != self.config.holder),
                        at_ms,
                        lease: self.config.lease(),
                        row_ttl: self.config.row_ttl(),
                    };
                    return Some((takeover, asked));
                }
                Ok(Ok((_, false))) => failing = false,
                Ok(Err(err)) => {
                    if !failing {
                        tracing::warn!(lease = %self.config.name, %err, "cannot ask for the lease");
                    }
                    failing = true;
                }
                Err(_) => {
                    if !failing {
                        tracing::warn!(lease = %self.config.name, "asking for the lease timed out");
                    }
                    failing = true;
                }
            }
            if self.pause(self.config.poll_every()).await {
                return None;
            }
        }
    }

    /// Renew until the lease is lost, cannot be renewed in time, or the runner is stopped.
    async fn hold(&mut self, mut renewed_at: Instant) -> Ended {
        let mut next = renewed_at + self.config.renew_every();
        loop {
            let deadline = renewed_at + self.config.give_up_after();
            if Instant::now() >= deadline {
                return Ended::Unrenewed;
            }
            let wait = next.min(deadline).saturating_duration_since(Instant::now());
            if self.pause(wait).await {
                return Ended::Stop;
            }
            if Instant::now() >= deadline {
                return Ended::Unrenewed;
            }
            let asked = Instant::now();
            let store = self.store.clone();
            let (name, holder) = (self.config.name.clone(), self.config.holder.clone());
            let ttl = self.config.row_ttl().as_millis() as u64;
            let now_ms = unix_ms();
            let renewal = blocking(move || store.acquire_lease(&name, &holder, now_ms, ttl));
            let left = deadline.saturating_duration_since(asked);
            match tokio::time::timeout(left, renewal).await {
                Ok(Ok(true)) => {
                    renewed_at = asked;
                    next = asked + self.config.renew_every();
                }
                Ok(Ok(false)) => return Ended::Lost,
                Ok(Err(err)) => {
                    tracing::warn!(lease = %self.config.name, %err, "cannot renew the lease; retrying");
                    next = Instant::now() + self.config.poll_every();
                }
                Err(_) => return Ended::Unrenewed,
            }
        }
    }

    /// Expire the lease now (keeping its row), so another node takes over at its next poll.
    async fn give_up(&self) {
        let store = self.store.clone();
        let (name, holder) = (self.config.name.clone(), self.config.holder.clone());
        let giving_up = blocking(move || store.acquire_lease(&name, &holder, unix_ms(), 0));
        match tokio::time::timeout(self.config.row_ttl(), giving_up).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::warn!(lease = %self.config.name, %err, "cannot give the lease up; it expires by itself")
            }
            Err(_) => tracing::warn!(
                lease = %self.config.name,
                "giving the lease up timed out; it expires by itself"
            ),
        }
    }

    /// Sleep for `wait`; `true` when asked to stop meanwhile (or before).
    async fn pause(&mut self, wait: Duration) -> bool {
        if *self.stop.borrow() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => *self.stop.borrow(),
            changed = self.stop.changed() => changed.is_err() || *self.stop.borrow(),
        }
    }
}
