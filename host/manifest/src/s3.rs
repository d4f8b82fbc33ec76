//! File-watch triggers: a function's `[[function.NAME.s3]]` tables ([`S3Trigger`]: a bucket,
//! the [`S3EventType`]s and a key prefix and suffix), and the check, S3's own, that no two
//! triggers on one bucket fire for the same object.

use std::collections::BTreeMap;
use std::fmt;

use toml::Spanned;

use crate::bucket::{self, BucketConfig};
use crate::error::{ManifestError, S3Overlap};
use crate::function::FunctionConfig;
use crate::source::Source;
use crate::{raw, spelling};

/// An event type an `s3` trigger listens for: S3's notification event types that fnhost
/// produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum S3EventType {
    /// `s3:ObjectCreated:*`: any object created.
    CreatedAll,
    /// `s3:ObjectCreated:Put`: an object written.
    CreatedPut,
    /// `s3:ObjectCreated:Copy`: an object copied.
    CreatedCopy,
    /// `s3:ObjectRemoved:*`: any object removed.
    RemovedAll,
    /// `s3:ObjectRemoved:Delete`: an object deleted.
    RemovedDelete,
}

impl S3EventType {
    /// Every event type, in the order the docs list them.
    pub const ALL: [S3EventType; 5] = [
        S3EventType::CreatedAll,
        S3EventType::CreatedPut,
        S3EventType::CreatedCopy,
        S3EventType::RemovedAll,
        S3EventType::RemovedDelete,
    ];

    /// The name as S3 writes it in a notification configuration, e.g. `s3:ObjectCreated:*`.
    pub fn as_str(&self) -> &'static str {
        match self {
            S3EventType::CreatedAll => "s3:ObjectCreated:*",
            S3EventType::CreatedPut => "s3:ObjectCreated:Put",
            S3EventType::CreatedCopy => "s3:ObjectCreated:Copy",
            S3EventType::RemovedAll => "s3:ObjectRemoved:*",
            S3EventType::RemovedDelete => "s3:ObjectRemoved:Delete",
        }
    }

    /// The type called `name`, with or without the `s3:` prefix (case-sensitive, as in S3).
    pub fn parse(name: &str) -> Option<S3EventType> {
        let name = name.strip_prefix("s3:").unwrap_or(name);
        Self::ALL
            .into_iter()
            .find(|event| event.as_str().strip_prefix("s3:") == Some(name))
    }

    /// Whether an event record's `eventName` (e.g. `ObjectCreated:Put`, without the `s3:`
    /// prefix, though one is tolerated) is of this type.
    pub fn matches(&self, event_name: &str) -> bool {
        let name = event_name.strip_prefix("s3:").unwrap_or(event_name);
        let pattern = &self.as_str()["s3:".len()..];
        match pattern.strip_suffix('*') {
            Some(family) => name.len() > family.len() && name.starts_with(family),
            None => name == pattern,
        }
    }

    /// Whether some event is of both types (`ObjectCreated:*` overlaps `ObjectCreated:Put`).
    pub fn overlaps(&self, other: &S3EventType) -> bool {
        self == other || self.covers(other) || other.covers(self)
    }

    /// Whether every event of type `other` is also of this type.
    fn covers(&self, other: &S3EventType) -> bool {
        matches!(
            (self, other),
            (
                S3EventType::CreatedAll,
                S3EventType::CreatedPut | S3EventType::CreatedCopy
            ) | (S3EventType::RemovedAll, S3EventType::RemovedDelete)
        )
    }
}

/// `s3:ObjectCreated:*`.
impl fmt::Display for S3EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[function.NAME.s3]]` entry: which object events in which bucket invoke the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Trigger {
    /// The bucket, one of the manifest's [`BucketConfig`]s.
    pub bucket: String,
    /// The event types, in manifest order, none overlapping another; `[CreatedAll]` unless
    /// `events` is given.
    pub events: Vec<S3EventType>,
    /// Keys must start with this; empty matches every key.
    pub prefix: String,
    /// Keys must end with this; empty matches every key.
    pub suffix: String,
    /// 1-based line of `bucket` in the manifest, for messages.
    pub line: usize,
}

impl S3Trigger {
    /// Whether an event named `event_name` (e.g. `ObjectCreated:Put`) on object `key` (as
    /// stored, not URL-encoded) fires this trigger.
    pub fn matches(&self, event_name: &str, key: &str) -> bool {
        self.events.iter().any(|event| event.matches(event_name))
            && key.starts_with(&self.prefix)
            && key.ends_with(&self.suffix)
    }

    /// S3's overlap rule: same bucket, overlapping event types, one prefix a prefix of the other
    /// and one suffix a suffix of the other.
    pub fn overlaps(&self, other: &S3Trigger) -> bool {
        let events = self
            .events
            .iter()
            .any(|a| other.events.iter().any(|b| a.overlaps(b)));
        let (p, q) = (&self.prefix, &other.prefix);
        let (s, t) = (&self.suffix, &other.suffix);
        self.bucket == other.bucket
            && events
            && (p.starts_with(q.as_str()) || q.starts_with(p.as_str()))
            && (s.ends_with(t.as_str()) || t.ends_with(s.as_str()))
    }
}

/// ``events `s3:ObjectCreated:*`, prefix `images/`, suffix `.png` ``, for messages.
impl fmt::Display for S3Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let events: Vec<&str> = self.events.iter().map(S3EventType::as_str).collect();
        write!(
            f,
            "events `{}`, prefix `{}`, suffix `{}`",
            events.join(", "),
            self.prefix,
            self.suffix
        )
    }
}

/// Validate a function's `[[function.NAME.s3]]` tables, in order.
pub(crate) fn validate_triggers(
    function: &str,
    tables: Vec<Spanned<raw::S3>>,
    buckets: &BTreeMap<String, BucketConfig>,
    src: &Source<'_>,
) -> Result<Vec<S3Trigger>, ManifestError> {
    tables
        .into_iter()
        .map(|table| validate_trigger(function, table, buckets, src))
        .collect()
}

fn validate_trigger(
    function: &str,
    table: Spanned<raw::S3>,
    buckets: &BTreeMap<String, BucketConfig>,
    src: &Source<'_>,
) -> Result<S3Trigger, ManifestError> {
    let (span, table) = (table.span(), table.into_inner());
    let name = table.bucket.ok_or_else(|| {
        let example = buckets.keys().next().map_or("uploads", String::as_str);
        ManifestError::MissingField {
            at: src.at(span),
            what: format!("function `{function}`: s3"),
            field: "bucket",
            example: format!("bucket = \"{example}\""),
        }
    })?;
    let line = src.line(name.span());
    let bucket = bucket::declared(function, "s3.bucket", name, buckets, src)?;
    let events = match table.events {
        None => vec![S3EventType::CreatedAll],
        Some(events) => validate_events(function, events, src)?,
    };
    let prefix = match table.prefix {
        None => String::new(),
        Some(prefix) if prefix.get_ref().starts_with('/') => {
            return Err(ManifestError::AbsoluteS3Prefix {
                at: src.at(prefix.span()),
                function: function.to_owned(),
                prefix: prefix.into_inner(),
            });
        }
        Some(prefix) => prefix.into_inner(),
    };
    Ok(S3Trigger {
        bucket,
        events,
        prefix,
        suffix: table.suffix.unwrap_or_default(),
        line,
    })
}

/// `events`: known types, at least one, none overlapping another.
fn validate_events(
    function: &str,
    events: Spanned<Vec<Spanned<String>>>,
    src: &Source<'_>,
) -> Result<Vec<S3EventType>, ManifestError> {
    let (span, function) = (events.span(), function.to_owned());
    let mut parsed: Vec<S3EventType> = Vec::new();
    for name in events.into_inner() {
        let at = src.at(name.span());
        let Some(event) = S3EventType::parse(name.get_ref()) else {
            let known: Vec<String> = S3EventType::ALL.iter().map(|e| e.to_string()).collect();
            let written = name.get_ref();
            let full = match written.starts_with("s3:") {
                true => written.clone(),
                false => format!("s3:{written}"),
            };
            let suggestion = spelling::closest(&full, &known);
            let event = name.into_inner();
            return Err(ManifestError::InvalidS3Event {
                at,
                function,
                event,
                suggestion,
            });
        };
        if let Some(other) = parsed.iter().find(|other| other.overlaps(&event)) {
            return Err(ManifestError::RedundantS3Event {
                at,
                function,
                event: event.to_string(),
                other: other.to_string(),
            });
        }
        parsed.push(event);
    }
    if parsed.is_empty() {
        let at = src.at(span);
        return Err(ManifestError::EmptyS3Events { at, function });
    }
    Ok(parsed)
}

/// No two triggers on one bucket may overlap (S3's rule, which keeps one event from invoking two
/// configurations). Triggers are compared in file order and the later one of a pair is reported.
pub(crate) fn check_overlaps<'a>(
    functions: impl IntoIterator<Item = &'a FunctionConfig>,
    src: &Source<'_>,
) -> Result<(), ManifestError> {
    let mut triggers: Vec<(&str, usize, &S3Trigger)> = functions
        .into_iter()
        .flat_map(|f| {
            f.s3.iter()
                .enumerate()
                .map(|(i, t)| (f.name.as_str(), i, t))
        })
        .collect();
    triggers.sort_by_key(|&(function, index, trigger)| (trigger.line, function, index));
    for (later, &(function, _, trigger)) in triggers.iter().enumerate() {
        let earlier = triggers[..later]
            .iter()
            .find(|(_, _, other)| other.overlaps(trigger));
        if let Some(&(other_function, _, other)) = earlier {
            return Err(ManifestError::OverlappingS3Triggers {
                at: src.at_line(trigger.line),
                overlap: Box::new(S3Overlap {
                    bucket: trigger.bucket.clone(),
                    function: function.to_owned(),
                    trigger: trigger.to_string(),
                    other_function: other_function.to_owned(),
                    other_trigger: other.to_string(),
                    other_line: other.line,
                }),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use S3EventType::*;

    fn trigger(events: &[S3EventType], prefix: &str, suffix: &str) -> S3Trigger {
        S3Trigger {
            bucket: "uploads".to_owned(),
            events: events.to_vec(),
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            line: 1,
        }
    }

    #[test]
    fn parses_with_or_without_the_prefix() {
        for event in S3EventType::ALL {
            assert_eq!(S3EventType::parse(event.as_str()), Some(event));
            assert_eq!(S3EventType::parse(&event.as_str()[3..]), Some(event));
        }
        assert_eq!(S3EventType::parse("s3:objectcreated:put"), None);
        assert_eq!(S3EventType::parse("ObjectCreated:Post"), None);
        assert_eq!(S3EventType::parse("s3:s3:ObjectCreated:*"), None);
    }

    #[test]
    fn event_types_match_event_names() {
        assert!(CreatedAll.matches("ObjectCreated:Put"));
        assert!(CreatedAll.matches("ObjectCreated:CompleteMultipartUpload"));
        assert!(CreatedAll.matches("s3:ObjectCreated:Copy"));
        assert!(!CreatedAll.matches("ObjectCreated:"));
        assert!(!CreatedAll.matches("ObjectRemoved:Delete"));
        assert!(CreatedPut.matches("ObjectCreated:Put"));
        assert!(!CreatedPut.matches("ObjectCreated:Copy"));
        assert!(RemovedAll.matches("ObjectRemoved:DeleteMarkerCreated"));
        assert!(RemovedDelete.matches("ObjectRemoved:Delete"));
        assert!(!RemovedDelete.matches("ObjectRemoved:DeleteMarkerCreated"));
    }

    #[test]
    fn event_types_overlap_within_a_family() {
        assert!(CreatedAll.overlaps(&CreatedPut));
        assert!(CreatedCopy.overlaps(&CreatedAll));
        assert!(CreatedPut.overlaps(&CreatedPut));
        assert!(!CreatedPut.overlaps(&CreatedCopy));
        assert!(RemovedAll.overlaps(&RemovedDelete));
        assert!(!CreatedAll.overlaps(&RemovedAll));
        assert!(!CreatedAll.overlaps(&RemovedDelete));
    }

    #[test]
    fn trigger_matches_event_prefix_and_suffix() {
        let t = trigger(&[CreatedPut, RemovedAll], "images/", ".png");
        assert!(t.matches("ObjectCreated:Put", "images/cat.png"));
        assert!(t.matches("ObjectRemoved:Delete", "images/a/b.png"));
        assert!(!t.matches("ObjectCreated:Copy", "images/cat.png"));
        assert!(!t.matches("ObjectCreated:Put", "docs/cat.png"));
        assert!(!t.matches("ObjectCreated:Put", "images/cat.jpg"));
        assert!(trigger(&[CreatedAll], "", "").matches("ObjectCreated:Put", ""));
    }

    #[test]
    fn overlap_needs_events_prefixes_and_suffixes() {
        let all = trigger(&[CreatedAll], "", "");
        assert!(all.overlaps(&trigger(&[CreatedPut], "images/", ".png")));
        assert!(!all.overlaps(&trigger(&[RemovedAll], "", "")));
        let images = trigger(&[CreatedAll], "images/", "");
        assert!(!images.overlaps(&trigger(&[CreatedAll], "docs/", "")));
        assert!(images.overlaps(&trigger(&[CreatedAll], "images/2026/", "")));
        let png = trigger(&[CreatedAll], "", ".png");
        assert!(png.overlaps(&trigger(&[CreatedAll], "", "cat.png")));
        assert!(!png.overlaps(&trigger(&[CreatedAll], "", ".jpg")));
        let mut other_bucket = all.clone();
        other_bucket.bucket = "thumbs".to_owned();
        assert!(!all.overlaps(&other_bucket));
    }
}
