//! A function's `env`: Lambda's rules for variable names, reserved names and total size, applied
//! to the manifest with `file:line` errors. The rules themselves are [`fnhost_core::env`]'s, the
//! same the Lambda API applies to uploaded functions.

use std::collections::BTreeMap;

use fnhost_core::env::{EnvKeyProblem, check_env_key};
use toml::Spanned;

use crate::error::ManifestError;
use crate::source::Source;

pub use fnhost_core::env::is_reserved_env;
pub use fnhost_core::limits::ENV_MAX_BYTES;

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
        match check_env_key(&key) {
            Some(EnvKeyProblem::Reserved { owner }) => {
                return Err(ManifestError::ReservedEnvKey {
                    at,
                    function,
                    key,
                    owner,
                });
            }
            Some(EnvKeyProblem::Invalid) => {
                return Err(ManifestError::InvalidEnvKey { at, function, key });
            }
            None => {}
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
