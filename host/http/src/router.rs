//! Routes from the manifest, matched most-specific first.
//!
//! Candidates are ordered by their segments: a literal beats a `{param}`, which beats a
//! `{proxy+}`, compared left to right, so `/users/me` wins over `/users/{id}`, which wins over
//! `/users/{proxy+}`, and `/a/b/{proxy+}` over `/a/{proxy+}` (the longest match). A route
//! whose path matches but whose methods do not is skipped in favour of the next candidate,
//! as API Gateway does for `ANY /{proxy+}` catch-alls.

use std::collections::BTreeMap;
use std::sync::Arc;

use fnhost_edge::percent_decode;

use fnhost_events::PayloadVersion;
use fnhost_manifest::{HttpRoute, Manifest, Methods, PayloadFormat, Segment};

/// One route as the router keeps it.
#[derive(Debug, Clone)]
struct Route {
    function: Arc<str>,
    template: String,
    segments: Vec<Segment>,
    methods: Methods,
    payload: PayloadVersion,
    rank: Vec<u8>,
}

/// A row of the route table, for printing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    /// `ANY` or `GET,POST`.
    pub methods: String,
    /// The route template.
    pub route: String,
    /// The function it runs.
    pub function: String,
    /// `2.0` or `1.0`.
    pub payload: String,
}

/// The route a request matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The function to run.
    pub function: Arc<str>,
    /// The route template, e.g. `/users/{id}`.
    pub template: String,
    /// `ANY` when the route takes every method, else the request's method.
    pub route_method: String,
    /// `{param}` and `{proxy+}` values, percent-decoded.
    pub params: BTreeMap<String, String>,
    /// The event format.
    pub payload: PayloadVersion,
}

/// The routing table. Immutable; a reload builds a new one.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

fn rank(segments: &[Segment]) -> Vec<u8> {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Proxy(_) => 2,
        })
        .collect()
}

impl Router {
    /// A router over `(function, route)` pairs. Conflicts were rejected by the manifest.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, &'a HttpRoute)>) -> Self {
        let mut routes: Vec<Route> = routes
            .into_iter()
            .map(|(function, route)| Route {
                function: Arc::from(function),
                template: route.pattern.to_string(),
                segments: route.pattern.segments.clone(),
                methods: route.methods.clone(),
                payload: match route.payload {
                    PayloadFormat::V1 => PayloadVersion::V1,
                    PayloadFormat::V2 => PayloadVersion::V2,
                },
                rank: rank(&route.pattern.segments),
            })
            .collect();
        routes.sort_by(|a, b| {
            a.rank
                .cmp(&b.rank)
                .then_with(|| a.template.cmp(&b.template))
        });
        Self { routes }
    }

    /// Every route of every function in `manifest` for which `deployed` is true.
    pub fn from_manifest(manifest: &Manifest, deployed: impl Fn(&str) -> bool) -> Self {
        Self::new(
            manifest
                .functions
                .values()
                .filter(|f| deployed(&f.name))
                .flat_map(|f| f.http.iter().map(move |r| (f.name.as_str(), r))),
        )
    }

    /// No routes at all.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The table, in match order.
    pub fn table(&self) -> Vec<RouteEntry> {
        self.routes
            .iter()
            .map(|r| RouteEntry {
                methods: r.methods.to_string(),
                route: r.template.clone(),
                function: r.function.to_string(),
                payload: match r.payload {
                    PayloadVersion::V1 => "1.0".into(),
                    PayloadVersion::V2 => "2.0".into(),
                },
            })
            .collect()
    }

    /// The most specific route for `method` and `path` (the path without its query string).
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch> {
        let parts: Vec<&str> = match path.strip_prefix('/') {
            Some("") => Vec::new(),
            Some(rest) => rest.split('/').collect(),
            None => return None,
        };
        self.routes.iter().find_map(|route| {
            if !route.methods.allows(method) {
                return None;
            }
            let params = match_segments(&route.segments, &parts)?;
            Some(RouteMatch {
                function: route.function.clone(),
                template: route.template.clone(),
                route_method: if matches!(route.methods, Methods::Any) {
                    "ANY".into()
                } else {
                    method.to_owned()
                },
                params,
                payload: route.payload,
            })
        })
    }
}

fn match_segments(segments: &[Segment], parts: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Proxy(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty())?;
                if rest.iter().any(|p| p.is_empty()) {
                    return None;
                }
                params.insert(name.clone(), percent_decode(&rest.join("/")));
                return Some(params);
            }
            Segment::Literal(text) => {
                if parts.get(i) != Some(&text.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let part = parts.get(i).filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(part));
            }
        }
    }
    (parts.len() == segments.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(spec: &str) -> Router {
        let manifest = Manifest::parse(spec, std::path::Path::new("/p/fnhost.toml")).unwrap();
        Router::from_manifest(&manifest, |_| true)
    }

    const SPEC: &str = r#"
manifest_version = 1
[function.exact]
source = "a.wasm"
[[function.exact.http]]
route = "/users/me"
methods = ["GET"]
[function.param]
source = "a.wasm"
[[function.param.http]]
route = "/users/{id}"
[[function.param.http]]
route = "/users/{id}/posts/{post}"
payload = "1.0"
[function.proxy]
source = "a.wasm"
[[function.proxy.http]]
route = "/users/{rest+}"
[function.deep]
source = "a.wasm"
[[function.deep.http]]
route = "/users/me/files/{path+}"
[function.root]
source = "a.wasm"
[[function.root.http]]
route = "/"
methods = ["GET"]
[function.catchall]
source = "a.wasm"
[[function.catchall.http]]
route = "/{proxy+}"
methods = ["POST"]
"#;

    fn hit(r: &Router, method: &str, path: &str) -> Option<(String, Vec<(String, String)>)> {
        r.find(method, path)
            .map(|m| (m.function.to_string(), m.params.into_iter().collect()))
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_most_specific_route_wins() {
        let r = router(SPEC);
        assert_eq!(hit(&r, "GET", "/users/me"), Some(("exact".into(), vec![])));
        assert_eq!(
            hit(&r, "GET", "/users/42"),
            Some(("param".into(), kv(&[("id", "42")])))
        );
        assert_eq!(
            hit(&r, "GET", "/users/42/posts/7"),
            Some(("param".into(), kv(&[("id", "42"), ("post", "7")])))
        );
        assert_eq!(
            hit(&r, "GET", "/users/42/likes"),
            Some(("proxy".into(), kv(&[("rest", "42/likes")])))
        );
        assert_eq!(
            hit(&r, "GET", "/users/me/files/a/b.txt"),
            Some(("deep".into(), kv(&[("path", "a/b.txt")])))
        );
        assert_eq!(hit(&r, "GET", "/"), Some(("root".into(), vec![])));
    }

    #[test]
    fn a_method_mismatch_falls_through_to_the_next_candidate() {
        let r = router(SPEC);
        // `/users/me` is GET only; `/users/{id}` takes ANY.
        assert_eq!(
            hit(&r, "DELETE", "/users/me"),
            Some(("param".into(), kv(&[("id", "me")])))
        );
        assert_eq!(
            hit(&r, "POST", "/orders/1"),
            Some(("catchall".into(), kv(&[("proxy", "orders/1")])))
        );
        assert_eq!(hit(&r, "GET", "/orders/1"), None);
    }

    #[test]
    fn no_match_for_unknown_paths_empty_segments_and_trailing_slashes() {
        let r = router(SPEC);
        assert_eq!(hit(&r, "GET", "/nothing"), None);
        assert_eq!(hit(&r, "GET", "/users/"), None);
        assert_eq!(hit(&r, "GET", "/users//posts/1"), None);
        assert_eq!(hit(&r, "GET", "no-slash"), None);
    }

    #[test]
    fn parameters_are_percent_decoded_and_route_keys_kept() {
        let r = router(SPEC);
        let m = r.find("PUT", "/users/%ED%95%9C%20x").unwrap();
        assert_eq!(m.params["id"], "한 x");
        assert_eq!(m.template, "/users/{id}");
        assert_eq!(m.route_method, "ANY");
        let m = r.find("GET", "/users/me").unwrap();
        assert_eq!(m.route_method, "GET");
        let m = r.find("GET", "/users/1/posts/2").unwrap();
        assert_eq!(m.payload, PayloadVersion::V1);
    }

    #[test]
    fn the_table_lists_routes_in_match_order() {
        let r = router(SPEC);
        let order: Vec<String> = r.table().into_iter().map(|e| e.route).collect();
        assert_eq!(
            order,
            [
                "/",
                "/users/me",
                "/users/me/files/{path+}",
                "/users/{id}",
                "/users/{id}/posts/{post}",
                "/users/{rest+}",
                "/{proxy+}",
            ]
        );
    }

    #[test]
    fn percent_decoding_leaves_bad_escapes_alone() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zz"), "a%zz");
        assert_eq!(percent_decode("a+b"), "a+b");
    }
}
