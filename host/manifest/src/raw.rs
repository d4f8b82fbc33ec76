//! What the user wrote: serde structs for `manifest_version = 1`, unknown fields rejected.
//!
//! Values that validation checks carry their [`Spanned`] position so errors can name the line.
//! Required fields are `Option`s here so that "missing" is reported by validation, with a fix,
//! rather than by serde. Numbers are [`Integer`]s so that negative or huge values get the same
//! "out of range" message as any other.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

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
    /// `[bucket.NAME]` tables.
    #[serde(default)]
    pub bucket: BTreeMap<Spanned<String>, Spanned<Table<Bucket>>>,
    /// The `[events]` table.
    pub events: Option<Table<Events>>,
    /// The `[cluster]` table.
    pub cluster: Option<Table<Cluster>>,
    /// The `[store]` table.
    pub store: Option<Table<StoreTable>>,
    /// `[layer.NAME]` tables.
    #[serde(default)]
    pub layer: BTreeMap<Spanned<String>, Spanned<Table<Layer>>>,
    /// The `[network]` table: the operator's outbound HTTP settings.
    pub network: Option<Table<Network>>,
    /// `[[route]]` tables: HTTP routes to a function, version or alias by name.
    #[serde(default)]
    pub route: Tables<TopRoute>,
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
    pub runtime: Option<Spanned<String>>,
    pub handler: Option<Spanned<String>>,
    pub memory_mb: Option<Spanned<Integer>>,
    pub timeout_s: Option<Spanned<Integer>>,
    pub fuel: Option<Spanned<Integer>>,
    pub reserved_concurrency: Option<Spanned<Integer>>,
    pub env: Option<Spanned<BTreeMap<Spanned<String>, String>>>,
    #[serde(default)]
    pub http: Tables<Route>,
    pub objects: Option<Spanned<Table<Objects>>>,
    #[serde(rename = "async")]
    pub async_: Option<Table<Async>>,
    #[serde(default)]
    pub s3: Tables<S3>,
    #[serde(default)]
    pub schedule: Tables<Schedule>,
    pub ephemeral_storage_mb: Option<Spanned<Integer>>,
    pub code: Option<Spanned<String>>,
    pub layers: Option<Spanned<Vec<Spanned<String>>>>,
    pub invoke: Option<Spanned<Vec<Spanned<String>>>>,
    pub allowed_outbound_hosts: Option<Spanned<Vec<Spanned<String>>>>,
    pub url: Option<Spanned<crate::url::RawUrl>>,
    pub auto_publish_alias: Option<Spanned<String>>,
}

/// A function's `[[function.NAME.KEY]]` tables (`http`, `s3`, `schedule`), in file order.
#[derive(Debug)]
pub(crate) struct Tables<T>(pub Vec<Spanned<T>>);

impl<T> Default for Tables<T> {
    fn default() -> Self {
        Tables(Vec::new())
    }
}

/// A table that a function lists as `[[function.NAME.KEY]]` (or the manifest as `[[KEY]]`).
pub(crate) trait ArrayTable {
    /// The `KEY`, for the message when it is written with single brackets.
    const KEY: &'static str;

    /// How the table is written, for that message.
    fn header() -> String {
        format!("[[function.NAME.{}]]", Self::KEY)
    }
}

/// One `[[function.NAME.http]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Route {
    pub route: Option<Spanned<String>>,
    pub methods: Option<Spanned<Vec<Spanned<String>>>>,
    pub payload: Option<Spanned<String>>,
}

impl ArrayTable for Route {
    const KEY: &'static str = "http";
}

/// One top-level `[[route]]` table: a `[[function.NAME.http]]` that names its function, which
/// may be qualified (`NAME:ALIAS`, `NAME:VERSION`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct TopRoute {
    pub function: Option<Spanned<String>>,
    pub route: Option<Spanned<String>>,
    pub methods: Option<Spanned<Vec<Spanned<String>>>>,
    pub payload: Option<Spanned<String>>,
}

impl ArrayTable for TopRoute {
    const KEY: &'static str = "route";

    fn header() -> String {
        "[[route]]".to_owned()
    }
}

/// `objects = { read = [...], write = [...] }`: the buckets a function may use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Objects {
    #[serde(default)]
    pub read: Vec<Spanned<String>>,
    #[serde(default)]
    pub write: Vec<Spanned<String>>,
}

/// `async = { retries = 2, max_event_age_s = 21600 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Async {
    pub retries: Option<Spanned<Integer>>,
    pub max_event_age_s: Option<Spanned<Integer>>,
}

/// One `[[function.NAME.s3]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct S3 {
    pub bucket: Option<Spanned<String>>,
    pub events: Option<Spanned<Vec<Spanned<String>>>>,
    pub prefix: Option<Spanned<String>>,
    pub suffix: Option<String>,
}

impl ArrayTable for S3 {
    const KEY: &'static str = "s3";
}

/// One `[[function.NAME.schedule]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Schedule {
    pub expression: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub allow_overlap: Option<bool>,
    pub input: Option<Spanned<String>>,
}

impl ArrayTable for Schedule {
    const KEY: &'static str = "schedule";
}

/// One `[bucket.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Bucket {
    pub path: Option<Spanned<String>>,
    pub ignore: Option<Vec<Spanned<String>>>,
}

/// One `[layer.NAME]` table: files a function sees under `/opt`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Layer {
    pub path: Option<Spanned<String>>,
    pub description: Option<String>,
    #[serde(default)]
    pub compatible_runtimes: Vec<String>,
}

/// The top-level `[events]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Events {
    pub quiet_ms: Option<Spanned<Integer>>,
    pub workers: Option<Spanned<Integer>>,
    pub loop_hops: Option<Spanned<Integer>>,
    pub retry_delay_ms: Option<Spanned<Integer>>,
    pub rescan_s: Option<Spanned<Integer>>,
}

/// The top-level `[cluster]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Cluster {
    pub lease_s: Option<Spanned<Integer>>,
}

/// The top-level `[store]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct StoreTable {
    pub url: Option<Spanned<String>>,
}

/// The top-level `[network]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct Network {
    pub block_networks: Option<Vec<Spanned<String>>>,
    pub allow_listed_ips: Option<bool>,
    #[serde(default)]
    pub ca_certificates: Vec<Spanned<String>>,
    pub connect_timeout_ms: Option<Spanned<Integer>>,
    pub first_byte_timeout_ms: Option<Spanned<Integer>>,
    pub between_bytes_timeout_ms: Option<Spanned<Integer>>,
    pub max_response_bytes: Option<Spanned<Integer>>,
    pub max_connections: Option<Spanned<Integer>>,
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
    pub drain_delay_s: Option<Spanned<Integer>>,
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
impl<'de, T: Deserialize<'de> + ArrayTable> Deserialize<'de> for Tables<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TablesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + ArrayTable> Visitor<'de> for TablesVisitor<T> {
            type Value = Tables<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of tables, written `{}`", T::header())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tables<T>, A::Error> {
                let mut tables = Vec::new();
                while let Some(table) = seq.next_element::<Spanned<Table<T>>>()? {
                    let span = table.span();
                    tables.push(Spanned::new(span, table.into_inner().0));
                }
                Ok(Tables(tables))
            }
        }
        deserializer.deserialize_seq(TablesVisitor(PhantomData))
    }
}

/// A TOML table read into `T`. Serde's derived structs also accept an array, filling fields in
/// order (`async = [1, 60]`); this refuses anything but a table.
#[derive(Debug)]
pub(crate) struct Table<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TableVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for TableVisitor<T> {
            type Value = Table<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Table<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Table)
            }
        }
        deserializer.deserialize_map(TableVisitor(PhantomData))
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
