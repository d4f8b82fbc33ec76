//! The top-level `[cluster]` table: how the nodes of a cluster that share a PostgreSQL store
//! share the work only one of them may do (the bucket watcher, the scheduler).

use std::ops::RangeInclusive;

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// The `[cluster]` table; unset fields are for the host to default (a flag or the environment
/// may set them too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClusterConfig {
    /// Seconds within which another node takes over the bucket watcher and the scheduler when
    /// the node running them dies (their lease in the store).
    pub lease_s: Option<u32>,
}

impl ClusterConfig {
    /// `lease_s` when not given.
    pub const DEFAULT_LEASE_S: u32 = 10;
    /// Allowed `lease_s`: 1 second to 10 minutes.
    pub const LEASE_S_RANGE: RangeInclusive<u32> = 1..=600;
}

/// Validate the `[cluster]` table; absent means nothing set.
pub(crate) fn validate(
    table: Option<raw::Table<raw::Cluster>>,
    src: &Source<'_>,
) -> Result<ClusterConfig, ManifestError> {
    let Some(raw::Table(table)) = table else {
        return Ok(ClusterConfig::default());
    };
    let lease_s = table
        .lease_s
        .map(|value| {
            u32::try_from(value.get_ref().0)
                .ok()
                .filter(|n| ClusterConfig::LEASE_S_RANGE.contains(n))
                .ok_or_else(|| {
                    let range = ClusterConfig::LEASE_S_RANGE;
                    ManifestError::ClusterOutOfRange {
                        at: src.at(value.span()),
                        field: "lease_s",
                        value: src.as_written(value.span()),
                        fix: format!(
                            "use {} to {} (seconds within which another node takes over the \
                             bucket watcher and the scheduler)",
                            range.start(),
                            range.end()
                        )
                        .into(),
                    }
                })
        })
        .transpose()?;
    Ok(ClusterConfig { lease_s })
}
