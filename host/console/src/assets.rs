//! The console's files, embedded at build time (`build.rs`), served with their type, an ETag
//! and the headers that keep them from being framed, sniffed or mixed with other origins.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue,
    IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{Response, StatusCode};
use http_body_util::Full;
use sha2::{Digest as _, Sha256};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// What the console's pages may load and do: only its own files and endpoints; no inline
/// script, no framing, no form posts elsewhere.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

struct Asset {
    bytes: &'static [u8],
    etag: HeaderValue,
}

fn table() -> &'static HashMap<&'static str, Asset> {
    static TABLE: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, bytes)| {
                let digest = hex::encode(&Sha256::digest(bytes)[..12]);
                let etag = HeaderValue::from_str(&format!("\"{digest}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
                (*name, Asset { bytes, etag })
            })
            .collect()
    })
}

/// The embedded file names.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(name, _)| *name)
}

/// The media type of a file name.
fn media_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The headers every console response carries.
pub(crate) fn harden(headers: &mut HeaderMap) {
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
}

/// The file `name`, or `None` when there is no such file. Revalidated on every use (`no-cache`
/// with an ETag), so a new fnhost never serves a stale script.
pub(crate) fn serve(name: &str, request: &HeaderMap) -> Option<Response<Full<Bytes>>> {
    let asset = table().get(name)?;
    let fresh = request
        .get(IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == asset.etag.as_bytes());
    let mut response = if fresh {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Full::new(Bytes::from_static(asset.bytes)))
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media_type(name)));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(ETAG, asset.etag.clone());
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_scripts_are_embedded_and_revalidated() {
        assert!(
            names().any(|n| n == "index.html"),
            "{:?}",
            names().collect::<Vec<_>>()
        );
        let page = serve("index.html", &HeaderMap::new()).unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        let mut again = HeaderMap::new();
        again.insert(IF_NONE_MATCH, page.headers()[ETAG].clone());
        assert_eq!(
            serve("index.html", &again).unwrap().status(),
            StatusCode::NOT_MODIFIED
        );
        assert!(serve("../Cargo.toml", &HeaderMap::new()).is_none());
        assert!(serve("nope.js", &HeaderMap::new()).is_none());
    }
}
