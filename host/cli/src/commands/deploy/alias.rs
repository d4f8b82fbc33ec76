//! `auto_publish_alias` on the target, as SAM's `AutoPublishAlias` does it: when a deploy
//! changed the function's code or configuration (or the alias does not exist yet), publish a
//! version and point the alias at it; otherwise leave both alone.

use anyhow::{Context as _, Result};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::client::{Client, is_code};

/// The alias was made by this deploy.
pub const CREATED: &str = "created";
/// The alias was moved to a new version by this deploy.
pub const UPDATED: &str = "updated";
/// The alias already named the function's current version.
pub const UNCHANGED: &str = "unchanged";

/// What happened to a function's alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasOutcome {
    /// The alias name.
    pub name: String,
    /// The version it points to now.
    pub version: String,
    /// [`CREATED`], [`UPDATED`] or [`UNCHANGED`].
    pub action: &'static str,
}

fn alias_path(function: &str, alias: &str) -> String {
    format!("/2015-03-31/functions/{function}/aliases/{alias}")
}

/// The `FunctionVersion` of an alias as the API shows it.
fn version_of(alias: &Value) -> Result<String> {
    alias["FunctionVersion"]
        .as_str()
        .map(str::to_owned)
        .context("the alias has no FunctionVersion")
}

/// Make alias `alias` of `function` name the version of its current code and configuration:
/// `changed` says this deploy changed either. An existing alias of an unchanged function is
/// only read. A moved alias loses any weights set by hand (`RoutingConfig`), as SAM's does
/// without a deployment preference.
pub async fn sync(
    client: &Client,
    function: &str,
    alias: &str,
    changed: bool,
) -> Result<AliasOutcome> {
    let path = alias_path(function, alias);
    let current = match client.call(Method::GET, &path, &[], None).await {
        Ok(v) => Some(v),
        Err(e) if is_code(&e, "ResourceNotFoundException") => None,
        Err(e) => return Err(e.context(format!("GetAlias `{function}:{alias}`"))),
    };
    let outcome = |version: String, action| AliasOutcome {
        name: alias.to_owned(),
        version,
        action,
    };
    if let Some(current) = &current
        && !changed
    {
        return Ok(outcome(version_of(current)?, UNCHANGED));
    }
    // Lambda publishes nothing new when the code and configuration match the newest version;
    // it answers with that version.
    let published = client
        .call(
            Method::POST,
            &format!("/2015-03-31/functions/{function}/versions"),
            &[],
            Some(&json!({})),
        )
        .await
        .with_context(|| format!("PublishVersion `{function}`"))?;
    let version = published["Version"]
        .as_str()
        .map(str::to_owned)
        .context("PublishVersion answered without a Version")?;
    let Some(current) = current else {
        client
            .call(
                Method::POST,
                &format!("/2015-03-31/functions/{function}/aliases"),
                &[],
                Some(&json!({ "Name": alias, "FunctionVersion": version })),
            )
            .await
            .with_context(|| format!("CreateAlias `{function}:{alias}`"))?;
        return Ok(outcome(version, CREATED));
    };
    let weighted = current["RoutingConfig"]["AdditionalVersionWeights"]
        .as_object()
        .is_some_and(|w| !w.is_empty());
    if version_of(&current)? == version && !weighted {
        return Ok(outcome(version, UNCHANGED));
    }
    let body = json!({
        "FunctionVersion": version,
        "RoutingConfig": { "AdditionalVersionWeights": {} },
        "RevisionId": current["RevisionId"],
    });
    client
        .call(Method::PUT, &path, &[], Some(&body))
        .await
        .with_context(|| format!("UpdateAlias `{function}:{alias}`"))?;
    Ok(outcome(version, UPDATED))
}
