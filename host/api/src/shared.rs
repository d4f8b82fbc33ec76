//! The content of uploaded functions shared through the store, for a cluster of nodes on one
//! PostgreSQL database ([`fnhost_store::StoreInfo::shared_blobs`]).
//!
//! What a node keeps on its disk by SHA-256 — code (`<state>/code/<sha256>.wasm`: uploaded
//! `.wasm`, packaged components, the generic runtimes functions run on), the zips unpacked as
//! `/var/task` (`<state>/tasks/<sha256>/`: uploads, and the source of `python3.x` /
//! `nodejsN.x` functions) and the zips of layer versions (`<state>/layers/NAME/N/`) — is also
//! put into the store's blobs, before the record that refers to it is written, so that when
//! another node reads the record the content is there. A node that lacks a file when it
//! deploys a version (it did not receive the upload, or it started with an empty state
//! directory) fetches the blob, checks its SHA-256 and writes the file, or unpacks the zip,
//! where the single-node code expects it. Compiled artifacts are not shared: each node
//! compiles for its own CPU into its own cache.
//!
//! With the SQLite store there are no shared blobs and every function here does nothing.

use std::collections::BTreeSet;
use std::path::Path;

use fnhost_store::{FunctionRecord, Store};
use sha2::{Digest as _, Sha256};

use crate::code::CodeStore;
use crate::error::ApiError;

/// How long an unused blob stays: a node may have put a blob for a change it is about to
/// commit; collecting it meanwhile would leave the record without its content.
pub(crate) const BLOB_GRACE_MS: u64 = 15 * 60 * 1000;

/// Put `bytes` (whose SHA-256 is `sha256`) into the shared blobs, if the store has them.
/// Blocking.
pub(crate) fn share(store: &Store, sha256: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let Some(blobs) = store.shared_blobs() else {
        return Ok(());
    };
    blobs
        .put_blob(sha256, bytes)
        .map(drop)
        .map_err(|e| ApiError::internal("sharing content with the other nodes", e))
}

/// The shared blob `sha256`, checked against its name; `None` when the store shares no blobs.
/// Blocking.
fn fetch(store: &Store, sha256: &str, what: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(blobs) = store.shared_blobs() else {
        return Ok(None);
    };
    let bytes = blobs
        .blob(sha256)
        .map_err(|e| ApiError::internal("reading content the other nodes share", e))?
        .ok_or_else(|| {
            ApiError::internal(
                "reading content the other nodes share",
                format!("the {what} {sha256} is in no node's shared blobs"),
            )
        })?;
    let found = hex::encode(Sha256::digest(&bytes));
    if found != sha256 {
        return Err(ApiError::internal(
            "reading content the other nodes share",
            format!("the {what} {sha256} has the SHA-256 {found}: the blob is corrupt"),
        ));
    }
    tracing::debug!(
        sha256,
        bytes = bytes.len(),
        "fetched {what} from the shared blobs"
    );
    Ok(Some(bytes))
}

/// Make sure the code file of `sha256` is on this node's disk. Blocking.
pub(crate) fn ensure_code(store: &Store, code: &CodeStore, sha256: &str) -> Result<(), ApiError> {
    if sha256.is_empty() || code.path(sha256).is_file() {
        return Ok(());
    }
    if let Some(bytes) = fetch(store, sha256, "code")? {
        code.write(sha256, &bytes)
            .map_err(|e| ApiError::internal("writing the code", e))?;
    }
    Ok(())
}

/// Make sure the zip `sha256` is unpacked at `<state>/tasks/<sha256>/`. Blocking.
pub(crate) fn ensure_task(store: &Store, state_dir: &Path, sha256: &str) -> Result<(), ApiError> {
    if crate::layers::task_dir(state_dir, sha256).is_dir() {
        return Ok(());
    }
    if let Some(zip) = fetch(store, sha256, "package")?
        && let Some(mut task) = crate::layers::TaskPackage::prepare(state_dir, &zip)?
    {
        task.commit(state_dir);
    }
    Ok(())
}

/// Make sure every layer version `record` uses is unpacked under `<state>/layers/`. Blocking.
fn ensure_layers(store: &Store, state_dir: &Path, record: &FunctionRecord) -> Result<(), ApiError> {
    if store.shared_blobs().is_none() {
        return Ok(());
    }
    for layer in &record.layers {
        let Some((name, version)) = crate::layers::name_and_version(&layer.arn) else {
            continue;
        };
        let dir = crate::layers::layer_dir(state_dir, &name, version);
        if dir.is_dir() {
            continue;
        }
        let stored = store
            .layer_version(&name, version)
            .map_err(|e| ApiError::internal("reading a layer version", e))?;
        let Some(stored) = stored else {
            continue; // deleted: the function keeps running without it, as on one node
        };
        let Some(zip) = fetch(store, &stored.code_sha256, "layer")? else {
            continue;
        };
        crate::layers::place_layer(state_dir, &name, version, &zip)?;
    }
    Ok(())
}

/// Make sure everything `record` runs from is on this node's disk: its code, its `/var/task`,
/// the source being packaged and its layers. Blocking.
pub(crate) fn ensure_record(
    store: &Store,
    code: &CodeStore,
    state_dir: &Path,
    record: &FunctionRecord,
) -> Result<(), ApiError> {
    if store.shared_blobs().is_none() {
        return Ok(());
    }
    ensure_code(store, code, &record.code_sha256)?;
    for sha256 in [&record.task_sha256, &record.source_sha256]
        .into_iter()
        .flatten()
    {
        ensure_task(store, state_dir, sha256)?;
    }
    ensure_layers(store, state_dir, record)
}

/// Delete the shared blobs that no stored function version or layer version uses and that
/// are older than [`BLOB_GRACE_MS`]; `code` holds the code hashes to keep besides (the
/// generic runtimes). Blocking; best effort (a failure leaves blobs behind).
pub(crate) fn collect_blobs(store: &Store, code: &BTreeSet<String>, now_ms: u64) {
    let Some(blobs) = store.shared_blobs() else {
        return;
    };
    let keep = (|| {
        let mut keep = code.clone();
        for latest in store.functions()? {
            for version in store.versions(&latest.name)? {
                keep.insert(version.code_sha256.clone());
                keep.extend(version.task_sha256.clone());
                keep.extend(version.source_sha256.clone());
            }
        }
        for layer in store.all_layer_versions()? {
            keep.insert(layer.code_sha256);
        }
        Ok::<_, fnhost_store::StoreError>(keep)
    })();
    let removed =
        keep.and_then(|keep| blobs.retain_blobs(&keep, now_ms.saturating_sub(BLOB_GRACE_MS)));
    match removed {
        Ok(0) => {}
        Ok(n) => tracing::info!(blobs = n, "removed unused shared blobs"),
        Err(err) => tracing::warn!(%err, "cannot remove unused shared blobs"),
    }
}
