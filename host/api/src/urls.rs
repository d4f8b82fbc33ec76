//! Function URLs: CreateFunctionUrlConfig, GetFunctionUrlConfig, UpdateFunctionUrlConfig,
//! DeleteFunctionUrlConfig and ListFunctionUrlConfigs (`/2021-10-31/functions/{F}/url[s]`),
//! with Lambda's validation and error texts (`reference/lambda-env.md` §E).
//!
//! An uploaded function and each of its aliases may have one URL, with a new random id each
//! time one is created. URLs live in the store and, for the HTTP listener, in the live table
//! [`fnhost_http::FunctionUrls`], which every change updates and [`Api::serve_urls`] fills at
//! startup. `FunctionUrl` is `http://<url-id>.lambda-url.<domain>:<port>/` on the HTTP listener
//! of `fnhost up`. A function of `fnhost.toml` declares its URL there (`url`): the API shows it
//! but does not change it. `AWS_IAM` URLs are checked against the admin credentials with the
//! API's own SigV4 verifier, which [`Api::serve_urls`] hands to the listener.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use fnhost_dispatch::Origin;
use fnhost_edge::percent_decode;
use fnhost_events::IamCaller;
use fnhost_http::{FunctionUrls, UrlAuthenticator, UrlTarget};
use fnhost_manifest::{URL_ID_LEN, UrlAuthType, UrlCors};
use fnhost_runtime::ACCOUNT;
use fnhost_store::{FunctionUrlRecord, LATEST};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, blocking, empty, json_response, now_ms};
use crate::config::parse_body;
use crate::error::ApiError;
use crate::name::{self, FunctionRef};
use crate::paging::Page;
use crate::sigv4::Verifier;

type Reply = Result<Response<Full<Bytes>>, ApiError>;

/// Most URLs in one ListFunctionUrlConfigs page (Lambda's cap).
const MAX_LIST_ITEMS: usize = 50;
/// The only invoke mode fnhost serves.
const BUFFERED: &str = "BUFFERED";
/// Lambda's Qualifier pattern for URLs: an alias name, never a version.
const QUALIFIER_PATTERN: &str = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)";

/// A function URL operation, by method and path under `/2021-10-31/functions/{F}/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlOp {
    /// `POST …/url`.
    Create(String),
    /// `GET …/url`.
    Get(String),
    /// `PUT …/url`.
    Update(String),
    /// `DELETE …/url`.
    Delete(String),
    /// `GET …/urls`.
    List(String),
}

/// The operation at `rest`, the path after `/2021-10-31/functions/`.
pub(crate) fn route(method: &Method, rest: &str) -> Option<UrlOp> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (function, what) = rest.split_once('/')?;
    let function = percent_decode(function);
    if function.is_empty() {
        return None;
    }
    Some(match (method.as_str(), what) {
        ("POST", "url") => UrlOp::Create(function),
        ("GET", "url") => UrlOp::Get(function),
        ("PUT", "url") => UrlOp::Update(function),
        ("DELETE", "url") => UrlOp::Delete(function),
        ("GET", "urls") => UrlOp::List(function),
        _ => return None,
    })
}

/// The body of Create and Update.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UrlInput {
    auth_type: Option<String>,
    cors: Option<UrlCors>,
    invoke_mode: Option<String>,
}

fn validation(value: &str, field: &str, constraint: &str) -> ApiError {
    ApiError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
    ))
}

/// `AuthType`, checked against Lambda's enum.
fn auth_type(text: &str) -> Result<UrlAuthType, ApiError> {
    text.parse().map_err(|_| {
        validation(
            text,
            "authType",
            "Member must satisfy enum value set: [AWS_IAM, NONE]",
        )
    })
}

/// `InvokeMode`: Lambda's enum, and only `BUFFERED` served.
fn invoke_mode(text: &str) -> Result<(), ApiError> {
    match text {
        BUFFERED => Ok(()),
        "RESPONSE_STREAM" => Err(ApiError::InvalidParameter(
            "InvokeMode RESPONSE_STREAM is not supported by fnhost: function URLs answer with the whole response (BUFFERED, up to 6 MB); omit InvokeMode or send BUFFERED".into(),
        )),
        other => Err(validation(
            other,
            "invokeMode",
            "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]",
        )),
    }
}

/// `Cors`, within Lambda's limits; an empty object means none.
fn cors(cors: Option<UrlCors>) -> Result<Option<UrlCors>, ApiError> {
    match cors {
        None => Ok(None),
        Some(cors) if cors == UrlCors::default() => Ok(None),
        Some(cors) => {
            cors.check().map_err(ApiError::Validation)?;
            Ok(Some(cors))
        }
    }
}

/// The function and alias an operation names; a version or `$LATEST` is refused.
fn target(function: &str, qualifier: Option<&str>) -> Result<FunctionRef, ApiError> {
    let reference = name::parse(function, qualifier)?;
    if let Some(q) = &reference.qualifier {
        let alias = !q.is_empty()
            && !q.bytes().all(|b| b.is_ascii_digit())
            && q.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !alias {
            return Err(validation(
                q,
                "qualifier",
                &format!("Member must satisfy regular expression pattern: {QUALIFIER_PATTERN}"),
            ));
        }
    }
    Ok(reference)
}

/// A new URL id: 32 lower-case letters and digits from the system's random source.
fn new_url_id() -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut id = String::with_capacity(URL_ID_LEN);
    while id.len() < URL_ID_LEN {
        for byte in uuid::Uuid::new_v4().into_bytes() {
            // 252 = 7 × 36: below it every letter is equally likely.
            if byte < 252 && id.len() < URL_ID_LEN {
                id.push(char::from(ALPHABET[usize::from(byte % 36)]));
            }
        }
    }
    id
}

/// Lambda's timestamp format for URL configs, `2021-10-29T18:21:50.394645Z`.
fn timestamp(ms: u64) -> String {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn store_err(what: &'static str) -> impl Fn(fnhost_store::StoreError) -> ApiError {
    move |e| ApiError::internal(what, e)
}

/// Why the API does not change a manifest function's URL.
fn manifest_conflict(name: &str) -> ApiError {
    ApiError::Conflict(format!(
        "Function `{name}` is declared in fnhost.toml; its URL is its `url` there (`url = true` or `[function.{name}.url]`): change it by editing fnhost.toml (fnhost reloads it), not through the API"
    ))
}

/// The stored form of a URL's settings.
fn stored_cors(cors: Option<&UrlCors>) -> Result<Option<String>, ApiError> {
    cors.map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::internal("writing the CORS settings", e))
}

/// The listener's view of a stored URL.
pub(crate) fn target_of(record: &FunctionUrlRecord) -> Result<UrlTarget, String> {
    let auth = record.auth_type.parse().map_err(|e| format!("{e}"))?;
    let cors = record
        .cors
        .as_deref()
        .map(serde_json::from_str::<UrlCors>)
        .transpose()
        .map_err(|e| format!("stored CORS settings: {e}"))?;
    Ok(UrlTarget {
        url_id: record.url_id.clone(),
        function: record.function.clone(),
        qualifier: record.qualifier.clone(),
        auth,
        cors,
    })
}

/// The ARN a URL config shows: the function's, or its alias's.
fn function_arn(function: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(alias) => format!("{}:{alias}", name::arn(function)),
        None => name::arn(function),
    }
}

/// What a URL config response holds; `invoke_mode` is shown by Get and List always, by Create
/// and Update only when it was sent (Lambda's recorded behaviour).
struct Shown<'a> {
    urls: &'a FunctionUrls,
    target: &'a UrlTarget,
    created_ms: u64,
    modified_ms: Option<u64>,
    invoke_mode: bool,
}

impl Shown<'_> {
    fn json(&self) -> Value {
        let mut body = json!({
            "FunctionUrl": self.urls.url_of(&self.target.url_id),
            "FunctionArn": function_arn(&self.target.function, self.target.qualifier.as_deref()),
            "AuthType": self.target.auth.as_str(),
            "CreationTime": timestamp(self.created_ms),
        });
        if let Some(object) = body.as_object_mut() {
            if let Some(cors) = &self.target.cors {
                object.insert("Cors".into(), json!(cors));
            }
            if let Some(modified) = self.modified_ms {
                object.insert("LastModifiedTime".into(), json!(timestamp(modified)));
            }
            if self.invoke_mode {
                object.insert("InvokeMode".into(), json!(BUFFERED));
            }
        }
        body
    }
}

/// The SigV4 check of `AWS_IAM` URLs: the admin credentials, service `lambda`; the access
/// key id they are signed with.
struct UrlSignatures(Verifier, String);

impl UrlAuthenticator for UrlSignatures {
    fn check_headers(&self, parts: &Parts) -> Result<(), String> {
        self.0
            .check_headers(parts, chrono::Utc::now())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn authenticate(&self, parts: &Parts, body: &[u8]) -> Result<IamCaller, String> {
        let pending = self
            .0
            .check_headers(parts, chrono::Utc::now())
            .map_err(|e| e.to_string())?;
        self.0
            .verify(&pending, parts, body)
            .map_err(|e| e.to_string())?;
        // The admin credentials are the account's own (its root user, as fnhost has no IAM).
        Ok(IamCaller {
            access_key: self.1.clone(),
            account_id: ACCOUNT.to_owned(),
            caller_id: ACCOUNT.to_owned(),
            user_arn: format!("arn:aws:iam::{ACCOUNT}:root"),
            user_id: ACCOUNT.to_owned(),
        })
    }
}

/// What a URL operation's function is.
enum Owner {
    Uploaded,
    Manifest,
}

impl Api {
    /// Answer a function URL operation.
    pub(crate) async fn url_op(
        &self,
        op: UrlOp,
        query: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Reply {
        let qualifier = query.get("Qualifier").map(String::as_str);
        match op {
            UrlOp::Create(function) => self.create_url(&function, qualifier, body).await,
            UrlOp::Get(function) => self.get_url(&function, qualifier).await,
            UrlOp::Update(function) => self.update_url(&function, qualifier, body).await,
            UrlOp::Delete(function) => self.delete_url(&function, qualifier).await,
            UrlOp::List(function) => self.list_urls(&function, query).await,
        }
    }

    /// The live URL table, or why this host has none.
    fn url_table(&self) -> Result<&Arc<FunctionUrls>, ApiError> {
        self.config.urls.as_ref().ok_or_else(|| {
            ApiError::InvalidParameter(
                "function URLs are served by the HTTP listener of `fnhost up`, which this host does not run".into(),
            )
        })
    }

    /// Install the SigV4 check of `AWS_IAM` URLs into the URL table, and restore the stored
    /// URLs into it (at startup). Returns how many were restored.
    pub async fn serve_urls(&self) -> Result<usize, ApiError> {
        let Some(urls) = self.config.urls.clone() else {
            return Ok(0);
        };
        if let Some(credentials) = &self.config.auth {
            urls.set_authenticator(Arc::new(UrlSignatures(
                Verifier::new(credentials.clone()),
                credentials.access_key_id().to_owned(),
            )));
        }
        let store = self.store.clone();
        let records = blocking(move || {
            store
                .all_function_urls()
                .map_err(store_err("listing function urls"))
        })
        .await?;
        let mut restored = 0;
        for record in records {
            match target_of(&record) {
                Ok(target) => {
                    urls.insert(target);
                    restored += 1;
                }
                Err(err) => {
                    tracing::warn!(function = %record.function, url_id = %record.url_id, %err, "cannot serve a stored function url");
                }
            }
        }
        Ok(restored)
    }

    /// Remove every URL of uploaded function `name` (it is being deleted; caller holds the
    /// write lock).
    pub(crate) async fn delete_function_urls(&self, name: &str) -> Result<(), ApiError> {
        let (store, owned) = (self.store.clone(), name.to_owned());
        blocking(move || {
            store
                .delete_function_urls(&owned)
                .map_err(store_err("deleting the function's urls"))
        })
        .await?;
        if let Some(urls) = &self.config.urls {
            urls.remove_function(name);
        }
        Ok(())
    }

    /// Remove the URL of alias `alias` of `name` (the alias is being deleted).
    pub(crate) async fn delete_alias_url(&self, name: &str, alias: &str) -> Result<(), ApiError> {
        if let Some(record) = self.stored_url(name, Some(alias)).await? {
            let (store, owned, alias) = (self.store.clone(), name.to_owned(), alias.to_owned());
            blocking(move || {
                store
                    .delete_function_url(&owned, Some(&alias))
                    .map_err(store_err("deleting a function url"))
            })
            .await?;
            if let Some(urls) = &self.config.urls {
                urls.remove(&record.url_id);
            }
        }
        Ok(())
    }

    /// Whose the function is; `None` when there is no such function.
    async fn url_owner(&self, name: &str) -> Result<Option<Owner>, ApiError> {
        if self
            .dispatcher
            .registry()
            .get(name)
            .is_some_and(|d| d.origin == Origin::Manifest)
        {
            return Ok(Some(Owner::Manifest));
        }
        let (store, owned) = (self.store.clone(), name.to_owned());
        let stored = blocking(move || {
            store
                .function(&owned, LATEST)
                .map_err(store_err("reading the function registry"))
        })
        .await?;
        Ok(stored.map(|_| Owner::Uploaded))
    }

    /// Whether alias `alias` of `name` exists.
    fn alias_exists(&self, name: &str, alias: &str) -> bool {
        self.dispatcher
            .registry()
            .alias(&format!("{name}:{alias}"))
            .is_some()
    }

    async fn stored_url(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<FunctionUrlRecord>, ApiError> {
        let (store, name, qualifier) = (
            self.store.clone(),
            name.to_owned(),
            qualifier.map(str::to_owned),
        );
        blocking(move || {
            store
                .function_url(&name, qualifier.as_deref())
                .map_err(store_err("reading a function url"))
        })
        .await
    }

    /// The uploaded function (or alias) a Create or Update names, or Lambda's 404.
    async fn writable(&self, reference: &FunctionRef) -> Result<(), ApiError> {
        let missing = || ApiError::Missing("Function does not exist".into());
        match self.url_owner(&reference.name).await? {
            None => Err(missing()),
            Some(Owner::Manifest) => Err(manifest_conflict(&reference.name)),
            Some(Owner::Uploaded) => match &reference.qualifier {
                Some(alias) if !self.alias_exists(&reference.name, alias) => Err(missing()),
                _ => Ok(()),
            },
        }
    }

    async fn create_url(&self, function: &str, qualifier: Option<&str>, body: &[u8]) -> Reply {
        let urls = self.url_table()?;
        let reference = target(function, qualifier)?;
        let input: UrlInput = parse_body(body)?;
        let auth = match &input.auth_type {
            Some(text) => auth_type(text)?,
            None => {
                return Err(ApiError::Validation(
                    "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null".into(),
                ));
            }
        };
        if let Some(mode) = &input.invoke_mode {
            invoke_mode(mode)?;
        }
        let cors = cors(input.cors)?;
        let _writes = self.writes.lock().await;
        self.writable(&reference).await?;
        let now = now_ms();
        let target = UrlTarget {
            url_id: new_url_id(),
            function: reference.name.clone(),
            qualifier: reference.qualifier.clone(),
            auth,
            cors,
        };
        let record = FunctionUrlRecord {
            function: target.function.clone(),
            qualifier: target.qualifier.clone(),
            url_id: target.url_id.clone(),
            auth_type: auth.as_str().to_owned(),
            cors: stored_cors(target.cors.as_ref())?,
            invoke_mode: BUFFERED.to_owned(),
            created_ms: now,
            modified_ms: now,
        };
        let store = self.store.clone();
        let created = blocking(move || {
            store
                .create_function_url(&record)
                .map_err(store_err("creating a function url"))
        })
        .await?;
        if !created {
            return Err(ApiError::Conflict(format!(
                "Failed to create function url config for [functionArn = {}]. Error message:  FunctionUrlConfig exists for this Lambda function",
                function_arn(&reference.name, reference.qualifier.as_deref())
            )));
        }
        urls.insert(target.clone());
        tracing::info!(function = %reference.arn(), url = %urls.url_of(&target.url_id), "function url created");
        let shown = Shown {
            urls,
            target: &target,
            created_ms: now,
            modified_ms: None,
            invoke_mode: input.invoke_mode.is_some(),
        };
        Ok(json_response(StatusCode::CREATED, &shown.json()))
    }

    async fn get_url(&self, function: &str, qualifier: Option<&str>) -> Reply {
        let urls = self.url_table()?;
        let reference = target(function, qualifier)?;
        match self.url_owner(&reference.name).await? {
            None => Err(ApiError::ResourceMissing),
            Some(Owner::Manifest) => {
                let declared = urls
                    .manifest_url(&reference.name)
                    .filter(|_| reference.qualifier.is_none())
                    .ok_or(ApiError::ResourceMissing)?;
                Ok(json_response(
                    StatusCode::OK,
                    &self.manifest_shown(urls, &declared),
                ))
            }
            Some(Owner::Uploaded) => {
                let record = self
                    .stored_url(&reference.name, reference.qualifier.as_deref())
                    .await?
                    .ok_or(ApiError::ResourceMissing)?;
                let target = target_of(&record)
                    .map_err(|e| ApiError::internal("reading a function url", e))?;
                let shown = Shown {
                    urls,
                    target: &target,
                    created_ms: record.created_ms,
                    modified_ms: Some(record.modified_ms),
                    invoke_mode: true,
                };
                Ok(json_response(StatusCode::OK, &shown.json()))
            }
        }
    }

    /// A manifest function's URL config: created and modified when the host loaded it.
    fn manifest_shown(&self, urls: &FunctionUrls, declared: &UrlTarget) -> Value {
        Shown {
            urls,
            target: declared,
            created_ms: self.started_ms,
            modified_ms: Some(self.started_ms),
            invoke_mode: true,
        }
        .json()
    }

    async fn update_url(&self, function: &str, qualifier: Option<&str>, body: &[u8]) -> Reply {
        let urls = self.url_table()?;
        let reference = target(function, qualifier)?;
        let input: UrlInput = parse_body(body)?;
        let auth = input.auth_type.as_deref().map(auth_type).transpose()?;
        if let Some(mode) = &input.invoke_mode {
            invoke_mode(mode)?;
        }
        let new_cors = match input.cors {
            Some(given) => Some(cors(Some(given))?),
            None => None,
        };
        let _writes = self.writes.lock().await;
        self.writable(&reference).await?;
        let mut record = self
            .stored_url(&reference.name, reference.qualifier.as_deref())
            .await?
            .ok_or(ApiError::ResourceMissing)?;
        if let Some(auth) = auth {
            record.auth_type = auth.as_str().to_owned();
        }
        if let Some(new_cors) = &new_cors {
            record.cors = stored_cors(new_cors.as_ref())?;
        }
        record.modified_ms = now_ms();
        let target =
            target_of(&record).map_err(|e| ApiError::internal("reading a function url", e))?;
        let (store, saved) = (self.store.clone(), record.clone());
        let updated = blocking(move || {
            store
                .update_function_url(&saved)
                .map_err(store_err("updating a function url"))
        })
        .await?;
        if !updated {
            return Err(ApiError::ResourceMissing);
        }
        urls.insert(target.clone());
        let shown = Shown {
            urls,
            target: &target,
            created_ms: record.created_ms,
            modified_ms: Some(record.modified_ms),
            invoke_mode: input.invoke_mode.is_some(),
        };
        Ok(json_response(StatusCode::OK, &shown.json()))
    }

    async fn delete_url(&self, function: &str, qualifier: Option<&str>) -> Reply {
        let urls = self.url_table()?;
        let reference = target(function, qualifier)?;
        let _writes = self.writes.lock().await;
        match self.url_owner(&reference.name).await? {
            None => return Err(ApiError::ResourceMissing),
            Some(Owner::Manifest) => return Err(manifest_conflict(&reference.name)),
            Some(Owner::Uploaded) => {}
        }
        let record = self
            .stored_url(&reference.name, reference.qualifier.as_deref())
            .await?
            .ok_or(ApiError::ResourceMissing)?;
        let (store, name, alias) = (
            self.store.clone(),
            reference.name.clone(),
            reference.qualifier.clone(),
        );
        blocking(move || {
            store
                .delete_function_url(&name, alias.as_deref())
                .map_err(store_err("deleting a function url"))
        })
        .await?;
        urls.remove(&record.url_id);
        tracing::info!(function = %reference.arn(), url_id = %record.url_id, "function url deleted");
        Ok(empty(StatusCode::NO_CONTENT))
    }

    async fn list_urls(&self, function: &str, query: &BTreeMap<String, String>) -> Reply {
        let urls = self.url_table()?;
        let reference = name::parse(function, None)?;
        let page = Page::of(query, MAX_LIST_ITEMS, "ListFunctionUrlConfigs")?;
        let shown: Vec<(String, Value)> = match self.url_owner(&reference.name).await? {
            None => return Err(ApiError::Missing("Function does not exist".into())),
            Some(Owner::Manifest) => urls
                .manifest_url(&reference.name)
                .map(|declared| (String::new(), self.manifest_shown(urls, &declared)))
                .into_iter()
                .collect(),
            Some(Owner::Uploaded) => {
                let (store, name) = (self.store.clone(), reference.name.clone());
                let records = blocking(move || {
                    store
                        .function_urls(&name)
                        .map_err(store_err("listing function urls"))
                })
                .await?;
                let mut shown = Vec::new();
                for record in records {
                    let target = target_of(&record)
                        .map_err(|e| ApiError::internal("reading a function url", e))?;
                    let view = Shown {
                        urls,
                        target: &target,
                        created_ms: record.created_ms,
                        modified_ms: Some(record.modified_ms),
                        invoke_mode: true,
                    }
                    .json();
                    shown.push((record.qualifier.unwrap_or_default(), view));
                }
                shown
            }
        };
        let (shown, next) = page.slice(&shown);
        let mut body = json!({
            "FunctionUrlConfigs": shown.iter().map(|(_, v)| v.clone()).collect::<Vec<Value>>(),
        });
        if let (Some(next), Some(object)) = (next, body.as_object_mut()) {
            object.insert("NextMarker".into(), json!(next));
        }
        Ok(json_response(StatusCode::OK, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_take_the_2021_paths() {
        assert_eq!(
            route(&Method::POST, "f/url"),
            Some(UrlOp::Create("f".into()))
        );
        assert_eq!(
            route(
                &Method::GET,
                "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/url"
            ),
            Some(UrlOp::Get(
                "arn:aws:lambda:us-east-1:000000000000:function:f".into()
            ))
        );
        assert_eq!(
            route(&Method::PUT, "f/url/"),
            Some(UrlOp::Update("f".into()))
        );
        assert_eq!(
            route(&Method::DELETE, "f/url"),
            Some(UrlOp::Delete("f".into()))
        );
        assert_eq!(route(&Method::GET, "f/urls"), Some(UrlOp::List("f".into())));
        assert_eq!(route(&Method::POST, "f/urls"), None);
        assert_eq!(route(&Method::GET, "f"), None);
        assert_eq!(route(&Method::GET, "/url"), None);
    }

    #[test]
    fn qualifiers_are_aliases_only() {
        assert_eq!(
            target("f", Some("live")).unwrap().qualifier.as_deref(),
            Some("live")
        );
        assert_eq!(
            target("f:live", None).unwrap().qualifier.as_deref(),
            Some("live")
        );
        for bad in ["1", "$LATEST"] {
            let err = target("f", Some(bad)).unwrap_err();
            assert_eq!(err.code(), "ValidationException", "{bad}");
            assert_eq!(
                err.to_string(),
                format!(
                    "1 validation error detected: Value '{bad}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
                )
            );
        }
        let err = target("f:live", Some("dev")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The derived qualifier from the function name does not match the specified qualifier."
        );
    }

    #[test]
    fn url_ids_are_new_each_time_and_well_formed() {
        let a = new_url_id();
        let b = new_url_id();
        assert_ne!(a, b);
        assert!(fnhost_manifest::is_url_id(&a), "{a}");
        assert!(fnhost_manifest::is_url_id(&b), "{b}");
    }

    #[test]
    fn auth_and_invoke_mode_follow_lambdas_enums() {
        assert_eq!(auth_type("AWS_IAM").unwrap(), UrlAuthType::AwsIam);
        assert_eq!(
            auth_type("none").unwrap_err().to_string(),
            "1 validation error detected: Value 'none' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_IAM, NONE]"
        );
        invoke_mode("BUFFERED").unwrap();
        let stream = invoke_mode("RESPONSE_STREAM").unwrap_err();
        assert_eq!(stream.code(), "InvalidParameterValueException");
        assert!(stream.to_string().contains("not supported by fnhost"));
        assert_eq!(
            invoke_mode("STREAM").unwrap_err().code(),
            "ValidationException"
        );
        assert_eq!(timestamp(1_635_531_710_394), "2021-10-29T18:21:50.394000Z");
    }
}
