//! What the manifest routes to: the HTTP route table (`[[function.NAME.http]]` and the
//! top-level `[[route]]` tables, which may name `NAME:ALIAS` or `NAME:VERSION`), and the
//! local aliases of `auto_publish_alias`.
//!
//! Locally, `auto_publish_alias = "live"` makes `NAME:live` an alias of `$LATEST`, the code the
//! host runs now, so a hot reload moves it with the code; the alias lives in the registry only
//! (fnhost.toml's functions have no published versions, so the store has none to keep).

use fnhost_dispatch::{AliasRoute, Registry};
use fnhost_http::Router;
use fnhost_manifest::{LATEST, Manifest};

/// The route table of `manifest`. A route to a manifest function is served only when
/// `deployed` says it runs; a `[[route]]` to an upload always is (the upload, or its alias,
/// may come later: until then its requests get the answer of a function that is not there).
pub fn router(manifest: &Manifest, deployed: impl Fn(&str) -> bool) -> Router {
    let keys: Vec<String> = manifest.routes.iter().map(|r| r.target.key()).collect();
    let functions = manifest
        .functions
        .values()
        .filter(|f| deployed(&f.name))
        .flat_map(|f| f.http.iter().map(move |r| (f.name.as_str(), r)));
    let top = manifest
        .routes
        .iter()
        .zip(&keys)
        .filter(|(r, _)| r.uploaded || deployed(&r.target.function))
        .map(|(r, key)| (key.as_str(), &r.http));
    Router::new(functions.chain(top))
}

/// The `name:alias` keys of the aliases `manifest` declares.
fn alias_keys(manifest: &Manifest) -> Vec<String> {
    manifest
        .functions
        .values()
        .filter_map(|f| {
            let alias = f.auto_publish_alias.as_ref()?;
            Some(format!("{}:{alias}", f.name))
        })
        .collect()
}

/// Point every `auto_publish_alias` of `manifest` at its function's `$LATEST`.
pub fn set_aliases(registry: &Registry, manifest: &Manifest) {
    for f in manifest.functions.values() {
        if let Some(alias) = &f.auto_publish_alias {
            registry.set_alias(AliasRoute {
                function: f.name.clone(),
                name: alias.clone(),
                version: LATEST.to_owned(),
                additional: None,
            });
        }
    }
}

/// Remove the aliases `old` declared that `new` does not.
pub fn remove_stale_aliases(registry: &Registry, old: &Manifest, new: &Manifest) {
    let kept = alias_keys(new);
    for key in alias_keys(old) {
        if !kept.contains(&key) {
            registry.remove_alias(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn manifest(text: &str) -> Manifest {
        Manifest::parse(text, Path::new("/p/fnhost.toml")).unwrap()
    }

    #[test]
    fn route_tables_join_function_routes_and_uploads_are_always_served() {
        let m = manifest(
            "manifest_version = 1\n[function.a]\nsource = \"a.wasm\"\nauto_publish_alias = \"live\"\n\
             [[function.a.http]]\nroute = \"/a\"\n\
             [[route]]\nfunction = \"a:live\"\nroute = \"/a/live\"\n\
             [[route]]\nfunction = \"up:live\"\nroute = \"/up\"\n",
        );
        let all = router(&m, |_| true);
        assert_eq!(
            all.find("GET", "/a/live").unwrap().function.as_ref(),
            "a:live"
        );
        assert_eq!(all.find("GET", "/up").unwrap().function.as_ref(), "up:live");
        assert_eq!(all.find("GET", "/a").unwrap().function.as_ref(), "a");
        // `a` did not load: its routes go, the upload's stays.
        let none = router(&m, |_| false);
        assert!(none.find("GET", "/a/live").is_none() && none.find("GET", "/a").is_none());
        assert_eq!(
            none.find("GET", "/up").unwrap().function.as_ref(),
            "up:live"
        );
    }

    #[test]
    fn declared_aliases_follow_latest_and_leave_with_the_manifest() {
        let registry = Registry::new();
        let old = manifest(
            "manifest_version = 1\n[function.a]\nsource = \"a.wasm\"\nauto_publish_alias = \"live\"\n\
             [function.b]\nsource = \"b.wasm\"\nauto_publish_alias = \"prod\"\n",
        );
        set_aliases(&registry, &old);
        let live = registry.alias("a:live").unwrap();
        assert_eq!((live.version.as_str(), &live.additional), (LATEST, &None));
        assert!(registry.alias("b:prod").is_some());
        let new = manifest(
            "manifest_version = 1\n[function.a]\nsource = \"a.wasm\"\nauto_publish_alias = \"live\"\n",
        );
        set_aliases(&registry, &new);
        remove_stale_aliases(&registry, &old, &new);
        assert!(registry.alias("a:live").is_some());
        assert!(registry.alias("b:prod").is_none());
    }
}
