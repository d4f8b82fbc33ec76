//! Top-level `[[route]]` tables ([`RouteConfig`]): an HTTP route to a function named with an
//! optional qualifier, `function = "NAME:ALIAS"` or `"NAME:VERSION"`, as an API Gateway
//! integration names a qualified Lambda ARN. Each request runs the version the alias names at
//! that moment.
//!
//! A name the manifest declares may be routed plainly, as `NAME:$LATEST`, or through the alias
//! its `auto_publish_alias` declares (a manifest function has no published versions). A name
//! the manifest does not declare must be qualified: it is a function uploaded through the
//! Lambda API, which `fnhost up` always serves, so it may appear after the host starts; an
//! unqualified unknown name is refused as the typo it most likely is.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::error::ManifestError;
use crate::function::FunctionConfig;
use crate::http::{self, HttpRoute};
use crate::source::Source;
use crate::target::{FunctionTarget, Qualifier};
use crate::{raw, spelling};

/// One `[[route]]`: which requests invoke which function, version or alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// The function, and the version or alias each request runs.
    pub target: FunctionTarget,
    /// The path, methods and payload format, as in `[[function.NAME.http]]`.
    pub http: HttpRoute,
    /// Whether the function is not declared in the manifest: an upload, which may not exist
    /// yet.
    pub uploaded: bool,
}

/// Validate the `[[route]]` tables against the manifest's (validated) functions.
pub(crate) fn validate(
    routes: Vec<Spanned<raw::TopRoute>>,
    functions: &BTreeMap<String, FunctionConfig>,
    src: &Source<'_>,
) -> Result<Vec<RouteConfig>, ManifestError> {
    routes
        .into_iter()
        .map(|route| validate_one(route, functions, src))
        .collect()
}

fn validate_one(
    table: Spanned<raw::TopRoute>,
    functions: &BTreeMap<String, FunctionConfig>,
    src: &Source<'_>,
) -> Result<RouteConfig, ManifestError> {
    let (span, table) = (table.span(), table.into_inner());
    let written = table.function.ok_or_else(|| ManifestError::MissingField {
        at: src.at(span.clone()),
        what: "route".to_owned(),
        field: "function",
        example: "function = \"NAME\" (or \"NAME:ALIAS\", e.g. \"hello:live\")".to_owned(),
    })?;
    let at = src.at(written.span());
    let target =
        FunctionTarget::parse(written.get_ref()).map_err(|error| ManifestError::InvalidTarget {
            at: at.clone(),
            target: written.get_ref().clone(),
            error,
        })?;
    if table.route.is_none() {
        return Err(ManifestError::MissingField {
            at: src.at(span),
            what: format!("route to `{target}`"),
            field: "route",
            example: format!("route = \"/{}\"", target.function),
        });
    }
    let uploaded = match functions.get(&target.function) {
        Some(function) => {
            check_manifest_qualifier(&target, function, &at)?;
            false
        }
        None if target.qualifier.is_none() => {
            let known: Vec<String> = functions.keys().cloned().collect();
            return Err(ManifestError::UnknownRouteFunction {
                at,
                suggestion: spelling::closest(&target.function, &known),
                name: target.function,
            });
        }
        None => true,
    };
    let http = http::validate_route(
        &target.to_string(),
        Spanned::new(
            span,
            raw::Route {
                route: table.route,
                methods: table.methods,
                payload: table.payload,
            },
        ),
        src,
    )?;
    Ok(RouteConfig {
        target,
        http,
        uploaded,
    })
}

/// A manifest function has `$LATEST` and the alias of its `auto_publish_alias`, nothing else.
fn check_manifest_qualifier(
    target: &FunctionTarget,
    function: &FunctionConfig,
    at: &crate::Location,
) -> Result<(), ManifestError> {
    let name = &function.name;
    let declared = function.auto_publish_alias.as_deref();
    let (what, fix) = match &target.qualifier {
        None | Some(Qualifier::Latest) => return Ok(()),
        Some(Qualifier::Alias(alias)) if Some(alias.as_str()) == declared => return Ok(()),
        Some(Qualifier::Version(_)) => (
            "published versions (only functions uploaded through the Lambda API have them)"
                .to_owned(),
            match declared {
                Some(alias) => format!("route to `{name}` or to its alias `{name}:{alias}`"),
                None => format!(
                    "route to `{name}`, or add `auto_publish_alias = \"live\"` to [function.{name}] and route to `{name}:live`"
                ),
            },
        ),
        Some(Qualifier::Alias(alias)) => match declared {
            Some(declared) => (
                format!("alias `{alias}` (its auto_publish_alias is `{declared}`)"),
                format!("route to `{name}:{declared}`, or set `auto_publish_alias = \"{alias}\"`"),
            ),
            None => (
                format!("alias `{alias}`"),
                format!("add `auto_publish_alias = \"{alias}\"` to [function.{name}]"),
            ),
        },
    };
    Err(ManifestError::UnknownQualifier {
        at: at.clone(),
        target: target.to_string().into(),
        function: name.as_str().into(),
        what: what.into(),
        fix: fix.into(),
    })
}
