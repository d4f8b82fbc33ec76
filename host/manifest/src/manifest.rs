//! [`Manifest`]: finding and loading `fnhost.toml`; the version is read first, then that
//! version's schema.

use fnhost_core::outbound::NetworkSettings;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use crate::bucket::{self, BucketConfig};
use crate::cluster::{self, ClusterConfig};
use crate::delivery::{self, EventsConfig};
use crate::error::ManifestError;
use crate::function::{self, FunctionConfig};
use crate::http::{self, HttpServerConfig};
use crate::layer::{self, LayerConfig};
use crate::routes::RouteConfig;
use crate::source::Source;
use crate::store::{self, StoreConfig};
use crate::{raw, s3, schedule, spelling};

/// The manifest's file name, looked for by [`Manifest::find`].
pub const MANIFEST_FILE: &str = "fnhost.toml";

/// The `manifest_version`s this fnhost reads.
pub const SUPPORTED_VERSIONS: &[i64] = &[1];

/// A validated manifest: what fnhost runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The file, as given to [`Manifest::load`] or [`Manifest::parse`].
    pub path: PathBuf,
    /// Its directory, absolute; relative paths in the manifest are resolved against it.
    pub dir: PathBuf,
    /// Functions by name.
    pub functions: BTreeMap<String, FunctionConfig>,
    /// The `[http]` table; unset fields are for the caller to default.
    pub http: HttpServerConfig,
    /// Buckets by name.
    pub buckets: BTreeMap<String, BucketConfig>,
    /// The `[events]` table, with defaults applied.
    pub events: EventsConfig,
    /// The `[cluster]` table.
    pub cluster: ClusterConfig,
    /// The `[store]` table.
    pub store: StoreConfig,
    /// Layers by name.
    pub layers: BTreeMap<String, LayerConfig>,
    /// The `[network]` table (outbound HTTP), with defaults applied.
    pub network: NetworkSettings,
    /// The `[[route]]` tables, in file order: HTTP routes naming a function, version or alias.
    pub routes: Vec<RouteConfig>,
    /// The line of each function's `[function.NAME]` table, for pointing people at it (the
    /// console shows it for functions it cannot edit). Kept out of [`FunctionConfig`] so that
    /// moving a table does not count as changing the function.
    pub function_lines: BTreeMap<String, usize>,
}

impl Manifest {
    /// Read and validate the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = fs::read_to_string(path).map_err(|error| ManifestError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::parse(&text, path)
    }

    /// Validate manifest `text`; `path` names the file in messages and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let src = Source { file: path, text };
        let root = DeTable::parse(text).map_err(|error| src.syntax_error(&error))?;
        let version = read_version(&root, &src)?;
        let (at, value) = (src.at(version.span()), src.as_written(version.span()));
        match version.into_inner() {
            toml::Value::Integer(1) => Self::from_v1(&root, path, &src),
            toml::Value::Integer(_) => Err(ManifestError::UnsupportedVersion { at, value }),
            _ => Err(ManifestError::InvalidVersion { at, value }),
        }
    }

    /// The manifest of a host with no `fnhost.toml`: no functions, buckets or layers, every
    /// table at its defaults, relative paths anchored at `dir`. Such a host runs what is
    /// uploaded through the API.
    pub fn empty(dir: &Path) -> Manifest {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let path = dir.join(MANIFEST_FILE);
        Self::parse("manifest_version = 1\n", &path)
            .unwrap_or_else(|err| unreachable!("the empty manifest is valid: {err}"))
    }

    /// The `fnhost.toml` in `start` or the nearest parent directory that has one.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_owned());
        start
            .ancestors()
            .map(|dir| dir.join(MANIFEST_FILE))
            .find(|candidate| candidate.is_file())
    }

    /// The function called `name`; the error lists the names there are.
    pub fn function(&self, name: &str) -> Result<&FunctionConfig, ManifestError> {
        self.functions.get(name).ok_or_else(|| {
            let known: Vec<String> = self.functions.keys().cloned().collect();
            ManifestError::UnknownFunction {
                name: name.to_owned(),
                file: self.path.clone(),
                suggestion: spelling::closest(name, &known),
                known,
            }
        })
    }

    fn from_v1(
        root: &Spanned<DeTable<'_>>,
        path: &Path,
        src: &Source<'_>,
    ) -> Result<Manifest, ManifestError> {
        let raw = raw::ManifestV1::deserialize(toml::Deserializer::from(root.clone()))
            .map_err(|error| src.schema_error(&error, root.get_ref()))?;
        let dir = directory_of(path);
        let http = http::validate_server(raw.http, src)?;
        let events = delivery::validate_events(raw.events, src)?;
        let cluster = cluster::validate(raw.cluster, src)?;
        let store = store::validate(raw.store, src)?;
        let buckets = bucket::validate(raw.bucket, &dir, src)?;
        let layers = layer::validate(raw.layer, &dir, src)?;
        let network = crate::network::validate_network(raw.network, &dir, src)?;
        let mut functions = BTreeMap::new();
        let mut function_lines = BTreeMap::new();
        for (name, table) in raw.function {
            function_lines.insert(name.get_ref().clone(), src.line(name.span()));
            let function = function::validate(&name, table, &dir, &buckets, &layers, src)?;
            functions.insert(function.name.clone(), function);
        }
        let routes = crate::routes::validate(raw.route.0, &functions, src)?;
        http::check_conflicts(functions.values(), &routes, src)?;
        s3::check_overlaps(functions.values(), src)?;
        schedule::check_names(functions.values(), src)?;
        Ok(Manifest {
            path: path.to_owned(),
            dir,
            functions,
            http,
            buckets,
            events,
            cluster,
            store,
            layers,
            network,
            routes,
            function_lines,
        })
    }
}

/// `manifest_version`, read before anything else so the right schema judges the rest.
fn read_version(
    root: &Spanned<DeTable<'_>>,
    src: &Source<'_>,
) -> Result<Spanned<toml::Value>, ManifestError> {
    let probe = raw::VersionProbe::deserialize(toml::Deserializer::from(root.clone()))
        .map_err(|error| src.schema_error(&error, root.get_ref()))?;
    probe
        .manifest_version
        .ok_or_else(|| ManifestError::MissingVersion { at: src.file() })
}

/// The absolute directory holding `path` (which need not exist).
fn directory_of(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    absolute.parent().map(Path::to_owned).unwrap_or_default()
}
