//! Function URLs: a function's `url` (`url = true`, or `[function.NAME.url]` with `auth` and
//! `cors`), and the Lambda shapes that both the manifest and the Lambda API check with the same
//! rules: [`UrlAuthType`] and [`UrlCors`] with Lambda's limits ([`UrlCors::check`]).
//!
//! A manifest function's URL has a stable id, [`url_id_for`] its name, so its address survives
//! restarts; a URL made through the API gets a random one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::ManifestError;
use crate::raw::{Integer, Table};
use crate::source::Source;

/// Most `AllowHeaders`, `AllowOrigins` or `ExposeHeaders` entries (Lambda's limit).
pub const MAX_CORS_ITEMS: usize = 100;
/// Most `AllowMethods` entries (Lambda's limit).
pub const MAX_CORS_METHODS: usize = 6;
/// Longest `AllowMethods` entry.
pub const MAX_CORS_METHOD_LEN: usize = 6;
/// Longest `AllowOrigins` entry.
pub const MAX_CORS_ORIGIN_LEN: usize = 253;
/// Longest `AllowHeaders` / `ExposeHeaders` entry.
pub const MAX_CORS_HEADER_LEN: usize = 1024;
/// Largest `MaxAge`, in seconds (one day).
pub const MAX_CORS_MAX_AGE: i64 = 86_400;
/// Length of a URL id: 32 lower-case letters and digits.
pub const URL_ID_LEN: usize = 32;

/// Who may call a function URL (`AuthType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UrlAuthType {
    /// `NONE`: anyone who can reach the HTTP listener.
    #[default]
    None,
    /// `AWS_IAM`: requests SigV4-signed with fnhost's admin credentials.
    AwsIam,
}

impl UrlAuthType {
    /// Lambda's name: `NONE` or `AWS_IAM`.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlAuthType::None => "NONE",
            UrlAuthType::AwsIam => "AWS_IAM",
        }
    }
}

impl fmt::Display for UrlAuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is neither `NONE` nor `AWS_IAM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an AuthType: use NONE or AWS_IAM")]
pub struct UnknownAuthType(pub String);

impl FromStr for UrlAuthType {
    type Err = UnknownAuthType;

    /// Lambda's names, exactly (`NONE`, `AWS_IAM`).
    fn from_str(s: &str) -> Result<Self, UnknownAuthType> {
        match s {
            "NONE" => Ok(UrlAuthType::None),
            "AWS_IAM" => Ok(UrlAuthType::AwsIam),
            other => Err(UnknownAuthType(other.to_owned())),
        }
    }
}

/// Lambda's `Cors` of a function URL, in the API's JSON shape (absent members stay absent).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UrlCors {
    /// `Access-Control-Allow-Credentials: true` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
    /// Request headers a browser may send (`Access-Control-Allow-Headers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_headers: Option<Vec<String>>,
    /// Methods a browser may use (`Access-Control-Allow-Methods`), `*` for any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_methods: Option<Vec<String>>,
    /// Origins allowed to call the URL (`*` for any), matched exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_origins: Option<Vec<String>>,
    /// Response headers a browser may read (`Access-Control-Expose-Headers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expose_headers: Option<Vec<String>>,
    /// Seconds a browser may cache a preflight answer (`Access-Control-Max-Age`), 0–86400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
}

impl UrlCors {
    /// Lambda's limits, checked in its order; the error is the text of Lambda's
    /// `ValidationException` (`1 validation error detected: Value '…' at 'cors.allowMethods'
    /// failed to satisfy constraint: …`).
    pub fn check(&self) -> Result<(), String> {
        let lists = [
            (
                "allowHeaders",
                &self.allow_headers,
                MAX_CORS_ITEMS,
                MAX_CORS_HEADER_LEN,
            ),
            (
                "allowMethods",
                &self.allow_methods,
                MAX_CORS_METHODS,
                MAX_CORS_METHOD_LEN,
            ),
            (
                "allowOrigins",
                &self.allow_origins,
                MAX_CORS_ITEMS,
                MAX_CORS_ORIGIN_LEN,
            ),
            (
                "exposeHeaders",
                &self.expose_headers,
                MAX_CORS_ITEMS,
                MAX_CORS_HEADER_LEN,
            ),
        ];
        for (field, list, max_items, max_len) in lists {
            let Some(list) = list else { continue };
            let shown = format!("[{}]", list.join(", "));
            if list.len() > max_items {
                return Err(validation(
                    &shown,
                    field,
                    &format!("Member must have length less than or equal to {max_items}"),
                ));
            }
            for item in list {
                let constraint = if item.chars().count() > max_len {
                    format!("Member must have length less than or equal to {max_len}")
                } else if field == "allowOrigins" && item.is_empty() {
                    "Member must have length greater than or equal to 1".to_owned()
                } else if item.chars().any(char::is_control) {
                    // A header value cannot hold control characters (the model says `.*`).
                    "Member must satisfy regular expression pattern: .*".to_owned()
                } else {
                    continue;
                };
                return Err(validation(
                    &shown,
                    field,
                    &format!("Member must satisfy constraint: [{constraint}]"),
                ));
            }
        }
        if let Some(age) = self.max_age
            && !(0..=MAX_CORS_MAX_AGE).contains(&age)
        {
            let bound = if age < 0 {
                "Member must have value greater than or equal to 0".to_owned()
            } else {
                format!("Member must have value less than or equal to {MAX_CORS_MAX_AGE}")
            };
            return Err(validation(&age.to_string(), "maxAge", &bound));
        }
        Ok(())
    }

    /// Whether `origin` may call the URL: `*` allows any, otherwise an exact
    /// (case-insensitive) match.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allow_origins
            .iter()
            .flatten()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }
}

fn validation(value: &str, field: &str, constraint: &str) -> String {
    format!(
        "1 validation error detected: Value '{value}' at 'cors.{field}' failed to satisfy constraint: {constraint}"
    )
}

/// The function URL a manifest function declares, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionUrlConfig {
    /// The URL id, [`url_id_for`] the function's name.
    pub url_id: String,
    /// `auth`: `none` (default) or `aws_iam`.
    pub auth: UrlAuthType,
    /// `cors`, when given.
    pub cors: Option<UrlCors>,
}

/// The stable URL id of manifest function `function`: 32 lower-case hex digits of a 128-bit
/// FNV-1a hash of its name (two 64-bit lanes), so the same name gets the same URL on every
/// start and on every host. It identifies, it does not protect: use `auth = "aws_iam"` for a
/// URL only the admin may call.
pub fn url_id_for(function: &str) -> String {
    let lane = |seed: u64| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for byte in "fnhost-function-url:".bytes().chain(function.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash
    };
    format!("{:016x}{:016x}", lane(0), lane(0x9e37_79b9_7f4a_7c15))
}

/// Whether `text` has the shape of a URL id (32 lower-case letters and digits).
pub fn is_url_id(text: &str) -> bool {
    text.len() == URL_ID_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `url = true | false` or the `[function.NAME.url]` table, as written.
#[derive(Debug)]
pub(crate) enum RawUrl {
    Enabled(bool),
    Table(RawUrlTable),
}

/// The `[function.NAME.url]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct RawUrlTable {
    pub auth: Option<Spanned<String>>,
    pub cors: Option<Spanned<Table<RawCors>>>,
}

/// `cors = { allow_origins = [...], ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(crate) struct RawCors {
    pub allow_credentials: Option<bool>,
    pub allow_headers: Option<Vec<String>>,
    pub allow_methods: Option<Vec<String>>,
    pub allow_origins: Option<Vec<String>>,
    pub expose_headers: Option<Vec<String>>,
    pub max_age: Option<Integer>,
}

// Hand-written so that `url = true` and the table are one key, each with its own errors.
impl<'de> Deserialize<'de> for RawUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UrlVisitor;
        impl<'de> serde::de::Visitor<'de> for UrlVisitor {
            type Value = RawUrl;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`true`, `false` or a table with `auth` and `cors`")
            }
            fn visit_bool<E: serde::de::Error>(self, enabled: bool) -> Result<RawUrl, E> {
                Ok(RawUrl::Enabled(enabled))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawUrl, A::Error> {
                let table =
                    RawUrlTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawUrl::Table(table))
            }
        }
        deserializer.deserialize_any(UrlVisitor)
    }
}

/// Validate function `function`'s `url`: `None` when absent or `false`.
pub(crate) fn validate(
    function: &str,
    url: Option<Spanned<RawUrl>>,
    src: &Source<'_>,
) -> Result<Option<FunctionUrlConfig>, ManifestError> {
    let Some(url) = url else { return Ok(None) };
    let table = match url.into_inner() {
        RawUrl::Enabled(false) => return Ok(None),
        RawUrl::Enabled(true) => RawUrlTable {
            auth: None,
            cors: None,
        },
        RawUrl::Table(table) => table,
    };
    let invalid = |span: std::ops::Range<usize>, reason: String| ManifestError::InvalidUrl {
        at: src.at(span),
        function: function.to_owned(),
        reason,
    };
    let auth = match &table.auth {
        None => UrlAuthType::None,
        Some(auth) => match auth.get_ref().as_str() {
            "none" => UrlAuthType::None,
            "aws_iam" => UrlAuthType::AwsIam,
            other => {
                return Err(invalid(
                    auth.span(),
                    format!(
                        "auth = `{other}` is not one of `none`, `aws_iam`; write `auth = \"none\"` for a public URL or `auth = \"aws_iam\"` for one that needs SigV4 signatures with fnhost's credentials"
                    ),
                ));
            }
        },
    };
    let cors = match table.cors {
        None => None,
        Some(cors) => {
            let cors_span = cors.span();
            let raw = cors.into_inner().0;
            let max_age = raw.max_age.map(|Integer(n)| n);
            let cors = UrlCors {
                allow_credentials: raw.allow_credentials,
                allow_headers: raw.allow_headers,
                allow_methods: raw.allow_methods,
                allow_origins: raw.allow_origins,
                expose_headers: raw.expose_headers,
                max_age,
            };
            cors.check().map_err(|lambda| {
                invalid(
                    cors_span.clone(),
                    format!("cors breaks Lambda's limits: {}", manifest_words(&lambda)),
                )
            })?;
            Some(cors)
        }
    };
    Ok(Some(FunctionUrlConfig {
        url_id: url_id_for(function),
        auth,
        cors,
    }))
}

/// Lambda's validation text with the manifest's key names (`cors.allowMethods` →
/// `cors.allow_methods`).
fn manifest_words(lambda: &str) -> String {
    [
        ("cors.allowHeaders", "cors.allow_headers"),
        ("cors.allowMethods", "cors.allow_methods"),
        ("cors.allowOrigins", "cors.allow_origins"),
        ("cors.exposeHeaders", "cors.expose_headers"),
        ("cors.maxAge", "cors.max_age"),
    ]
    .iter()
    .fold(lambda.to_owned(), |text, (from, to)| text.replace(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ids_are_stable_distinct_and_well_formed() {
        let a = url_id_for("hello");
        assert_eq!(a, url_id_for("hello"));
        assert_ne!(a, url_id_for("hellp"));
        assert!(is_url_id(&a), "{a}");
        assert!(!is_url_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));
        assert!(!is_url_id("short"));
    }

    #[test]
    fn cors_limits_give_lambdas_validation_text() {
        let ok = UrlCors {
            allow_methods: Some(vec!["GET".into(), "POST".into()]),
            allow_origins: Some(vec!["*".into()]),
            max_age: Some(86_400),
            ..UrlCors::default()
        };
        assert_eq!(ok.check(), Ok(()));
        let seven = UrlCors {
            allow_methods: Some(
                ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"]
                    .map(String::from)
                    .to_vec(),
            ),
            ..UrlCors::default()
        };
        assert_eq!(
            seven.check().unwrap_err(),
            "1 validation error detected: Value '[GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS]' at 'cors.allowMethods' failed to satisfy constraint: Member must have length less than or equal to 6"
        );
        let long_method = UrlCors {
            allow_methods: Some(vec!["CONNECTX".into()]),
            ..UrlCors::default()
        };
        assert!(long_method.check().unwrap_err().contains(
            "Member must satisfy constraint: [Member must have length less than or equal to 6]"
        ));
        let age = UrlCors {
            max_age: Some(86_401),
            ..UrlCors::default()
        };
        assert_eq!(
            age.check().unwrap_err(),
            "1 validation error detected: Value '86401' at 'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400"
        );
        let empty_origin = UrlCors {
            allow_origins: Some(vec![String::new()]),
            ..UrlCors::default()
        };
        assert!(
            empty_origin
                .check()
                .unwrap_err()
                .contains("greater than or equal to 1")
        );
    }

    #[test]
    fn origins_match_exactly_or_by_star() {
        let cors = UrlCors {
            allow_origins: Some(vec!["https://app.example".into()]),
            ..UrlCors::default()
        };
        assert!(cors.allows_origin("https://APP.example"));
        assert!(!cors.allows_origin("https://evil.example"));
        assert!(!UrlCors::default().allows_origin("https://app.example"));
        let any = UrlCors {
            allow_origins: Some(vec!["*".into()]),
            ..UrlCors::default()
        };
        assert!(any.allows_origin("http://localhost:3000"));
    }

    fn parse(extra: &str) -> Result<crate::Manifest, ManifestError> {
        crate::Manifest::parse(
            &format!("manifest_version = 1\n[function.site]\nsource = \"a.wasm\"\n{extra}"),
            std::path::Path::new("/p/fnhost.toml"),
        )
    }

    #[test]
    fn the_url_key_takes_true_false_and_a_table() {
        let site = |extra| parse(extra).unwrap().functions["site"].url.clone();
        assert_eq!(site(""), None);
        assert_eq!(site("url = false\n"), None);
        assert_eq!(
            site("url = true\n"),
            Some(FunctionUrlConfig {
                url_id: url_id_for("site"),
                auth: UrlAuthType::None,
                cors: None,
            })
        );
        let table = site(
            "[function.site.url]\nauth = \"aws_iam\"\ncors = { allow_origins = [\"*\"], allow_methods = [\"GET\"], max_age = 60, allow_credentials = false }\n",
        )
        .unwrap();
        assert_eq!(table.auth, UrlAuthType::AwsIam);
        let cors = table.cors.unwrap();
        assert_eq!(cors.allow_origins, Some(vec!["*".to_owned()]));
        assert_eq!(cors.allow_methods, Some(vec!["GET".to_owned()]));
        assert_eq!(
            (cors.max_age, cors.allow_credentials),
            (Some(60), Some(false))
        );
    }

    #[test]
    fn bad_url_tables_name_the_line_and_the_fix() {
        let err = |extra| parse(extra).unwrap_err().to_string();
        assert!(
            err("[function.site.url]\nauth = \"public\"\n").starts_with(
                "/p/fnhost.toml:5: function `site`: url: auth = `public` is not one of `none`, `aws_iam`"
            ),
            "{}",
            err("[function.site.url]\nauth = \"public\"\n")
        );
        assert_eq!(
            err("[function.site.url]\ncors = { max_age = 90000 }\n"),
            "/p/fnhost.toml:5: function `site`: url: cors breaks Lambda's limits: 1 validation error detected: Value '90000' at 'cors.max_age' failed to satisfy constraint: Member must have value less than or equal to 86400"
        );
        let unknown = err("[function.site.url]\nauht = \"none\"\n");
        assert!(unknown.contains("unknown field `auht`"), "{unknown}");
        let wrong = err("url = \"yes\"\n");
        assert!(wrong.contains("`true`, `false` or a table"), "{wrong}");
    }

    #[test]
    fn cors_round_trips_lambdas_json_shape() {
        let cors: UrlCors = serde_json::from_str(
            r#"{"AllowOrigins":["*"],"AllowMethods":["GET"],"MaxAge":60,"AllowCredentials":true}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&cors).unwrap(),
            serde_json::json!({"AllowOrigins":["*"],"AllowMethods":["GET"],"MaxAge":60,"AllowCredentials":true})
        );
    }
}
