//! The schedule trigger: EventBridge `rate(...)` and `cron(...)` rules that queue a
//! "Scheduled Event" for their function at each fire time.
//!
//! Runs go through the same durable queue as file events (retries, dead letters). A run that
//! is due while the previous run of the same rule is still queued or running is skipped and
//! logged, unless the rule sets `allow_overlap`. Fire times missed while the host was down
//! are not replayed: a rate rule counts from the host's start, a cron rule waits for its next
//! time.

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
#[derive(Debug)]
pub struct Scheduler {
    rules: Vec<Rule>,
    store: Store,
    delivery: Delivery,
    notices: bool,
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
        }
    }

    /// Start one task per rule on the current runtime.
    pub fn start(self) -> SchedulerHandle {
        let this = Arc::new(self);
        let tasks = (0..this.rules.len())
            .map(|index| {
                let this = this.clone();
                tokio::spawn(async move { this.run(index).await })
            })
            .collect();
        SchedulerHandle { tasks }
    }

    async fn run(&self, index: usize) {
        let rule = &self.rules[index];
        let anchor = Utc::now();
        let mut after = anchor;
        let mut last: Option<String> = None;
        loop {
            let Some(next) = rule.trigger.schedule.next_after(after, anchor) else {
                tracing::info!(rule = %rule.trigger.name, "schedule has no further fire time");
                return;
            };
            sleep_until(next).await;
            after = next.max(Utc::now());
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
