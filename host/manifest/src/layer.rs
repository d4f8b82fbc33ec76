//! Layers: `[layer.NAME]` tables ([`LayerConfig`], a directory or `.zip` of files a function
//! sees read-only under `/opt`) and a function's `layers`, `code` and `invoke` keys, which name
//! them, its own files and the functions it may call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fnhost_core::limits::MAX_LAYERS;
use toml::Spanned;

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// Longest layer name (Lambda's rule).
const MAX_LAYER_NAME_LEN: usize = 140;
/// Longest function name (Lambda's rule), for `invoke` entries.
const MAX_FUNCTION_NAME_LEN: usize = 64;

/// One `[layer.NAME]` table: files merged into `/opt` of the functions that list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerConfig {
    /// The `NAME` in `[layer.NAME]`: 1–140 of `[A-Za-z0-9_-]`.
    pub name: String,
    /// The directory or `.zip` holding the layer's files (as Lambda's layer zip: `python/…`,
    /// `nodejs/node_modules/…`, `bin/…`); absolute. It need not exist when the manifest is read.
    pub path: PathBuf,
    /// Free text for listings.
    pub description: Option<String>,
    /// Runtimes the layer is meant for (informational, as in Lambda: attaching does not check).
    pub compatible_runtimes: Vec<String>,
    /// 1-based line of `[layer.NAME]` in the manifest, for messages.
    pub line: usize,
}

impl LayerConfig {
    /// Whether `path` names a zip archive (by its extension) rather than a directory.
    pub fn is_zip(&self) -> bool {
        is_zip(&self.path)
    }
}

/// Whether `path` ends in `.zip` (any case).
pub(crate) fn is_zip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Validate every `[layer.NAME]` table; `dir` is the manifest's (absolute) directory.
pub(crate) fn validate(
    tables: BTreeMap<Spanned<String>, Spanned<raw::Table<raw::Layer>>>,
    dir: &Path,
    src: &Source<'_>,
) -> Result<BTreeMap<String, LayerConfig>, ManifestError> {
    let mut layers = BTreeMap::new();
    for (name, table) in tables {
        let (line, at) = (src.line(name.span()), src.at(name.span()));
        let name = name.into_inner();
        if !is_valid_layer_name(&name) {
            return Err(ManifestError::InvalidLayerName { at, name });
        }
        let (table_span, table) = (table.span(), table.into_inner().0);
        let path = table.path.ok_or_else(|| ManifestError::MissingField {
            at: src.at(table_span),
            what: format!("layer `{name}`"),
            field: "path",
            example: format!("path = \"layers/{name}\""),
        })?;
        if path.get_ref().trim().is_empty() {
            let at = src.at(path.span());
            return Err(ManifestError::EmptyLayerPath { at, layer: name });
        }
        let layer = LayerConfig {
            path: dir.join(path.get_ref()),
            name: name.clone(),
            description: table.description,
            compatible_runtimes: table.compatible_runtimes,
            line,
        };
        layers.insert(name, layer);
    }
    Ok(layers)
}

/// A function's `code` (absolute), `layers` (declared names, in order) and `invoke` (function
/// names, each once), validated.
pub(crate) struct Environment {
    pub code: Option<PathBuf>,
    pub layers: Vec<LayerConfig>,
    pub invoke: Vec<String>,
}

/// Validate `code`, `layers` and `invoke` of function `function`.
pub(crate) fn validate_function(
    function: &str,
    table: &mut raw::Function,
    dir: &Path,
    layers: &BTreeMap<String, LayerConfig>,
    src: &Source<'_>,
) -> Result<Environment, ManifestError> {
    let code = match table.code.take() {
        None => None,
        Some(code) if code.get_ref().trim().is_empty() => {
            return Err(ManifestError::EmptyCode {
                at: src.at(code.span()),
                function: function.to_owned(),
            });
        }
        Some(code) => Some(dir.join(code.get_ref())),
    };
    let mut names: Vec<LayerConfig> = Vec::new();
    if let Some(list) = table.layers.take() {
        let (span, list) = (list.span(), list.into_inner());
        if list.len() > MAX_LAYERS {
            return Err(ManifestError::TooManyLayers {
                at: src.at(span),
                function: function.to_owned(),
                count: list.len(),
            });
        }
        for name in list {
            let at = src.at(name.span());
            let name = name.into_inner();
            let Some(layer) = layers.get(&name) else {
                return Err(ManifestError::UnknownLayer {
                    at,
                    function: function.into(),
                    layer: name.into(),
                    known: layers.keys().cloned().collect(),
                });
            };
            if names.iter().any(|l| l.name == name) {
                return Err(ManifestError::DuplicateLayer {
                    at,
                    function: function.to_owned(),
                    layer: name,
                });
            }
            names.push(layer.clone());
        }
    }
    let mut invoke: Vec<String> = Vec::new();
    for name in table
        .invoke
        .take()
        .map(Spanned::into_inner)
        .unwrap_or_default()
    {
        let at = src.at(name.span());
        let name = name.into_inner();
        if !is_valid_function_name(&name) {
            return Err(ManifestError::InvalidInvokeName {
                at,
                function: function.to_owned(),
                name,
            });
        }
        if !invoke.contains(&name) {
            invoke.push(name);
        }
    }
    Ok(Environment {
        code,
        layers: names,
        invoke,
    })
}

/// Lambda's layer name rule: 1 to 140 of `[A-Za-z0-9_-]`.
fn is_valid_layer_name(name: &str) -> bool {
    (1..=MAX_LAYER_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Lambda's function name rule: 1 to 64 of `[A-Za-z0-9_-]`.
fn is_valid_function_name(name: &str) -> bool {
    (1..=MAX_FUNCTION_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
