//! A function's `env`: Lambda's rules for variable names, reserved names and total size.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::error::ManifestError;
use crate::source::Source;

/// Largest `env` map, measured as its JSON serialisation (Lambda's 4 KB rule).
pub const ENV_MAX_BYTES: usize = 4096;

/// Names the Lambda runtime sets for every function.
const LAMBDA_RESERVED: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Who sets `key` if a function may not: `the Lambda runtime` or `fnhost`.
fn reserved_by(key: &str) -> Option<&'static str> {
    if LAMBDA_RESERVED.contains(&key) || key.starts_with("AWS_LAMBDA_") {
        Some("the Lambda runtime")
    } else if key.starts_with("FNHOST_") {
        Some("fnhost")
    } else {
        None
    }
}

/// Whether `key` is set by the Lambda runtime or fnhost and so may not appear in `env`.
pub fn is_reserved_env(key: &str) -> bool {
    reserved_by(key).is_some()
}

/// `[A-Za-z][A-Za-z0-9_]*`.
fn is_valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Check names and size; an absent `env` is an empty map.
pub(crate) fn validate(
    function: &str,
    env: Option<Spanned<BTreeMap<Spanned<String>, String>>>,
    src: &Source<'_>,
) -> Result<BTreeMap<String, String>, ManifestError> {
    let Some(env) = env else {
        return Ok(BTreeMap::new());
    };
    let span = env.span();
    let mut vars = BTreeMap::new();
    for (key, value) in env.into_inner() {
        let at = src.at(key.span());
        let (function, key) = (function.to_owned(), key.into_inner());
        // Reserved first: `_HANDLER` is also an invalid name, but "reserved" is the better hint.
        if let Some(owner) = reserved_by(&key) {
            return Err(ManifestError::ReservedEnvKey {
                at,
                function,
                key,
                owner,
            });
        }
        if !is_valid_key(&key) {
            return Err(ManifestError::InvalidEnvKey { at, function, key });
        }
        vars.insert(key, value);
    }
    let size = serde_json::to_string(&vars).map_or(usize::MAX, |json| json.len());
    if size > ENV_MAX_BYTES {
        let function = function.to_owned();
        return Err(ManifestError::EnvTooLarge {
            at: src.at(span),
            function,
            size,
        });
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_lambdas_pattern() {
        for good in ["A", "greeting", "A_1", "x9"] {
            assert!(is_valid_key(good), "{good}");
        }
        for bad in ["", "1A", "_A", "A-B", "A B", "É"] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }

    #[test]
    fn reserved_names_and_prefixes() {
        assert_eq!(reserved_by("AWS_REGION"), Some("the Lambda runtime"));
        assert_eq!(
            reserved_by("AWS_LAMBDA_FUNCTION_NAME"),
            Some("the Lambda runtime")
        );
        assert_eq!(reserved_by("FNHOST_LOG"), Some("fnhost"));
        assert!(!is_reserved_env("AWS_PROFILE"));
        assert!(!is_reserved_env("aws_region"));
    }
}
