//! The function registry behind the Lambda API: `$LATEST` plus published, immutable numbered
//! versions of each function.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rusqlite::{Connection, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::layers::FunctionLayer;
use crate::store::{Sqlite, get_u64, sql_u64};

pub(crate) mod columns;

use columns::{Columns, ColumnsExt, Value, json_text, upsert_sql};

/// The version name of the unpublished, mutable version.
pub const LATEST: &str = "$LATEST";

/// One version of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// The function name.
    pub name: String,
    /// `$LATEST` or a published version number (`1`, `2`, ...).
    pub version: String,
    /// SHA-256 of the code, hex.
    pub code_sha256: String,
    /// Size of the code in bytes.
    pub code_size: u64,
    /// The handler, for runtimes that name one.
    pub handler: Option<String>,
    /// The runtime.
    pub runtime: Option<String>,
    /// The description.
    pub description: String,
    /// Memory limit.
    pub memory_mb: u32,
    /// Timeout in seconds.
    pub timeout_s: u32,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Fuel budget per invocation.
    pub fuel: Option<u64>,
    /// Changes on every update (optimistic concurrency).
    pub revision_id: String,
    /// Last change, unix ms.
    pub last_modified_ms: u64,
    /// Size of its `/tmp` in MB (`EphemeralStorage.Size`).
    #[serde(default = "default_ephemeral_mb")]
    pub ephemeral_storage_mb: u32,
    /// The layer versions it uses, in `/opt` order (later ones override earlier files).
    #[serde(default)]
    pub layers: Vec<FunctionLayer>,
    /// SHA-256 (hex) of the zip its `/var/task` files were unpacked from; `None` for a bare
    /// `.wasm` upload.
    #[serde(default)]
    pub task_sha256: Option<String>,
    /// Lambda's `State`: Pending until its code is packaged and compiled, then Active, or
    /// Failed.
    #[serde(default)]
    pub state: FunctionState,
    /// Why it is Pending or Failed (`StateReasonCode`, `StateReason`).
    #[serde(default)]
    pub state_reason: Option<Reason>,
    /// Lambda's `LastUpdateStatus`.
    #[serde(default)]
    pub last_update: UpdateStatus,
    /// Why the last update is in progress or failed (`LastUpdateStatusReasonCode`,
    /// `LastUpdateStatusReason`).
    #[serde(default)]
    pub last_update_reason: Option<Reason>,
    /// SHA-256 (hex) of the source zip a `python3.x` / `nodejsN.x` function is packaged from
    /// (unpacked at `<state>/tasks/<sha256>/`): the code of an update in progress, else the
    /// code that runs. `None` for prebuilt wasm.
    #[serde(default)]
    pub source_sha256: Option<String>,
}

/// Lambda's `State` of a function version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FunctionState {
    /// Being packaged and compiled; it cannot be invoked or changed yet.
    Pending,
    /// Ready.
    #[default]
    Active,
    /// Packaging or compiling failed; see its reason.
    Failed,
}

/// Lambda's `LastUpdateStatus`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UpdateStatus {
    /// The last update took effect.
    #[default]
    Successful,
    /// An update is being packaged and compiled; the previous code keeps running.
    InProgress,
    /// The last update failed; the previous code keeps running.
    Failed,
}

/// A reason code and text, as Lambda's `StateReasonCode` / `StateReason` pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// E.g. `Creating`, `InvalidConfiguration`, `InternalError`.
    pub code: String,
    /// The sentence.
    pub message: String,
}

impl Reason {
    /// A reason of `code` with `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl FunctionState {
    /// The name Lambda uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Failed => "Failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Active, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

impl UpdateStatus {
    /// The name Lambda uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Successful => "Successful",
            Self::InProgress => "InProgress",
            Self::Failed => "Failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Successful, Self::InProgress, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

fn default_ephemeral_mb() -> u32 {
    fnhost_core::limits::DEFAULT_EPHEMERAL_MB
}

impl FunctionRecord {
    /// True when both run the same code with the same configuration (what decides whether
    /// publishing `$LATEST` makes a new version); name, version, revision and time are ignored.
    pub fn same_code_and_config(&self, other: &FunctionRecord) -> bool {
        self.code_sha256 == other.code_sha256
            && self.code_size == other.code_size
            && self.handler == other.handler
            && self.runtime == other.runtime
            && self.description == other.description
            && self.memory_mb == other.memory_mb
            && self.timeout_s == other.timeout_s
            && self.env == other.env
            && self.fuel == other.fuel
            && self.ephemeral_storage_mb == other.ephemeral_storage_mb
            && self.layers == other.layers
            && self.task_sha256 == other.task_sha256
            && self.source_sha256 == other.source_sha256
    }
}

/// The number of a published version, or `None` for `$LATEST`.
pub(crate) fn version_number(version: &str) -> Result<Option<u64>, StoreError> {
    if version == LATEST {
        return Ok(None);
    }
    let invalid = || StoreError::InvalidVersion {
        version: version.to_owned(),
    };
    if version.starts_with('0') || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match version.parse::<u64>() {
        Ok(n) if n > 0 && i64::try_from(n).is_ok() => Ok(Some(n)),
        _ => Err(invalid()),
    }
}

/// The columns of the `functions` table, in the order of [`function_from_row`].
pub(crate) const COLUMNS: &str = "name, version, code_sha256, code_size, handler, runtime, description, \
     memory_mb, timeout_s, env, fuel, revision_id, last_modified_ms, ephemeral_storage_mb, layers, task_sha256, \
     state, state_reason_code, state_reason, last_update_status, last_update_reason_code, \
     last_update_reason, source_sha256";

/// Sorts `$LATEST` first, then published versions numerically (both backends).
pub(crate) const VERSION_ORDER: &str =
    "CASE version WHEN '$LATEST' THEN -1 ELSE CAST(version AS BIGINT) END";

/// The key of the `functions` table.
const KEY: [&str; 2] = ["name", "version"];

/// A `functions` row (the columns of [`COLUMNS`], in order) as a record.
pub(crate) fn function_from_row<R: Columns>(row: &R) -> Result<FunctionRecord, R::Error> {
    Ok(FunctionRecord {
        name: row.text(0)?,
        version: row.text(1)?,
        code_sha256: row.text(2)?,
        code_size: row.uint(3)?,
        handler: row.opt_text(4)?,
        runtime: row.opt_text(5)?,
        description: row.text(6)?,
        memory_mb: row.u32(7)?,
        timeout_s: row.u32(8)?,
        env: row.json(9)?,
        fuel: row.opt_uint(10)?,
        revision_id: row.text(11)?,
        last_modified_ms: row.uint(12)?,
        ephemeral_storage_mb: row.u32(13)?,
        layers: row.json(14)?,
        task_sha256: row.opt_text(15)?,
        state: {
            let text = row.text(16)?;
            FunctionState::parse(&text).ok_or_else(|| unknown_state(row, 16, &text))?
        },
        state_reason: reason(row.opt_text(17)?, row.opt_text(18)?),
        last_update: {
            let text = row.text(19)?;
            UpdateStatus::parse(&text).ok_or_else(|| unknown_state(row, 19, &text))?
        },
        last_update_reason: reason(row.opt_text(20)?, row.opt_text(21)?),
        source_sha256: row.opt_text(22)?,
    })
}

fn unknown_state<R: Columns>(row: &R, idx: usize, text: &str) -> R::Error {
    row.invalid(idx, format!("unknown state `{text}`"))
}

/// A reason from its two columns; a message without a code is no reason.
fn reason(code: Option<String>, message: Option<String>) -> Option<Reason> {
    code.map(|code| Reason {
        code,
        message: message.unwrap_or_default(),
    })
}

/// A record as the values of a `functions` row (the columns of [`COLUMNS`], in order).
pub(crate) fn function_values(f: &FunctionRecord) -> Result<[Value<'_>; 23], String> {
    let state_reason = f.state_reason.as_ref();
    let update_reason = f.last_update_reason.as_ref();
    Ok([
        Value::text(&f.name),
        Value::text(&f.version),
        Value::text(&f.code_sha256),
        Value::u64(f.code_size),
        Value::opt_text(f.handler.as_deref()),
        Value::opt_text(f.runtime.as_deref()),
        Value::text(&f.description),
        Value::u64(f.memory_mb.into()),
        Value::u64(f.timeout_s.into()),
        Value::owned(json_text(&f.env)?),
        Value::opt_u64(f.fuel),
        Value::text(&f.revision_id),
        Value::u64(f.last_modified_ms),
        Value::u64(f.ephemeral_storage_mb.into()),
        Value::owned(json_text(&f.layers)?),
        Value::opt_text(f.task_sha256.as_deref()),
        Value::text(f.state.as_str()),
        Value::opt_text(state_reason.map(|r| r.code.as_str())),
        Value::opt_text(state_reason.map(|r| r.message.as_str())),
        Value::text(f.last_update.as_str()),
        Value::opt_text(update_reason.map(|r| r.code.as_str())),
        Value::opt_text(update_reason.map(|r| r.message.as_str())),
        Value::opt_text(f.source_sha256.as_deref()),
    ])
}

/// The insert-or-replace of one `functions` row, with placeholders `sigil` (`?` or `$`).
pub(crate) fn upsert_function_sql(sigil: char) -> String {
    upsert_sql("functions", COLUMNS, &KEY, sigil)
}

/// What publishing `$LATEST` gives when the newest published version already has its code and
/// configuration: that version, and nothing is published (Lambda's rule).
pub(crate) fn unchanged(
    newest: Option<FunctionRecord>,
    latest: &FunctionRecord,
) -> Option<FunctionRecord> {
    newest.filter(|newest| newest.same_code_and_config(latest))
}

/// `$LATEST` published as version `number` at `now_ms`.
pub(crate) fn published(latest: FunctionRecord, number: u64, now_ms: u64) -> FunctionRecord {
    FunctionRecord {
        version: number.to_string(),
        last_modified_ms: now_ms,
        ..latest
    }
}

/// The SQLite upsert of one function version.
static UPSERT: LazyLock<String> = LazyLock::new(|| upsert_function_sql('?'));

fn upsert(conn: &Connection, f: &FunctionRecord) -> rusqlite::Result<()> {
    let values =
        function_values(f).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    conn.prepare_cached(&UPSERT)?
        .execute(params_from_iter(values.iter()))?;
    Ok(())
}

/// Raises the function's last published number to at least `n`.
fn note_published(conn: &Connection, name: &str, n: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO function_versions (name, last_published) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET \
         last_published = MAX(last_published, excluded.last_published)",
    )?
    .execute(params![name, sql_u64(n)])?;
    Ok(())
}

fn get_function(
    conn: &Connection,
    name: &str,
    version: &str,
) -> rusqlite::Result<Option<FunctionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM functions WHERE name = ?1 AND version = ?2"
    ))?
    .query_map([name, version], |row| function_from_row(row))?
    .next()
    .transpose()
}

/// The function registry: uploaded functions and their published versions.
pub trait FunctionStore {
    /// Inserts or replaces one version of a function. The version must be `$LATEST` or a
    /// positive number; storing a number counts as publishing it (it will not be reused).
    fn put_function(&self, f: &FunctionRecord) -> Result<(), StoreError>;

    /// One version of a function.
    fn function(&self, name: &str, version: &str) -> Result<Option<FunctionRecord>, StoreError>;

    /// The `$LATEST` version of every function, by name.
    fn functions(&self) -> Result<Vec<FunctionRecord>, StoreError>;

    /// Every version of a function: `$LATEST` first, then 1, 2, ... numerically.
    fn versions(&self, name: &str) -> Result<Vec<FunctionRecord>, StoreError>;

    /// Publishes `$LATEST` as the next version number (numbers are never reused, even after a
    /// version is deleted), stamped `now_ms`. As in Lambda, when the newest published version
    /// already has `$LATEST`'s code and configuration it is returned and nothing is published.
    /// `None` when the function has no `$LATEST`.
    fn publish_version(
        &self,
        name: &str,
        now_ms: u64,
    ) -> Result<Option<FunctionRecord>, StoreError>;

    /// Deletes one version (`Some`) or the whole function with its version counter (`None`);
    /// returns whether anything was deleted.
    fn delete_function(&self, name: &str, version: Option<&str>) -> Result<bool, StoreError>;

    /// The bytes of code the quota counts, by [`code_storage`]'s rule.
    fn code_bytes_total(&self) -> Result<u64, StoreError>;
}

impl FunctionStore for Sqlite {
    fn put_function(&self, f: &FunctionRecord) -> Result<(), StoreError> {
        let number = version_number(&f.version)?;
        self.write("storing a function", |tx| {
            upsert(tx, f)?;
            if let Some(n) = number {
                note_published(tx, &f.name, n)?;
            }
            Ok(())
        })
    }

    fn function(&self, name: &str, version: &str) -> Result<Option<FunctionRecord>, StoreError> {
        self.read("reading a function", |conn| {
            get_function(conn, name, version)
        })
    }

    fn functions(&self) -> Result<Vec<FunctionRecord>, StoreError> {
        self.read("listing functions", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM functions WHERE version = '$LATEST' ORDER BY name"
            ))?
            .query_map([], |row| function_from_row(row))?
            .collect()
        })
    }

    fn versions(&self, name: &str) -> Result<Vec<FunctionRecord>, StoreError> {
        self.read("listing function versions", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM functions WHERE name = ?1 ORDER BY {VERSION_ORDER}"
            ))?
            .query_map([name], |row| function_from_row(row))?
            .collect()
        })
    }

    fn publish_version(
        &self,
        name: &str,
        now_ms: u64,
    ) -> Result<Option<FunctionRecord>, StoreError> {
        self.write("publishing a function version", |tx| {
            let Some(latest) = get_function(tx, name, LATEST)? else {
                return Ok(None);
            };
            let newest = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM functions WHERE name = ?1 AND version != '$LATEST' \
                     ORDER BY CAST(version AS BIGINT) DESC LIMIT 1"
                ))?
                .query_map([name], |row| function_from_row(row))?
                .next()
                .transpose()?;
            if let Some(newest) = unchanged(newest, &latest) {
                return Ok(Some(newest));
            }
            let last: Option<u64> = tx
                .prepare_cached("SELECT last_published FROM function_versions WHERE name = ?1")?
                .query_map([name], |row| get_u64(row, 0))?
                .next()
                .transpose()?;
            // `last` came from an i64, so adding one cannot overflow a u64.
            let number = last.unwrap_or(0) + 1;
            let published = published(latest, number, now_ms);
            upsert(tx, &published)?;
            note_published(tx, name, number)?;
            Ok(Some(published))
        })
    }

    fn delete_function(&self, name: &str, version: Option<&str>) -> Result<bool, StoreError> {
        self.write("deleting a function", |tx| {
            let deleted = match version {
                Some(version) => tx
                    .prepare_cached("DELETE FROM functions WHERE name = ?1 AND version = ?2")?
                    .execute([name, version])?,
                None => {
                    tx.prepare_cached("DELETE FROM function_versions WHERE name = ?1")?
                        .execute([name])?;
                    tx.prepare_cached("DELETE FROM functions WHERE name = ?1")?
                        .execute([name])?
                }
            };
            Ok(deleted > 0)
        })
    }

    fn code_bytes_total(&self) -> Result<u64, StoreError> {
        let rows: Vec<(String, String, u64)> = self.read("summing code size", |conn| {
            conn.prepare_cached("SELECT version, code_sha256, code_size FROM functions")?
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, get_u64(row, 2)?)))?
                .collect()
        })?;
        Ok(code_storage(rows.iter().map(|(version, sha, size)| {
            (version.as_str(), sha.as_str(), *size)
        })))
    }
}

/// The code storage quota's count over `(version, code_sha256, code_size)` of every stored
/// version: each published version counts its code, as in Lambda (versions are immutable and
/// each is kept until deleted), and `$LATEST`s count each distinct code once (identical
/// uploads are stored once). The one rule for the quota check and `GetAccountSettings`.
pub fn code_storage<'a>(versions: impl IntoIterator<Item = (&'a str, &'a str, u64)>) -> u64 {
    let mut latest = BTreeMap::new();
    let mut published = 0u64;
    for (version, sha256, size) in versions {
        if version == LATEST {
            let entry = latest.entry(sha256).or_insert(0);
            *entry = size.max(*entry);
        } else {
            published = published.saturating_add(size);
        }
    }
    latest
        .values()
        .fold(published, |total, size| total.saturating_add(*size))
}
