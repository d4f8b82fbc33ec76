//! The grants of uploaded functions. CreateFunction has no field for them and boto3 checks its
//! parameters client-side, so they travel as Lambda `Tags`, each a space-separated list of names
//! (tag values allow letters, digits, spaces and `_ . : / = + - @`, but no commas):
//!
//! * `fnhost:invoke`: the functions it may call (the manifest's `invoke = [...]`);
//! * `fnhost:objects-read` / `fnhost:objects-write`: the buckets it may read / write (the
//!   manifest's `objects = { read = [...], write = [...] }`);
//! * `fnhost:allowed-outbound-hosts`: where its outbound HTTP requests may go (the manifest's
//!   `allowed_outbound_hosts`, Spin's grammar). fnhost accepts `*` in this value although
//!   AWS's tag rules would not; boto3 and the aws CLI do not check tag values.
//!
//! [`Uploads`] applies them to the function's spec with the host's buckets and call router.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use fnhost_buckets::{Buckets, CallLimits, FunctionObjects, Grants, WriteJournal};
use fnhost_runtime::FunctionSpec;

use crate::calls::{CallRouter, INVOKE_TAG};
use crate::error::ApiError;
use crate::name;

/// The tag listing the buckets an uploaded function may read.
pub const OBJECTS_READ_TAG: &str = "fnhost:objects-read";
/// The tag listing the buckets an uploaded function may write.
pub const OBJECTS_WRITE_TAG: &str = "fnhost:objects-write";
/// The tag listing where an uploaded function's outbound HTTP requests may go.
pub const OUTBOUND_TAG: &str = "fnhost:allowed-outbound-hosts";
/// Most tags on one function (Lambda's limit).
pub const MAX_TAGS: usize = 50;

/// The names listed in tag `key` (none when it is absent).
pub fn listed(tags: &BTreeMap<String, String>, key: &str) -> BTreeSet<String> {
    tags.get(key)
        .map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Refuse tags Lambda would refuse, and grant tags naming something that cannot be a function.
pub fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::InvalidParameter(format!(
            "a function has at most {MAX_TAGS} tags; {} were given",
            tags.len()
        )));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(ApiError::InvalidParameter(format!(
                "tag `{key}`: keys are 1 to 128 characters and values at most 256"
            )));
        }
    }
    if let Some(bad) = listed(tags, INVOKE_TAG)
        .into_iter()
        .find(|n| !name::is_valid_name(n))
    {
        return Err(ApiError::InvalidParameter(format!(
            "tag `{INVOKE_TAG}` names `{bad}`, which is not a function name; list function names (1 to 64 letters, digits, `-` or `_`) separated by spaces"
        )));
    }
    let entries: Vec<&str> = tags
        .get(OUTBOUND_TAG)
        .map(|v| v.split_whitespace().collect())
        .unwrap_or_default();
    if let Err(e) = fnhost_runtime::AllowedHosts::parse(&entries) {
        return Err(ApiError::InvalidParameter(format!(
            "tag `{OUTBOUND_TAG}`: {e}; list entries separated by spaces"
        )));
    }
    Ok(())
}

/// What the grants of uploaded functions apply to: the host's buckets and its call router.
#[derive(Debug, Clone)]
pub struct Uploads {
    /// Calls between functions.
    pub calls: Arc<CallRouter>,
    /// The buckets and the journal of function writes; `None` when the host has no buckets.
    pub buckets: Option<(Arc<Buckets>, Arc<WriteJournal>)>,
}

impl Default for Uploads {
    /// No buckets, and a router that is never connected: uploads' calls fail.
    fn default() -> Self {
        Self {
            calls: CallRouter::new(16),
            buckets: None,
        }
    }
}

impl Uploads {
    /// Give `spec` (an uploaded function's) the calls and object access its `tags` grant.
    pub fn apply(&self, spec: &mut FunctionSpec, tags: &BTreeMap<String, String>) {
        spec.calls = self
            .calls
            .uploaded_calls(&spec.name, listed(tags, INVOKE_TAG));
        // Checked by `check_tags` when the tags were set; a stored value that no longer parses
        // (an older fnhost's) denies everything rather than guessing.
        let entries: Vec<&str> = tags
            .get(OUTBOUND_TAG)
            .map(|v| v.split_whitespace().collect())
            .unwrap_or_default();
        spec.allowed_outbound_hosts = Arc::new(
            fnhost_runtime::AllowedHosts::parse(&entries).unwrap_or_else(|e| {
                tracing::warn!(function = %spec.name, error = %e, "ignoring tag {OUTBOUND_TAG}");
                fnhost_runtime::AllowedHosts::default()
            }),
        );
        if let Some((buckets, journal)) = &self.buckets {
            let grants = Grants {
                read: listed(tags, OBJECTS_READ_TAG),
                write: listed(tags, OBJECTS_WRITE_TAG),
            };
            let access =
                FunctionObjects::new(&spec.name, Arc::clone(buckets), grants, Arc::clone(journal))
                    .with_limits(CallLimits {
                        budget: spec.timeout,
                        ..CallLimits::default()
                    });
            spec.objects = Arc::new(access);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn grant_tags_are_space_separated_names() {
        let t = tags(&[(INVOKE_TAG, " b  c "), (OBJECTS_READ_TAG, "uploads")]);
        assert_eq!(
            listed(&t, INVOKE_TAG),
            BTreeSet::from(["b".into(), "c".into()])
        );
        assert!(listed(&t, OBJECTS_WRITE_TAG).is_empty());
        check_tags(&t).unwrap();
        let err = check_tags(&tags(&[(INVOKE_TAG, "b ../x")])).unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
        assert!(err.to_string().contains("`../x`"), "{err}");
    }

    #[test]
    fn the_outbound_tag_is_checked_and_applied() {
        let t = tags(&[(OUTBOUND_TAG, "https://api.example.com  http://127.0.0.1:*")]);
        check_tags(&t).unwrap();
        let mut spec = FunctionSpec::new("f");
        Uploads::default().apply(&mut spec, &t);
        assert_eq!(spec.allowed_outbound_hosts.entries().len(), 2);
        Uploads::default().apply(&mut spec, &tags(&[]));
        assert!(spec.allowed_outbound_hosts.is_empty());
        let err = check_tags(&tags(&[(OUTBOUND_TAG, "https://example.com/api")])).unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
        assert!(
            err.to_string().contains("write \"https://example.com\""),
            "{err}"
        );
    }
}
