//! AWS Signature Version 4 verification, as botocore signs requests for the `lambda` service.
//!
//! The canonical request is rebuilt from what arrived: the method; the path as sent (already
//! percent-encoded once by the client) encoded once more, which is what botocore signs for every
//! service but S3; the query parameters decoded, re-encoded with SigV4's rules and sorted; the
//! signed headers, lowercased, trimmed and with inner runs of spaces collapsed; and the payload
//! hash (`x-amz-content-sha256` when sent, which must then match the body unless it is
//! `UNSIGNED-PAYLOAD`). The signature is recomputed with the configured secret and compared in
//! constant time. Requests dated more than 15 minutes from the server's clock are refused.
//!
//! What a signature covers is checked before the body is read ([`Verifier::check_headers`]):
//! the credential scope must name the host's region and the `lambda` service, and the headers
//! that change what a request means (`X-Amz-Invocation-Type`, `X-Amz-Log-Type`,
//! `X-Amz-Client-Context`, `Content-Type`, and `Host` always) must be among the signed ones, as
//! every AWS SDK signs them. So a captured RequestResponse invoke cannot be replayed as an
//! `Event` by adding an unsigned header. When the client declares the payload hash, the
//! signature is checked over it before the body arrives ([`Verifier::verify_hash`]); otherwise
//! the body is hashed as it streams in and checked after ([`Verifier::verify`]).
//!
//! The secret never leaves this module: [`Credentials`] prints it as `<redacted>`.

use std::fmt;
use std::time::Duration;

use fnhost_edge::percent_decode;

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use http::request::Parts;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The service name requests must be signed for.
pub const SERVICE: &str = "lambda";

/// The payload-hash value that opts out of signing the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Headers that change what a request does: when present, they must be signed.
pub const MEANINGFUL_HEADERS: [&str; 5] = [
    "host",
    "content-type",
    "x-amz-invocation-type",
    "x-amz-log-type",
    "x-amz-client-context",
];

/// An access key id and its secret. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Credentials from an access key id and a secret access key.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// Whether `access_key_id` and `secret` are these credentials (the console's sign-in),
    /// compared in time that does not depend on where they differ.
    pub fn matches(&self, access_key_id: &str, secret: &str) -> bool {
        let mac = |text: &str| {
            let mut mac = HmacSha256::new_from_slice(b"fnhost console sign-in")
                .expect("HMAC takes a key of any length");
            mac.update(text.as_bytes());
            mac
        };
        let id_ok = mac(access_key_id)
            .verify_slice(&mac(&self.access_key_id).finalize().into_bytes())
            .is_ok();
        let secret_ok = mac(secret)
            .verify_slice(&mac(&self.secret_access_key).finalize().into_bytes())
            .is_ok();
        id_ok & secret_ok
    }
}

/// Why a request was not authenticated. Each variant is the error AWS sends in that case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header (`MissingAuthenticationTokenException`).
    #[error("Missing Authentication Token")]
    Missing,
    /// The header is not a complete SigV4 header (`IncompleteSignatureException`).
    #[error("{0}")]
    Incomplete(String),
    /// The access key id is not the configured one (`UnrecognizedClientException`).
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    /// The signature does not match (`InvalidSignatureException`).
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    Mismatch,
    /// The request is dated too far from the server's clock (`InvalidSignatureException`).
    #[error("{0}")]
    Expired(String),
    /// The credential is scoped to another region (`InvalidSignatureException`).
    #[error(
        "Credential should be scoped to a valid region, not '{got}'. fnhost's region is '{want}'."
    )]
    WrongRegion {
        /// The region in the credential scope.
        got: String,
        /// The host's region.
        want: String,
    },
    /// A header that changes the request's meaning is not signed (`InvalidSignatureException`).
    #[error("the header `{0}` changes what the request does and must be one of its SignedHeaders")]
    UnsignedHeader(String),
}

impl AuthError {
    /// The `x-amzn-ErrorType` code AWS uses.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "MissingAuthenticationTokenException",
            Self::Incomplete(_) => "IncompleteSignatureException",
            Self::UnknownKey => "UnrecognizedClientException",
            Self::Mismatch
            | Self::Expired(_)
            | Self::WrongRegion { .. }
            | Self::UnsignedHeader(_) => "InvalidSignatureException",
        }
    }
}

/// The parts of a parsed `Authorization` header that passed the checks that need no body.
#[derive(Debug, Clone)]
pub struct Pending {
    amz_date: String,
    scope: String,
    date: String,
    region: String,
    signed_headers: Vec<String>,
    signature: Vec<u8>,
}

/// Verifies SigV4 signatures made with one set of credentials.
#[derive(Debug, Clone)]
pub struct Verifier {
    credentials: Credentials,
    service: String,
    region: String,
}

const AMZ_DATE: &str = "%Y%m%dT%H%M%SZ";

impl Verifier {
    /// A verifier for requests signed for the `lambda` service in fnhost's region.
    pub fn new(credentials: Credentials) -> Self {
        Self::for_service(credentials, SERVICE)
    }

    /// A verifier for another service name (the AWS test suite signs for `service`), in
    /// fnhost's region.
    pub fn for_service(credentials: Credentials, service: &str) -> Self {
        Self {
            credentials,
            service: service.to_owned(),
            region: fnhost_core::limits::REGION.to_owned(),
        }
    }

    /// Check what can be checked before the body arrives: a well-formed header, the key id,
    /// the scope (service and region), the clock skew, and that every header of
    /// [`MEANINGFUL_HEADERS`] the request carries is signed.
    pub fn check_headers(&self, parts: &Parts, now: DateTime<Utc>) -> Result<Pending, AuthError> {
        let auth = Authorization::parse(parts)?;
        let scope = self.check_scope(auth.credential)?;
        let amz_date = request_time(parts, scope.date, now)?;
        let signed_headers: Vec<String> = auth
            .signed_headers
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect();
        if !signed_headers.iter().any(|h| h == "host") {
            return Err(AuthError::Incomplete(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".into(),
            ));
        }
        for name in MEANINGFUL_HEADERS {
            if parts.headers.contains_key(name) && !signed_headers.iter().any(|h| h == name) {
                return Err(AuthError::UnsignedHeader(name.to_owned()));
            }
        }
        Ok(Pending {
            amz_date: amz_date.to_owned(),
            scope: format!(
                "{}/{}/{}/aws4_request",
                scope.date, scope.region, scope.service
            ),
            date: scope.date.to_owned(),
            region: scope.region.to_owned(),
            signed_headers,
            signature: auth.signature,
        })
    }

    /// The credential scope `KEY/DATE/REGION/SERVICE/aws4_request`, checked: well formed, this
    /// verifier's service, the configured key.
    fn check_scope<'a>(&self, credential: &'a str) -> Result<Scope<'a>, AuthError> {
        let mut fields = credential.splitn(5, '/');
        let mut next = || fields.next().unwrap_or_default();
        let (key_id, date, region, service, terminator) = (next(), next(), next(), next(), next());
        if terminator != "aws4_request" || date.len() != 8 || region.is_empty() {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped to a valid region, not '{region}'. Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        if service != self.service {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped to correct service: '{}'.",
                self.service
            )));
        }
        if key_id != self.credentials.access_key_id {
            return Err(AuthError::UnknownKey);
        }
        if region != self.region {
            return Err(AuthError::WrongRegion {
                got: region.to_owned(),
                want: self.region.clone(),
            });
        }
        Ok(Scope {
            date,
            region,
            service,
        })
    }

    /// Check the signature over the whole request, `body` included (hashed here).
    pub fn verify(&self, pending: &Pending, parts: &Parts, body: &[u8]) -> Result<(), AuthError> {
        let body_hash = hex::encode(Sha256::digest(body));
        match declared_payload_hash(parts) {
            Some(UNSIGNED_PAYLOAD) => self.verify_hash(pending, parts, UNSIGNED_PAYLOAD),
            Some(claimed) if claimed.eq_ignore_ascii_case(&body_hash) => {
                self.verify_hash(pending, parts, &body_hash)
            }
            Some(_) => Err(AuthError::Mismatch),
            None => self.verify_hash(pending, parts, &body_hash),
        }
    }

    /// Check the signature with `payload_hash` (lowercase hex of the body's SHA-256, or
    /// [`UNSIGNED_PAYLOAD`]) standing for the body: before the body is read when the client
    /// declared the hash in `x-amz-content-sha256`, after hashing it as it streamed in when not.
    pub fn verify_hash(
        &self,
        pending: &Pending,
        parts: &Parts,
        payload_hash: &str,
    ) -> Result<(), AuthError> {
        let canonical = canonical_request(parts, &pending.signed_headers, payload_hash)
            .ok_or(AuthError::Mismatch)?;
        let to_sign = string_to_sign(&pending.amz_date, &pending.scope, &canonical);
        let key = signing_key(
            &self.credentials,
            &pending.date,
            &pending.region,
            &self.service,
        );
        let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| AuthError::Mismatch)?;
        mac.update(to_sign.as_bytes());
        mac.verify_slice(&pending.signature)
            .map_err(|_| AuthError::Mismatch)
    }
}

/// Headers a signer leaves unsigned: botocore's list (a proxy or the HTTP client may change
/// them) plus `content-length`, which the client computes from the body the hash covers.
const UNSIGNED_HEADERS: [&str; 6] = [
    "authorization",
    "user-agent",
    "expect",
    "x-amzn-trace-id",
    "transfer-encoding",
    "content-length",
];

/// Signs requests with SigV4 as botocore does, for fnhost's clients (`fnhost deploy`). It
/// builds the canonical request with the same code the [`Verifier`] uses, so what one signs
/// the other accepts.
#[derive(Debug, Clone)]
pub struct Signer {
    credentials: Credentials,
    service: String,
    region: String,
}

impl Signer {
    /// A signer for the `lambda` service in fnhost's region.
    pub fn new(credentials: Credentials) -> Self {
        Self::for_scope(credentials, fnhost_core::limits::REGION, SERVICE)
    }

    /// A signer for another region and service (the AWS test suite signs for `service`).
    pub fn for_scope(credentials: Credentials, region: &str, service: &str) -> Self {
        Self {
            credentials,
            service: service.to_owned(),
            region: region.to_owned(),
        }
    }

    /// Sign `parts` at `now` with `payload_hash` (lowercase hex of the body's SHA-256, or
    /// [`UNSIGNED_PAYLOAD`] with an `x-amz-content-sha256` header saying so): sets `host`
    /// from the URI when absent, `x-amz-date` and `authorization`. Every header present is
    /// signed except [`UNSIGNED_HEADERS`], so the ones that change a request's meaning are.
    pub fn sign(
        &self,
        parts: &mut Parts,
        payload_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SignError> {
        if !parts.headers.contains_key(http::header::HOST) {
            let authority = parts.uri.authority().ok_or(SignError::NoHost)?;
            let value =
                http::HeaderValue::from_str(authority.as_str()).map_err(|_| SignError::NoHost)?;
            parts.headers.insert(http::header::HOST, value);
        }
        let amz_date = now.format(AMZ_DATE).to_string();
        let date = &amz_date[..8];
        parts.headers.insert(
            "x-amz-date",
            http::HeaderValue::from_str(&amz_date).expect("a formatted date is a header value"),
        );
        let mut signed: Vec<String> = parts
            .headers
            .keys()
            .map(|name| name.as_str().to_owned())
            .filter(|name| !UNSIGNED_HEADERS.contains(&name.as_str()))
            .collect();
        signed.sort();
        signed.dedup();
        let canonical = canonical_request(parts, &signed, payload_hash).ok_or(SignError::NoHost)?;
        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let to_sign = string_to_sign(&amz_date, &scope, &canonical);
        let signature = hex::encode(hmac(
            &signing_key(&self.credentials, date, &self.region, &self.service),
            to_sign.as_bytes(),
        ));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            self.credentials.access_key_id,
            signed.join(";")
        );
        parts.headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&authorization).map_err(|_| SignError::BadKeyId)?,
        );
        Ok(())
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The request has neither a `Host` header nor an authority in its URI.
    #[error("the request names no host to sign")]
    NoHost,
    /// The access key id cannot be sent in a header.
    #[error("the access key id is not printable ASCII")]
    BadKeyId,
}

/// SigV4's string to sign for the canonical request `canonical`.
fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// The key derived from the secret for one day, region and service.
fn signing_key(credentials: &Credentials, date: &str, region: &str, service: &str) -> Vec<u8> {
    let secret = format!("AWS4{}", credentials.secret_access_key);
    let mut key = hmac(secret.as_bytes(), date.as_bytes());
    key = hmac(&key, region.as_bytes());
    key = hmac(&key, service.as_bytes());
    hmac(&key, b"aws4_request")
}

/// The payload hash the client declared in `x-amz-content-sha256`, if any.
pub fn declared_payload_hash(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The canonical request; `None` when a signed header is absent.
fn canonical_request(parts: &Parts, signed: &[String], payload_hash: &str) -> Option<String> {
    let path = canonical_path(parts.uri.path());
    let query = canonical_query(parts.uri.query().unwrap_or(""));
    let mut headers = String::new();
    for name in signed {
        let mut values = Vec::new();
        for value in parts.headers.get_all(name.as_str()) {
            let text = String::from_utf8_lossy(value.as_bytes());
            values.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        if values.is_empty() {
            // HTTP/2 and some clients carry the host only in the URI.
            if name == "host" {
                values.push(parts.uri.authority()?.as_str().to_owned());
            } else {
                return None;
            }
        }
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    Some(format!(
        "{}\n{path}\n{query}\n{headers}\n{}\n{payload_hash}",
        parts.method.as_str(),
        signed.join(";")
    ))
}

/// The path with dot segments removed and every byte outside the unreserved set and `/`
/// percent-encoded (so `%3A` sent by the client becomes `%253A`, as botocore signs it).
fn canonical_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let normalized = format!("/{}", segments.join("/"));
    encode(&normalized, true)
}

/// Query parameters decoded, re-encoded with SigV4's rules, sorted by key then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                encode(&percent_decode(k), false),
                encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The fields of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
/// Signature=…` header.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: Vec<u8>,
}

impl<'a> Authorization<'a> {
    fn parse(parts: &'a Parts) -> Result<Authorization<'a>, AuthError> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?
            .to_str()
            .map_err(|_| AuthError::Incomplete("Authorization header is not ASCII".into()))?;
        let fields = header.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
            AuthError::Incomplete(
                "Authorization header requires the AWS4-HMAC-SHA256 algorithm".into(),
            )
        })?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for field in fields.split(',') {
            let (key, value) = field.trim().split_once('=').unwrap_or((field.trim(), ""));
            match key {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed = Some(value),
                "Signature" => signature = Some(value),
                _ => {}
            }
        }
        let missing = |what: &str| {
            AuthError::Incomplete(format!(
                "Authorization header requires '{what}' parameter. Authorization=AWS4-HMAC-SHA256"
            ))
        };
        let credential = credential.ok_or_else(|| missing("Credential"))?;
        let signed_headers = signed.ok_or_else(|| missing("SignedHeaders"))?;
        let signature = signature.ok_or_else(|| missing("Signature"))?;
        Ok(Authorization {
            credential,
            signed_headers,
            signature: hex::decode(signature).map_err(|_| AuthError::Mismatch)?,
        })
    }
}

/// The date, region and service a credential is scoped to.
struct Scope<'a> {
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

/// The request's `X-Amz-Date`, checked against the scope's `date` and within [`MAX_SKEW`] of
/// `now`.
fn request_time<'a>(
    parts: &'a Parts,
    date: &str,
    now: DateTime<Utc>,
) -> Result<&'a str, AuthError> {
    let amz_date = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            AuthError::Incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .into(),
            )
        })?;
    let when = NaiveDateTime::parse_from_str(amz_date, AMZ_DATE)
        .map_err(|_| AuthError::Incomplete(format!("Invalid X-Amz-Date '{amz_date}'")))?
        .and_utc();
    if !amz_date.starts_with(date) {
        return Err(AuthError::Incomplete(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}'",
            &amz_date[..8.min(amz_date.len())]
        )));
    }
    let skew = chrono::Duration::from_std(MAX_SKEW).unwrap_or(chrono::Duration::MAX);
    let fmt = |t: DateTime<Utc>| t.format(AMZ_DATE).to_string();
    if when < now - skew {
        return Err(AuthError::Expired(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            fmt(now - skew),
            fmt(now)
        )));
    }
    if when > now + skew {
        return Err(AuthError::Expired(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            fmt(now + skew),
            fmt(now)
        )));
    }
    Ok(amz_date)
}

/// SigV4's URI encoding: unreserved characters as they are, `/` too when `keep_slash`, every
/// other byte as `%XX` in upper case.
pub(crate) fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn example() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    fn at(text: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(text, AMZ_DATE)
            .unwrap()
            .and_utc()
    }

    /// AWS's published SigV4 test suite, case `get-vanilla`.
    #[test]
    fn aws_test_suite_get_vanilla() {
        let verifier = Verifier::for_service(example(), "service");
        let request = parts(
            "GET",
            "/",
            &[
                ("host", "example.amazonaws.com"),
                ("x-amz-date", "20150830T123600Z"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
                ),
            ],
        );
        let pending = verifier
            .check_headers(&request, at("20150830T123900Z"))
            .unwrap();
        verifier.verify(&pending, &request, b"").unwrap();

        // Another secret, another date, a changed body: all refused.
        let other = Verifier::for_service(Credentials::new("AKIDEXAMPLE", "nope"), "service");
        assert_eq!(
            other.verify(&pending, &request, b""),
            Err(AuthError::Mismatch)
        );
        assert_eq!(
            verifier.verify(&pending, &request, b"x"),
            Err(AuthError::Mismatch)
        );
        let late = verifier
            .check_headers(&request, at("20150830T125200Z"))
            .unwrap_err();
        assert_eq!(late.code(), "InvalidSignatureException");
        assert_eq!(
            late.to_string(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"
        );
        assert!(
            verifier
                .check_headers(&request, at("20150830T120000Z"))
                .unwrap_err()
                .to_string()
                .starts_with("Signature not yet current")
        );
    }

    #[test]
    fn header_problems_get_aws_codes() {
        let verifier = Verifier::new(example());
        let now = at("20150830T123600Z");
        let missing = parts("GET", "/", &[("host", "h")]);
        assert_eq!(
            verifier.check_headers(&missing, now).unwrap_err(),
            AuthError::Missing
        );
        let stranger = parts(
            "GET",
            "/",
            &[
                ("host", "h"),
                ("x-amz-date", "20150830T123600Z"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=SOMEONE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
                ),
            ],
        );
        assert_eq!(
            verifier.check_headers(&stranger, now).unwrap_err().code(),
            "UnrecognizedClientException"
        );
        let garbled = parts(
            "GET",
            "/",
            &[("host", "h"), ("authorization", "Bearer abc")],
        );
        assert_eq!(
            verifier.check_headers(&garbled, now).unwrap_err().code(),
            "IncompleteSignatureException"
        );
    }

    /// A signed request of the AWS suite (`get-vanilla`, scope `us-east-1/service`) with
    /// `extra` headers added after signing and the credential scope's region replaced.
    fn vanilla_with(region: &str, extra: &[(&str, &str)]) -> Parts {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/{region}/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let mut headers = vec![
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", auth.as_str()),
        ];
        headers.extend_from_slice(extra);
        parts("GET", "/", &headers)
    }

    #[test]
    fn headers_that_change_the_meaning_must_be_signed() {
        let verifier = Verifier::for_service(example(), "service");
        let now = at("20150830T123600Z");
        verifier
            .check_headers(&vanilla_with("us-east-1", &[]), now)
            .unwrap();
        // Headers no SDK signs may be added.
        verifier
            .check_headers(&vanilla_with("us-east-1", &[("user-agent", "x")]), now)
            .unwrap();
        for header in [
            "x-amz-invocation-type",
            "X-Amz-Log-Type",
            "x-amz-client-context",
            "content-type",
        ] {
            let replayed = vanilla_with("us-east-1", &[(header, "Event")]);
            let err = verifier.check_headers(&replayed, now).unwrap_err();
            assert_eq!(
                err,
                AuthError::UnsignedHeader(header.to_ascii_lowercase()),
                "{header}"
            );
            assert_eq!(err.code(), "InvalidSignatureException");
        }
    }

    #[test]
    fn the_scope_must_name_the_hosts_region() {
        let verifier = Verifier::for_service(example(), "service");
        let now = at("20150830T123600Z");
        let err = verifier
            .check_headers(&vanilla_with("eu-west-1", &[]), now)
            .unwrap_err();
        assert_eq!(
            err,
            AuthError::WrongRegion {
                got: "eu-west-1".into(),
                want: "us-east-1".into()
            }
        );
        assert_eq!(err.code(), "InvalidSignatureException");
    }

    #[test]
    fn a_declared_payload_hash_is_checked_before_the_body() {
        let verifier = Verifier::for_service(example(), "service");
        let request = vanilla_with("us-east-1", &[]);
        let pending = verifier
            .check_headers(&request, at("20150830T123600Z"))
            .unwrap();
        let empty = hex::encode(Sha256::digest(b""));
        verifier.verify_hash(&pending, &request, &empty).unwrap();
        assert_eq!(
            verifier.verify_hash(&pending, &request, UNSIGNED_PAYLOAD),
            Err(AuthError::Mismatch)
        );
    }

    #[test]
    fn the_secret_is_never_printed() {
        let shown = format!("{:?}", Verifier::new(example()));
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    }

    /// The AWS suite's request at 20150830T123600Z, signed by [`Signer`] for `service`.
    fn suite_signed(method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> Parts {
        let mut request = parts(method, uri, headers);
        Signer::for_scope(example(), "us-east-1", "service")
            .sign(
                &mut request,
                &hex::encode(Sha256::digest(body)),
                at("20150830T123600Z"),
            )
            .unwrap();
        request
    }

    fn authorization(parts: &Parts) -> &str {
        parts.headers["authorization"].to_str().unwrap()
    }

    /// AWS's published SigV4 test suite: `get-vanilla`, `get-vanilla-query-order-key-case`,
    /// `post-vanilla` and `post-x-www-form-urlencoded`, signed to the byte.
    #[test]
    fn the_signer_reproduces_the_aws_test_suite() {
        let scope =
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
        let host = [("host", "example.amazonaws.com")];
        // (method, URI, headers, body, signed headers, signature)
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a [(&'a str, &'a str)],
            &'a [u8],
            &'a str,
            &'a str,
        );
        let cases: [Case<'_>; 4] = [
            (
                "GET",
                "/",
                &host,
                b"",
                "host;x-amz-date",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "GET",
                "/?Param2=value2&Param1=value1",
                &host,
                b"",
                "host;x-amz-date",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "POST",
                "/",
                &host,
                b"",
                "host;x-amz-date",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
            (
                "POST",
                "/",
                &[
                    ("host", "example.amazonaws.com"),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                b"Param1=value1",
                "content-type;host;x-amz-date",
                "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            ),
        ];
        for (method, uri, headers, body, signed, signature) in cases {
            let request = suite_signed(method, uri, headers, body);
            assert_eq!(
                authorization(&request),
                format!("{scope}, SignedHeaders={signed}, Signature={signature}"),
                "{method} {uri}"
            );
            assert_eq!(request.headers["x-amz-date"], "20150830T123600Z");
        }
    }

    /// What the signer produces, the verifier accepts, for a Lambda call with every header
    /// that must be signed; a changed body, header or secret is refused.
    #[test]
    fn the_verifier_accepts_what_the_signer_signs() {
        let now = at("20260101T120000Z");
        let body = br#"{"name":"Ada"}"#;
        let mut request = parts(
            "POST",
            "http://127.0.0.1:9000/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ahello/invocations?Qualifier=%24LATEST",
            &[
                ("content-type", "application/json"),
                ("x-amz-invocation-type", "RequestResponse"),
                ("x-amz-log-type", "Tail"),
                ("user-agent", "fnhost"),
            ],
        );
        Signer::new(example())
            .sign(&mut request, &hex::encode(Sha256::digest(body)), now)
            .unwrap();
        assert_eq!(request.headers["host"], "127.0.0.1:9000");
        let auth = authorization(&request).to_owned();
        assert!(
            auth.contains(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type;x-amz-log-type,"
            ),
            "{auth}"
        );
        let verifier = Verifier::new(example());
        let pending = verifier.check_headers(&request, now).unwrap();
        verifier.verify(&pending, &request, body).unwrap();

        assert_eq!(
            verifier.verify(&pending, &request, br#"{"name":"Eve"}"#),
            Err(AuthError::Mismatch)
        );
        let mut changed = request.clone();
        changed.headers.insert(
            "x-amz-invocation-type",
            http::HeaderValue::from_static("Event"),
        );
        assert_eq!(
            verifier.verify(&pending, &changed, body),
            Err(AuthError::Mismatch)
        );
        let stranger = Verifier::new(Credentials::new("AKIDEXAMPLE", "another secret"));
        assert_eq!(
            stranger.verify(&pending, &request, body),
            Err(AuthError::Mismatch)
        );
        // A request without a URI authority or Host header cannot be signed.
        let mut hostless = parts("GET", "/", &[]);
        assert_eq!(
            Signer::new(example()).sign(&mut hostless, UNSIGNED_PAYLOAD, now),
            Err(SignError::NoHost)
        );
    }

    #[test]
    fn paths_are_encoded_twice_and_queries_sorted() {
        assert_eq!(
            canonical_path("/2015-03-31/functions/arn%3Aaws%3Alambda/invocations"),
            "/2015-03-31/functions/arn%253Aaws%253Alambda/invocations"
        );
        assert_eq!(canonical_path("/a/./b/../c"), "/a/c");
        assert_eq!(
            canonical_query("Qualifier=%24LATEST&Marker=a%2Fb&A=x+y&B"),
            "A=x%2By&B=&Marker=a%2Fb&Qualifier=%24LATEST"
        );
    }
}
