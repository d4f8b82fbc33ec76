//! Function configurations: what the control-plane requests carry (validated against fnhost's
//! limits, which are Lambda's) and the `FunctionConfiguration` JSON the API answers with.

use std::collections::BTreeMap;

use base64::Engine as _;
use fnhost_core::env::{EnvKeyProblem, check_env_key, is_reserved_env};
use fnhost_core::limits::{DEFAULT_EPHEMERAL_MB, MAX_EPHEMERAL_MB, MIN_EPHEMERAL_MB};
use fnhost_core::limits::{
    DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, ENV_MAX_BYTES, MAX_MEMORY_MB, MAX_TIMEOUT_S,
    MIN_MEMORY_MB, MIN_TIMEOUT_S,
};
use fnhost_dispatch::{Deployed, Origin};
use fnhost_store::{FunctionRecord, LATEST};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::name::arn;

/// The role reported for every function (fnhost has no IAM; the `Role` sent is accepted and
/// not kept).
pub const ROLE: &str = "arn:aws:iam::000000000000:role/fnhost";

/// `Environment` in a request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    /// The variables; replaces the whole map.
    #[serde(default)]
    pub variables: Option<BTreeMap<String, String>>,
}

/// The configuration fields CreateFunction and UpdateFunctionConfiguration share.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigInput {
    /// `Description`.
    pub description: Option<String>,
    /// `Handler`, recorded.
    pub handler: Option<String>,
    /// `Runtime`, recorded.
    pub runtime: Option<String>,
    /// `MemorySize` in MB.
    pub memory_size: Option<i64>,
    /// `Timeout` in seconds.
    pub timeout: Option<i64>,
    /// `Environment`.
    pub environment: Option<EnvironmentInput>,
    /// `RevisionId`: the update applies only to this revision.
    pub revision_id: Option<String>,
    /// `Layers`: layer version ARNs, in `/opt` order; replaces the whole list. Resolved
    /// against the store by the operation, not by [`apply`].
    pub layers: Option<Vec<String>>,
    /// `EphemeralStorage`: the size of `/tmp`.
    pub ephemeral_storage: Option<EphemeralStorageInput>,
}

/// `EphemeralStorage` in a request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralStorageInput {
    /// `Size` in MB, 512–10240.
    pub size: Option<i64>,
}

/// `Code` in CreateFunction.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    /// Base64 of the zip (or of the raw `.wasm`).
    pub zip_file: Option<String>,
    /// Not supported: code from S3.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    /// Not supported: container images.
    pub image_uri: Option<String>,
}

/// CreateFunction's body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInput {
    /// The name (or ARN).
    pub function_name: String,
    /// The package.
    pub code: CodeInput,
    /// Publish version 1 at once.
    #[serde(default)]
    pub publish: bool,
    /// `Tags`, on the function; `fnhost:*` ones are grants (see `crate::grants`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Everything else.
    #[serde(flatten)]
    pub config: ConfigInput,
}

/// UpdateFunctionCode's body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateCodeInput {
    /// Base64 of the zip (or of the raw `.wasm`).
    pub zip_file: Option<String>,
    /// Not supported: code from S3.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    /// Not supported: container images.
    pub image_uri: Option<String>,
    /// Publish a version after the update.
    #[serde(default)]
    pub publish: bool,
    /// Validate only.
    #[serde(default)]
    pub dry_run: bool,
    /// Apply only to this revision.
    pub revision_id: Option<String>,
}

/// PublishVersion's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishInput {
    /// Publish only this revision.
    pub revision_id: Option<String>,
}

/// Parse a JSON body, mapping any failure to Lambda's `InvalidRequestContentException`.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::InvalidContent(format!("Could not parse request body into json: {e}"))
    })
}

/// The package bytes of `Code.ZipFile`; S3 and image code are refused with a hint.
pub fn zip_file(
    zip_file: Option<&str>,
    s3_bucket: Option<&str>,
    image_uri: Option<&str>,
) -> Result<Vec<u8>, ApiError> {
    if s3_bucket.is_some() || image_uri.is_some() {
        return Err(ApiError::InvalidParameter(
            "fnhost takes code only as ZipFile (a zip holding one .wasm, or the .wasm itself); S3 and image code are not supported".into(),
        ));
    }
    let Some(encoded) = zip_file else {
        return Err(ApiError::InvalidParameter(
            "Please provide a source for function code: ZipFile (a zip holding one .wasm, or the .wasm itself)".into(),
        ));
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| ApiError::InvalidParameter(format!("ZipFile is not valid base64: {e}")))
}

/// A new `$LATEST` record with Lambda's defaults, before code and input are applied.
pub fn new_record(name: &str) -> FunctionRecord {
    FunctionRecord {
        name: name.to_owned(),
        version: LATEST.to_owned(),
        code_sha256: String::new(),
        code_size: 0,
        handler: None,
        runtime: None,
        description: String::new(),
        memory_mb: DEFAULT_MEMORY_MB,
        timeout_s: DEFAULT_TIMEOUT_S,
        env: BTreeMap::new(),
        fuel: None,
        revision_id: String::new(),
        last_modified_ms: 0,
        ephemeral_storage_mb: DEFAULT_EPHEMERAL_MB,
        layers: Vec::new(),
        task_sha256: None,
        state: Default::default(),
        state_reason: None,
        last_update: Default::default(),
        last_update_reason: None,
        source_sha256: None,
    }
}

/// Apply `input` to `record`, validating every field against fnhost's limits.
pub fn apply(record: &mut FunctionRecord, input: ConfigInput) -> Result<(), ApiError> {
    if let Some(description) = input.description {
        if description.chars().count() > 256 {
            return Err(constraint(
                &description,
                "description",
                "Member must have length less than or equal to 256",
            ));
        }
        record.description = description;
    }
    if let Some(handler) = input.handler {
        if handler.len() > 128 || handler.chars().any(char::is_whitespace) {
            return Err(constraint(
                &handler,
                "handler",
                "Member must satisfy regular expression pattern: [^\\s]+ and have length less than or equal to 128",
            ));
        }
        record.handler = Some(handler);
    }
    if let Some(runtime) = input.runtime {
        let parsed = crate::provision::check_runtime(Some(&runtime))?;
        record.runtime = parsed.map(|r| r.to_string());
    }
    if let Some(memory) = input.memory_size {
        record.memory_mb = within("MemorySize", memory, MIN_MEMORY_MB, MAX_MEMORY_MB, "MB")?;
    }
    if let Some(timeout) = input.timeout {
        record.timeout_s = within("Timeout", timeout, MIN_TIMEOUT_S, MAX_TIMEOUT_S, "seconds")?;
    }
    if let Some(storage) = input.ephemeral_storage {
        record.ephemeral_storage_mb = ephemeral_size(storage.size)?;
    }
    if let Some(environment) = input.environment {
        let vars = environment.variables.unwrap_or_default();
        check_env(&vars)?;
        record.env = vars;
    }
    Ok(())
}

/// `EphemeralStorage.Size`: required when the structure is sent, 512–10240 MB (Lambda's model
/// constraints, so a ValidationException).
fn ephemeral_size(size: Option<i64>) -> Result<u32, ApiError> {
    let Some(size) = size else {
        return Err(ApiError::Validation(
            "1 validation error detected: Value null at 'ephemeralStorage.size' failed to satisfy constraint: Member must not be null".into(),
        ));
    };
    let rule = if size < i64::from(MIN_EPHEMERAL_MB) {
        format!("Member must have value greater than or equal to {MIN_EPHEMERAL_MB}")
    } else if size > i64::from(MAX_EPHEMERAL_MB) {
        format!("Member must have value less than or equal to {MAX_EPHEMERAL_MB}")
    } else {
        return Ok(u32::try_from(size).unwrap_or(DEFAULT_EPHEMERAL_MB));
    };
    Err(constraint(
        &size.to_string(),
        "ephemeralStorage.size",
        &rule,
    ))
}

fn constraint(value: &str, field: &str, rule: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

fn within(field: &str, value: i64, min: u32, max: u32, unit: &str) -> Result<u32, ApiError> {
    match u32::try_from(value) {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(ApiError::InvalidParameter(format!(
            "{field} {value} is outside fnhost's limits: it must be from {min} to {max} {unit}"
        ))),
    }
}

/// Lambda's rules: names `[a-zA-Z]([a-zA-Z0-9_])+`, no reserved names, 4 KB of JSON in all.
fn check_env(vars: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let reserved: Vec<&str> = vars
        .keys()
        .filter(|k| is_reserved_env(k))
        .map(String::as_str)
        .collect();
    if !reserved.is_empty() {
        return Err(ApiError::InvalidParameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
            reserved.join(", ")
        )));
    }
    for key in vars.keys() {
        if check_env_key(key) == Some(EnvKeyProblem::Invalid) {
            return Err(ApiError::Validation(format!(
                "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+] (got `{key}`)"
            )));
        }
    }
    let measured = serde_json::to_string(vars).unwrap_or_default();
    if measured.len() > ENV_MAX_BYTES {
        return Err(ApiError::InvalidParameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(())
}

/// Everything a `FunctionConfiguration` is rendered from, for uploaded and manifest functions
/// alike.
#[derive(Debug, Clone)]
pub struct FunctionView {
    /// The stored record (synthesised for manifest functions).
    pub record: FunctionRecord,
    /// Who deployed it.
    pub origin: Origin,
    /// Reserved concurrency (manifest functions only).
    pub reserved_concurrency: Option<u32>,
}

impl FunctionView {
    /// An uploaded function's version.
    pub fn uploaded(record: FunctionRecord) -> Self {
        Self {
            record,
            origin: Origin::Api,
            reserved_concurrency: None,
        }
    }

    /// A function of `fnhost.toml`, as deployed; `loaded_ms` stands in for LastModified.
    pub fn manifest(name: &str, deployed: &Deployed, loaded_ms: u64) -> Self {
        let spec = deployed.function.spec();
        let sha = &deployed.function.info().sha256;
        let mut record = new_record(name);
        record.code_sha256 = sha.clone();
        record.description = "declared in fnhost.toml".into();
        record.memory_mb = spec.memory_mb;
        record.timeout_s = u32::try_from(spec.timeout.as_secs()).unwrap_or(u32::MAX);
        record.env = spec.env.iter().cloned().collect();
        record.fuel = spec.fuel;
        record.ephemeral_storage_mb = spec.ephemeral_mb;
        record.revision_id = revision_from_sha(sha);
        record.last_modified_ms = loaded_ms;
        Self {
            record,
            origin: Origin::Manifest,
            reserved_concurrency: deployed.reserved_concurrency,
        }
    }

    /// The `FunctionConfiguration` JSON; `full` adds the state fields GetFunction and the
    /// write operations return (ListFunctions leaves them out, as Lambda does).
    pub fn configuration(&self) -> Value {
        self.render(true)
    }

    /// The configuration as ListFunctions shows it.
    pub fn listed(&self) -> Value {
        self.render(false)
    }

    fn render(&self, full: bool) -> Value {
        let r = &self.record;
        let arn_base = arn(&r.name);
        let function_arn = if r.version == LATEST {
            arn_base.clone()
        } else {
            format!("{arn_base}:{}", r.version)
        };
        let mut config = json!({
            "FunctionName": r.name,
            "FunctionArn": function_arn,
            "Role": ROLE,
            "CodeSize": r.code_size,
            "CodeSha256": code_sha256_b64(&r.code_sha256),
            "Description": r.description,
            "Timeout": r.timeout_s,
            "MemorySize": r.memory_mb,
            "LastModified": last_modified(r.last_modified_ms),
            "Version": r.version,
            "RevisionId": r.revision_id,
            "Environment": { "Variables": r.env },
            "TracingConfig": { "Mode": "PassThrough" },
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": { "Size": r.ephemeral_storage_mb },
            "SnapStart": { "ApplyOn": "None", "OptimizationStatus": "Off" },
            "LoggingConfig": { "LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", r.name) },
        });
        if let Some(object) = config.as_object_mut() {
            if let Some(handler) = &r.handler {
                object.insert("Handler".into(), json!(handler));
            }
            if let Some(runtime) = &r.runtime {
                object.insert("Runtime".into(), json!(runtime));
            }
            if !r.layers.is_empty() {
                let layers: Vec<Value> = r
                    .layers
                    .iter()
                    .map(|l| json!({ "Arn": l.arn, "CodeSize": l.code_size }))
                    .collect();
                object.insert("Layers".into(), json!(layers));
            }
            if full {
                for (key, value) in crate::provision::state_fields(r) {
                    object.insert(key.into(), value);
                }
            }
        }
        config
    }
}

/// Lambda's `CodeSha256`: base64 of the digest (fnhost hashes the `.wasm`, not the zip).
pub fn code_sha256_b64(hex_digest: &str) -> String {
    match hex::decode(hex_digest) {
        Ok(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

/// `2020-04-10T19:06:32.563+0000`.
pub fn last_modified(ms: u64) -> String {
    let ms = i64::try_from(ms).unwrap_or(0);
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

/// A UUID-shaped revision id derived from a code hash (stable for manifest functions).
fn revision_from_sha(sha: &str) -> String {
    let mut bytes = [0u8; 16];
    if let Ok(digest) = hex::decode(sha) {
        for (b, d) in bytes.iter_mut().zip(digest) {
            *b = d;
        }
    }
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A fresh revision id.
pub fn new_revision() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> ConfigInput {
        parse_body(json.as_bytes()).unwrap()
    }

    #[test]
    fn limits_are_fnhosts() {
        let mut r = new_record("f");
        apply(
            &mut r,
            input(
                r#"{"MemorySize":256,"Timeout":30,"Environment":{"Variables":{"GREETING":"hi"}}}"#,
            ),
        )
        .unwrap();
        assert_eq!((r.memory_mb, r.timeout_s), (256, 30));
        assert_eq!(r.env["GREETING"], "hi");
        for (body, code) in [
            (r#"{"MemorySize":64}"#, "InvalidParameterValueException"),
            (r#"{"MemorySize":20000}"#, "InvalidParameterValueException"),
            (r#"{"Timeout":901}"#, "InvalidParameterValueException"),
            (r#"{"Timeout":0}"#, "InvalidParameterValueException"),
            (
                r#"{"Environment":{"Variables":{"AWS_REGION":"x"}}}"#,
                "InvalidParameterValueException",
            ),
            (
                r#"{"Environment":{"Variables":{"1BAD":"x"}}}"#,
                "ValidationException",
            ),
            (r#"{"Handler":"a b"}"#, "ValidationException"),
        ] {
            let err = apply(&mut new_record("f"), input(body)).unwrap_err();
            assert_eq!(err.code(), code, "{body}: {err}");
        }
        let big = format!(
            r#"{{"Environment":{{"Variables":{{"BIG":"{}"}}}}}}"#,
            "x".repeat(4100)
        );
        let err = apply(&mut new_record("f"), input(&big)).unwrap_err();
        assert!(err.to_string().contains("exceeded the 4KB limit"), "{err}");
        assert_eq!(
            parse_body::<ConfigInput>(b"{oops").unwrap_err().code(),
            "InvalidRequestContentException"
        );
    }

    /// The manifest applies the same rule (`env_key_of_one_letter_is_invalid` in
    /// fnhost-manifest's tests): both call `fnhost_core::check_env_key`.
    #[test]
    fn env_names_follow_lambdas_rule() {
        for key in ["A", "1A", "_A", "A-B", ""] {
            let body = format!(r#"{{"Environment":{{"Variables":{{"{key}":"x"}}}}}}"#);
            let err = apply(&mut new_record("f"), input(&body)).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{key}: {err}");
        }
        for key in ["AB", "a1", "A_B"] {
            let body = format!(r#"{{"Environment":{{"Variables":{{"{key}":"x"}}}}}}"#);
            apply(&mut new_record("f"), input(&body)).unwrap();
        }
    }

    #[test]
    fn ephemeral_storage_is_checked_and_shown() {
        let mut r = new_record("f");
        assert_eq!(
            FunctionView::uploaded(r.clone()).configuration()["EphemeralStorage"],
            json!({"Size": 512})
        );
        apply(&mut r, input(r#"{"EphemeralStorage":{"Size":10240}}"#)).unwrap();
        assert_eq!(r.ephemeral_storage_mb, 10240);
        assert_eq!(
            FunctionView::uploaded(r.clone()).configuration()["EphemeralStorage"],
            json!({"Size": 10240})
        );
        for (body, text) in [
            (
                r#"{"EphemeralStorage":{"Size":511}}"#,
                "1 validation error detected: Value '511' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512",
            ),
            (
                r#"{"EphemeralStorage":{"Size":10241}}"#,
                "1 validation error detected: Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240",
            ),
        ] {
            let err = apply(&mut r, input(body)).unwrap_err();
            assert_eq!(
                (err.code(), err.to_string().as_str()),
                ("ValidationException", text)
            );
        }
        assert_eq!(r.ephemeral_storage_mb, 10240);
    }

    #[test]
    fn configuration_has_lambdas_formats() {
        let mut r = new_record("thumb");
        r.code_sha256 = "00".repeat(32);
        r.last_modified_ms = 1_586_545_592_563;
        let c = FunctionView::uploaded(r).configuration();
        assert_eq!(c["LastModified"], "2020-04-10T19:06:32.563+0000");
        assert_eq!(c["CodeSha256"].as_str().unwrap().len(), 44);
        assert_eq!(c["State"], "Active");
        assert_eq!(c["LastUpdateStatus"], "Successful");
        assert_eq!(
            c["FunctionArn"],
            "arn:aws:lambda:us-east-1:000000000000:function:thumb"
        );
        assert_eq!(c["Environment"], json!({"Variables": {}}));
    }
}
