//! The schedule trigger: EventBridge `rate(...)` and `cron(...)` rules that queue a
//! "Scheduled Event" for their function at each fire time.
//!
//! Runs go through the same durable queue as file events (retries, dead letters). A run that
//! is due while the previous run of the same rule is still queued or running is skipped and
//! logged, unless the rule sets `allow_overlap`. Fire times missed while the host was down
//! are not replayed: a rate rule counts from the host's start, a cron rule waits for its next
//! time.
//!
//! Every fire time is claimed in the store first ([`LeaseStore::claim_tick`](fnhost_store::LeaseStore::claim_tick)) and fired only when
//! the claim succeeds, so a tick fires at most once however many schedulers run. In a cluster
//! the scheduler runs on the node holding its lease ([`crate::singleton`]), its rate rules count
//! from the Unix epoch ([`Scheduler::aligned`]) so that every node computes the same fire times,
//! and a node that takes over from a holder fires the ticks that fell due in between
//! ([`Scheduler::start_from`]): the claims skip those the previous holder fired.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fnhost_manifest::{Manifest, ScheduleTrigger};
use fnhost_store::Store;

use fnhost_core::{Lineage, Trigger};

use crate::delivery::Delivery;
use crate::{Subscription, blocking};

/// One rule with its function's delivery settings.
type Rule = Subscription<ScheduleTrigger>;

/// Every enabled schedule of a manifest.
#[derive(Debug, Clone)]
pub struct Scheduler {
    rules: Vec<Rule>,
    store: Store,
    delivery: Delivery,
    notices: bool,
    aligned: bool,
}

/// The running rules; dropping it stops them.
#[derive(Debug)]
pub struct SchedulerHandle {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SchedulerHandle {
    /// How many rules are running.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no rule is running.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl Drop for SchedulerHandle {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Scheduler {
    /// The enabled `[[function.NAME.schedule]]` rules of `manifest`.
    pub fn from_manifest(
        manifest: &Manifest,
        store: Store,
        delivery: Delivery,
        notices: bool,
    ) -> Self {
        let rules = Subscription::all(manifest, |f| {
            f.schedules.iter().filter(|s| s.enabled).collect()
        });
        Self {
            rules,
            store,
            delivery,
            notices,
            aligned: false,
        }
    }

    /// With `aligned`, rate rules count from the Unix epoch (`rate(1 minute)` fires at every
    /// whole minute) instead of from the start, so that every node of a cluster computes the
    /// same fire times and a node taking over continues the previous holder's sequence.
    pub fn aligned(mut self, aligned: bool) -> Self {
        self.aligned = aligned;
        self
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Start one task per rule on the current runtime.
    pub fn start(self) -> SchedulerHandle {
        Arc::new(self).spawn(None)
    }

    /// Start one task per rule on the current runtime, first firing the fire times after
    /// `from` that are already past (each still claimed first, so those fired before are
    /// skipped): how a node taking the scheduler over makes up for the failover.
    pub fn start_from(&self, from: Option<DateTime<Utc>>) -> SchedulerHandle {
        Arc::new(self.clone()).spawn(from)
    }

    fn spawn(self: Arc<Self>, from: Option<DateTime<Utc>>) -> SchedulerHandle {
        let tasks = (0..self.rules.len())
            .map(|index| {
                let this = self.clone();
                tokio::spawn(async move { this.run(index, from).await })
            })
            .collect();
        SchedulerHandle { tasks }
    }

    async fn run(&self, index: usize, from: Option<DateTime<Utc>>) {
        let rule = &self.rules[index];
        let started = Utc::now();
        let anchor = if self.aligned {
            DateTime::UNIX_EPOCH
        } else {
            started
        };
        let mut after = from.filter(|from| *from < started).unwrap_or(started);
        let mut last: Option<String> = None;
        loop {
            let Some(next) = rule.trigger.schedule.next_after(after, anchor) else {
                tracing::info!(rule = %rule.trigger.name, "schedule has no further fire time");
                return;
            };
            sleep_until(next).await;
            // Past fire times being made up for are taken one by one; otherwise one that was
            // slept through (a suspended machine) is not replayed.
            after = if next < started {
                next
            } else {
                next.max(Utc::now())
            };
            if !self.claim(&rule.trigger.name, next).await {
                continue;
            }
            if !rule.trigger.allow_overlap
                && let Some(previous) = &last
                && self.delivery.is_outstanding(previous)
            {
                tracing::info!(rule = %rule.trigger.name, "previous run still going; skipped");
                if self.notices {
                    eprintln!(
                        "fnhost: schedule `{}` skipped its run at {}: the previous run of `{}` \
                         has not finished (set allow_overlap = true to run them side by side)",
                        rule.trigger.name,
                        next.format("%H:%M:%S"),
                        rule.function
                    );
                }
                continue;
            }
            match self.enqueue(rule, next).await {
                Ok(request_id) => last = Some(request_id),
                Err(err) => {
                    tracing::error!(rule = %rule.trigger.name, %err, "cannot queue a scheduled run")
                }
            }
        }
    }

    /// Claim fire time `at` of rule `name` in the store: whether to fire it.
    async fn claim(&self, name: &str, at: DateTime<Utc>) -> bool {
        let tick_ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        let store = self.store.clone();
        let key = name.to_owned();
        match blocking(move || store.claim_tick(&key, tick_ms)).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::debug!(rule = %name, tick_ms, "fire time claimed already; skipped");
                false
            }
            Err(err) => {
                tracing::error!(rule = %name, %err, "cannot claim a fire time; skipped");
                false
            }
        }
    }

    async fn enqueue(
        &self,
        rule: &Rule,
        time: DateTime<Utc>,
    ) -> Result<String, fnhost_store::StoreError> {
        let payload = match &rule.trigger.input {
            Some(input) => input.clone().into_bytes(),
            None => fnhost_events::scheduled_event(&rule.trigger.name, time)
                .to_string()
                .into_bytes(),
        };
        let request_id = fnhost_runtime::new_request_id();
        let lineage = Lineage::root(&request_id);
        let job = rule.job(payload, Trigger::Schedule, request_id.clone(), lineage);
        self.delivery.track(&request_id);
        let store = self.store.clone();
        if let Err(err) = blocking(move || store.enqueue(&[job], &[])).await {
            self.delivery.untrack(&request_id);
            return Err(err);
        }
        self.delivery.wake().notify_one();
        Ok(request_id)
    }
}

/// Sleep until a wall-clock time (recomputed, so a changed clock is followed within a second).
async fn sleep_until(at: DateTime<Utc>) {
    loop {
        let left = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left.min(Duration::from_secs(1))).await;
    }
}
