//! What the user wrote: serde structs for `manifest_version = 1`, unknown fields rejected.
//!
//! Values that validation checks carry their [`Spanned`] position so errors can name the line.
//! Required fields are `Option`s here so that "missing" is reported by validation, with a fix,
//! rather than by serde. Numbers are [`Integer`]s so that negative or huge values get the same
//! "out of range" message as any other.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// The whole file, version 1.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManifestV1 {
    /// Read and checked before this struct; listed so it is not an unknown field.
    #[serde(rename = "manifest_version")]
    pub _version: IgnoredAny,
    /// `[function.NAME]` tables.
    #[serde(default)]
    pub function: BTreeMap<Spanned<String>, Spanned<Function>>,
    /// The `[http]` server table.
    pub http: Option<HttpServer>,
}

/// Only `manifest_version`, read first to pick the schema (other keys are ignored here).
#[derive(Debug, Deserialize)]
pub(crate) struct VersionProbe {
    pub manifest_version: Option<Spanned<toml::Value>>,
}

/// One `[function.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Function {
    pub description: Option<String>,
    pub source: Option<Spanned<String>>,
    pub build: Option<Spanned<Build>>,
    pub memory_mb: Option<Spanned<Integer>>,
    pub timeout_s: Option<Spanned<Integer>>,
    pub fuel: Option<Spanned<Integer>>,
    pub reserved_concurrency: Option<Spanned<Integer>>,
    pub env: Option<Spanned<BTreeMap<Spanned<String>, String>>>,
    #[serde(default)]
    pub http: Routes,
}

/// A function's `[[function.NAME.http]]` tables.
#[derive(Debug, Default)]
pub(crate) struct Routes(pub Vec<Spanned<Route>>);

/// One `[[function.NAME.http]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Route {
    pub route: Option<Spanned<String>>,
    pub methods: Option<Spanned<Vec<Spanned<String>>>>,
    pub payload: Option<Spanned<String>>,
}

/// The top-level `[http]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct HttpServer {
    pub listen: Option<Spanned<String>>,
    pub max_concurrency: Option<Spanned<Integer>>,
    pub queue_depth: Option<Spanned<Integer>>,
    pub queue_timeout_ms: Option<Spanned<Integer>>,
    pub drain_timeout_s: Option<Spanned<Integer>>,
}

/// `build = "command"` or `build = { command = "...", workdir = "...", watch = [...] }`.
#[derive(Debug)]
pub(crate) enum Build {
    Command(String),
    Table(BuildTable),
}

/// The table form of `build`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct BuildTable {
    pub command: Option<Spanned<String>>,
    pub workdir: Option<String>,
    #[serde(default)]
    pub watch: Vec<Spanned<String>>,
}

// Hand-written instead of `#[serde(untagged)]`, which would swallow the table's own errors
// (an unknown key inside `build = { ... }`) into "did not match any variant".
impl<'de> Deserialize<'de> for Build {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BuildVisitor;
        impl<'de> Visitor<'de> for BuildVisitor {
            type Value = Build;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string or a table with `command`")
            }
            fn visit_str<E: de::Error>(self, command: &str) -> Result<Build, E> {
                Ok(Build::Command(command.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Build, A::Error> {
                let table = BuildTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Build::Table(table))
            }
        }
        deserializer.deserialize_any(BuildVisitor)
    }
}

// Hand-written so that the likely mistake, `[function.NAME.http]` with single brackets, is
// answered with the syntax that works rather than serde's "expected a sequence".
impl<'de> Deserialize<'de> for Routes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RoutesVisitor;
        impl<'de> Visitor<'de> for RoutesVisitor {
            type Value = Routes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of tables, written `[[function.NAME.http]]`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Routes, A::Error> {
                let mut routes = Vec::new();
                while let Some(route) = seq.next_element()? {
                    routes.push(route);
                }
                Ok(Routes(routes))
            }
        }
        deserializer.deserialize_seq(RoutesVisitor)
    }
}

/// Any TOML integer; ranges are checked in validation, where the message can name the limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Integer(pub i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntegerVisitor;
        impl Visitor<'_> for IntegerVisitor {
            type Value = Integer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Integer, E> {
                Ok(Integer(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Integer, E> {
                i64::try_from(value)
                    .map(Integer)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
            }
        }
        deserializer.deserialize_i64(IntegerVisitor)
    }
}
