//! [`RoutePattern`]: the path of an HTTP route (`/users/{id}`, `/files/{path+}`), parsed and
//! checked on its own so that the router and the CLI can use it without a manifest.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

pub use crate::error::RouteError;

/// Paths under this prefix belong to fnhost itself (its health endpoint); no route may claim them.
pub const RESERVED_PREFIX: &str = "/.well-known/fnhost/";

/// A parsed route such as `/`, `/users/{id}` or `/static/{path+}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePattern {
    /// The route as written.
    pub raw: String,
    /// Its `/`-separated segments in order; empty for the root route `/`.
    pub segments: Vec<Segment>,
}

/// One `/`-separated part of a [`RoutePattern`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Text the path segment must equal exactly (case-sensitive).
    Literal(String),
    /// `{name}`: any one path segment, captured as `name`.
    Param(String),
    /// `{name+}`: the rest of the path (one or more segments), captured as `name`; always last.
    Proxy(String),
}

impl RoutePattern {
    /// Parse and check `route`: `/`, or `/`-separated segments that are each literal text,
    /// `{name}` or (last only) `{name+}`.
    pub fn parse(route: &str) -> Result<RoutePattern, RouteError> {
        let Some(rest) = route.strip_prefix('/') else {
            return Err(match route {
                "" => RouteError::Empty,
                _ => RouteError::NoLeadingSlash {
                    route: route.to_owned(),
                },
            });
        };
        let mut segments = Vec::new();
        if !rest.is_empty() {
            let mut parts = rest.split('/').peekable();
            while let Some(part) = parts.next() {
                segments.push(parse_segment(part, parts.peek().is_none())?);
            }
        }
        let mut names = BTreeSet::new();
        for segment in &segments {
            if let Segment::Param(name) | Segment::Proxy(name) = segment
                && !names.insert(name)
            {
                let name = name.clone();
                return Err(RouteError::DuplicateParam { name });
            }
        }
        Ok(RoutePattern {
            raw: route.to_owned(),
            segments,
        })
    }

    /// The route with parameter names left out (`/users/{}`, `/files/{+}`): two routes with the
    /// same shape match exactly the same paths.
    pub fn shape(&self) -> String {
        if self.segments.is_empty() {
            return "/".to_owned();
        }
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => format!("/{text}"),
                Segment::Param(_) => "/{}".to_owned(),
                Segment::Proxy(_) => "/{+}".to_owned(),
            })
            .collect()
    }

    /// Whether the route is `/.well-known/fnhost` or under it ([`RESERVED_PREFIX`]).
    pub fn is_reserved(&self) -> bool {
        let mut segments = self.segments.iter();
        RESERVED_PREFIX.split('/').filter(|s| !s.is_empty()).all(
            |expected| matches!(segments.next(), Some(Segment::Literal(text)) if text == expected),
        )
    }
}

fn parse_segment(part: &str, last: bool) -> Result<Segment, RouteError> {
    let segment = || part.to_owned();
    if part.is_empty() {
        return Err(if last {
            RouteError::TrailingSlash
        } else {
            RouteError::EmptySegment
        });
    }
    if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        let (name, proxy) = match inner.strip_suffix('+') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(RouteError::InvalidParamName { segment: segment() });
        }
        return match (proxy, last) {
            (false, _) => Ok(Segment::Param(name.to_owned())),
            (true, true) => Ok(Segment::Proxy(name.to_owned())),
            (true, false) => Err(RouteError::ProxyNotLast { segment: segment() }),
        };
    }
    if part == "." || part == ".." {
        return Err(RouteError::DotSegment { segment: segment() });
    }
    let bad = |c: char| "{}?#*".contains(c) || c.is_whitespace() || c.is_control();
    if let Some(character) = part.chars().find(|&c| bad(c)) {
        return Err(RouteError::ForbiddenCharacter {
            segment: segment(),
            character,
        });
    }
    Ok(Segment::Literal(part.to_owned()))
}

impl FromStr for RoutePattern {
    type Err = RouteError;
    fn from_str(route: &str) -> Result<Self, Self::Err> {
        Self::parse(route)
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Segment {
        Segment::Literal(text.to_owned())
    }

    fn err(route: &str) -> RouteError {
        RoutePattern::parse(route).unwrap_err()
    }

    #[test]
    fn parses_root_literals_params_and_proxy() {
        assert_eq!(RoutePattern::parse("/").unwrap().segments, vec![]);
        let route = RoutePattern::parse("/users/{id}/.well-known/{rest+}").unwrap();
        let rest = Segment::Proxy("rest".to_owned());
        let id = Segment::Param("id".to_owned());
        let expected = vec![literal("users"), id, literal(".well-known"), rest];
        assert_eq!(route.segments, expected);
        assert_eq!(route.raw, "/users/{id}/.well-known/{rest+}");
        assert_eq!(route.to_string(), route.raw);
        let proxy: RoutePattern = "/{p+}".parse().unwrap();
        assert_eq!(proxy.segments, [Segment::Proxy("p".to_owned())]);
    }

    #[test]
    fn literals_keep_case_and_allow_dots_and_encoding() {
        let route = RoutePattern::parse("/Hello/v1.2/a%20b/...").unwrap();
        assert_eq!(
            route.segments,
            ["Hello", "v1.2", "a%20b", "..."].map(literal)
        );
    }

    #[test]
    fn shape_ignores_parameter_names_only() {
        let shape = |route: &str| RoutePattern::parse(route).unwrap().shape();
        assert_eq!(shape("/"), "/");
        assert_eq!(shape("/users/{id}"), shape("/users/{name}"));
        assert_eq!(shape("/files/{path+}"), "/files/{+}");
        assert_ne!(shape("/users/{id}"), shape("/users/me"));
        assert_ne!(shape("/users/{id}"), shape("/users/{id+}"));
        assert_ne!(shape("/users/{id}"), shape("/Users/{id}"));
    }

    #[test]
    fn structural_errors() {
        let route = "hello".to_owned();
        assert_eq!(err("hello"), RouteError::NoLeadingSlash { route });
        let dots = |segment: &str| RouteError::DotSegment {
            segment: segment.to_owned(),
        };
        for (route, expected) in [
            ("/a/../b", dots("..")),
            ("/./b", dots(".")),
            ("", RouteError::Empty),
            ("//", RouteError::EmptySegment),
            ("/a//b", RouteError::EmptySegment),
            ("/a/", RouteError::TrailingSlash),
        ] {
            assert_eq!(err(route), expected, "{route}");
        }
    }

    #[test]
    fn forbidden_characters() {
        for (route, segment, character) in [
            ("/a?x=1", "a?x=1", '?'),
            ("/a#top", "a#top", '#'),
            ("/static/*", "*", '*'),
            ("/a{id}", "a{id}", '{'),
            ("/id}", "id}", '}'),
            ("/a b", "a b", ' '),
            ("/a\tb", "a\tb", '\t'),
        ] {
            let segment = segment.to_owned();
            let expected = RouteError::ForbiddenCharacter { segment, character };
            assert_eq!(err(route), expected, "{route}");
        }
    }

    #[test]
    fn parameter_errors() {
        for bad in ["{}", "{+}", "{a-b}", "{a b}", "{a+b}", "{{id}}", "{é}"] {
            let segment = bad.to_owned();
            let expected = RouteError::InvalidParamName { segment };
            assert_eq!(err(&format!("/x/{bad}")), expected, "{bad}");
        }
        let segment = "{rest+}".to_owned();
        assert_eq!(err("/{rest+}/x"), RouteError::ProxyNotLast { segment });
        let name = "id".to_owned();
        assert_eq!(err("/{id}/x/{id+}"), RouteError::DuplicateParam { name });
    }

    #[test]
    fn reserved_prefix() {
        let reserved = |route: &str| RoutePattern::parse(route).unwrap().is_reserved();
        assert!(reserved("/.well-known/fnhost"));
        assert!(reserved("/.well-known/fnhost/health"));
        assert!(reserved("/.well-known/fnhost/{any+}"));
        assert!(!reserved("/.well-known"));
        assert!(!reserved("/.well-known/fnhostx"));
        assert!(!reserved("/.well-known/{name}/health"));
        assert!(!reserved("/"));
    }
}
