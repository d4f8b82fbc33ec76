//! The state directory of `fnhost up`: its lock, and the bounds on what it holds (compiled
//! artifacts, dead letters, the total size of invocation logs), enforced at start and every
//! 10 minutes alongside `--log-retention`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use fnhost_store::{StateLock, Store};

/// Flags bounding the state directory.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// Most bytes of compiled artifacts kept in `<state>/artifacts` (default 2147483648, 2 GiB);
    /// past it the least recently used are removed (a restart compiles them again).
    #[arg(long, env = "FNHOST_ARTIFACT_CACHE_LIMIT", default_value_t = fnhost_runtime::DEFAULT_ARTIFACT_BUDGET)]
    pub artifact_cache_limit: u64,
    /// How long dead letters are kept (`30m`, `12h`, `14d`; `0` keeps them forever; default
    /// 14d, SQS's longest retention). Older ones are deleted at start and every 10 minutes.
    #[arg(long, env = "FNHOST_DEAD_LETTER_RETENTION", default_value = "14d", value_parser = crate::commands::logs::parse_since)]
    pub dead_letter_retention: Duration,
    /// Most bytes of invocation logs kept in the state database over all functions (default
    /// 1073741824, 1 GiB; `0` for no cap). Past it the oldest invocation records go first, at
    /// start and every 10 minutes.
    #[arg(long, env = "FNHOST_LOG_SIZE_LIMIT", default_value_t = DEFAULT_LOG_SIZE_LIMIT)]
    pub log_size_limit: u64,
    /// Where invocations' `/tmp` files live (default `<state>/tmp`). Each invocation that
    /// writes `/tmp` gets a fresh directory there, removed when it ends; what a killed host
    /// left is removed at the next start.
    #[arg(long, env = "FNHOST_TMP_DIR")]
    pub tmp_dir: Option<PathBuf>,
}

/// `--log-size-limit` unless given: 1 GiB.
pub const DEFAULT_LOG_SIZE_LIMIT: u64 = 1 << 30;

/// How often the bounds are enforced.
const MAINTAIN_EVERY: Duration = Duration::from_secs(600);

/// Take the state directory's lock (creating it 0700) before anything opens the database or
/// re-queues jobs; a second host on the same directory stops here.
pub fn lock(state_dir: &Path) -> Result<StateLock> {
    Ok(StateLock::acquire(state_dir)?)
}

/// Delete dead letters past `--dead-letter-retention` and the oldest invocation records past
/// `--log-size-limit`, now and every 10 minutes.
pub fn spawn_maintenance(store: Store, args: &StateArgs) {
    let (retention, log_cap) = (args.dead_letter_retention, args.log_size_limit);
    if retention.is_zero() && log_cap == 0 {
        return;
    }
    tokio::spawn(async move {
        loop {
            let store = store.clone();
            let cutoff = (!retention.is_zero()).then(|| crate::commands::logs::since_ms(retention));
            let done = tokio::task::spawn_blocking(move || {
                let dead = match cutoff {
                    Some(cutoff) => store.prune_dead_letters(cutoff)?,
                    None => 0,
                };
                let logs = match log_cap {
                    0 => 0,
                    cap => store.prune_log_bytes(cap)?,
                };
                Ok::<_, fnhost_store::StoreError>((dead, logs))
            })
            .await;
            match done {
                Ok(Ok((dead, logs))) => {
                    if dead > 0 {
                        tracing::info!(removed = dead, "deleted dead letters past their retention");
                    }
                    if logs > 0 {
                        tracing::info!(
                            removed = logs,
                            "pruned the oldest invocation logs to the size cap"
                        );
                    }
                }
                Ok(Err(err)) => tracing::warn!(%err, "cannot enforce the state directory's bounds"),
                Err(err) => tracing::warn!(%err, "enforcing the state directory's bounds panicked"),
            }
            tokio::time::sleep(MAINTAIN_EVERY).await;
        }
    });
}
