//! Function names as the Lambda API accepts them: `name`, `name:qualifier`, the full ARN
//! `arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]` and the partial ARN
//! `ACCOUNT:function:name[:qualifier]`; plus the `Qualifier` query parameter. A qualifier is
//! `$LATEST`, a version number or an alias name (aliases are never all digits).

use fnhost_runtime::{ACCOUNT, REGION};
use fnhost_store::LATEST;

use crate::error::ApiError;

/// Longest function name.
pub const MAX_NAME: usize = 64;

/// Lambda's FunctionName pattern, quoted in validation errors.
const PATTERN: &str = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";

/// A function and, optionally, the version asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The plain name.
    pub name: String,
    /// `None` or `$LATEST` for the latest; else a version number or an alias name.
    pub qualifier: Option<String>,
}

impl FunctionRef {
    /// The alias named by the qualifier: one that is neither `$LATEST` nor a number.
    pub fn alias(&self) -> Option<&str> {
        self.qualifier
            .as_deref()
            .filter(|q| *q != LATEST && !q.bytes().all(|b| b.is_ascii_digit()))
    }

    /// The key in the registry: the name for `$LATEST`, `name:version` for a version and
    /// `name:alias` for an alias (which [`fnhost_dispatch::Registry::resolve`] resolves).
    pub fn key(&self) -> String {
        match self.version() {
            LATEST => self.name.clone(),
            version => format!("{}:{version}", self.name),
        }
    }

    /// `$LATEST`, the version number, or the alias name.
    pub fn version(&self) -> &str {
        self.qualifier.as_deref().unwrap_or(LATEST)
    }

    /// The ARN, qualified when a qualifier was given (as Lambda's not-found messages show it).
    pub fn arn(&self) -> String {
        let base = arn(&self.name);
        match &self.qualifier {
            Some(q) => format!("{base}:{q}"),
            None => base,
        }
    }

    /// The not-found error for this reference.
    pub fn not_found(&self) -> ApiError {
        ApiError::NotFound { arn: self.arn() }
    }
}

/// The unqualified ARN of `name`.
pub fn arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

/// Whether `name` is a valid function name: `[A-Za-z0-9-_]{1,64}`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_valid_qualifier(q: &str) -> bool {
    q == LATEST
        || (!q.is_empty()
            && q.len() <= 128
            && q.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn invalid(input: &str, constraint: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{input}' at 'functionName' failed to satisfy constraint: {constraint}"
    ))
}

/// Parse a FunctionName and the `Qualifier` parameter into one reference.
pub fn parse(input: &str, qualifier: Option<&str>) -> Result<FunctionRef, ApiError> {
    if input.len() > 256 {
        return Err(invalid(
            input,
            "Member must have length less than or equal to 256",
        ));
    }
    let bad_pattern = || {
        invalid(
            input,
            &format!("Member must satisfy regular expression pattern: {PATTERN}"),
        )
    };
    let rest = if let Some(rest) = input.strip_prefix("arn:") {
        // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        let fields: Vec<&str> = rest.splitn(6, ':').collect();
        match fields.as_slice() {
            [partition, "lambda", _region, account, "function", rest]
                if partition.starts_with("aws") && is_account(account) =>
            {
                *rest
            }
            _ => return Err(bad_pattern()),
        }
    } else if let Some((account, rest)) = input.split_once(":function:") {
        if !is_account(account) {
            return Err(bad_pattern());
        }
        rest
    } else {
        input
    };
    let (name, derived) = match rest.split_once(':') {
        Some((name, q)) => (name, Some(q)),
        None => (rest, None),
    };
    if !input.contains(':') && input.len() > MAX_NAME {
        return Err(invalid(
            input,
            "Member must have length less than or equal to 64",
        ));
    }
    if !is_valid_name(name) || derived.is_some_and(|q| !is_valid_qualifier(q)) {
        return Err(bad_pattern());
    }
    if let Some(q) = qualifier
        && !is_valid_qualifier(q)
    {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{q}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"
        )));
    }
    let qualifier = match (derived, qualifier) {
        (Some(d), Some(q)) if d != q => {
            return Err(ApiError::InvalidParameter(
                "The derived qualifier from the function name does not match the specified qualifier."
                    .into(),
            ));
        }
        (d, q) => d.or(q).map(str::to_owned),
    };
    Ok(FunctionRef {
        name: name.to_owned(),
        qualifier,
    })
}

fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, q: Option<&str>) -> (String, Option<String>) {
        let r = parse(input, q).unwrap();
        (r.name, r.qualifier)
    }

    #[test]
    fn names_arns_and_partial_arns() {
        assert_eq!(ok("hello", None), ("hello".into(), None));
        assert_eq!(ok("hello:3", None), ("hello".into(), Some("3".into())));
        assert_eq!(
            ok("arn:aws:lambda:us-west-2:123456789012:function:my-fn", None),
            ("my-fn".into(), None)
        );
        assert_eq!(
            ok(
                "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
                None
            ),
            ("f".into(), Some("$LATEST".into()))
        );
        assert_eq!(
            ok("123456789012:function:f_1", Some("2")),
            ("f_1".into(), Some("2".into()))
        );
        assert_eq!(parse("f:2", Some("2")).unwrap().key(), "f:2");
        assert_eq!(parse("f", Some("$LATEST")).unwrap().key(), "f");
    }

    #[test]
    fn aliases_are_qualifiers_that_are_not_versions() {
        assert_eq!(parse("f:live", None).unwrap().alias(), Some("live"));
        assert_eq!(
            parse("f", Some("v2-beta")).unwrap().alias(),
            Some("v2-beta")
        );
        assert_eq!(
            parse(
                "arn:aws:lambda:us-east-1:000000000000:function:f:live",
                None
            )
            .unwrap()
            .key(),
            "f:live"
        );
        assert_eq!(parse("f:12", None).unwrap().alias(), None);
        assert_eq!(parse("f:$LATEST", None).unwrap().alias(), None);
        assert_eq!(parse("f", None).unwrap().alias(), None);
    }

    #[test]
    fn bad_names_get_validation_errors() {
        for bad in [
            "../evil",
            "",
            "a b",
            "a/b",
            "x".repeat(65).as_str(),
            "arn:aws:s3:::b",
        ] {
            let err = parse(bad, None).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{bad}: {err}");
        }
        assert!(
            parse(&"x".repeat(65), None)
                .unwrap_err()
                .to_string()
                .contains("length less than or equal to 64")
        );
        let err = parse("f:1", Some("2")).unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
    }

    #[test]
    fn not_found_names_the_qualified_arn() {
        let r = parse("nope", Some("3")).unwrap();
        assert_eq!(
            r.not_found().to_string(),
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope:3"
        );
    }
}
