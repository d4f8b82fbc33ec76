//! Lambda's rule for environment variable names: `[a-zA-Z]([a-zA-Z0-9_])+`, and none of the
//! names the Lambda runtime or fnhost set themselves. The manifest and the API both apply it
//! through [`check_env_key`], each with its own wording of the error.

/// The variable holding the admin API's access key id (SigV4 credentials of `fnhost up`, and
/// what `fnhost deploy` signs with).
pub const ADMIN_ACCESS_KEY_ENV: &str = "FNHOST_ACCESS_KEY_ID";

/// The variable holding the admin API's secret key. Builds and packaging, which run code from
/// projects and uploads, never inherit it.
pub const ADMIN_SECRET_KEY_ENV: &str = "FNHOST_SECRET_ACCESS_KEY";

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

/// Why a key may not be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvKeyProblem {
    /// The Lambda runtime or fnhost sets it (`owner` says which).
    Reserved {
        /// `the Lambda runtime` or `fnhost`.
        owner: &'static str,
    },
    /// It does not match `[a-zA-Z]([a-zA-Z0-9_])+` (at least two characters).
    Invalid,
}

/// What is wrong with `key` as an environment variable name, if anything. Reserved names are
/// reported first: `_HANDLER` is also an invalid name, but "reserved" is the better hint.
pub fn check_env_key(key: &str) -> Option<EnvKeyProblem> {
    if LAMBDA_RESERVED.contains(&key) || key.starts_with("AWS_LAMBDA_") {
        return Some(EnvKeyProblem::Reserved {
            owner: "the Lambda runtime",
        });
    }
    if key.starts_with("FNHOST_") {
        return Some(EnvKeyProblem::Reserved { owner: "fnhost" });
    }
    let mut bytes = key.bytes();
    let valid = key.len() >= 2
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (!valid).then_some(EnvKeyProblem::Invalid)
}

/// Whether the Lambda runtime or fnhost sets `key`, so a function may not.
pub fn is_reserved_env(key: &str) -> bool {
    matches!(check_env_key(key), Some(EnvKeyProblem::Reserved { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_lambdas_pattern() {
        for good in ["AB", "greeting", "A_1", "x9"] {
            assert_eq!(check_env_key(good), None, "{good}");
        }
        for bad in ["", "A", "1A", "_A", "A-B", "A B", "É"] {
            assert_eq!(check_env_key(bad), Some(EnvKeyProblem::Invalid), "{bad}");
        }
    }

    #[test]
    fn reserved_names_and_prefixes() {
        let lambda = Some(EnvKeyProblem::Reserved {
            owner: "the Lambda runtime",
        });
        assert_eq!(check_env_key("AWS_REGION"), lambda);
        assert_eq!(check_env_key("AWS_LAMBDA_FUNCTION_NAME"), lambda);
        assert_eq!(check_env_key("_HANDLER"), lambda);
        assert_eq!(
            check_env_key("FNHOST_DEADLINE_MS"),
            Some(EnvKeyProblem::Reserved { owner: "fnhost" })
        );
        assert!(is_reserved_env("FNHOST_X"));
        assert!(!is_reserved_env("AWS_PROFILE_NAME"));
    }
}
