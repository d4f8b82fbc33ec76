//! The syntax of object keys (no filesystem access here).

use fnhost_runtime::ObjectFailure;

/// Longest key, in bytes (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;

/// File names starting with this are fnhost's in-flight writes: never keys, never listed,
/// never events, whatever the bucket's ignore patterns say.
pub const TEMP_PREFIX: &str = ".fnhost-tmp.";

/// Why `key` is not a key that maps to a path inside a bucket, if it is not.
///
/// A key is non-empty, at most [`MAX_KEY_BYTES`], relative, `/`-separated, with no empty, `.`
/// or `..` segment, no NUL and no backslash, and no segment that is an fnhost temp file.
pub(crate) fn check(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "the key is {} bytes; keys are at most {MAX_KEY_BYTES} bytes",
            key.len()
        ));
    }
    if key.contains('\0') {
        return Err("the key contains a NUL byte".into());
    }
    if key.contains('\\') {
        return Err("the key contains a backslash; separate segments with `/`".into());
    }
    if key.starts_with('/') {
        return Err(
            "the key is absolute; keys are relative to the bucket (drop the leading `/`)".into(),
        );
    }
    for segment in key.split('/') {
        match segment {
            "" => {
                return Err(
                    "the key has an empty segment (`//` or a trailing `/`); objects are files, not directories"
                        .into(),
                );
            }
            "." | ".." => {
                return Err(format!(
                    "the key has a `{segment}` segment; keys cannot leave or name their directory"
                ));
            }
            s if s.starts_with(TEMP_PREFIX) => {
                return Err(format!(
                    "names starting with `{TEMP_PREFIX}` are reserved for fnhost's in-flight writes"
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// [`check`] as an object failure naming the key.
pub(crate) fn validate(key: &str) -> Result<(), ObjectFailure> {
    check(key).map_err(|reason| ObjectFailure::InvalidKey(format!("`{}`: {reason}", shown(key))))
}

/// A key as shown in messages: control characters escaped, long keys shortened.
pub(crate) fn shown(key: &str) -> String {
    let mut out: String = key.chars().take(200).flat_map(char::escape_debug).collect();
    if key.chars().nth(200).is_some() {
        out.push('…');
    }
    out
}

/// The last segment of a key (the file name).
pub(crate) fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// A fresh temp file name for a write.
pub(crate) fn temp_name() -> String {
    format!("{TEMP_PREFIX}{:016x}", fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_keys() {
        for key in [
            "a",
            "a/b.txt",
            "사진/red flower.jpg",
            "a..b",
            ".hidden",
            "a/.b/c",
        ] {
            assert_eq!(check(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn invalid_keys() {
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        for key in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            ".",
            "a//b",
            "a/",
            "a\\b",
            "a\0b",
            ".fnhost-tmp.1",
            "d/.fnhost-tmp.1",
            long.as_str(),
        ] {
            assert!(check(key).is_err(), "{key:?} should be invalid");
        }
        assert!(check(&"k".repeat(MAX_KEY_BYTES)).is_ok());
    }

    #[test]
    fn messages_escape_the_key() {
        let Err(ObjectFailure::InvalidKey(m)) = validate("a\0b") else {
            panic!("NUL is invalid");
        };
        assert_eq!(m, "`a\\0b`: the key contains a NUL byte");
    }
}
