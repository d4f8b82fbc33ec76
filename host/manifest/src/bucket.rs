//! Buckets: `[bucket.NAME]` tables ([`BucketConfig`], a named directory that stands in for an S3
//! bucket) and a function's `objects` grants ([`ObjectGrants`]) naming the buckets it may use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use toml::Spanned;

use crate::error::{BucketOverlap, ManifestError};
use crate::raw;
use crate::source::Source;

/// Shortest bucket name (S3's rule).
const MIN_NAME_LEN: usize = 3;
/// Longest bucket name (S3's rule).
const MAX_NAME_LEN: usize = 63;

/// One `[bucket.NAME]` table: a directory whose files are the bucket's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketConfig {
    /// The `NAME` in `[bucket.NAME]`, valid as an S3 bucket name.
    pub name: String,
    /// The directory, absolute and with `.` and `..` resolved lexically; it need not exist yet
    /// (`fnhost up` creates it).
    pub path: PathBuf,
    /// Glob patterns matched against an object's file name (the last `/`-separated segment of
    /// its key); a matching file is temporary or partial, so it fires no event and is not
    /// listed. [`BucketConfig::DEFAULT_IGNORE`] unless `ignore` is given.
    pub ignore: Vec<String>,
    /// 1-based line of `[bucket.NAME]` in the manifest, for messages.
    pub line: usize,
}

impl BucketConfig {
    /// `ignore` when not given: hidden files, and the temporary files of downloads and editors.
    pub const DEFAULT_IGNORE: &[&str] = &[".*", "*.tmp", "*.part", "*.swp", "*~"];

    /// Whether the object `key` (e.g. `images/cat.png.part`) matches an `ignore` pattern by its
    /// file name.
    pub fn ignores(&self, key: &str) -> bool {
        let name = key.rsplit('/').next().unwrap_or(key);
        self.ignore
            .iter()
            .any(|pattern| glob::Pattern::new(pattern).is_ok_and(|pattern| pattern.matches(name)))
    }
}

/// The buckets a function may read and write through the object interface; none by default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectGrants {
    /// Buckets whose objects it may get and list.
    pub read: BTreeSet<String>,
    /// Buckets it may put objects into and delete them from; this grants no reading.
    pub write: BTreeSet<String>,
}

impl ObjectGrants {
    /// Whether the function may read objects of `bucket`.
    pub fn can_read(&self, bucket: &str) -> bool {
        self.read.contains(bucket)
    }

    /// Whether the function may write objects of `bucket`.
    pub fn can_write(&self, bucket: &str) -> bool {
        self.write.contains(bucket)
    }
}

/// Validate every `[bucket.NAME]` table; `dir` is the manifest's (absolute) directory.
pub(crate) fn validate(
    tables: BTreeMap<Spanned<String>, Spanned<raw::Table<raw::Bucket>>>,
    dir: &Path,
    src: &Source<'_>,
) -> Result<BTreeMap<String, BucketConfig>, ManifestError> {
    let mut buckets = Vec::new();
    for (name, table) in tables {
        buckets.push(validate_bucket(name, table, dir, src)?);
    }
    // In file order, so that the later of two overlapping buckets is the one reported.
    buckets.sort_by_key(|(bucket, _)| bucket.line);
    for (later, (bucket, path)) in buckets.iter().enumerate() {
        for (other, other_path) in &buckets[..later] {
            let overlap = if bucket.path == other.path {
                BucketOverlap::Same
            } else if bucket.path.starts_with(&other.path) {
                BucketOverlap::Inside
            } else if other.path.starts_with(&bucket.path) {
                BucketOverlap::Contains
            } else {
                continue;
            };
            return Err(ManifestError::OverlappingBuckets {
                at: src.at(path.span()),
                bucket: bucket.name.as_str().into(),
                path: path.get_ref().as_str().into(),
                overlap,
                other_bucket: other.name.as_str().into(),
                other_path: other_path.get_ref().as_str().into(),
                other_line: u32::try_from(src.line(other_path.span())).unwrap_or(u32::MAX),
            });
        }
    }
    Ok(buckets
        .into_iter()
        .map(|(bucket, _)| (bucket.name.clone(), bucket))
        .collect())
}

/// One bucket, with its `path` as written (for messages about overlaps).
fn validate_bucket(
    name: Spanned<String>,
    table: Spanned<raw::Table<raw::Bucket>>,
    dir: &Path,
    src: &Source<'_>,
) -> Result<(BucketConfig, Spanned<String>), ManifestError> {
    let (line, at) = (src.line(name.span()), src.at(name.span()));
    let name = name.into_inner();
    if let Err(reason) = check_name(&name) {
        return Err(ManifestError::InvalidBucketName { at, name, reason });
    }
    let (table_span, table) = (table.span(), table.into_inner().0);
    let path = table.path.ok_or_else(|| ManifestError::MissingField {
        at: src.at(table_span),
        what: format!("bucket `{name}`"),
        field: "path",
        example: format!("path = \"data/{name}\""),
    })?;
    let at = src.at(path.span());
    if path.get_ref().trim().is_empty() {
        return Err(ManifestError::EmptyBucketPath { at, bucket: name });
    }
    let absolute = normalise(&dir.join(path.get_ref()));
    if normalise(dir).starts_with(&absolute) {
        let path = path.into_inner();
        return Err(ManifestError::BucketContainsManifest {
            at,
            bucket: name,
            path,
        });
    }
    let ignore = match table.ignore {
        None => BucketConfig::DEFAULT_IGNORE
            .iter()
            .map(|p| p.to_string())
            .collect(),
        Some(patterns) => patterns
            .into_iter()
            .map(|pattern| check_ignore(&name, pattern, src))
            .collect::<Result<_, _>>()?,
    };
    let bucket = BucketConfig {
        name,
        path: absolute,
        ignore,
        line,
    };
    Ok((bucket, path))
}

/// S3's bucket naming rule, without its reserved prefixes and suffixes; the error is the fix.
fn check_name(name: &str) -> Result<(), &'static str> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.';
    let alphanumeric =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let bytes = name.as_bytes();
    if !(MIN_NAME_LEN..=MAX_NAME_LEN).contains(&bytes.len()) || !bytes.iter().all(|&b| allowed(b)) {
        Err("use 3 to 63 lowercase letters, digits, `-` or `.`")
    } else if !alphanumeric(bytes.first()) || !alphanumeric(bytes.last()) {
        Err("start and end it with a lowercase letter or digit")
    } else if name.contains("..") {
        Err("do not put two `.` in a row")
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        Err("choose a name that is not an IP address")
    } else {
        Ok(())
    }
}

/// An `ignore` entry: a valid glob that can match a file name (so has no `/`).
fn check_ignore(
    bucket: &str,
    pattern: Spanned<String>,
    src: &Source<'_>,
) -> Result<String, ManifestError> {
    let reason = match glob::Pattern::new(pattern.get_ref()) {
        Err(error) => format!("is invalid at character {} ({})", error.pos, error.msg),
        Ok(_) if pattern.get_ref().contains('/') => {
            "contains `/`, but patterns match the file name only (the last segment of the key)"
                .to_owned()
        }
        Ok(_) if pattern.get_ref().is_empty() => "is empty".to_owned(),
        Ok(_) => return Ok(pattern.into_inner()),
    };
    Err(ManifestError::InvalidIgnorePattern {
        at: src.at(pattern.span()),
        bucket: bucket.to_owned(),
        pattern: pattern.into_inner(),
        reason,
    })
}

/// Validate `objects`: every name must be a declared bucket.
pub(crate) fn validate_grants(
    function: &str,
    objects: Option<Spanned<raw::Table<raw::Objects>>>,
    buckets: &BTreeMap<String, BucketConfig>,
    src: &Source<'_>,
) -> Result<ObjectGrants, ManifestError> {
    let Some(objects) = objects else {
        return Ok(ObjectGrants::default());
    };
    let objects = objects.into_inner().0;
    let mut grants = ObjectGrants::default();
    for (field, names, set) in [
        ("objects.read", objects.read, &mut grants.read),
        ("objects.write", objects.write, &mut grants.write),
    ] {
        for name in names {
            set.insert(declared(function, field, name, buckets, src)?);
        }
    }
    Ok(grants)
}

/// `name`, if it is a declared bucket; otherwise an error that lists them.
pub(crate) fn declared(
    function: &str,
    field: &'static str,
    name: Spanned<String>,
    buckets: &BTreeMap<String, BucketConfig>,
    src: &Source<'_>,
) -> Result<String, ManifestError> {
    if buckets.contains_key(name.get_ref()) {
        return Ok(name.into_inner());
    }
    let known: Vec<String> = buckets.keys().cloned().collect();
    Err(ManifestError::UnknownBucket {
        at: src.at(name.span()),
        function: function.into(),
        field,
        bucket: name.into_inner().into_boxed_str(),
        known: known.into_boxed_slice(),
    })
}

/// `path` with `.` removed and `..` applied to what precedes it, without touching the
/// filesystem (`..` at the root stays at the root).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3() {
        for good in ["abc", "my-bucket.v2", "0data", &"a".repeat(63)] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in [
            "ab",
            "Uploads",
            "up_loads",
            "up loads",
            &"a".repeat(64),
            "é-bucket",
        ] {
            assert!(
                check_name(bad).unwrap_err().starts_with("use 3 to 63"),
                "{bad}"
            );
        }
        for bad in ["-abc", "abc-", ".abc", "abc."] {
            assert!(
                check_name(bad).unwrap_err().starts_with("start and end"),
                "{bad}"
            );
        }
        assert_eq!(check_name("a..b"), Err("do not put two `.` in a row"));
        let ip = Err("choose a name that is not an IP address");
        assert_eq!(check_name("192.168.5.4"), ip);
        assert_eq!(check_name("192.168.5.400"), Ok(()));
    }

    #[test]
    fn normalise_is_lexical() {
        let n = |p: &str| normalise(Path::new(p));
        assert_eq!(n("/proj/./data/../uploads/"), Path::new("/proj/uploads"));
        assert_eq!(n("/proj/../../x"), Path::new("/x"));
        assert_eq!(n("a/../../b"), Path::new("../b"));
        assert_eq!(n("../../b"), Path::new("../../b"));
        assert!(n("/proj/data/up").starts_with(n("/proj/data")));
        assert!(!n("/proj/database").starts_with(n("/proj/data")));
    }

    #[test]
    fn ignores_by_file_name() {
        let bucket = BucketConfig {
            name: "b".to_owned(),
            path: PathBuf::from("/b"),
            ignore: BucketConfig::DEFAULT_IGNORE
                .iter()
                .map(|p| p.to_string())
                .collect(),
            line: 1,
        };
        for ignored in [".hidden", "a/.x.swp", "img/cat.png.part", "x.tmp", "notes~"] {
            assert!(bucket.ignores(ignored), "{ignored}");
        }
        for kept in ["cat.png", ".dir/cat.png", "tmp/x", "a.tmp.png", "~notes"] {
            assert!(!bucket.ignores(kept), "{kept}");
        }
    }
}
