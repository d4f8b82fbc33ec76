//! Aliases of uploaded functions: CreateAlias, GetAlias, ListAliases, UpdateAlias and
//! DeleteAlias, with Lambda's validation and error texts, and GetFunction /
//! GetFunctionConfiguration through an alias.
//!
//! An alias names one version of a function (`$LATEST` or a published number) and optionally a
//! second published version with the share of invocations it gets
//! (`RoutingConfig.AdditionalVersionWeights`, one entry at most: a canary). Aliases live in the
//! store and, for the hot path, in the registry's alias table ([`fnhost_dispatch::Registry`]),
//! which every change updates and [`Api::restore_aliases`] fills at startup; invoking
//! `name:alias` then picks the version per invocation without touching the store. A version an
//! alias uses cannot be deleted, and deleting the function deletes its aliases
//! ([`Api::alias_delete_hook`]). Functions of `fnhost.toml` have no versions, so no aliases.

use std::collections::BTreeMap;

use bytes::Bytes;
use fnhost_dispatch::{AliasRoute, Origin};
use fnhost_store::{AliasRecord, LATEST};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, blocking, empty, json_response};
use crate::config::{new_revision, parse_body};
use crate::error::ApiError;
use crate::name::{self, FunctionRef};
use crate::paging::Page;

type Reply = Result<Response<Full<Bytes>>, ApiError>;

/// Longest alias name.
const MAX_ALIAS_NAME: usize = 128;
/// Longest description.
const MAX_DESCRIPTION: usize = 256;
/// Lambda's alias name pattern, quoted in validation errors.
const NAME_PATTERN: &str = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)";
/// Lambda's FunctionVersion pattern, quoted in validation errors.
const VERSION_PATTERN: &str = r"(\$LATEST|[0-9]+)";

/// An alias operation, by method and path under `/2015-03-31/functions/{F}/aliases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AliasOp {
    /// `POST …/aliases`.
    Create(String),
    /// `GET …/aliases`.
    List(String),
    /// `GET …/aliases/{Name}`.
    Get(String, String),
    /// `PUT …/aliases/{Name}`.
    Update(String, String),
    /// `DELETE …/aliases/{Name}`.
    Delete(String, String),
}

/// The alias operation for `method` on function `function` and the alias path segment
/// (`None` for the collection).
pub(crate) fn route(method: &Method, function: String, alias: Option<String>) -> Option<AliasOp> {
    Some(match (method.as_str(), alias) {
        ("POST", None) => AliasOp::Create(function),
        ("GET", None) => AliasOp::List(function),
        ("GET", Some(alias)) => AliasOp::Get(function, alias),
        ("PUT", Some(alias)) => AliasOp::Update(function, alias),
        ("DELETE", Some(alias)) => AliasOp::Delete(function, alias),
        _ => return None,
    })
}

/// `RoutingConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoutingInput {
    additional_version_weights: Option<BTreeMap<String, f64>>,
}

/// CreateAlias's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    name: Option<String>,
    function_version: Option<String>,
    description: Option<String>,
    routing_config: Option<RoutingInput>,
}

/// UpdateAlias's body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    function_version: Option<String>,
    description: Option<String>,
    routing_config: Option<RoutingInput>,
    revision_id: Option<String>,
}

/// Lambda's one-error validation message.
fn invalid(value: &str, field: &str, constraint: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value {value} at '{field}' failed to satisfy constraint: {constraint}"
    ))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.len() > MAX_ALIAS_NAME {
        return Err(invalid(
            &format!("'{name}'"),
            "name",
            "Member must have length less than or equal to 128",
        ));
    }
    let allowed = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if name.is_empty() || !allowed || name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            &format!("'{name}'"),
            "name",
            &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
        ));
    }
    Ok(())
}

fn check_version(version: &str) -> Result<(), ApiError> {
    let number = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    if version.len() > 1024 || !(version == LATEST || number) {
        return Err(invalid(
            &format!("'{version}'"),
            "functionVersion",
            &format!("Member must satisfy regular expression pattern: {VERSION_PATTERN}"),
        ));
    }
    Ok(())
}

fn check_description(description: &str) -> Result<(), ApiError> {
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            &format!("'{description}'"),
            "description",
            "Member must have length less than or equal to 256",
        ));
    }
    Ok(())
}

/// A double as Java prints it in Lambda's messages (`2.0`, `0.25`).
fn java_double(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e7 {
        format!("{value:.1}")
    } else {
        value.to_string()
    }
}

/// The weights as a routing: checked against the model (keys are version numbers, values
/// 0.0–1.0), then Lambda's limit of one entry.
fn routing_of(weights: &BTreeMap<String, f64>) -> Result<Option<(String, f64)>, ApiError> {
    let shown = || {
        let pairs: Vec<String> = weights
            .iter()
            .map(|(k, v)| format!("{k}={}", java_double(*v)))
            .collect();
        format!("'{{{}}}'", pairs.join(", "))
    };
    let field = "routingConfig.additionalVersionWeights";
    if weights
        .keys()
        .any(|k| k.is_empty() || k.len() > 1024 || !k.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid(
            &shown(),
            field,
            "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
        ));
    }
    if weights.values().any(|w| !(0.0..=1.0).contains(w)) {
        return Err(invalid(
            &shown(),
            field,
            "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
        ));
    }
    if weights.len() > 1 {
        return Err(ApiError::InvalidParameter(
            "Number of items in AdditionalVersionWeights cannot be greater than 1".into(),
        ));
    }
    Ok(weights.iter().next().map(|(k, v)| (k.clone(), *v)))
}

/// Lambda's rules on a version and its routing together.
fn check_routing(version: &str, routing: Option<&(String, f64)>) -> Result<(), ApiError> {
    let Some((additional, _)) = routing else {
        return Ok(());
    };
    if version == LATEST {
        return Err(ApiError::InvalidParameter(
            "$LATEST is not supported for an alias pointing to more than 1 version".into(),
        ));
    }
    if additional == version {
        return Err(ApiError::InvalidParameter(format!(
            "Invalid function version {version}. Function version {version} is already included in routing configuration."
        )));
    }
    Ok(())
}

/// `arn:…:function:NAME:ALIAS`.
fn alias_arn(function: &str, alias: &str) -> String {
    format!("{}:{alias}", name::arn(function))
}

/// The alias as Lambda shows it.
fn alias_json(alias: &AliasRecord) -> Value {
    let mut body = json!({
        "AliasArn": alias_arn(&alias.function, &alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    });
    if let (Some((version, weight)), Some(object)) = (&alias.routing, body.as_object_mut()) {
        object.insert(
            "RoutingConfig".into(),
            json!({ "AdditionalVersionWeights": { version.as_str(): weight } }),
        );
    }
    body
}

/// The registry's route for `alias`.
pub(crate) fn route_of(alias: &AliasRecord) -> AliasRoute {
    AliasRoute {
        function: alias.function.clone(),
        name: alias.name.clone(),
        version: alias.function_version.clone(),
        additional: alias.routing.clone(),
    }
}

fn store_err(what: &'static str) -> impl Fn(fnhost_store::StoreError) -> ApiError {
    move |e| ApiError::internal(what, e)
}

/// Why a manifest function cannot have an alias.
fn manifest_has_no_versions(name: &str) -> ApiError {
    ApiError::Conflict(format!(
        "Function `{name}` is declared in fnhost.toml: it has no published versions, so it cannot have aliases (aliases are for functions uploaded through the Lambda API)"
    ))
}

/// What the function named in an alias operation is.
enum Owner {
    /// An upload (its `$LATEST` is stored).
    Uploaded,
    /// A function of `fnhost.toml`.
    Manifest,
}

impl Api {
    /// Answer an alias operation.
    pub(crate) async fn alias_op(
        &self,
        op: AliasOp,
        query: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Reply {
        match op {
            AliasOp::Create(function) => self.create_alias(&function, body).await,
            AliasOp::List(function) => self.list_aliases(&function, query).await,
            AliasOp::Get(function, alias) => self.get_alias(&function, &alias).await,
            AliasOp::Update(function, alias) => self.update_alias(&function, &alias, body).await,
            AliasOp::Delete(function, alias) => self.delete_alias(&function, &alias).await,
        }
    }

    /// The function of an alias operation: named without a qualifier, and existing.
    async fn alias_owner(&self, function: &str) -> Result<(FunctionRef, Owner), ApiError> {
        let reference = name::parse(function, None)?;
        if reference.qualifier.is_some() {
            return Err(ApiError::InvalidParameter(format!(
                "Aliases belong to a function, not to a version or alias: name the function without a qualifier (`{}`, not `{function}`)",
                reference.name
            )));
        }
        if self
            .dispatcher
            .registry()
            .get(&reference.name)
            .is_some_and(|d| d.origin == Origin::Manifest)
        {
            return Ok((reference, Owner::Manifest));
        }
        self.uploaded(&reference).await?;
        Ok((reference, Owner::Uploaded))
    }

    /// Refuse versions of `function` that do not exist (`$LATEST` always does).
    async fn check_versions_exist(
        &self,
        function: &str,
        versions: &[&str],
    ) -> Result<(), ApiError> {
        for version in versions {
            if *version == LATEST {
                continue;
            }
            let (store, name, owned) =
                (self.store.clone(), function.to_owned(), version.to_string());
            let found = blocking(move || {
                store
                    .function(&name, &owned)
                    .map_err(store_err("reading the function registry"))
            })
            .await?;
            if found.is_none() {
                return Err(FunctionRef {
                    name: function.to_owned(),
                    qualifier: Some(version.to_string()),
                }
                .not_found());
            }
        }
        Ok(())
    }

    async fn stored_alias(
        &self,
        function: &str,
        alias: &str,
    ) -> Result<Option<AliasRecord>, ApiError> {
        let (store, function, alias) = (self.store.clone(), function.to_owned(), alias.to_owned());
        blocking(move || {
            store
                .alias(&function, &alias)
                .map_err(store_err("reading an alias"))
        })
        .await
    }

    async fn create_alias(&self, function: &str, body: &[u8]) -> Reply {
        let input: CreateInput = parse_body(body)?;
        let alias = input
            .name
            .ok_or_else(|| invalid("null", "name", "Member must not be null"))?;
        check_name(&alias)?;
        let version = input
            .function_version
            .ok_or_else(|| invalid("null", "functionVersion", "Member must not be null"))?;
        check_version(&version)?;
        let description = input.description.unwrap_or_default();
        check_description(&description)?;
        let weights = input
            .routing_config
            .and_then(|r| r.additional_version_weights)
            .unwrap_or_default();
        let routing = routing_of(&weights)?;
        check_routing(&version, routing.as_ref())?;

        let _writes = self.writes.lock().await;
        let (reference, owner) = self.alias_owner(function).await?;
        if let Owner::Manifest = owner {
            return Err(manifest_has_no_versions(&reference.name));
        }
        let mut versions = vec![version.as_str()];
        versions.extend(routing.as_ref().map(|(v, _)| v.as_str()));
        self.check_versions_exist(&reference.name, &versions)
            .await?;
        let record = AliasRecord {
            function: reference.name.clone(),
            name: alias,
            function_version: version,
            description,
            routing,
            revision_id: new_revision(),
        };
        let (store, saved) = (self.store.clone(), record.clone());
        let created = blocking(move || {
            store
                .create_alias(&saved)
                .map_err(store_err("creating an alias"))
        })
        .await?;
        if !created {
            return Err(ApiError::Conflict(format!(
                "Alias already exists: {}",
                alias_arn(&record.function, &record.name)
            )));
        }
        self.dispatcher.registry().set_alias(route_of(&record));
        tracing::info!(alias = %alias_arn(&record.function, &record.name), version = %record.function_version, "alias created");
        Ok(json_response(StatusCode::CREATED, &alias_json(&record)))
    }

    async fn get_alias(&self, function: &str, alias: &str) -> Reply {
        check_name(alias)?;
        let (reference, _) = self.alias_owner(function).await?;
        self.stored_alias(&reference.name, alias)
            .await?
            .map(|record| json_response(StatusCode::OK, &alias_json(&record)))
            .ok_or_else(|| {
                ApiError::Missing(format!(
                    "Cannot find alias arn: {}",
                    alias_arn(&reference.name, alias)
                ))
            })
    }

    async fn list_aliases(&self, function: &str, query: &BTreeMap<String, String>) -> Reply {
        let version = query.get("FunctionVersion").cloned();
        if let Some(version) = &version {
            check_version(version)?;
        }
        let page = Page::of(query, 10_000, "ListAliases")?;
        let (reference, owner) = self.alias_owner(function).await?;
        let aliases = match owner {
            Owner::Manifest => Vec::new(),
            Owner::Uploaded => {
                let (store, name) = (self.store.clone(), reference.name.clone());
                blocking(move || {
                    store
                        .aliases(&name, version.as_deref())
                        .map_err(store_err("listing aliases"))
                })
                .await?
            }
        };
        let keyed: Vec<(String, AliasRecord)> =
            aliases.into_iter().map(|a| (a.name.clone(), a)).collect();
        let (shown, next) = page.slice(&keyed);
        let mut body =
            json!({ "Aliases": shown.iter().map(|(_, a)| alias_json(a)).collect::<Vec<_>>() });
        if let (Some(next), Some(object)) = (next, body.as_object_mut()) {
            object.insert("NextMarker".into(), json!(next));
        }
        Ok(json_response(StatusCode::OK, &body))
    }

    async fn update_alias(&self, function: &str, alias: &str, body: &[u8]) -> Reply {
        check_name(alias)?;
        let input: UpdateInput = parse_body(body)?;
        if let Some(version) = &input.function_version {
            check_version(version)?;
        }
        if let Some(description) = &input.description {
            check_description(description)?;
        }
        // A `RoutingConfig` replaces the routing; `{}` (or no weights) clears it.
        let routing = match &input.routing_config {
            Some(config) => Some(routing_of(
                config
                    .additional_version_weights
                    .as_ref()
                    .unwrap_or(&BTreeMap::new()),
            )?),
            None => None,
        };

        let _writes = self.writes.lock().await;
        let (reference, owner) = self.alias_owner(function).await?;
        if let Owner::Manifest = owner {
            return Err(manifest_has_no_versions(&reference.name));
        }
        let mut record = self
            .stored_alias(&reference.name, alias)
            .await?
            .ok_or_else(|| {
                ApiError::Missing(format!(
                    "Alias not found: {}",
                    alias_arn(&reference.name, alias)
                ))
            })?;
        if input
            .revision_id
            .as_deref()
            .is_some_and(|expected| expected != record.revision_id)
        {
            return Err(ApiError::PreconditionFailed);
        }
        if let Some(version) = input.function_version {
            record.function_version = version;
        }
        if let Some(description) = input.description {
            record.description = description;
        }
        if let Some(routing) = routing {
            record.routing = routing;
        }
        check_routing(&record.function_version, record.routing.as_ref())?;
        let mut versions = vec![record.function_version.as_str()];
        versions.extend(record.routing.as_ref().map(|(v, _)| v.as_str()));
        self.check_versions_exist(&reference.name, &versions)
            .await?;
        record.revision_id = new_revision();
        let (store, saved) = (self.store.clone(), record.clone());
        let updated = blocking(move || {
            store
                .update_alias(&saved)
                .map_err(store_err("updating an alias"))
        })
        .await?;
        if !updated {
            return Err(ApiError::Missing(format!(
                "Alias not found: {}",
                alias_arn(&reference.name, alias)
            )));
        }
        self.dispatcher.registry().set_alias(route_of(&record));
        tracing::info!(alias = %alias_arn(&record.function, &record.name), version = %record.function_version, "alias updated");
        Ok(json_response(StatusCode::OK, &alias_json(&record)))
    }

    async fn delete_alias(&self, function: &str, alias: &str) -> Reply {
        check_name(alias)?;
        let _writes = self.writes.lock().await;
        let (reference, owner) = self.alias_owner(function).await?;
        if let Owner::Uploaded = owner {
            let (store, name, owned) =
                (self.store.clone(), reference.name.clone(), alias.to_owned());
            let deleted = blocking(move || {
                store
                    .delete_alias(&name, &owned)
                    .map_err(store_err("deleting an alias"))
            })
            .await?;
            self.dispatcher
                .registry()
                .remove_alias(&format!("{}:{alias}", reference.name));
            if deleted {
                self.delete_alias_url(&reference.name, alias).await?;
                tracing::info!(alias = %alias_arn(&reference.name, alias), "alias deleted");
            }
        }
        Ok(empty(StatusCode::NO_CONTENT))
    }

    /// GetFunction (`configuration` false) or GetFunctionConfiguration (true): through an alias
    /// qualifier, the target version's answer with the alias ARN as `FunctionArn`; anything
    /// else as the function operations answer it.
    pub(crate) async fn get_function_qualified(
        &self,
        function: &str,
        qualifier: Option<&str>,
        configuration: bool,
    ) -> Reply {
        let reference = name::parse(function, qualifier)?;
        let Some(alias) = reference.alias() else {
            return if configuration {
                self.get_configuration(function, qualifier).await
            } else {
                self.get_function(function, qualifier).await
            };
        };
        let route = self
            .dispatcher
            .registry()
            .alias(&reference.key())
            .ok_or_else(|| reference.not_found())?;
        let response = if configuration {
            self.get_configuration(&reference.name, Some(&route.version))
                .await?
        } else {
            self.get_function(&reference.name, Some(&route.version))
                .await?
        };
        let arn = alias_arn(&reference.name, alias);
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| ApiError::internal("reading a function's view", e))?
            .to_bytes();
        let mut view: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::internal("reading a function's view", e))?;
        let target = if configuration {
            Some(&mut view)
        } else {
            view.get_mut("Configuration")
        };
        if let Some(Value::Object(object)) = target {
            object.insert("FunctionArn".into(), json!(arn));
        }
        Ok(Response::from_parts(
            parts,
            Full::new(Bytes::from(view.to_string())),
        ))
    }

    /// What DeleteFunction must do about aliases before it deletes (caller holds the write
    /// lock, and `reference` names an upload): a whole function loses its aliases; a version
    /// an alias uses is refused with Lambda's 409; an alias is not something DeleteFunction
    /// deletes (Lambda's 400).
    pub(crate) async fn alias_delete_hook(&self, reference: &FunctionRef) -> Result<(), ApiError> {
        if reference.alias().is_some() {
            return Err(ApiError::InvalidParameter(
                "Deletion of aliases is not currently supported.".into(),
            ));
        }
        let (store, name) = (self.store.clone(), reference.name.clone());
        match reference.qualifier.clone() {
            Some(version) => {
                let users = blocking(move || {
                    store
                        .aliases_of_version(&name, &version)
                        .map_err(store_err("reading aliases"))
                })
                .await?;
                if !users.is_empty() {
                    return Err(ApiError::Conflict(format!(
                        "Unable to delete version because the following aliases reference it: [{}]",
                        users.join(", ")
                    )));
                }
            }
            None => {
                blocking(move || {
                    store
                        .delete_function_aliases(&name)
                        .map_err(store_err("deleting the function's aliases"))
                })
                .await?;
                self.dispatcher.registry().remove_aliases(&reference.name);
            }
        }
        Ok(())
    }

    /// Put the stored aliases into the registry at startup (after the uploads are deployed),
    /// except those of names `fnhost.toml` holds. Returns how many.
    pub(crate) async fn restore_aliases(&self) -> Result<usize, ApiError> {
        let store = self.store.clone();
        let aliases =
            blocking(move || store.all_aliases().map_err(store_err("listing aliases"))).await?;
        let registry = self.dispatcher.registry();
        let mut restored = 0;
        for alias in aliases {
            if registry
                .get(&alias.function)
                .is_some_and(|d| d.origin == Origin::Manifest)
            {
                continue;
            }
            registry.set_alias(route_of(&alias));
            restored += 1;
        }
        Ok(restored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn names_follow_lambdas_pattern() {
        for ok in ["live", "2024-01-02", "v_2", "a", &"x".repeat(128)] {
            check_name(ok).unwrap();
        }
        for bad in ["2024", "", "a b", "a:b", "$LATEST"] {
            let err = check_name(bad).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{bad}");
            assert!(err.to_string().contains(NAME_PATTERN), "{err}");
        }
        assert!(
            check_name(&"x".repeat(129))
                .unwrap_err()
                .to_string()
                .contains("length less than or equal to 128")
        );
        check_version("$LATEST").unwrap();
        check_version("12").unwrap();
        assert_eq!(
            check_version("live").unwrap_err().code(),
            "ValidationException"
        );
    }

    #[test]
    fn weights_are_checked_as_lambda_does() {
        assert_eq!(routing_of(&weights(&[])).unwrap(), None);
        assert_eq!(
            routing_of(&weights(&[("2", 0.1)])).unwrap(),
            Some(("2".into(), 0.1))
        );
        let err = routing_of(&weights(&[("2", 2.0)])).unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert_eq!(
            err.to_string(),
            "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
        );
        assert_eq!(
            routing_of(&weights(&[("2", -0.5)])).unwrap_err().code(),
            "ValidationException"
        );
        assert_eq!(
            routing_of(&weights(&[("$LATEST", 0.5)]))
                .unwrap_err()
                .code(),
            "ValidationException"
        );
        let err = routing_of(&weights(&[("2", 0.1), ("3", 0.1)])).unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
        assert_eq!(
            err.to_string(),
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        );
        let two = ("2".to_owned(), 0.5);
        assert_eq!(
            check_routing("$LATEST", Some(&two))
                .unwrap_err()
                .to_string(),
            "$LATEST is not supported for an alias pointing to more than 1 version"
        );
        assert_eq!(
            check_routing("2", Some(&two)).unwrap_err().to_string(),
            "Invalid function version 2. Function version 2 is already included in routing configuration."
        );
        check_routing("1", Some(&two)).unwrap();
        check_routing("$LATEST", None).unwrap();
    }

    #[test]
    fn the_alias_shows_routing_only_with_weights() {
        let mut alias = AliasRecord {
            function: "fn".into(),
            name: "live".into(),
            function_version: "1".into(),
            description: String::new(),
            routing: None,
            revision_id: "r".into(),
        };
        let shown = alias_json(&alias);
        assert_eq!(
            shown["AliasArn"],
            "arn:aws:lambda:us-east-1:000000000000:function:fn:live"
        );
        assert!(shown.get("RoutingConfig").is_none());
        alias.routing = Some(("2".into(), 0.2));
        assert_eq!(
            alias_json(&alias)["RoutingConfig"],
            json!({"AdditionalVersionWeights": {"2": 0.2}})
        );
    }

    #[test]
    fn alias_routes_are_distinct_from_other_paths() {
        assert_eq!(
            route(&Method::PUT, "f".into(), Some("live".into())),
            Some(AliasOp::Update("f".into(), "live".into()))
        );
        assert_eq!(route(&Method::PUT, "f".into(), None), None);
        assert_eq!(route(&Method::POST, "f".into(), Some("x".into())), None);
        use crate::api::{Op, route as api_route};
        let path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/aliases";
        assert_eq!(
            api_route(&Method::POST, path),
            Some(Op::Aliases(AliasOp::Create(
                "arn:aws:lambda:us-east-1:000000000000:function:f".into()
            )))
        );
        assert_eq!(
            api_route(&Method::GET, "/2015-03-31/functions/f/aliases"),
            Some(Op::Aliases(AliasOp::List("f".into())))
        );
        assert_eq!(
            api_route(&Method::DELETE, "/2015-03-31/functions/f/aliases/live"),
            Some(Op::Aliases(AliasOp::Delete("f".into(), "live".into())))
        );
        assert_eq!(
            api_route(&Method::PATCH, "/2015-03-31/functions/f/aliases/live"),
            None
        );
        assert_eq!(
            api_route(&Method::GET, "/2015-03-31/functions/f/aliases/a/b"),
            None
        );
    }
}
