//! The Layers API (`/2018-10-31/layers`): PublishLayerVersion, GetLayerVersion,
//! GetLayerVersionByArn, ListLayers, ListLayerVersions and DeleteLayerVersion, with Lambda's
//! paths, shapes and messages; and the function side: resolving a function's `Layers`, and
//! the directories an uploaded function sees (`/opt`, `/var/task`).
//!
//! A published version's zip is read by the package reader's rules ([`package::extract`]) and
//! unpacked to `<state>/layers/<name>/<version>/`; versions are immutable and their numbers
//! never reused. A deleted version disappears from the API but keeps its files while a function
//! version uses it (Lambda's rule: it still works for the functions that have it). An upload's
//! zip is unpacked to `<state>/tasks/<sha256 of the zip>/`, its `/var/task`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bytes::Bytes;
use fnhost_core::limits::{MAX_LAYERS, MAX_UNZIPPED_BYTES};
use fnhost_runtime::{ACCOUNT, REGION};
use fnhost_store::{FunctionLayer, FunctionRecord, LayerVersionRecord, Store};
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::api::{Api, blocking, empty, json_response, now_ms};
use crate::config::{code_sha256_b64, last_modified, parse_body};
use crate::error::ApiError;
use crate::opt;
use crate::package::{self, PackageError};

type Reply = Result<Response<Full<Bytes>>, ApiError>;

/// Longest layer name (Lambda's rule).
const MAX_LAYER_NAME: usize = 140;
/// Most items in one ListLayers / ListLayerVersions page.
const MAX_LIST_ITEMS: usize = 50;

/// A request of the Layers API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LayerOp {
    /// `GET /layers`: ListLayers, or GetLayerVersionByArn with `find=LayerVersion`.
    List,
    /// `POST /layers/{name}/versions`.
    Publish(String),
    /// `GET /layers/{name}/versions`.
    ListVersions(String),
    /// `GET /layers/{name}/versions/{n}`.
    Get(String, String),
    /// `DELETE /layers/{name}/versions/{n}`.
    Delete(String, String),
}

/// The operation at `rest`, the path after `/2018-10-31/layers`.
pub(crate) fn route(method: &Method, rest: &str) -> Option<LayerOp> {
    let segments: Vec<String> = rest
        .trim_start_matches('/')
        .split('/')
        .map(fnhost_edge::percent_decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    Some(match (method.as_str(), segments.as_slice()) {
        ("GET", [""]) => LayerOp::List,
        ("POST", [name, "versions"]) => LayerOp::Publish((*name).to_owned()),
        ("GET", [name, "versions"]) => LayerOp::ListVersions((*name).to_owned()),
        ("GET", [name, "versions", n]) => LayerOp::Get((*name).to_owned(), (*n).to_owned()),
        ("DELETE", [name, "versions", n]) => LayerOp::Delete((*name).to_owned(), (*n).to_owned()),
        _ => return None,
    })
}

/// `arn:aws:lambda:REGION:ACCOUNT:layer:NAME`.
pub fn layer_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}")
}

/// `arn:aws:lambda:REGION:ACCOUNT:layer:NAME:N`.
pub fn version_arn(name: &str, version: u64) -> String {
    format!("{}:{version}", layer_arn(name))
}

/// Where a layer version's files are.
pub fn layer_dir(state_dir: &Path, name: &str, version: u64) -> PathBuf {
    state_dir
        .join("layers")
        .join(name)
        .join(version.to_string())
}

/// The layer name and version number of a layer version ARN.
pub(crate) fn name_and_version(arn: &str) -> Option<(String, u64)> {
    parse_version_arn(arn).map(|parsed| (parsed.name, parsed.version))
}

/// Unpack layer version `name`:`version`'s zip into its directory, unless it is there
/// (another node published it; its zip came from the shared blobs). Blocking.
pub(crate) fn place_layer(
    state_dir: &Path,
    name: &str,
    version: u64,
    zip: &[u8],
) -> Result<(), ApiError> {
    let dir = layer_dir(state_dir, name, version);
    if dir.is_dir() {
        return Ok(());
    }
    let temp = state_dir
        .join("layers")
        .join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    if let Err(err) = package::extract(zip, &temp) {
        discard(&temp);
        return Err(ApiError::internal("unpacking a shared layer", err));
    }
    let placed = dir
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::rename(&temp, &dir));
    if let Err(err) = placed {
        let _ = std::fs::remove_dir_all(&temp);
        if !dir.is_dir() {
            return Err(ApiError::internal("placing a shared layer", err));
        }
    }
    Ok(())
}

/// Where an upload's zip (by its SHA-256) is unpacked: its `/var/task`.
pub fn task_dir(state_dir: &Path, sha256: &str) -> PathBuf {
    state_dir.join("tasks").join(sha256)
}

/// `LayerName` in a path: a name or a layer ARN, `[a-zA-Z0-9-_]{1,140}`.
fn layer_name(value: &str) -> Result<String, ApiError> {
    let name = match value.strip_prefix("arn:") {
        Some(_) => value.rsplit_once(":layer:").map_or(value, |(_, name)| name),
        None => value,
    };
    let valid = (1..=MAX_LAYER_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{value}' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{{12}}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"
        )));
    }
    Ok(name.to_owned())
}

/// `VersionNumber` in a path: a number from 1.
fn version_number(value: &str) -> Result<u64, ApiError> {
    match value.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
        Ok(_) => Err(ApiError::InvalidParameter(
            "Layer Version Cannot be less than 1".into(),
        )),
        Err(_) => Err(ApiError::Validation(format!(
            "1 validation error detected: Value '{value}' at 'versionNumber' failed to satisfy constraint: Member must be a number"
        ))),
    }
}

/// A layer version ARN split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct VersionArn {
    region: String,
    account: String,
    name: String,
    version: u64,
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:N`, or `None` if it is not one.
fn parse_version_arn(arn: &str) -> Option<VersionArn> {
    let parts: Vec<&str> = arn.split(':').collect();
    let [
        "arn",
        partition,
        "lambda",
        region,
        account,
        "layer",
        name,
        version,
    ] = parts.as_slice()
    else {
        return None;
    };
    let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let valid = word(partition)
        && word(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && layer_name(name).is_ok()
        && !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    Some(VersionArn {
        region: (*region).to_owned(),
        account: (*account).to_owned(),
        name: (*name).to_owned(),
        version: version.parse().ok()?,
    })
}

fn pattern_error(value: &str, field: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{{12}}:layer:[a-zA-Z0-9-_]+:[0-9]+"
    ))
}

/// PublishLayerVersion's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PublishInput {
    description: Option<String>,
    content: Option<ContentInput>,
    compatible_runtimes: Option<Vec<String>>,
    compatible_architectures: Option<Vec<String>>,
    license_info: Option<String>,
}

/// `Content` in PublishLayerVersion.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContentInput {
    zip_file: Option<String>,
    #[serde(rename = "S3Bucket")]
    s3_bucket: Option<String>,
    #[serde(rename = "S3Key")]
    s3_key: Option<String>,
}

fn too_long(value: &str, field: &str, max: usize) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
    ))
}

impl PublishInput {
    /// Lambda's model constraints on everything but the content.
    fn check(&self) -> Result<(), ApiError> {
        if let Some(d) = &self.description
            && d.chars().count() > 256
        {
            return Err(too_long(d, "description", 256));
        }
        if let Some(l) = &self.license_info
            && l.chars().count() > 512
        {
            return Err(too_long(l, "licenseInfo", 512));
        }
        let runtimes = self.compatible_runtimes.as_deref().unwrap_or_default();
        if runtimes.len() > 15 {
            return Err(ApiError::Validation(format!(
                "1 validation error detected: Value '[{}]' at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to 15",
                runtimes.join(", ")
            )));
        }
        for runtime in runtimes {
            let valid = (1..=64).contains(&runtime.len())
                && runtime
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !valid {
                return Err(ApiError::Validation(format!(
                    "1 validation error detected: Value '[{runtime}]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set]"
                )));
            }
        }
        let architectures = self.compatible_architectures.as_deref().unwrap_or_default();
        let bad = architectures
            .iter()
            .find(|a| a.as_str() != "x86_64" && a.as_str() != "arm64");
        if architectures.len() > 2 || bad.is_some() {
            return Err(ApiError::Validation(format!(
                "1 validation error detected: Value '[{}]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]] and Member must have length less than or equal to 2",
                architectures.join(", ")
            )));
        }
        Ok(())
    }
}

/// A layer version as ListLayerVersions shows it (and `LatestMatchingVersion`).
fn item(layer: &LayerVersionRecord) -> Value {
    let mut item = json!({
        "LayerVersionArn": version_arn(&layer.name, layer.version),
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": last_modified(layer.created_ms),
        "CompatibleRuntimes": layer.compatible_runtimes,
        "CompatibleArchitectures": layer.compatible_architectures,
    });
    if let (Some(license), Some(object)) = (&layer.license_info, item.as_object_mut()) {
        object.insert("LicenseInfo".into(), json!(license));
    }
    item
}

/// A layer version as Publish, Get and GetByArn answer it.
fn full(layer: &LayerVersionRecord) -> Value {
    let mut body = item(layer);
    if let Some(object) = body.as_object_mut() {
        object.insert("LayerArn".into(), json!(layer_arn(&layer.name)));
        object.insert(
            "Content".into(),
            json!({
                "CodeSha256": code_sha256_b64(&layer.code_sha256),
                "CodeSize": layer.code_size,
            }),
        );
    }
    body
}

fn store_err(what: &'static str) -> impl Fn(fnhost_store::StoreError) -> ApiError {
    move |e| ApiError::internal(what, e)
}

/// How a refused layer zip is answered.
fn package_error(err: PackageError) -> ApiError {
    match err {
        PackageError::ZippedTooLarge | PackageError::UnzippedTooLarge => {
            ApiError::TooLarge(err.to_string())
        }
        PackageError::Write(e) => ApiError::internal("unpacking a layer", e),
        other => ApiError::InvalidParameter(other.to_string()),
    }
}

/// `MaxItems` (1–50; absent: 50) and the position after `Marker`.
fn page(query: &BTreeMap<String, String>) -> Result<(usize, Option<String>), ApiError> {
    let max = match query.get("MaxItems") {
        None => MAX_LIST_ITEMS,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIST_ITEMS).contains(&n) => n,
            _ => {
                return Err(ApiError::Validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and {MAX_LIST_ITEMS}"
                )));
            }
        },
    };
    let marker = query.get("Marker").map(|m| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(m)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    });
    Ok((max, marker))
}

fn marker_of(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// Whether `layer` passes ListLayers' / ListLayerVersions' `CompatibleRuntime` and
/// `CompatibleArchitecture` filters.
fn matches(layer: &LayerVersionRecord, query: &BTreeMap<String, String>) -> bool {
    let runtime = query
        .get("CompatibleRuntime")
        .is_none_or(|r| layer.compatible_runtimes.contains(r));
    let architecture = query
        .get("CompatibleArchitecture")
        .is_none_or(|a| layer.compatible_architectures.contains(a));
    runtime && architecture
}

impl Api {
    /// Answer one request of the Layers API.
    pub(crate) async fn layers(
        &self,
        op: LayerOp,
        query: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Reply {
        match op {
            LayerOp::List if query.get("find").map(String::as_str) == Some("LayerVersion") => {
                let arn = query.get("Arn").map(String::as_str).unwrap_or_default();
                let parsed = parse_version_arn(arn).ok_or_else(|| pattern_error(arn, "arn"))?;
                self.get_layer_version(&parsed.name, parsed.version).await
            }
            LayerOp::List => self.list_layers(query).await,
            LayerOp::Publish(name) => self.publish_layer_version(&layer_name(&name)?, body).await,
            LayerOp::ListVersions(name) => {
                self.list_layer_versions(&layer_name(&name)?, query).await
            }
            LayerOp::Get(name, n) => {
                let name = layer_name(&name)?;
                self.get_layer_version(&name, version_number(&n)?).await
            }
            LayerOp::Delete(name, n) => {
                let name = layer_name(&name)?;
                self.delete_layer_version(&name, version_number(&n)?).await
            }
        }
    }

    async fn publish_layer_version(&self, name: &str, body: &[u8]) -> Reply {
        let input: PublishInput = parse_body(body)?;
        input.check()?;
        let content = input.content.as_ref().ok_or_else(|| {
            ApiError::Validation(
                "1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null".into(),
            )
        })?;
        if content.s3_bucket.is_some() || content.s3_key.is_some() {
            return Err(ApiError::InvalidParameter(
                "fnhost takes layer content only as ZipFile; S3 content is not supported".into(),
            ));
        }
        let encoded = content.zip_file.as_deref().ok_or_else(|| {
            ApiError::InvalidParameter(
                "Please provide a source for layer content: ZipFile (a zip of the files to put under /opt)".into(),
            )
        })?;
        let zip = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| ApiError::InvalidParameter(format!("ZipFile is not valid base64: {e}")))?;
        let layers_root = self.config.state_dir.join("layers");
        let temp = layers_root.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        let unpack_to = temp.clone();
        let shared = self.store.clone();
        let (sha256, code_size, unzipped_size) = blocking(move || {
            let sha256 = hex::encode(Sha256::digest(&zip));
            match package::extract(&zip, &unpack_to) {
                Ok(unzipped) => {
                    // Before the record: a node that reads it finds the zip.
                    if let Err(err) = crate::shared::share(&shared, &sha256, &zip) {
                        discard(&unpack_to);
                        return Err(err);
                    }
                    Ok((sha256, zip.len() as u64, unzipped))
                }
                Err(err) => {
                    discard(&unpack_to);
                    Err(package_error(err))
                }
            }
        })
        .await?;
        let record = LayerVersionRecord {
            name: name.to_owned(),
            version: 0,
            description: input.description.unwrap_or_default(),
            license_info: input.license_info,
            compatible_runtimes: input.compatible_runtimes.unwrap_or_default(),
            compatible_architectures: input.compatible_architectures.unwrap_or_default(),
            code_sha256: sha256,
            code_size,
            unzipped_size,
            created_ms: now_ms(),
        };
        let _writes = self.writes.lock().await;
        let (store, state) = (self.store.clone(), self.config.state_dir.clone());
        let published = blocking(move || {
            let published = match store.publish_layer_version(&record) {
                Ok(published) => published,
                Err(err) => {
                    let _ = std::fs::remove_dir_all(&temp);
                    return Err(ApiError::internal("publishing a layer version", err));
                }
            };
            let dir = layer_dir(&state, &published.name, published.version);
            let placed = dir
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::rename(&temp, &dir));
            if let Err(err) = placed {
                let _ = std::fs::remove_dir_all(&temp);
                let _ = store.delete_layer_version(&published.name, published.version);
                return Err(ApiError::internal("placing a layer version", err));
            }
            Ok(published)
        })
        .await?;
        tracing::info!(layer = %published.name, version = published.version, "layer version published");
        Ok(json_response(StatusCode::CREATED, &full(&published)))
    }

    async fn get_layer_version(&self, name: &str, version: u64) -> Reply {
        let (store, name) = (self.store.clone(), name.to_owned());
        let layer = blocking(move || {
            store
                .layer_version(&name, version)
                .map_err(store_err("reading a layer version"))
        })
        .await?
        .ok_or(ApiError::ResourceMissing)?;
        Ok(json_response(StatusCode::OK, &full(&layer)))
    }

    async fn list_layer_versions(&self, name: &str, query: &BTreeMap<String, String>) -> Reply {
        let (max, marker) = page(query)?;
        let (store, owned) = (self.store.clone(), name.to_owned());
        let versions = blocking(move || {
            store
                .layer_versions(&owned)
                .map_err(store_err("listing layer versions"))
        })
        .await?;
        let after: Option<u64> = marker.and_then(|m| m.parse().ok());
        let listed: Vec<&LayerVersionRecord> = versions
            .iter()
            .filter(|l| matches(l, query))
            .filter(|l| after.is_none_or(|after| l.version < after))
            .collect();
        let shown = &listed[..listed.len().min(max)];
        let mut body =
            json!({ "LayerVersions": shown.iter().map(|l| item(l)).collect::<Vec<_>>() });
        if listed.len() > shown.len()
            && let (Some(last), Some(object)) = (shown.last(), body.as_object_mut())
        {
            object.insert(
                "NextMarker".into(),
                json!(marker_of(&last.version.to_string())),
            );
        }
        Ok(json_response(StatusCode::OK, &body))
    }

    async fn list_layers(&self, query: &BTreeMap<String, String>) -> Reply {
        let (max, after) = page(query)?;
        let store = self.store.clone();
        let versions = blocking(move || {
            store
                .all_layer_versions()
                .map_err(store_err("listing layers"))
        })
        .await?;
        // Newest matching version of each layer, by name (the store sorts by name, then
        // newest version first).
        let mut latest: Vec<&LayerVersionRecord> = Vec::new();
        for layer in versions.iter().filter(|l| matches(l, query)) {
            if latest.last().is_none_or(|l| l.name != layer.name) {
                latest.push(layer);
            }
        }
        let listed: Vec<&&LayerVersionRecord> = latest
            .iter()
            .filter(|l| after.as_deref().is_none_or(|after| l.name.as_str() > after))
            .collect();
        let shown = &listed[..listed.len().min(max)];
        let layers: Vec<Value> = shown
            .iter()
            .map(|l| {
                json!({
                    "LayerName": l.name,
                    "LayerArn": layer_arn(&l.name),
                    "LatestMatchingVersion": item(l),
                })
            })
            .collect();
        let mut body = json!({ "Layers": layers });
        if listed.len() > shown.len()
            && let (Some(last), Some(object)) = (shown.last(), body.as_object_mut())
        {
            object.insert("NextMarker".into(), json!(marker_of(&last.name)));
        }
        Ok(json_response(StatusCode::OK, &body))
    }

    async fn delete_layer_version(&self, name: &str, version: u64) -> Reply {
        let _writes = self.writes.lock().await;
        let (store, owned) = (self.store.clone(), name.to_owned());
        let deleted = blocking(move || {
            store
                .delete_layer_version(&owned, version)
                .map_err(store_err("deleting a layer version"))
        })
        .await?;
        if deleted {
            tracing::info!(layer = %name, version, "layer version deleted");
            let (store, state) = (self.store.clone(), self.config.state_dir.clone());
            blocking(move || collect(&state, &store)).await?;
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// A function's `Layers` as stored: each ARN checked as Lambda checks it (at most five, no
    /// two versions of one layer, every version published and not deleted) unless `current`
    /// (the function's present list) already has it; nothing is changed.
    pub(crate) async fn resolve_layers(
        &self,
        arns: &[String],
        current: &[FunctionLayer],
    ) -> Result<Vec<FunctionLayer>, ApiError> {
        if arns.len() > MAX_LAYERS {
            return Err(ApiError::InvalidParameter(format!(
                "Cannot reference more than {MAX_LAYERS} layers."
            )));
        }
        let mut parsed: Vec<(String, VersionArn)> = Vec::new();
        for arn in arns {
            let version = parse_version_arn(arn)
                .ok_or_else(|| pattern_error(&format!("[{}]", arns.join(", ")), "layers"))?;
            if version.region != REGION {
                return Err(ApiError::InvalidParameter(format!(
                    "Layers are not in the same region as the function. Layers are expected to be in region {REGION}."
                )));
            }
            if let Some((first, _)) = parsed.iter().find(|(_, p)| p.name == version.name) {
                return Err(ApiError::InvalidParameter(format!(
                    "Two different versions of the same layer are not allowed to be referenced in the same function. {first} and {arn} are versions of the same layer."
                )));
            }
            parsed.push((arn.clone(), version));
        }
        let mut resolved = Vec::new();
        for (arn, version) in parsed {
            if let Some(kept) = current.iter().find(|l| l.arn == arn) {
                resolved.push(kept.clone());
                continue;
            }
            let missing =
                || ApiError::InvalidParameter(format!("Layer version {arn} does not exist."));
            if version.account != ACCOUNT {
                return Err(missing());
            }
            let store = self.store.clone();
            let name = version.name.clone();
            let layer = blocking(move || {
                store
                    .layer_version(&name, version.version)
                    .map_err(store_err("reading a layer version"))
            })
            .await?
            .ok_or_else(missing)?;
            resolved.push(FunctionLayer {
                arn: version_arn(&layer.name, layer.version),
                code_size: layer.code_size,
                unzipped_size: layer.unzipped_size,
            });
        }
        Ok(resolved)
    }
}

/// Lambda's limit on a function and its layers together, unzipped: `function_bytes` is the
/// function's own unzipped size.
pub(crate) fn check_total_size(
    function_bytes: u64,
    layers: &[FunctionLayer],
) -> Result<(), ApiError> {
    let total = layers
        .iter()
        .fold(function_bytes, |sum, l| sum.saturating_add(l.unzipped_size));
    if total > MAX_UNZIPPED_BYTES {
        return Err(ApiError::InvalidParameter(format!(
            "Function code combined with layers exceeds the maximum allowed size of {MAX_UNZIPPED_BYTES} bytes. The actual size is {total} bytes."
        )));
    }
    Ok(())
}

/// An uploaded function's own unzipped size: its `/var/task` files, or the bare `.wasm`.
pub(crate) fn function_bytes(state_dir: &Path, record: &FunctionRecord) -> u64 {
    record
        .task_sha256
        .as_deref()
        .and_then(|sha| opt::dir_size(&task_dir(state_dir, sha)).ok())
        .unwrap_or(record.code_size)
}

/// The directories a stored function version sees: `/opt` (its layers merged) and
/// `/var/task` (its unpacked zip). Blocking.
pub(crate) fn environment_of(
    state_dir: &Path,
    record: &FunctionRecord,
) -> Result<(Option<PathBuf>, Option<PathBuf>), ApiError> {
    let mut dirs = Vec::new();
    for layer in &record.layers {
        let parsed = parse_version_arn(&layer.arn).ok_or_else(|| {
            ApiError::internal(
                "reading a function's layers",
                format!("bad ARN `{}`", layer.arn),
            )
        })?;
        dirs.push(layer_dir(state_dir, &parsed.name, parsed.version));
    }
    let opt = opt::merge(state_dir, &dirs).map_err(|e| ApiError::internal("merging layers", e))?;
    let task = record
        .task_sha256
        .as_deref()
        .map(|sha| task_dir(state_dir, sha));
    Ok((opt, task))
}

/// An upload's `/var/task`: its zip unpacked while it is compiled (the runtime opens the
/// directory when it loads the function), into a temporary directory that becomes
/// `<state>/tasks/<sha256>/` when the upload is committed and is removed if it is not.
#[derive(Debug)]
pub(crate) struct TaskPackage {
    /// SHA-256 (hex) of the zip.
    pub sha256: String,
    /// Its declared unzipped size.
    pub unzipped: u64,
    /// Where the files are now: the final directory, or the temporary one until committed.
    pub dir: PathBuf,
    /// The temporary directory, until committed (removed on drop otherwise).
    temp: Option<PathBuf>,
    /// The zip, for the blobs of a shared store (kept by whoever has it at hand).
    pub zip: Option<Vec<u8>>,
}

impl TaskPackage {
    /// Unpack an upload's zip, unless the same zip is already unpacked; `None` for a bare
    /// `.wasm`, which has no `/var/task` files. Blocking.
    pub(crate) fn prepare(
        state_dir: &Path,
        package: &[u8],
    ) -> Result<Option<TaskPackage>, ApiError> {
        if !package.starts_with(b"PK") {
            return Ok(None);
        }
        let sha256 = hex::encode(Sha256::digest(package));
        let unzipped = package::declared_size(package).unwrap_or(package.len() as u64);
        let dir = task_dir(state_dir, &sha256);
        if dir.is_dir() {
            return Ok(Some(TaskPackage {
                sha256,
                unzipped,
                dir,
                temp: None,
                zip: None,
            }));
        }
        let temp = state_dir
            .join("tasks")
            .join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        if let Err(err) = package::extract(package, &temp) {
            discard(&temp);
            return Err(match err {
                PackageError::Write(e) => ApiError::internal("unpacking the package", e),
                other => ApiError::InvalidParameter(other.to_string()),
            });
        }
        Ok(Some(TaskPackage {
            sha256,
            unzipped,
            dir: temp.clone(),
            temp: Some(temp),
            zip: None,
        }))
    }

    /// Move the files to `<state>/tasks/<sha256>/` (the loaded function keeps its open
    /// directory across the rename). Blocking.
    pub(crate) fn commit(&mut self, state_dir: &Path) {
        let Some(temp) = self.temp.take() else {
            return;
        };
        let dir = task_dir(state_dir, &self.sha256);
        if let Err(err) = std::fs::rename(&temp, &dir) {
            // Another upload of the same zip got there first; this function keeps reading its
            // own copy, which stays until the next start.
            tracing::warn!(dir = %dir.display(), %err, "cannot place an unpacked package");
        }
    }
}

impl Drop for TaskPackage {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            discard(temp);
        }
    }
}

/// Remove a temporary directory, and its parent if that is left empty: a refused upload
/// leaves the state directory as it was.
fn discard(temp: &Path) {
    let _ = std::fs::remove_dir_all(temp);
    if let Some(parent) = temp.parent() {
        // Fails, as it should, when the parent holds anything else.
        let _ = std::fs::remove_dir(parent);
    }
}

/// Remove what no stored function version uses: `/var/task` directories of old uploads and
/// files of deleted layer versions. (`/opt` merges are kept: manifest functions use them too.)
/// Blocking; the caller holds the write lock.
pub(crate) fn collect(state_dir: &Path, store: &Store) -> Result<(), ApiError> {
    let mut tasks = BTreeSet::new();
    let mut used_layers = BTreeSet::new();
    for latest in store.functions().map_err(store_err("listing functions"))? {
        for version in store
            .versions(&latest.name)
            .map_err(store_err("listing versions"))?
        {
            tasks.extend(version.task_sha256.clone());
            // The source of an update being packaged, or of a function being created.
            tasks.extend(version.source_sha256.clone());
            for layer in &version.layers {
                if let Some(parsed) = parse_version_arn(&layer.arn) {
                    used_layers.insert((parsed.name, parsed.version));
                }
            }
        }
    }
    for layer in store
        .all_layer_versions()
        .map_err(store_err("listing layers"))?
    {
        used_layers.insert((layer.name, layer.version));
    }
    let remove = |path: &Path| {
        if let Err(err) = std::fs::remove_dir_all(path) {
            tracing::warn!(path = %path.display(), %err, "cannot remove unused files");
        }
    };
    for entry in read_dir(&state_dir.join("tasks")) {
        let name = entry.file_name().to_string_lossy().into_owned();
        // `.…tmp`: an upload being compiled now.
        if !name.starts_with('.') && !tasks.contains(&name) {
            remove(&entry.path());
        }
    }
    for layer in read_dir(&state_dir.join("layers")) {
        let name = layer.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        for version in read_dir(&layer.path()) {
            let number = version.file_name().to_string_lossy().parse::<u64>().ok();
            if number.is_none_or(|n| !used_layers.contains(&(name.clone(), n))) {
                remove(&version.path());
            }
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Vec<std::fs::DirEntry> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_layer_operations() {
        assert_eq!(route(&Method::GET, ""), Some(LayerOp::List));
        assert_eq!(
            route(&Method::POST, "/libs/versions"),
            Some(LayerOp::Publish("libs".into()))
        );
        assert_eq!(
            route(&Method::DELETE, "/libs/versions/3"),
            Some(LayerOp::Delete("libs".into(), "3".into()))
        );
        assert_eq!(route(&Method::PUT, "/libs/versions"), None);
    }

    #[test]
    fn arns_and_numbers() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:layer:libs:2";
        let parsed = parse_version_arn(arn).unwrap();
        assert_eq!((parsed.name.as_str(), parsed.version), ("libs", 2));
        for bad in [
            "arn:aws:lambda:us-east-1:000000000000:layer:libs",
            "arn:aws:lambda:us-east-1:0:layer:libs:1",
            "libs:1",
            "arn:aws:lambda:us-east-1:000000000000:layer:a/b:1",
        ] {
            assert_eq!(parse_version_arn(bad), None, "{bad}");
        }
        assert_eq!(version_number("1").unwrap(), 1);
        assert_eq!(
            version_number("0").unwrap_err().to_string(),
            "Layer Version Cannot be less than 1"
        );
        assert_eq!(
            version_number("x").unwrap_err().code(),
            "ValidationException"
        );
        assert_eq!(
            layer_name("arn:aws:lambda:us-east-1:000000000000:layer:libs").unwrap(),
            "libs"
        );
        assert!(layer_name("a b").is_err());
    }

    #[test]
    fn the_total_size_limit_counts_function_and_layers() {
        let layer = |size| FunctionLayer {
            arn: "a".into(),
            code_size: 1,
            unzipped_size: size,
        };
        check_total_size(100, &[layer(MAX_UNZIPPED_BYTES - 100)]).unwrap();
        let err = check_total_size(100, &[layer(MAX_UNZIPPED_BYTES - 99)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. The actual size is 262144001 bytes."
        );
    }
}
