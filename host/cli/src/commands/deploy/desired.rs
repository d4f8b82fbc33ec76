//! What a manifest function should look like on the target: its package, its configuration in
//! the Lambda API's shape and its grant tags, and how that differs from what the target has.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use fnhost_api::calls::INVOKE_TAG;
use fnhost_api::grants::{OBJECTS_READ_TAG, OBJECTS_WRITE_TAG, OUTBOUND_TAG};
use fnhost_core::runtimes::Runtime;
use fnhost_manifest::FunctionConfig;
use serde_json::{Value, json};

use super::package::{self, Entry, Package};

/// The tag holding the SHA-256 of the package `fnhost deploy` last sent (its zip's bytes): how
/// a later deploy knows the code is unchanged.
pub const DEPLOY_SHA_TAG: &str = "fnhost:deploy-sha256";

/// The grant tags `fnhost deploy` owns: set from the manifest, removed when it has none.
pub const GRANT_TAGS: [&str; 4] = [
    INVOKE_TAG,
    OBJECTS_READ_TAG,
    OBJECTS_WRITE_TAG,
    OUTBOUND_TAG,
];

/// The runtime the API runs a prebuilt `.wasm` under.
pub const WASM_RUNTIME: &str = "provided.al2023";

/// The role sent on create (fnhost has no IAM; Lambda requires the field).
const ROLE: &str = "arn:aws:iam::000000000000:role/fnhost-deploy";

/// A function as the target should have it.
#[derive(Debug, Clone)]
pub struct Desired {
    /// The function's name.
    pub name: String,
    /// The deployment package.
    pub package: Package,
    /// `Runtime`.
    pub runtime: String,
    /// `Handler`, for source runtimes.
    pub handler: Option<String>,
    /// `CodeSha256` the target reports once deployed, when the client can know it (prebuilt
    /// wasm: the `.wasm`'s digest, base64); source runtimes are packaged by the target.
    pub code_sha256: Option<String>,
    /// `Description`.
    pub description: String,
    /// `MemorySize`, MB.
    pub memory_mb: u32,
    /// `Timeout`, seconds.
    pub timeout_s: u32,
    /// `Environment.Variables`.
    pub env: BTreeMap<String, String>,
    /// `EphemeralStorage.Size`, MB.
    pub ephemeral_mb: u32,
    /// `Layers`: version ARNs, in order (filled in once the layers are published).
    pub layers: Vec<String>,
    /// Grant tags with a value (absent ones are removed from the target).
    pub grants: BTreeMap<String, String>,
}

/// How a function's code is packaged.
enum Code<'a> {
    /// A prebuilt `.wasm` (or `.wat`), plus the `code` files beside it.
    Wasm {
        source: &'a Path,
        code: Option<&'a Path>,
    },
    /// Source the target packages (`python3.x`, `nodejs…`): the `code` directory or zip.
    Source { code: &'a Path, handler: String },
}

fn code_of(config: &FunctionConfig) -> Result<Code<'_>> {
    if config.runtime.language().is_none() {
        return Ok(Code::Wasm {
            source: &config.source,
            code: config.code.as_deref(),
        });
    }
    let code = config.code.as_deref().with_context(|| {
        format!(
            "function `{}` (runtime `{}`) has no `code` to deploy",
            config.name, config.runtime
        )
    })?;
    let handler = config
        .handler
        .clone()
        .or_else(|| config.runtime.default_handler().map(str::to_owned))
        .with_context(|| format!("function `{}` has no `handler`", config.name))?;
    Ok(Code::Source { code, handler })
}

/// The `Runtime` sent for a prebuilt component: Lambda's OS-only runtime fnhost maps to one.
fn wasm_runtime(runtime: &Runtime) -> String {
    match runtime {
        Runtime::Provided(name) => name.clone(),
        _ => WASM_RUNTIME.to_owned(),
    }
}

impl Desired {
    /// The desired state of `config` (built already, when it has a build); blocking.
    pub fn of(config: &FunctionConfig) -> Result<Self> {
        let (package, runtime, handler, code_sha256) = match code_of(config)? {
            Code::Wasm { source, code } => {
                let wasm = read_wasm(source)?;
                let digest = {
                    use sha2::Digest as _;
                    sha2::Sha256::digest(&wasm)
                };
                let mut entries = match code {
                    Some(dir) => package::entries(dir)
                        .with_context(|| format!("packaging the `code` of `{}`", config.name))?,
                    None => Vec::new(),
                };
                if let Some(other) = entries.iter().find(|e| e.name.ends_with(".wasm")) {
                    bail!(
                        "function `{}`: its `code` holds `{}`, but a package may hold one .wasm, its `source`; move it out of `code`",
                        config.name,
                        other.name
                    );
                }
                let stem = source
                    .file_stem()
                    .map_or_else(|| config.name.clone(), |s| s.to_string_lossy().into_owned());
                entries.push(Entry {
                    name: format!("{stem}.wasm"),
                    data: wasm,
                    executable: false,
                });
                use base64::Engine as _;
                let sha = base64::engine::general_purpose::STANDARD.encode(digest);
                (
                    package::zip(entries)?,
                    wasm_runtime(&config.runtime),
                    None,
                    Some(sha),
                )
            }
            Code::Source { code, handler } => {
                let entries = package::entries(code)
                    .with_context(|| format!("packaging the `code` of `{}`", config.name))?;
                (
                    package::zip(entries)?,
                    config.runtime.to_string(),
                    Some(handler),
                    None,
                )
            }
        };
        let mut grants = BTreeMap::new();
        let mut put = |key: &str, values: Vec<String>| {
            if !values.is_empty() {
                grants.insert(key.to_owned(), values.join(" "));
            }
        };
        put(INVOKE_TAG, config.invoke.clone());
        put(
            OBJECTS_READ_TAG,
            config.objects.read.iter().cloned().collect(),
        );
        put(
            OBJECTS_WRITE_TAG,
            config.objects.write.iter().cloned().collect(),
        );
        put(
            OUTBOUND_TAG,
            config
                .allowed_outbound_hosts
                .entries()
                .iter()
                .map(ToString::to_string)
                .collect(),
        );
        Ok(Self {
            name: config.name.clone(),
            package,
            runtime,
            handler,
            code_sha256,
            description: config.description.clone().unwrap_or_default(),
            memory_mb: config.memory_mb,
            timeout_s: config.timeout_s,
            env: config.env.clone(),
            ephemeral_mb: config.ephemeral_storage_mb,
            layers: Vec::new(),
            grants,
        })
    }

    /// The configuration fields of CreateFunction and UpdateFunctionConfiguration.
    pub fn configuration(&self) -> Value {
        let mut config = json!({
            "Description": self.description,
            "MemorySize": self.memory_mb,
            "Timeout": self.timeout_s,
            "Environment": { "Variables": self.env },
            "EphemeralStorage": { "Size": self.ephemeral_mb },
            "Layers": self.layers,
            "Runtime": self.runtime,
        });
        if let (Some(handler), Some(object)) = (&self.handler, config.as_object_mut()) {
            object.insert("Handler".into(), json!(handler));
        }
        config
    }

    /// CreateFunction's body: the configuration, the package and every tag.
    pub fn create_body(&self) -> Value {
        let mut body = self.configuration();
        let mut tags = self.grants.clone();
        tags.insert(DEPLOY_SHA_TAG.to_owned(), self.package.sha256.clone());
        if let Some(object) = body.as_object_mut() {
            object.insert("FunctionName".into(), json!(self.name));
            object.insert("Role".into(), json!(ROLE));
            object.insert("Code".into(), json!({ "ZipFile": self.package.base64() }));
            object.insert("Tags".into(), json!(tags));
        }
        body
    }

    /// Why the code must be sent again, if it must: another package than the last deploy's,
    /// code changed by someone else, or a failed state.
    pub fn code_change(&self, remote: &Value, tags: &BTreeMap<String, String>) -> Option<String> {
        let config = &remote["Configuration"];
        if config["State"] == "Failed" || config["LastUpdateStatus"] == "Failed" {
            return Some("its last update failed".into());
        }
        match tags.get(DEPLOY_SHA_TAG) {
            None => return Some("not deployed by fnhost deploy before".into()),
            Some(sha) if *sha != self.package.sha256 => return Some("the package changed".into()),
            Some(_) => {}
        }
        if let Some(sha) = &self.code_sha256
            && config["CodeSha256"].as_str() != Some(sha)
        {
            return Some("the target's code differs".into());
        }
        None
    }

    /// The configuration fields that differ from the target's, as `memory 128 → 256`.
    pub fn config_changes(&self, remote: &Value) -> Vec<String> {
        let config = &remote["Configuration"];
        let mut changes = Vec::new();
        let number = |v: &Value| {
            v.as_u64()
                .map_or_else(|| "none".to_owned(), |n| n.to_string())
        };
        let mut compare = |label: &str, have: String, want: String| {
            if have != want {
                changes.push(format!("{label} {have} → {want}"));
            }
        };
        compare(
            "memory",
            number(&config["MemorySize"]),
            self.memory_mb.to_string(),
        );
        compare(
            "timeout",
            number(&config["Timeout"]),
            self.timeout_s.to_string(),
        );
        compare(
            "ephemeral storage",
            number(&config["EphemeralStorage"]["Size"]),
            self.ephemeral_mb.to_string(),
        );
        compare(
            "runtime",
            config["Runtime"].as_str().unwrap_or("none").to_owned(),
            self.runtime.clone(),
        );
        if let Some(handler) = &self.handler {
            compare(
                "handler",
                config["Handler"].as_str().unwrap_or("none").to_owned(),
                handler.clone(),
            );
        }
        let description = config["Description"].as_str().unwrap_or_default();
        if description != self.description {
            changes.push("description".to_owned());
        }
        let env: BTreeMap<String, String> =
            serde_json::from_value(config["Environment"]["Variables"].clone()).unwrap_or_default();
        if env != self.env {
            let mut keys: Vec<&String> = env
                .keys()
                .chain(self.env.keys())
                .filter(|k| env.get(*k) != self.env.get(*k))
                .collect();
            keys.sort();
            keys.dedup();
            let keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
            changes.push(format!("environment ({})", keys.join(", ")));
        }
        let layers: Vec<&str> = config["Layers"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["Arn"].as_str()).collect())
            .unwrap_or_default();
        if layers != self.layers {
            changes.push(format!(
                "layers [{}] → [{}]",
                short_layers(&layers),
                short_layers(&self.layers)
            ));
        }
        changes
    }

    /// Grant tags to set (new or changed values) and to remove, against the target's `tags`.
    pub fn tag_changes(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> (BTreeMap<String, String>, Vec<String>) {
        let set: BTreeMap<String, String> = self
            .grants
            .iter()
            .filter(|(k, v)| tags.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let remove = GRANT_TAGS
            .iter()
            .filter(|k| tags.contains_key(**k) && !self.grants.contains_key(**k))
            .map(|k| (*k).to_owned())
            .collect();
        (set, remove)
    }
}

/// `name:version` of each layer version ARN.
fn short_layers<S: AsRef<str>>(arns: &[S]) -> String {
    arns.iter()
        .map(|a| {
            let a = a.as_ref();
            let mut parts = a.rsplitn(3, ':');
            match (parts.next(), parts.next()) {
                (Some(version), Some(name)) => format!("{name}:{version}"),
                _ => a.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `.wasm` of `source`, compiling a `.wat` text file.
fn read_wasm(source: &Path) -> Result<Vec<u8>> {
    let bytes =
        std::fs::read(source).with_context(|| format!("cannot read `{}`", source.display()))?;
    if source.extension().is_some_and(|e| e == "wat") {
        return wat::parse_bytes(&bytes)
            .map(|b| b.into_owned())
            .with_context(|| format!("`{}` is not valid WebAssembly text", source.display()));
    }
    Ok(bytes)
}

/// The target's tags of a GetFunction answer.
pub fn remote_tags(remote: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(remote["Tags"].clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired {
            name: "f".into(),
            package: package::zip(vec![Entry {
                name: "f.wasm".into(),
                data: b"\0asm".to_vec(),
                executable: false,
            }])
            .unwrap(),
            runtime: WASM_RUNTIME.into(),
            handler: None,
            code_sha256: Some("abc=".into()),
            description: "d".into(),
            memory_mb: 256,
            timeout_s: 3,
            env: BTreeMap::from([("A".into(), "1".into())]),
            ephemeral_mb: 512,
            layers: vec!["arn:aws:lambda:us-east-1:000000000000:layer:html:2".into()],
            grants: BTreeMap::from([(INVOKE_TAG.into(), "a b".into())]),
        }
    }

    fn remote(d: &Desired) -> Value {
        json!({
            "Configuration": {
                "MemorySize": 128, "Timeout": 3, "EphemeralStorage": {"Size": 512},
                "Runtime": "provided.al2023", "Description": "d",
                "Environment": {"Variables": {"A": "1", "B": "2"}},
                "Layers": [{"Arn": "arn:aws:lambda:us-east-1:000000000000:layer:html:1", "CodeSize": 1}],
                "CodeSha256": "abc=", "State": "Active", "LastUpdateStatus": "Successful",
            },
            "Tags": {DEPLOY_SHA_TAG: d.package.sha256, OUTBOUND_TAG: "https://x.example"},
        })
    }

    #[test]
    fn differences_read_like_a_diff() {
        let d = desired();
        let r = remote(&d);
        assert_eq!(
            d.config_changes(&r),
            [
                "memory 128 → 256",
                "environment (B)",
                "layers [html:1] → [html:2]"
            ]
        );
        assert_eq!(d.code_change(&r, &remote_tags(&r)), None);
        let (set, remove) = d.tag_changes(&remote_tags(&r));
        assert_eq!(set, BTreeMap::from([(INVOKE_TAG.into(), "a b".into())]));
        assert_eq!(remove, [OUTBOUND_TAG]);
    }

    #[test]
    fn code_is_sent_again_when_anything_says_so() {
        let d = desired();
        let mut r = remote(&d);
        r["Tags"][DEPLOY_SHA_TAG] = json!("0000");
        assert_eq!(
            d.code_change(&r, &remote_tags(&r)).as_deref(),
            Some("the package changed")
        );
        let mut r = remote(&d);
        r["Configuration"]["CodeSha256"] = json!("other=");
        assert!(d.code_change(&r, &remote_tags(&r)).is_some());
        let mut r = remote(&d);
        r["Configuration"]["State"] = json!("Failed");
        assert!(d.code_change(&r, &remote_tags(&r)).is_some());
        let mut r = remote(&d);
        r["Tags"] = json!({});
        assert!(d.code_change(&r, &remote_tags(&r)).is_some());
    }

    #[test]
    fn create_bodies_carry_the_package_and_its_hash() {
        let d = desired();
        let body = d.create_body();
        assert_eq!(body["FunctionName"], "f");
        assert_eq!(body["Runtime"], WASM_RUNTIME);
        assert_eq!(body["Tags"][DEPLOY_SHA_TAG], d.package.sha256);
        assert_eq!(body["Tags"][INVOKE_TAG], "a b");
        assert!(body.get("Handler").is_none());
        assert_eq!(body["Code"]["ZipFile"], d.package.base64());
    }
}
