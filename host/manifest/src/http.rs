//! HTTP triggers: a function's `[[function.NAME.http]]` routes ([`HttpRoute`]), the methods
//! and payload format each one accepts, and the check that no two routes in the manifest claim
//! the same requests. Route syntax lives in `route`, the top-level `[http]` table in `server`.

mod route;
mod server;

use std::collections::BTreeSet;
use std::fmt;

use toml::Spanned;

use crate::error::ManifestError;
use crate::function::FunctionConfig;
use crate::source::Source;
use crate::{raw, spelling};

pub use route::{RESERVED_PREFIX, RouteError, RoutePattern, Segment};
pub use server::HttpServerConfig;
pub(crate) use server::validate as validate_server;

/// What `methods` may list, upper-case; `ANY` stands for all of them.
const ALLOWED_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// One `[[function.NAME.http]]` entry: which requests invoke the function, and as what event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The path pattern, e.g. `/users/{id}`.
    pub pattern: RoutePattern,
    /// The methods it accepts; [`Methods::Any`] unless `methods` is given.
    pub methods: Methods,
    /// The event shape the function receives.
    pub payload: PayloadFormat,
    /// 1-based line of `route` in the manifest, for messages.
    pub line: usize,
}

/// `GET,POST /users/{id}`.
impl fmt::Display for HttpRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.methods, self.pattern)
    }
}

/// The HTTP methods a route accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Methods {
    /// Every method: `methods = ["ANY"]`, or `methods` not given.
    #[default]
    Any,
    /// Only these upper-case names (`GET`, `POST`, ...), sorted.
    Only(BTreeSet<String>),
}

impl Methods {
    /// Whether a request with `method` matches; methods are case-sensitive, as sent on the wire.
    pub fn allows(&self, method: &str) -> bool {
        match self {
            Methods::Any => true,
            Methods::Only(names) => names.contains(method),
        }
    }

    /// Whether some method is accepted by both (`ANY` overlaps everything).
    pub fn overlaps(&self, other: &Methods) -> bool {
        match (self, other) {
            (Methods::Any, _) | (_, Methods::Any) => true,
            (Methods::Only(a), Methods::Only(b)) => !a.is_disjoint(b),
        }
    }
}

/// `ANY`, or the names joined by commas: `GET,POST`.
impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Methods::Any => f.write_str("ANY"),
            Methods::Only(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                f.write_str(&names.join(","))
            }
        }
    }
}

/// The event a function receives for a request: API Gateway's two payload format versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PayloadFormat {
    /// `"1.0"`: a REST API proxy event (`APIGatewayProxyRequest`).
    V1,
    /// `"2.0"`, the default: an HTTP API event (`APIGatewayV2HTTPRequest`).
    #[default]
    V2,
}

/// `1.0` or `2.0`, as written in the manifest.
impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayloadFormat::V1 => "1.0",
            PayloadFormat::V2 => "2.0",
        })
    }
}

/// Validate a function's `[[function.NAME.http]]` tables, in order.
pub(crate) fn validate_routes(
    function: &str,
    routes: Vec<Spanned<raw::Route>>,
    src: &Source<'_>,
) -> Result<Vec<HttpRoute>, ManifestError> {
    routes
        .into_iter()
        .map(|route| validate_route(function, route, src))
        .collect()
}

/// Validate one route table; `function` names its function in messages.
pub(crate) fn validate_route(
    function: &str,
    table: Spanned<raw::Route>,
    src: &Source<'_>,
) -> Result<HttpRoute, ManifestError> {
    let (span, table) = (table.span(), table.into_inner());
    let route = table.route.ok_or_else(|| ManifestError::MissingField {
        at: src.at(span),
        what: format!("function `{function}`: http"),
        field: "route",
        example: format!("route = \"/{function}\""),
    })?;
    let (at, line) = (src.at(route.span()), src.line(route.span()));
    let (function, route) = (function.to_owned(), route.into_inner());
    let pattern = match RoutePattern::parse(&route) {
        Ok(pattern) if pattern.is_reserved() => {
            return Err(ManifestError::ReservedRoute {
                at,
                function,
                route,
            });
        }
        Ok(pattern) => pattern,
        Err(error) => {
            return Err(ManifestError::InvalidRoute {
                at,
                function,
                route,
                error,
            });
        }
    };
    let methods = validate_methods(&function, table.methods, src)?;
    let payload = match table.payload {
        None => PayloadFormat::default(),
        Some(value) => match value.get_ref().as_str() {
            "1.0" => PayloadFormat::V1,
            "2.0" => PayloadFormat::V2,
            _ => {
                let at = src.at(value.span());
                let value = value.into_inner();
                return Err(ManifestError::InvalidPayload {
                    at,
                    function,
                    value,
                });
            }
        },
    };
    Ok(HttpRoute {
        pattern,
        methods,
        payload,
        line,
    })
}

/// `methods`, upper-cased; absent means [`Methods::Any`].
fn validate_methods(
    function: &str,
    methods: Option<Spanned<Vec<Spanned<String>>>>,
    src: &Source<'_>,
) -> Result<Methods, ManifestError> {
    let Some(methods) = methods else {
        return Ok(Methods::Any);
    };
    let (span, function) = (methods.span(), function.to_owned());
    let mut names = BTreeSet::new();
    for method in methods.into_inner() {
        let at = src.at(method.span());
        let name = method.get_ref().to_ascii_uppercase();
        if !ALLOWED_METHODS.contains(&name.as_str()) {
            let allowed: Vec<String> = ALLOWED_METHODS.iter().map(|m| m.to_string()).collect();
            let suggestion = spelling::closest(&name, &allowed);
            let method = method.into_inner();
            return Err(ManifestError::InvalidMethod {
                at,
                function,
                method,
                suggestion,
            });
        }
        if !names.insert(name.clone()) {
            let method = name;
            return Err(ManifestError::DuplicateMethod {
                at,
                function,
                method,
            });
        }
    }
    let at = src.at(span);
    if names.is_empty() {
        return Err(ManifestError::EmptyMethods { at, function });
    }
    if !names.remove("ANY") {
        return Ok(Methods::Only(names));
    }
    match names.into_iter().next() {
        None => Ok(Methods::Any),
        Some(method) => Err(ManifestError::RedundantAny {
            at,
            function,
            method,
        }),
    }
}

/// No two routes in the manifest may match the same request: same shape and overlapping
/// methods. Routes (`[[function.NAME.http]]` and `[[route]]` alike) are compared in file order
/// and the later one of a pair is reported; a `[[route]]` is named by its target (`f:live`).
pub(crate) fn check_conflicts<'a>(
    functions: impl IntoIterator<Item = &'a FunctionConfig>,
    top: &[crate::routes::RouteConfig],
    src: &Source<'_>,
) -> Result<(), ManifestError> {
    let mut routes: Vec<(String, usize, &HttpRoute)> = functions
        .into_iter()
        .flat_map(|f| {
            f.http
                .iter()
                .enumerate()
                .map(|(i, r)| (f.name.clone(), i, r))
        })
        .chain(
            top.iter()
                .enumerate()
                .map(|(i, r)| (r.target.to_string(), i, &r.http)),
        )
        .collect();
    routes.sort_by(|a, b| (a.2.line, &a.0, a.1).cmp(&(b.2.line, &b.0, b.1)));
    let shapes: Vec<String> = routes.iter().map(|(_, _, r)| r.pattern.shape()).collect();
    for (later, (function, _, route)) in routes.iter().enumerate() {
        let earlier = (0..later).find(|&earlier| {
            shapes[earlier] == shapes[later] && routes[earlier].2.methods.overlaps(&route.methods)
        });
        if let Some(earlier) = earlier {
            let (other_function, _, other) = &routes[earlier];
            return Err(ManifestError::RouteConflict {
                at: src.at_line(route.line),
                function: function.as_str().into(),
                route: route.to_string().into(),
                other_function: other_function.as_str().into(),
                other_route: other.to_string().into(),
                other_line: other.line,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(methods: &[&str]) -> Methods {
        Methods::Only(methods.iter().map(|m| m.to_string()).collect())
    }

    #[test]
    fn methods_overlap_when_they_share_one() {
        assert!(Methods::Any.overlaps(&Methods::Any));
        assert!(Methods::Any.overlaps(&only(&["GET"])));
        assert!(only(&["GET"]).overlaps(&Methods::Any));
        assert!(only(&["GET", "POST"]).overlaps(&only(&["POST", "PUT"])));
        assert!(!only(&["GET", "HEAD"]).overlaps(&only(&["POST"])));
    }

    #[test]
    fn displays_as_written_in_messages() {
        assert_eq!(Methods::Any.to_string(), "ANY");
        assert_eq!(only(&["POST", "GET"]).to_string(), "GET,POST");
        assert_eq!(PayloadFormat::V1.to_string(), "1.0");
        assert_eq!(PayloadFormat::default().to_string(), "2.0");
    }
}
