//! The manifest text and its file name: turns toml's byte spans into [`Location`]s and toml's
//! errors into one-line [`ManifestError`]s that say where and in which section.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::error::{Location, ManifestError};
use crate::spelling;

/// The text being parsed and the file it came from (only for messages).
pub(crate) struct Source<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// The whole file, for errors about something that is missing.
    pub fn file(&self) -> Location {
        Location {
            file: self.file.to_owned(),
            line: None,
            column: None,
        }
    }

    /// The line `span` starts on.
    pub fn at(&self, span: Range<usize>) -> Location {
        let (line, _) = self.position(span.start);
        Location {
            line: Some(line),
            ..self.file()
        }
    }

    /// The 1-based line `span` starts on.
    pub fn line(&self, span: Range<usize>) -> usize {
        let (line, _) = self.position(span.start);
        usize::try_from(line).unwrap_or(usize::MAX)
    }

    /// A 1-based line, e.g. one kept in a validated value.
    pub fn at_line(&self, line: usize) -> Location {
        Location {
            line: Some(u32::try_from(line).unwrap_or(u32::MAX)),
            ..self.file()
        }
    }

    /// The text of `span` exactly as the user wrote it (quotes included).
    pub fn as_written(&self, span: Range<usize>) -> String {
        self.text.get(span).unwrap_or_default().to_owned()
    }

    /// A TOML syntax error, with toml's line and column kept and its message on one line.
    pub fn syntax_error(&self, error: &toml::de::Error) -> ManifestError {
        let at = match error.span() {
            Some(span) => {
                let (line, column) = self.position(span.start);
                Location {
                    line: Some(line),
                    column: Some(column),
                    ..self.file()
                }
            }
            None => self.file(),
        };
        ManifestError::Syntax {
            at,
            message: one_line(error.message()),
        }
    }

    /// An error serde reported while reading the schema, placed by looking its span up in `root`.
    pub fn schema_error(&self, error: &toml::de::Error, root: &DeTable<'_>) -> ManifestError {
        let message = toml_words(&one_line(error.message()));
        let Some(span) = error.span() else {
            return ManifestError::Invalid {
                at: self.file(),
                what: describe(&[]),
                message,
            };
        };
        let path = path_at(root, &span).unwrap_or_default();
        let at = self.at(span);
        if let Some(expected) = unknown_field_expected(&message)
            && let Some(field) = path.last()
        {
            let suggestion = spelling::closest(field, &expected);
            return ManifestError::UnknownField {
                at,
                path,
                expected,
                suggestion,
            };
        }
        ManifestError::Invalid {
            at,
            what: describe(&path),
            message,
        }
    }

    /// 1-based line and character column of a byte offset.
    fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let before = &self.text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(offset - line_start, |s| s.chars().count());
        let clamp = |n: usize| u32::try_from(n + 1).unwrap_or(u32::MAX);
        (clamp(line), clamp(column))
    }
}

/// ``function `hello`: memory_mb`` for the key path `function.hello.memory_mb` (and likewise
/// ``bucket `uploads`: path``).
fn describe(path: &[String]) -> String {
    match path {
        [] => "manifest".to_owned(),
        [section, name, rest @ ..] if section == "function" || section == "bucket" => {
            let mut text = format!("{section} `{name}`");
            if !rest.is_empty() {
                text.push_str(": ");
                text.push_str(&rest.join("."));
            }
            text
        }
        _ => path.join("."),
    }
}

/// The allowed keys listed in serde's "unknown field `x`, expected one of `a`, `b`" (its
/// `Error::unknown_field` text, which toml does not override).
fn unknown_field_expected(message: &str) -> Option<Vec<String>> {
    let rest = message.strip_prefix("unknown field `")?;
    let (_, expected) = rest.rsplit_once(", expected ")?;
    Some(
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// The keys leading to what `span` points at: a key itself, or somewhere inside a key's value.
///
/// Children are searched before the value's own span because a `[table.header]`'s span covers
/// only the header, not the keys below it.
fn path_at(table: &DeTable<'_>, span: &Range<usize>) -> Option<Vec<String>> {
    for (key, value) in table.iter() {
        let name = key.get_ref().to_string();
        if key.span() == *span {
            return Some(vec![name]);
        }
        if let Some(mut path) = path_below(value.get_ref(), span) {
            path.insert(0, name);
            return Some(path);
        }
        let value_span = value.span();
        if value_span.start <= span.start && span.end <= value_span.end {
            return Some(vec![name]);
        }
    }
    None
}

/// [`path_at`] inside a table, or inside the tables of an array such as `[[function.NAME.http]]`
/// (the entry's index is left out of the path: the line already says which one).
fn path_below(value: &DeValue<'_>, span: &Range<usize>) -> Option<Vec<String>> {
    match value {
        DeValue::Table(inner) => path_at(inner, span),
        DeValue::Array(items) => items
            .iter()
            .find_map(|item| path_below(item.get_ref(), span)),
        _ => None,
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// serde's names for types, in the words a TOML user knows.
fn toml_words(message: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("invalid type: map", "invalid type: table"),
        ("invalid type: sequence", "invalid type: array"),
        ("invalid type: floating point", "invalid type: float"),
        ("expected a map", "expected a table"),
        ("expected a sequence", "expected an array"),
    ];
    WORDS
        .iter()
        .fold(message.to_owned(), |text, (serde, toml)| {
            text.replace(serde, toml)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source<'_> {
        Source {
            file: Path::new("fnhost.toml"),
            text,
        }
    }

    #[test]
    fn position_is_one_based_and_counts_characters() {
        let src = source("a = 1\nbé = 2\n");
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(6), (2, 1));
        assert_eq!(src.position(9), (2, 3));
        assert_eq!(src.position(100), (3, 1));
    }

    #[test]
    fn path_at_finds_keys_below_table_headers() {
        let text = "[function.a]\nsource = 'x'\n[function.b]\nenv = { K = 1 }\n";
        let root = DeTable::parse(text).unwrap();
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            path_at(root.get_ref(), &(start..start + needle.len()))
                .unwrap()
                .join(".")
        };
        assert_eq!(at("source"), "function.a.source");
        assert_eq!(at("1"), "function.b.env.K");
        assert_eq!(at("[function.b]"), "function.b");
    }

    #[test]
    fn describes_paths() {
        let path = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            describe(&path("function.hi.build.watch")),
            "function `hi`: build.watch"
        );
        assert_eq!(describe(&path("bucket.b.path")), "bucket `b`: path");
        assert_eq!(describe(&path("events.workers")), "events.workers");
    }
}
