//! Once a minute, what only a moment can tell: per function, the throttles and the most
//! invocations running at once during the minute (from [`fnhost_api::Metrics`]), and the
//! depth and age of its async queue (from the store), written for the Monitor tab.

use std::sync::Arc;
use std::time::Duration;

use fnhost_api::Metrics;
use fnhost_store::{Sample, Store};

/// The samples' period.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(60);

/// The samples of the minute starting at `minute_ms`.
fn samples(metrics: &Metrics, store: &Store, minute_ms: u64, now_ms: u64) -> Vec<Sample> {
    let mut samples: std::collections::BTreeMap<String, Sample> = metrics
        .sample()
        .into_iter()
        .map(|s| {
            let sample = Sample {
                function: s.function.clone(),
                minute_ms,
                throttles: s.throttles,
                peak_concurrency: s.peak_concurrency,
                queue_depth: 0,
                queue_age_ms: 0,
            };
            (s.function, sample)
        })
        .collect();
    match store.queue_by_function(now_ms) {
        Ok(queues) => {
            for (function, depth, age_ms) in queues {
                let sample = samples.entry(function.clone()).or_insert_with(|| Sample {
                    function,
                    minute_ms,
                    throttles: 0,
                    peak_concurrency: 0,
                    queue_depth: 0,
                    queue_age_ms: 0,
                });
                sample.queue_depth = depth;
                sample.queue_age_ms = age_ms;
            }
        }
        Err(err) => tracing::warn!(%err, "cannot read the queue for the console's samples"),
    }
    samples.into_values().collect()
}

/// Sample every minute, at the minute's end, until the process ends.
pub fn spawn(metrics: Arc<Metrics>, store: Store) {
    tokio::spawn(async move {
        loop {
            let now = fnhost_core::unix_ms();
            let period = SAMPLE_EVERY.as_millis() as u64;
            let next = (now / period + 1) * period;
            tokio::time::sleep(Duration::from_millis(next - now)).await;
            let (metrics, store) = (metrics.clone(), store.clone());
            let minute_ms = next - period;
            let written = tokio::task::spawn_blocking(move || {
                let samples = samples(&metrics, &store, minute_ms, fnhost_core::unix_ms());
                store.record_samples(&samples)
            })
            .await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::warn!(%err, "cannot write the console's samples"),
                Err(err) => tracing::warn!(%err, "the console's sampler failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use fnhost_dispatch::LogSink as _;

    use super::*;

    #[test]
    fn a_minute_carries_throttles_peaks_and_queues() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let metrics = Metrics::new();
        metrics.started("f");
        metrics.started("f");
        metrics.stopped("f");
        metrics.throttled("g");
        let got = samples(&metrics, &store, 60_000, 120_000);
        let names: Vec<(&str, u64, u32)> = got
            .iter()
            .map(|s| (s.function.as_str(), s.throttles, s.peak_concurrency))
            .collect();
        assert_eq!(names, [("f", 0, 2), ("g", 1, 0)]);
        assert!(got.iter().all(|s| s.minute_ms == 60_000));
    }
}
