//! TagResource, UntagResource and ListTags on uploaded functions (`/2017-03-31/tags/{ARN}`).
//!
//! Tags belong to the function, not a version. Some are grants ([`crate::grants`]), and the
//! grants live in each loaded version's spec, so a change of tags reloads every deployed version
//! of the function (from the compiled artifact cache) before it answers: the next invocation
//! runs with the new grants; one in flight keeps the ones it started with.

use std::collections::BTreeMap;

use bytes::Bytes;
use fnhost_edge::percent_decode;
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, blocking, empty, json_response};
use crate::config::parse_body;
use crate::error::ApiError;
use crate::functions::key_of;
use crate::grants::check_tags;
use crate::name::{self, FunctionRef};

/// A tagging operation, by the function ARN it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagOp {
    /// `POST`: add or replace tags.
    Tag(String),
    /// `DELETE ?tagKeys=…`: remove tags.
    Untag(String),
    /// `GET`: list them.
    List(String),
}

/// The operation at `rest`, the path after `/2017-03-31/tags/`.
pub(crate) fn route(method: &Method, rest: &str) -> Option<TagOp> {
    let arn = percent_decode(rest.trim_end_matches('/'));
    if arn.is_empty() {
        return None;
    }
    match *method {
        Method::POST => Some(TagOp::Tag(arn)),
        Method::DELETE => Some(TagOp::Untag(arn)),
        Method::GET => Some(TagOp::List(arn)),
        _ => None,
    }
}

/// TagResource's body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagInput {
    tags: BTreeMap<String, String>,
}

/// Every `tagKeys` of the query (UntagResource repeats the key).
fn tag_keys(parts: &Parts) -> Vec<String> {
    parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| percent_decode(k) == "tagKeys")
        .map(|(_, v)| percent_decode(v))
        .collect()
}

type Reply = Result<Response<Full<Bytes>>, ApiError>;

impl Api {
    /// Answer a tagging operation.
    pub(crate) async fn tag_op(&self, op: TagOp, parts: &Parts, body: &[u8]) -> Reply {
        match op {
            TagOp::List(arn) => {
                let reference = self.tagged(&arn)?;
                self.uploaded(&reference).await?;
                let tags = self.tags(&reference.name).await?;
                Ok(json_response(StatusCode::OK, &json!({ "Tags": tags })))
            }
            TagOp::Tag(arn) => {
                let reference = self.tagged(&arn)?;
                let input: TagInput = parse_body(body)?;
                let _writes = self.writes.lock().await;
                self.uploaded(&reference).await?;
                let mut tags = self.tags(&reference.name).await?;
                tags.extend(input.tags.clone());
                check_tags(&tags)?;
                let (store, name) = (self.store.clone(), reference.name.clone());
                blocking(move || {
                    store
                        .tag_function(&name, &input.tags)
                        .map_err(|e| ApiError::internal("tagging the function", e))
                })
                .await?;
                self.redeploy(&reference.name).await?;
                Ok(empty(StatusCode::NO_CONTENT))
            }
            TagOp::Untag(arn) => {
                let reference = self.tagged(&arn)?;
                let keys = tag_keys(parts);
                let _writes = self.writes.lock().await;
                self.uploaded(&reference).await?;
                let (store, name) = (self.store.clone(), reference.name.clone());
                blocking(move || {
                    store
                        .untag_function(&name, &keys)
                        .map_err(|e| ApiError::internal("untagging the function", e))
                })
                .await?;
                self.redeploy(&reference.name).await?;
                Ok(empty(StatusCode::NO_CONTENT))
            }
        }
    }

    /// The function a tagging ARN names: the function itself, never a version.
    fn tagged(&self, arn: &str) -> Result<FunctionRef, ApiError> {
        let reference = name::parse(arn, None)?;
        if reference.qualifier.is_some() {
            return Err(ApiError::InvalidParameter(format!(
                "tags belong to a function, not a version: use the unqualified ARN {}",
                name::arn(&reference.name)
            )));
        }
        Ok(reference)
    }

    /// Reload every deployed version of uploaded function `name` with its current tags.
    async fn redeploy(&self, name: &str) -> Result<(), ApiError> {
        let (store, owned) = (self.store.clone(), name.to_owned());
        let versions = blocking(move || {
            store
                .versions(&owned)
                .map_err(|e| ApiError::internal("reading the function registry", e))
        })
        .await?;
        for record in versions {
            let loaded = self.load_stored(&record).await?;
            self.dispatcher
                .registry()
                .insert(&key_of(&record), self.deployed(loaded));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_tag_keys() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
        let encoded = "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af";
        assert_eq!(
            route(&Method::POST, encoded),
            Some(TagOp::Tag(arn.to_owned()))
        );
        assert_eq!(route(&Method::GET, arn), Some(TagOp::List(arn.to_owned())));
        assert_eq!(route(&Method::PUT, arn), None);
        assert_eq!(route(&Method::GET, ""), None);
        let parts = http::Request::builder()
            .uri("/2017-03-31/tags/x?tagKeys=a&tagKeys=fnhost%3Ainvoke&other=b")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert_eq!(tag_keys(&parts), ["a", "fnhost:invoke"]);
    }
}
