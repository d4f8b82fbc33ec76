//! What delivered an event, and where it sits in a chain of events.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What delivered an event to a function. Every invocation is built with one; records, logs,
/// metrics and `fnhost usage` show it by [`Trigger::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// An HTTP request to a route (the API Gateway stand-in).
    Http,
    /// A file created in or removed from a bucket (S3 event notification).
    S3,
    /// A schedule rule (EventBridge).
    Schedule,
    /// The Lambda API's `Invoke` with `RequestResponse` or `DryRun`.
    Api,
    /// The Lambda API's `Invoke` with `Event` (queued, 202).
    ApiEvent,
    /// `fnhost invoke` on the command line (SAM's `local invoke`).
    Cli,
    /// Another function's synchronous `Invoke` through the host (`functions.invoke`).
    Invoke,
}

impl Trigger {
    /// Every trigger, in declaration order.
    pub const ALL: [Trigger; 7] = [
        Trigger::Http,
        Trigger::S3,
        Trigger::Schedule,
        Trigger::Api,
        Trigger::ApiEvent,
        Trigger::Cli,
        Trigger::Invoke,
    ];

    /// The name recorded and shown: `http`, `s3`, `schedule`, `api`, `api-event`, `cli`,
    /// `invoke`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Http => "http",
            Trigger::S3 => "s3",
            Trigger::Schedule => "schedule",
            Trigger::Api => "api",
            Trigger::ApiEvent => "api-event",
            Trigger::Cli => "cli",
            Trigger::Invoke => "invoke",
        }
    }

    /// The event source as AWS names the service: `aws:s3`, `aws.events`, `lambda`,
    /// `aws:apigateway` or `cli`. Queued jobs store it, so it is unique among queued triggers.
    pub fn event_source(self) -> &'static str {
        match self {
            Trigger::Http => "aws:apigateway",
            Trigger::S3 => "aws:s3",
            Trigger::Schedule => "aws.events",
            Trigger::Api | Trigger::ApiEvent | Trigger::Invoke => "lambda",
            Trigger::Cli => "cli",
        }
    }

    /// Whether its events go through the durable queue (retries, dead letters, at-least-once
    /// delivery); such an invocation's record must be committed before the queue forgets it.
    pub fn is_queued(self) -> bool {
        matches!(self, Trigger::S3 | Trigger::Schedule | Trigger::ApiEvent)
    }

    /// The queued trigger whose [`Trigger::event_source`] is `source`.
    pub fn from_event_source(source: &str) -> Result<Trigger, UnknownTrigger> {
        Trigger::ALL
            .into_iter()
            .find(|t| t.is_queued() && t.event_source() == source)
            .ok_or_else(|| UnknownTrigger(source.to_owned()))
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trigger name or event source that no [`Trigger`] has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trigger `{0}` (expected one of http, s3, schedule, api, api-event, cli, invoke)")]
pub struct UnknownTrigger(pub String);

impl FromStr for Trigger {
    type Err = UnknownTrigger;

    fn from_str(s: &str) -> Result<Trigger, UnknownTrigger> {
        Trigger::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTrigger(s.to_owned()))
    }
}

/// Where an invocation sits in a chain of events that cause one another (a function writes an
/// object, the write fires an S3 event, that event invokes a function, …).
///
/// The loop guard counts `hop`s along a chain and stops it past the configured limit, as
/// Lambda's recursive loop detection does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lineage {
    /// Id shared by every invocation of one chain (the first event's id).
    pub chain_id: String,
    /// How many events precede this one in the chain (the first event is hop 0).
    pub hop: u32,
}

impl Lineage {
    /// The first event of a new chain, named after its request id.
    pub fn root(request_id: &str) -> Lineage {
        Lineage {
            chain_id: request_id.to_owned(),
            hop: 0,
        }
    }

    /// The lineage of an event this one causes.
    pub fn next(&self) -> Lineage {
        Lineage {
            chain_id: self.chain_id.clone(),
            hop: self.hop.saturating_add(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Trigger::ALL {
            assert_eq!(t.as_str().parse::<Trigger>(), Ok(t));
            assert_eq!(
                serde_json::Value::String(t.as_str().into()),
                serde_json::to_value(t).unwrap()
            );
        }
        assert!("unknown".parse::<Trigger>().is_err());
    }

    #[test]
    fn queued_triggers_have_unique_event_sources() {
        for t in Trigger::ALL.into_iter().filter(|t| t.is_queued()) {
            assert_eq!(Trigger::from_event_source(t.event_source()), Ok(t));
        }
        assert_eq!(Trigger::from_event_source("lambda"), Ok(Trigger::ApiEvent));
        assert!(Trigger::from_event_source("aws:apigateway").is_err());
        assert_eq!(
            Trigger::ALL.iter().filter(|t| t.is_queued()).count(),
            3,
            "s3, schedule and api-event are queued"
        );
    }

    #[test]
    fn lineage_counts_hops() {
        let root = Lineage::root("req-1");
        assert_eq!(root.hop, 0);
        let next = root.next();
        assert_eq!((next.chain_id.as_str(), next.hop), ("req-1", 1));
    }
}
