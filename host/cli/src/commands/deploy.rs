//! `fnhost deploy [NAME…] --endpoint URL`: push the manifest's functions to a running fnhost
//! through its Lambda API, as `sam deploy` pushes a template to AWS.
//!
//! Requests are SigV4-signed with `FNHOST_ACCESS_KEY_ID` / `FNHOST_SECRET_ACCESS_KEY` (the
//! target's admin credentials; unsigned when they are not set, which a loopback fnhost without
//! credentials accepts). Stale builds run first. Each function's layers are published when
//! their content changed; then the function is created, or its code and configuration updated,
//! and `fnhost deploy` waits for it to become `Active` / `Successful` as botocore's
//! `function_active_v2` and `function_updated_v2` waiters do. Its grants travel as the tags the
//! API reads, its function URL as a URL config. A function with `auto_publish_alias` gets a
//! version published and the alias pointed at it whenever its code or configuration changed
//! (SAM's `AutoPublishAlias`; see `alias`).
//!
//! Nothing changed means nothing is changed: the package is zipped the same way every time and
//! its SHA-256 recorded in the tag `fnhost:deploy-sha256`; the configuration and the tags are
//! compared with what the target reports. The summary reads like a diff (`+ created hello`,
//! `~ memory 128 → 256 of y`, `= z unchanged`); `--json` prints one object instead. The exit
//! status is 1 when a function ended `Failed`, 2 when the deploy could not run.

mod alias;
mod client;
mod desired;
mod package;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use fnhost_api::sigv4::{Credentials, Signer};
use fnhost_manifest::{FunctionConfig, FunctionUrlConfig, LayerConfig};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use self::alias::AliasOutcome;
use self::client::{Client, encode, is_code};
use self::desired::{DEPLOY_SHA_TAG, Desired};
use crate::builder;
use crate::project::Globals;

/// Arguments of `fnhost deploy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The functions to deploy, as named in fnhost.toml (default: all).
    names: Vec<String>,
    /// The target fnhost's admin listener (its Lambda API), e.g. `http://10.0.0.5:9000`.
    #[arg(long, env = "FNHOST_ENDPOINT")]
    endpoint: String,
    /// Print one JSON object (layers, functions, what changed) on stdout instead.
    #[arg(long)]
    json: bool,
    /// Do not build functions whose output is missing or stale.
    #[arg(long)]
    no_build: bool,
}

/// The variables holding the target's admin credentials.
const KEY_ID_ENV: &str = fnhost_core::env::ADMIN_ACCESS_KEY_ENV;
const SECRET_ENV: &str = fnhost_core::env::ADMIN_SECRET_KEY_ENV;

/// How long one function may stay `Pending` or `InProgress` (botocore's v2 waiters: 300 × 1 s).
const WAIT_LIMIT: Duration = Duration::from_secs(300);
/// The first and the longest pause between two GetFunction calls while waiting.
const FIRST_POLL: Duration = Duration::from_millis(100);
const MAX_POLL: Duration = Duration::from_secs(1);

/// The changes of a function URL, as [`Outcome::changes`] lists them.
const URL_CREATED: &str = "url created";
const URL_UPDATED: &str = "url configuration";
const URL_REMOVED: &str = "url removed";

/// What happened to one layer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct LayerOutcome {
    name: String,
    /// `published` or `unchanged`.
    action: &'static str,
    version: u64,
    arn: String,
}

/// What happened to one function.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    name: String,
    /// `created`, `updated`, `unchanged` or `failed`.
    action: &'static str,
    /// What changed: `code`, `memory 128 → 256`, `grants (fnhost:invoke)`, `url`, ...
    changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// Why it failed (`StateReasonCode: StateReason`, or the API's error).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_url: Option<String>,
    /// Its `auto_publish_alias` and the version it names now.
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<AliasOutcome>,
}

impl Outcome {
    fn failed(name: &str, changes: Vec<String>, reason: String) -> Self {
        Self {
            name: name.to_owned(),
            action: "failed",
            changes,
            revision_id: None,
            state: None,
            reason: Some(reason),
            function_url: None,
            alias: None,
        }
    }
}

fn credentials() -> Result<Option<Credentials>> {
    let id = std::env::var(KEY_ID_ENV).ok().filter(|v| !v.is_empty());
    let secret = std::env::var(SECRET_ENV).ok().filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some(Credentials::new(id, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => {
            bail!("{KEY_ID_ENV} is set but {SECRET_ENV} is not; set both or neither")
        }
        (None, Some(_)) => {
            bail!("{SECRET_ENV} is set but {KEY_ID_ENV} is not; set both or neither")
        }
    }
}

/// Run `fnhost deploy`.
pub async fn run(globals: &Globals, args: Args) -> Result<bool> {
    let manifest = globals.manifest()?;
    let selected: Vec<&FunctionConfig> = if args.names.is_empty() {
        manifest.functions.values().collect()
    } else {
        let mut picked = Vec::new();
        for name in &args.names {
            picked.push(manifest.function(name)?);
        }
        picked
    };
    if selected.is_empty() {
        bail!(
            "`{}` declares no functions to deploy",
            manifest.path.display()
        );
    }
    let signer = credentials()?.map(Signer::new);
    let client = Client::new(&args.endpoint, signer)?;
    if !args.no_build {
        // Source runtimes are packaged by the target, not here.
        let prebuilt: Vec<&FunctionConfig> = selected
            .iter()
            .filter(|f| f.runtime.language().is_none())
            .copied()
            .collect();
        builder::build(&manifest, &prebuilt, false).await?;
    }
    for f in &selected {
        for note in not_deployed(f) {
            eprintln!("note: function `{}`: {note}", f.name);
        }
    }

    let progress = MultiProgress::new();
    let mut layer_outcomes = Vec::new();
    let mut layer_arns: BTreeMap<String, String> = BTreeMap::new();
    for f in &selected {
        for layer in &f.layers {
            if layer_arns.contains_key(&layer.name) {
                continue;
            }
            let bar = spinner(&progress, &format!("layer {}", layer.name));
            let outcome = sync_layer(&client, layer, &bar).await.with_context(|| {
                format!("deploying layer `{}` to {}", layer.name, client.endpoint())
            });
            bar.finish_and_clear();
            let outcome = outcome?;
            layer_arns.insert(layer.name.clone(), outcome.arn.clone());
            layer_outcomes.push(outcome);
        }
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (index, f) in selected.iter().enumerate() {
        let config = (*f).clone();
        let layers: Vec<String> = f
            .layers
            .iter()
            .filter_map(|l| layer_arns.get(&l.name).cloned())
            .collect();
        let client = client.clone();
        let bar = spinner(&progress, &f.name);
        tasks.spawn(async move {
            let name = config.name.clone();
            let outcome = deploy_function(&client, config, layers, &bar).await;
            bar.finish_and_clear();
            let outcome = outcome
                .unwrap_or_else(|err| Outcome::failed(&name, Vec::new(), format!("{err:#}")));
            (index, outcome)
        });
    }
    let mut outcomes: Vec<(usize, Outcome)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        outcomes.push(joined.context("a deploy task failed")?);
    }
    outcomes.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<Outcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    let ok = outcomes.iter().all(|o| o.action != "failed");

    if args.json {
        let report = json!({
            "endpoint": client.endpoint(),
            "layers": layer_outcomes,
            "functions": outcomes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary(&layer_outcomes, &outcomes));
    }
    Ok(ok)
}

/// What the Lambda API has no place for, so a deploy leaves behind.
fn not_deployed(f: &FunctionConfig) -> Vec<String> {
    let mut notes = Vec::new();
    let mut parts = Vec::new();
    if !f.http.is_empty() {
        parts.push("http routes (declare `url = true` for an HTTP endpoint)");
    }
    if !f.s3.is_empty() {
        parts.push("s3 triggers");
    }
    if !f.schedules.is_empty() {
        parts.push("schedules");
    }
    if f.fuel.is_some() {
        parts.push("fuel");
    }
    if f.reserved_concurrency.is_some() {
        parts.push("reserved_concurrency");
    }
    if !parts.is_empty() {
        notes.push(format!(
            "not deployed, the Lambda API has no place for them: {}",
            parts.join(", ")
        ));
    }
    notes
}

fn spinner(progress: &MultiProgress, prefix: &str) -> ProgressBar {
    let bar = progress.add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(prefix.to_owned());
    bar.set_message("checking");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The diff-style summary.
fn summary(layers: &[LayerOutcome], functions: &[Outcome]) -> String {
    let mut out = String::new();
    for l in layers {
        match l.action {
            "published" => out.push_str(&format!(
                "+ published layer {} version {}\n",
                l.name, l.version
            )),
            _ => out.push_str(&format!(
                "= layer {} unchanged (version {})\n",
                l.name, l.version
            )),
        }
    }
    for f in functions {
        let url = f.function_url.as_deref().unwrap_or("");
        let change_line = |change: &str| match change {
            "code" => format!("~ updated code of {}\n", f.name),
            URL_CREATED => format!("+ url of {} → {url}\n", f.name),
            URL_UPDATED => format!("~ url of {} → {url}\n", f.name),
            URL_REMOVED => format!("- url of {}\n", f.name),
            other => format!("~ {other} of {}\n", f.name),
        };
        match f.action {
            "created" => {
                out.push_str(&format!("+ created {}\n", f.name));
                if f.changes.iter().any(|c| c == URL_CREATED) {
                    out.push_str(&change_line(URL_CREATED));
                }
            }
            "unchanged" => match &f.alias {
                Some(a) => out.push_str(&format!(
                    "= {} unchanged (alias {} → version {})\n",
                    f.name, a.name, a.version
                )),
                None => out.push_str(&format!("= {} unchanged\n", f.name)),
            },
            "updated" => {
                for change in &f.changes {
                    out.push_str(&change_line(change));
                }
            }
            _ => {
                for change in &f.changes {
                    out.push_str(&change_line(change));
                }
                out.push_str(&format!(
                    "! {} failed: {}\n",
                    f.name,
                    f.reason.as_deref().unwrap_or("unknown reason")
                ));
            }
        }
        if let Some(a) = &f.alias {
            let sign = match a.action {
                alias::CREATED => "+",
                alias::UPDATED => "~",
                _ => continue,
            };
            out.push_str(&format!(
                "{sign} alias {} of {} → version {}\n",
                a.name, f.name, a.version
            ));
        }
    }
    out
}

/// Publish `layer` unless its latest version already has this content; its version ARN.
async fn sync_layer(
    client: &Client,
    layer: &LayerConfig,
    bar: &ProgressBar,
) -> Result<LayerOutcome> {
    let path = layer.path.clone();
    let package = tokio::task::spawn_blocking(move || package::zip(package::entries(&path)?))
        .await
        .context("packaging task failed")??;
    let base = format!("/2018-10-31/layers/{}/versions", layer.name);
    let listed = client
        .call(Method::GET, &base, &[("MaxItems", "1")], None)
        .await;
    let latest = match listed {
        Ok(v) => v["LayerVersions"]
            .get(0)
            .and_then(|l| l["Version"].as_u64()),
        Err(e) if is_code(&e, "ResourceNotFoundException") => None,
        Err(e) => return Err(e),
    };
    if let Some(version) = latest {
        let current = client
            .call(Method::GET, &format!("{base}/{version}"), &[], None)
            .await?;
        if current["Content"]["CodeSha256"].as_str() == Some(package.sha256_b64().as_str()) {
            return Ok(LayerOutcome {
                name: layer.name.clone(),
                action: "unchanged",
                version,
                arn: current["LayerVersionArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    bar.set_message("publishing");
    let mut body = json!({ "Content": { "ZipFile": package.base64() } });
    if let Some(description) = &layer.description {
        body["Description"] = json!(description);
    }
    if !layer.compatible_runtimes.is_empty() {
        body["CompatibleRuntimes"] = json!(layer.compatible_runtimes);
    }
    let published = client.call(Method::POST, &base, &[], Some(&body)).await?;
    Ok(LayerOutcome {
        name: layer.name.clone(),
        action: "published",
        version: published["Version"].as_u64().unwrap_or_default(),
        arn: published["LayerVersionArn"]
            .as_str()
            .context("PublishLayerVersion answered without a LayerVersionArn")?
            .to_owned(),
    })
}

fn function_path(name: &str) -> String {
    format!("/2015-03-31/functions/{name}")
}

/// Create or update one function and wait until it settles.
async fn deploy_function(
    client: &Client,
    config: FunctionConfig,
    layers: Vec<String>,
    bar: &ProgressBar,
) -> Result<Outcome> {
    bar.set_message("packaging");
    let url = config.url.clone();
    let auto_alias = config.auto_publish_alias.clone();
    let mut desired = tokio::task::spawn_blocking(move || Desired::of(&config))
        .await
        .context("packaging task failed")??;
    desired.layers = layers;
    let name = desired.name.clone();
    let path = function_path(&name);
    bar.set_message("checking");
    let remote = match client.call(Method::GET, &path, &[], None).await {
        Ok(v) => Some(v),
        Err(e) if is_code(&e, "ResourceNotFoundException") => None,
        Err(e) => return Err(e),
    };

    // `versioned`: the code or configuration changed, so an auto-published alias moves.
    let (action, mut changes, remote, versioned) = match remote {
        None => {
            bar.set_message("creating");
            client
                .call(
                    Method::POST,
                    "/2015-03-31/functions",
                    &[],
                    Some(&desired.create_body()),
                )
                .await
                .with_context(|| format!("CreateFunction `{name}`"))?;
            let settled = wait(client, &name, bar).await?;
            ("created", Vec::new(), settled, true)
        }
        Some(remote) => {
            let tags = desired::remote_tags(&remote);
            let mut changes = Vec::new();
            let mut current = remote;
            if desired.code_change(&current, &tags).is_some() {
                bar.set_message("uploading code");
                let body = json!({
                    "ZipFile": desired.package.base64(),
                    "RevisionId": current["Configuration"]["RevisionId"],
                });
                client
                    .call(Method::PUT, &format!("{path}/code"), &[], Some(&body))
                    .await
                    .with_context(|| format!("UpdateFunctionCode `{name}`"))?;
                changes.push("code".to_owned());
                current = wait(client, &name, bar).await?;
                if let Some(outcome) = failed(&name, &changes, &current) {
                    return Ok(outcome);
                }
            }
            let config_changes = desired.config_changes(&current);
            if !config_changes.is_empty() {
                bar.set_message("updating configuration");
                let mut body = desired.configuration();
                body["RevisionId"] = current["Configuration"]["RevisionId"].clone();
                client
                    .call(
                        Method::PUT,
                        &format!("{path}/configuration"),
                        &[],
                        Some(&body),
                    )
                    .await
                    .with_context(|| format!("UpdateFunctionConfiguration `{name}`"))?;
                changes.extend(config_changes);
                current = wait(client, &name, bar).await?;
                if let Some(outcome) = failed(&name, &changes, &current) {
                    return Ok(outcome);
                }
            }
            let versioned = !changes.is_empty();
            let (mut set, remove) = desired.tag_changes(&tags);
            if !set.is_empty() || !remove.is_empty() {
                let mut keys: Vec<&str> = set.keys().map(String::as_str).collect();
                keys.extend(remove.iter().map(String::as_str));
                keys.sort_unstable();
                changes.push(format!("grants ({})", keys.join(", ")));
            }
            if tags.get(DEPLOY_SHA_TAG) != Some(&desired.package.sha256) {
                set.insert(DEPLOY_SHA_TAG.to_owned(), desired.package.sha256.clone());
            }
            let arn = current["Configuration"]["FunctionArn"]
                .as_str()
                .context("GetFunction answered without a FunctionArn")?
                .to_owned();
            let tags_path = format!("/2017-03-31/tags/{}", encode(&arn));
            if !set.is_empty() {
                bar.set_message("tagging");
                client
                    .call(Method::POST, &tags_path, &[], Some(&json!({ "Tags": set })))
                    .await
                    .with_context(|| format!("TagResource `{name}`"))?;
            }
            if !remove.is_empty() {
                let query: Vec<(&str, &str)> =
                    remove.iter().map(|k| ("tagKeys", k.as_str())).collect();
                client
                    .call(Method::DELETE, &tags_path, &query, None)
                    .await
                    .with_context(|| format!("UntagResource `{name}`"))?;
            }
            let action = if changes.is_empty() {
                "unchanged"
            } else {
                "updated"
            };
            (action, changes, current, versioned)
        }
    };
    if let Some(failure) = failure(&remote) {
        return Ok(settled(
            &name,
            "failed",
            changes,
            &remote,
            Some(failure),
            None,
        ));
    }
    bar.set_message("function URL");
    let (url_change, function_url) = sync_url(client, &name, url.as_ref()).await?;
    let mut action = action;
    if let Some(change) = url_change {
        changes.push(change);
        if action == "unchanged" {
            action = "updated";
        }
    }
    let alias = match &auto_alias {
        Some(wanted) => {
            bar.set_message("alias");
            let outcome = alias::sync(client, &name, wanted, versioned).await?;
            if outcome.action != alias::UNCHANGED && action == "unchanged" {
                action = "updated";
            }
            Some(outcome)
        }
        None => None,
    };
    let mut outcome = settled(&name, action, changes, &remote, None, function_url);
    outcome.alias = alias;
    Ok(outcome)
}

/// The outcome of a deploy step that left the function `Failed`, if it did.
fn failed(name: &str, changes: &[String], current: &Value) -> Option<Outcome> {
    failure(current).map(|reason| {
        settled(
            name,
            "failed",
            changes.to_vec(),
            current,
            Some(reason),
            None,
        )
    })
}

fn settled(
    name: &str,
    action: &'static str,
    changes: Vec<String>,
    remote: &Value,
    reason: Option<String>,
    function_url: Option<String>,
) -> Outcome {
    let config = &remote["Configuration"];
    Outcome {
        name: name.to_owned(),
        action,
        changes,
        revision_id: config["RevisionId"].as_str().map(str::to_owned),
        state: config["State"].as_str().map(str::to_owned),
        reason,
        function_url,
        alias: None,
    }
}

/// `StateReasonCode: StateReason` of a `Failed` function or update.
fn failure(remote: &Value) -> Option<String> {
    let config = &remote["Configuration"];
    let text = |code: &str, reason: &str| {
        let code = config[code].as_str().unwrap_or("Failed");
        let reason = config[reason].as_str().unwrap_or("no reason given");
        format!("{code}: {reason}")
    };
    if config["State"] == "Failed" {
        return Some(text("StateReasonCode", "StateReason"));
    }
    if config["LastUpdateStatus"] == "Failed" {
        return Some(text("LastUpdateStatusReasonCode", "LastUpdateStatusReason"));
    }
    None
}

/// Poll GetFunction until the function is neither `Pending` nor `InProgress` (botocore's
/// `function_active_v2` / `function_updated_v2`); its final GetFunction answer.
async fn wait(client: &Client, name: &str, bar: &ProgressBar) -> Result<Value> {
    let started = Instant::now();
    let mut pause = FIRST_POLL;
    let path = function_path(name);
    loop {
        let current = client.call(Method::GET, &path, &[], None).await?;
        let config = &current["Configuration"];
        let state = config["State"].as_str().unwrap_or("Active");
        let update = config["LastUpdateStatus"].as_str().unwrap_or("Successful");
        if state != "Pending" && update != "InProgress" {
            return Ok(current);
        }
        let reason = config["StateReason"]
            .as_str()
            .or_else(|| config["LastUpdateStatusReason"].as_str())
            .unwrap_or("");
        bar.set_message(format!("{state} / {update} {reason}").trim_end().to_owned());
        if started.elapsed() > WAIT_LIMIT {
            bail!(
                "function `{name}` is still {state} / {update} after {} s",
                WAIT_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(MAX_POLL);
    }
}

/// Make the target's function URL what the manifest says: created, updated, or deleted when the
/// manifest has none. The change made (if any) and the URL.
async fn sync_url(
    client: &Client,
    name: &str,
    wanted: Option<&FunctionUrlConfig>,
) -> Result<(Option<String>, Option<String>)> {
    let path = format!("/2021-10-31/functions/{name}/url");
    let current = match client.call(Method::GET, &path, &[], None).await {
        Ok(v) => Some(v),
        Err(e) if is_code(&e, "ResourceNotFoundException") => None,
        // A target without function URLs: nothing to do unless the manifest declares one.
        Err(e) if wanted.is_none() && is_code(&e, "UnknownOperationException") => None,
        Err(e) => return Err(e.context(format!("GetFunctionUrlConfig `{name}`"))),
    };
    let Some(wanted) = wanted else {
        if current.is_some() {
            client
                .call(Method::DELETE, &path, &[], None)
                .await
                .with_context(|| format!("DeleteFunctionUrlConfig `{name}`"))?;
            return Ok((Some(URL_REMOVED.into()), None));
        }
        return Ok((None, None));
    };
    let cors = wanted.cors.clone().unwrap_or_default();
    let body = json!({ "AuthType": wanted.auth.as_str(), "Cors": cors });
    let url_of = |v: &Value| v["FunctionUrl"].as_str().map(str::to_owned);
    match current {
        None => {
            let made = client
                .call(Method::POST, &path, &[], Some(&body))
                .await
                .with_context(|| format!("CreateFunctionUrlConfig `{name}`"))?;
            Ok((Some(URL_CREATED.into()), url_of(&made)))
        }
        Some(current) => {
            let have_cors: fnhost_manifest::UrlCors =
                serde_json::from_value(current["Cors"].clone()).unwrap_or_default();
            let same =
                current["AuthType"].as_str() == Some(wanted.auth.as_str()) && have_cors == cors;
            if same {
                return Ok((None, url_of(&current)));
            }
            let updated = client
                .call(Method::PUT, &path, &[], Some(&body))
                .await
                .with_context(|| format!("UpdateFunctionUrlConfig `{name}`"))?;
            Ok((Some(URL_UPDATED.into()), url_of(&updated)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(name: &str, action: &'static str, changes: &[&str]) -> Outcome {
        Outcome {
            name: name.into(),
            action,
            changes: changes.iter().map(|c| (*c).to_owned()).collect(),
            revision_id: None,
            state: None,
            reason: (action == "failed").then(|| "InvalidRuntime: no".to_owned()),
            function_url: (name == "hello").then(|| "http://u/".to_owned()),
            alias: None,
        }
    }

    #[test]
    fn the_summary_reads_like_a_diff() {
        let layers = [LayerOutcome {
            name: "html".into(),
            action: "published",
            version: 2,
            arn: "arn".into(),
        }];
        let text = summary(
            &layers,
            &[
                outcome("hello", "created", &[URL_CREATED]),
                outcome("x", "updated", &["code", "memory 128 → 256"]),
                outcome("y", "updated", &[URL_REMOVED]),
                outcome("z", "unchanged", &[]),
                outcome("bad", "failed", &[]),
            ],
        );
        assert_eq!(
            text,
            "+ published layer html version 2\n+ created hello\n+ url of hello → http://u/\n~ updated code of x\n~ memory 128 → 256 of x\n- url of y\n= z unchanged\n! bad failed: InvalidRuntime: no\n"
        );
    }

    #[test]
    fn the_summary_names_the_version_an_alias_points_to() {
        let with_alias = |name: &str, action, version: &str, alias_action| Outcome {
            alias: Some(AliasOutcome {
                name: "live".into(),
                version: version.into(),
                action: alias_action,
            }),
            ..outcome(
                name,
                action,
                if action == "updated" { &["code"] } else { &[] },
            )
        };
        let text = summary(
            &[],
            &[
                with_alias("a", "created", "1", alias::CREATED),
                with_alias("b", "updated", "2", alias::UPDATED),
                with_alias("c", "unchanged", "4", alias::UNCHANGED),
            ],
        );
        assert_eq!(
            text,
            "+ created a\n+ alias live of a → version 1\n~ updated code of b\n~ alias live of b → version 2\n= c unchanged (alias live → version 4)\n"
        );
    }

    #[test]
    fn failures_name_lambdas_reason() {
        let failed = json!({"Configuration": {"State": "Failed", "StateReasonCode": "InvalidZipFileException", "StateReason": "bad zip"}});
        assert_eq!(
            failure(&failed).as_deref(),
            Some("InvalidZipFileException: bad zip")
        );
        let update = json!({"Configuration": {"State": "Active", "LastUpdateStatus": "Failed", "LastUpdateStatusReasonCode": "FunctionError", "LastUpdateStatusReason": "x"}});
        assert_eq!(failure(&update).as_deref(), Some("FunctionError: x"));
        assert_eq!(
            failure(&json!({"Configuration": {"State": "Active"}})),
            None
        );
    }
}
