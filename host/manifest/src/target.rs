//! Qualified function names: what a `[[route]]` names with `function = "NAME"`,
//! `"NAME:ALIAS"`, `"NAME:VERSION"` or `"NAME:$LATEST"` ([`FunctionTarget`]), as an API
//! Gateway integration names a qualified Lambda ARN, and Lambda's rule for alias names
//! ([`is_alias_name`], also what `auto_publish_alias` must follow).

use std::fmt;

/// The unpublished version of a function.
pub const LATEST: &str = "$LATEST";

/// Longest alias name (Lambda's rule).
const MAX_ALIAS_LEN: usize = 128;

/// Longest function name (Lambda's rule).
const MAX_NAME_LEN: usize = 64;

/// What follows the `:` of a qualified function name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `$LATEST`: the function's current code.
    Latest,
    /// A published version, numbered from 1.
    Version(u64),
    /// An alias, which names one version (or two, with weights) when a request arrives.
    Alias(String),
}

/// `$LATEST`, the number, or the alias name.
impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Latest => f.write_str(LATEST),
            Qualifier::Version(number) => write!(f, "{number}"),
            Qualifier::Alias(name) => f.write_str(name),
        }
    }
}

/// A function named with an optional qualifier: `hello`, `hello:live`, `hello:3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FunctionTarget {
    /// The function's name.
    pub function: String,
    /// The version or alias, when one is named.
    pub qualifier: Option<Qualifier>,
}

impl FunctionTarget {
    /// Parse `NAME` or `NAME:QUALIFIER`.
    pub fn parse(text: &str) -> Result<FunctionTarget, TargetError> {
        let (name, qualifier) = match text.split_once(':') {
            None => (text, None),
            Some((name, qualifier)) => (name, Some(qualifier)),
        };
        if !is_function_name(name) {
            return Err(TargetError::InvalidName {
                name: name.to_owned(),
            });
        }
        let qualifier = match qualifier {
            None => None,
            Some("") => {
                return Err(TargetError::EmptyQualifier {
                    name: name.to_owned(),
                });
            }
            Some(q) if q.contains(':') => return Err(TargetError::TooManyColons),
            Some(LATEST) => Some(Qualifier::Latest),
            Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => match q.parse::<u64>() {
                Ok(number) if number > 0 && !q.starts_with('0') => Some(Qualifier::Version(number)),
                _ => {
                    return Err(TargetError::InvalidVersion {
                        version: q.to_owned(),
                    });
                }
            },
            Some(q) if is_alias_name(q) => Some(Qualifier::Alias(q.to_owned())),
            Some(q) => {
                return Err(TargetError::InvalidQualifier {
                    qualifier: q.to_owned(),
                });
            }
        };
        Ok(FunctionTarget {
            function: name.to_owned(),
            qualifier,
        })
    }

    /// The name the dispatcher runs: `NAME`, or `NAME:QUALIFIER` (`NAME:$LATEST` is `NAME`).
    pub fn key(&self) -> String {
        match &self.qualifier {
            None | Some(Qualifier::Latest) => self.function.clone(),
            Some(qualifier) => format!("{}:{qualifier}", self.function),
        }
    }

    /// The alias it names, if it names one.
    pub fn alias(&self) -> Option<&str> {
        match &self.qualifier {
            Some(Qualifier::Alias(name)) => Some(name),
            _ => None,
        }
    }
}

/// As written: `NAME` or `NAME:QUALIFIER`.
impl fmt::Display for FunctionTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.function)?;
        if let Some(qualifier) = &self.qualifier {
            write!(f, ":{qualifier}")?;
        }
        Ok(())
    }
}

/// Why a qualified function name is malformed; each message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The part before `:` is not a function name.
    #[error("`{name}` is not a function name; use 1 to 64 letters, digits, `-` or `_`")]
    InvalidName {
        /// The name as written.
        name: String,
    },
    /// Nothing after the `:`.
    #[error(
        "the qualifier after `:` is empty; write `{name}`, `{name}:ALIAS` (e.g. `{name}:live`) or `{name}:VERSION` (e.g. `{name}:1`)"
    )]
    EmptyQualifier {
        /// The function's name.
        name: String,
    },
    /// A second `:`.
    #[error("it has more than one `:`; write `NAME` or `NAME:QUALIFIER`")]
    TooManyColons,
    /// All digits, but not a version number (`0`, a leading zero, too large).
    #[error(
        "`{version}` is not a version number; versions are numbered from 1, without leading zeros"
    )]
    InvalidVersion {
        /// The qualifier as written.
        version: String,
    },
    /// Neither `$LATEST`, a number nor an alias name.
    #[error(
        "qualifier `{qualifier}` is not `$LATEST`, a version number or an alias name (1 to 128 letters, digits, `-` or `_`, not all digits)"
    )]
    InvalidQualifier {
        /// The qualifier as written.
        qualifier: String,
    },
}

/// Lambda's rule for a function name: 1 to 64 of `[A-Za-z0-9_-]`.
pub(crate) fn is_function_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Lambda's rule for an alias name: 1 to 128 of `[A-Za-z0-9_-]`, not all digits (that would
/// read as a version).
pub fn is_alias_name(name: &str) -> bool {
    (1..=MAX_ALIAS_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !name.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> FunctionTarget {
        FunctionTarget::parse(text).unwrap()
    }

    #[test]
    fn names_with_and_without_qualifiers() {
        assert_eq!(parsed("hello").qualifier, None);
        assert_eq!(parsed("hello").key(), "hello");
        let live = parsed("hello:live");
        assert_eq!(live.qualifier, Some(Qualifier::Alias("live".into())));
        assert_eq!(
            (live.key(), live.alias()),
            ("hello:live".into(), Some("live"))
        );
        assert_eq!(parsed("hello:3").qualifier, Some(Qualifier::Version(3)));
        assert_eq!(parsed("hello:3").key(), "hello:3");
        assert_eq!(parsed("hello:$LATEST").key(), "hello");
        assert_eq!(parsed("hello:$LATEST").to_string(), "hello:$LATEST");
        assert_eq!(parsed("a-b_c:v-2_x").to_string(), "a-b_c:v-2_x");
    }

    #[test]
    fn malformed_names_say_how_to_fix_them() {
        let err = |text: &str| FunctionTarget::parse(text).unwrap_err();
        assert_eq!(err("f:"), TargetError::EmptyQualifier { name: "f".into() });
        assert_eq!(err(":live"), TargetError::InvalidName { name: "".into() });
        assert_eq!(err("f:a:b"), TargetError::TooManyColons);
        for version in ["0", "01", "99999999999999999999999"] {
            assert!(
                matches!(
                    err(&format!("f:{version}")),
                    TargetError::InvalidVersion { .. }
                ),
                "{version}"
            );
        }
        for qualifier in ["li ve", "$latest", "a.b", &"x".repeat(129)] {
            assert!(
                matches!(
                    err(&format!("f:{qualifier}")),
                    TargetError::InvalidQualifier { .. }
                ),
                "{qualifier}"
            );
        }
        assert_eq!(
            err("f:").to_string(),
            "the qualifier after `:` is empty; write `f`, `f:ALIAS` (e.g. `f:live`) or `f:VERSION` (e.g. `f:1`)"
        );
    }

    #[test]
    fn alias_names_follow_lambdas_rule() {
        for ok in ["live", "v2", "2024-01", "a_b", &"x".repeat(128)] {
            assert!(is_alias_name(ok), "{ok}");
        }
        for bad in ["", "12", "$LATEST", "a:b", "a b", &"x".repeat(129)] {
            assert!(!is_alias_name(bad), "{bad}");
        }
    }
}
