//! The PostgreSQL side of [`ChangeFeed`](crate::ChangeFeed): a connection of its own, outside
//! the pool, that `LISTEN`s on `fnhost_changes` and reconnects when it drops.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fallible_iterator::FallibleIterator as _;
use postgres::Client;
use tracing::{debug, warn};

use super::tls::Target;
use super::{Postgres, off_runtime};
use crate::changes::{Change, ChangeFeed, ChangeStore};
use crate::error::StoreError;

/// The channel the schema's trigger announces on (`migrations/V3__changes.sql`).
const CHANNEL: &str = "fnhost_changes";

/// How long to wait between reconnection attempts.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

pub(crate) struct Listener {
    target: Target,
    url: String,
    /// `None` after the connection dropped, until it is back.
    client: Option<Client>,
}

impl Listener {
    fn connect(target: &Target) -> Result<Client, postgres::Error> {
        off_runtime(|| {
            let mut client = target.connect()?;
            client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
            Ok(client)
        })
    }

    pub(crate) fn wait(&mut self, timeout: Duration) -> Vec<Change> {
        let deadline = Instant::now() + timeout;
        let Some(mut client) = self.client.take() else {
            // Cut off: reconnect, and say that announcements may have been missed.
            loop {
                match Listener::connect(&self.target) {
                    Ok(client) => {
                        debug!(url = %self.url, "following registry changes again");
                        self.client = Some(client);
                        return vec![Change::Missed];
                    }
                    Err(e) => {
                        debug!(url = %self.url, error = %e, "cannot reconnect the change feed");
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Vec::new();
                        }
                        std::thread::sleep(left.min(RECONNECT_PAUSE));
                    }
                }
            }
        };
        let (names, lost) = off_runtime(|| {
            let mut names = BTreeSet::new();
            let mut notifications = client.notifications();
            let left = deadline.saturating_duration_since(Instant::now());
            // The first announcement (or the timeout), then whatever else is already here.
            let first = notifications.timeout_iter(left).next();
            let rest = match first {
                Ok(Some(n)) => {
                    names.insert(n.payload().to_owned());
                    notifications.iter().for_each(|n| {
                        names.insert(n.payload().to_owned());
                        Ok(())
                    })
                }
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            drop(notifications);
            if let Err(e) = &rest {
                warn!(url = %self.url, error = %e, "the change feed's connection dropped");
            }
            (names, rest.is_err() || client.is_closed())
        });
        if !lost {
            self.client = Some(client);
        }
        names.into_iter().map(Change::Function).collect()
    }
}

/// Closes the connection off any tokio runtime, like the store's pool (see `Postgres`'s drop).
impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            off_runtime(move || drop(client));
        }
    }
}

impl ChangeStore for Postgres {
    fn follow_changes(&self) -> Result<Option<ChangeFeed>, StoreError> {
        let client = Listener::connect(&self.target).map_err(|e| StoreError::Connect {
            url: self.url.clone(),
            reason: format!("listening for changes: {e}"),
        })?;
        Ok(Some(ChangeFeed::new(Listener {
            target: self.target.clone(),
            url: self.url.clone(),
            client: Some(client),
        })))
    }
}
