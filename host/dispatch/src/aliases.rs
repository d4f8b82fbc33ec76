//! Aliases of uploaded functions, as the [`crate::Registry`] resolves them: `name:alias` names
//! one published version (or `$LATEST`), and optionally a second version with the share of
//! invocations it gets (Lambda's `RoutingConfig.AdditionalVersionWeights`, a canary). The
//! version is chosen per invocation.

/// The version key of `version` of `function` in the registry: the plain name for `$LATEST`,
/// `name:version` otherwise.
pub fn version_key(function: &str, version: &str) -> String {
    if version == LATEST {
        function.to_owned()
    } else {
        format!("{function}:{version}")
    }
}

/// The name of the unpublished version.
const LATEST: &str = "$LATEST";

/// Where one alias sends invocations.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasRoute {
    /// The function.
    pub function: String,
    /// The alias name.
    pub name: String,
    /// The version it points to (`$LATEST` or a number).
    pub version: String,
    /// A second version and the share of invocations it gets, from 0.0 to 1.0.
    pub additional: Option<(String, f64)>,
}

impl AliasRoute {
    /// The version to run, for `roll` drawn uniformly from `[0, 1)`: the additional version
    /// when `roll` falls under its weight, else the alias's version.
    pub fn pick(&self, roll: f64) -> &str {
        match &self.additional {
            Some((version, weight)) if roll < *weight => version,
            _ => &self.version,
        }
    }

    /// The registry key of the alias: `name:alias`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.function, self.name)
    }

    /// Whether it sends any invocation to `version`.
    pub fn uses(&self, version: &str) -> bool {
        self.version == version || self.additional.as_ref().is_some_and(|(v, _)| v == version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roll_picks_the_additional_version_under_its_weight() {
        let mut route = AliasRoute {
            function: "f".into(),
            name: "live".into(),
            version: "1".into(),
            additional: Some(("2".into(), 0.25)),
        };
        assert_eq!(route.pick(0.0), "2");
        assert_eq!(route.pick(0.2499), "2");
        assert_eq!(route.pick(0.25), "1");
        assert_eq!(route.pick(0.99), "1");
        assert!(route.uses("1") && route.uses("2") && !route.uses("3"));
        assert_eq!(route.key(), "f:live");
        route.additional = Some(("2".into(), 0.0));
        assert_eq!(route.pick(0.0), "1");
        route.additional = None;
        assert_eq!(route.pick(0.0), "1");
        assert_eq!(version_key("f", "$LATEST"), "f");
        assert_eq!(version_key("f", "3"), "f:3");
    }
}
