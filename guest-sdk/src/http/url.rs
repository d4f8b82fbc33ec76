//! URLs as the client sends them: `http` or `https`, a host, a port, a path with its query.
//!
//! Only what a request needs, so no dependency on a URL crate: absolute URLs are parsed, a
//! redirect's `Location` is resolved against the URL that answered (RFC 3986 §5.2), and the
//! path is normalized and percent-encoded where it holds bytes a request line may not carry.

use std::fmt;
use std::net::Ipv6Addr;

/// The two schemes the host sends requests for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// An absolute `http` or `https` URL without its fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) scheme: Scheme,
    /// A lower-case name or IPv4 address, or an IPv6 address in brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// Starts with `/`; the query, if any, included.
    pub(crate) path_and_query: String,
}

impl Url {
    /// Parse an absolute URL; the error is the reason, for [`super::Error::InvalidUrl`].
    pub(crate) fn parse(input: &str) -> Result<Url, String> {
        let input = input.trim();
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(
                "not an absolute URL; write it as http://host/path or https://host/path".into(),
            );
        };
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(format!("unsupported scheme `{scheme}`; use http or https"));
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (host, port) = authority_parts(authority, scheme)?;
        let tail = tail.split('#').next().unwrap_or_default();
        let path_and_query = if tail.is_empty() || tail.starts_with('?') {
            format!("/{tail}")
        } else {
            tail.to_owned()
        };
        Ok(Url {
            scheme,
            host,
            port,
            path_and_query: normalize(&path_and_query),
        })
    }

    /// The URL a redirect's `location` points to, relative to this one.
    pub(crate) fn join(&self, location: &str) -> Result<Url, String> {
        let location = location.trim();
        if has_scheme(location) {
            return Url::parse(location);
        }
        if location.starts_with("//") {
            return Url::parse(&format!("{}:{location}", self.scheme.as_str()));
        }
        let location = location.split('#').next().unwrap_or_default();
        let (base_path, _) = split_query(&self.path_and_query);
        let path_and_query = if location.is_empty() {
            self.path_and_query.clone()
        } else if location.starts_with('/') {
            location.to_owned()
        } else if location.starts_with('?') {
            format!("{base_path}{location}")
        } else {
            // Merge: the base path up to its last `/`, then the reference.
            let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        Ok(Url {
            path_and_query: normalize(&path_and_query),
            ..self.clone()
        })
    }

    /// `host[:port]`, the port only when it is not the scheme's default (wasi:http's authority).
    pub(crate) fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Whether `other` has the same scheme, host and port.
    pub(crate) fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.path_and_query
        )
    }
}

/// The host (lower case, IPv6 in brackets) and port of an authority.
fn authority_parts(authority: &str, scheme: Scheme) -> Result<(String, u16), String> {
    if authority.contains('@') {
        return Err(
            "credentials in the URL are not supported; send an Authorization header instead".into(),
        );
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (addr, after) = bracketed
            .split_once(']')
            .ok_or("the IPv6 address has no closing `]`")?;
        let ip: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("`[{addr}]` is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| format!("unexpected `{after}` after the IPv6 address"))?,
            ),
        };
        (format!("[{ip}]"), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("no host".into());
        }
        if let Some(c) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        {
            return Err(if c.is_ascii() {
                format!("invalid character `{c}` in the host `{host}`")
            } else {
                format!("the host `{host}` is not ASCII; write it in punycode (`xn--…`)")
            });
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None | Some("") => scheme.default_port(),
        Some(port) => match port.parse::<u16>() {
            Ok(n) if n != 0 && port.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                return Err(format!(
                    "invalid port `{port}`; use a number from 1 to 65535"
                ));
            }
        },
    };
    Ok((host, port))
}

/// Whether `reference` starts with a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn split_query(path_and_query: &str) -> (&str, Option<&str>) {
    match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    }
}

/// Dot segments removed from the path, and the bytes a request line may not carry
/// percent-encoded in path and query.
fn normalize(path_and_query: &str) -> String {
    let (path, query) = split_query(path_and_query);
    let mut out = encode(&remove_dot_segments(path));
    if let Some(query) = query {
        out.push('?');
        out.push_str(&encode(query));
    }
    out
}

/// RFC 3986 §5.2.4 on a path that starts with `/`.
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    out.pop();
                }
                // `/a/b/..` is the directory `/a/`.
                if last {
                    out.push("");
                }
            }
            segment => out.push(segment),
        }
    }
    format!("/{}", out.join("/"))
}

/// Controls, space, non-ASCII and the characters RFC 3986 leaves out of URIs, as `%XX`; an
/// existing `%XX` is kept as it is.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b <= b' ' || b >= 0x7f || b"\"<>\\^`{|}".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> String {
        Url::parse(s).unwrap().to_string()
    }

    fn reason(s: &str) -> String {
        Url::parse(s).unwrap_err()
    }

    #[test]
    fn parses_scheme_host_port_path_and_query() {
        let url = Url::parse("HTTPS://API.Example.com:8443/v1/items?id=3#top").unwrap();
        assert_eq!(url.scheme, Scheme::Https);
        assert_eq!(url.host, "api.example.com");
        assert_eq!(url.port, 8443);
        assert_eq!(url.path_and_query, "/v1/items?id=3");
        assert_eq!(url.authority(), "api.example.com:8443");
        assert_eq!(
            url.to_string(),
            "https://api.example.com:8443/v1/items?id=3"
        );

        assert_eq!(parse("http://127.0.0.1"), "http://127.0.0.1/");
        assert_eq!(parse("http://localhost:80/x"), "http://localhost/x");
        assert_eq!(parse("http://h:/x"), "http://h/x");
        assert_eq!(parse("http://h?q=1"), "http://h/?q=1");
        assert_eq!(parse("  http://h/a  "), "http://h/a");
        assert_eq!(Url::parse("https://h").unwrap().port, 443);
    }

    #[test]
    fn parses_ipv6_hosts() {
        let url = Url::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(url.host, "[::1]");
        assert_eq!(url.port, 8080);
        assert_eq!(url.authority(), "[::1]:8080");
        assert_eq!(parse("http://[2001:DB8:0:0::1]/"), "http://[2001:db8::1]/");
        assert_eq!(
            parse("https://[::ffff:10.0.0.1]"),
            "https://[::ffff:10.0.0.1]/"
        );
    }

    #[test]
    fn bad_urls_give_a_reason() {
        assert_eq!(
            reason("example.com/x"),
            "not an absolute URL; write it as http://host/path or https://host/path"
        );
        assert_eq!(reason(""), reason("example.com/x"));
        assert_eq!(
            reason("ftp://h/x"),
            "unsupported scheme `ftp`; use http or https"
        );
        assert_eq!(reason("http:///x"), "no host");
        assert_eq!(reason("http://:80/x"), "no host");
        assert_eq!(
            reason("http://h:99999/"),
            "invalid port `99999`; use a number from 1 to 65535"
        );
        assert!(reason("http://h:0/").starts_with("invalid port `0`"));
        assert!(reason("http://h:+80/").starts_with("invalid port `+80`"));
        assert!(reason("http://h:1:2/").starts_with("invalid port `1:2`"));
        assert_eq!(
            reason("http://a b/"),
            "invalid character ` ` in the host `a b`"
        );
        assert!(reason("http://bücher.example/").contains("punycode"));
        assert!(reason("http://user:pw@h/").starts_with("credentials in the URL"));
        assert_eq!(
            reason("http://[::1/"),
            "the IPv6 address has no closing `]`"
        );
        assert_eq!(reason("http://[zz]/"), "`[zz]` is not an IPv6 address");
        assert_eq!(
            reason("http://[::1]x/"),
            "unexpected `x` after the IPv6 address"
        );
    }

    #[test]
    fn paths_are_normalized_and_encoded() {
        assert_eq!(parse("http://h/a/./b/../c"), "http://h/a/c");
        assert_eq!(parse("http://h/a/b/.."), "http://h/a/");
        assert_eq!(parse("http://h/../../x"), "http://h/x");
        assert_eq!(
            parse("http://h/a b/ü?q=x y&r=\"<>\""),
            "http://h/a%20b/%C3%BC?q=x%20y&r=%22%3C%3E%22"
        );
        assert_eq!(parse("http://h/%41%20?a=%2F"), "http://h/%41%20?a=%2F");
        // Dots in the query are data, not segments.
        assert_eq!(parse("http://h/a?../b"), "http://h/a?../b");
        assert_eq!(parse("http://h/a\r\nHost: x"), "http://h/a%0D%0AHost:%20x");
    }

    #[test]
    fn locations_resolve_against_the_url_that_answered() {
        let base = Url::parse("https://h:8443/a/b/c?q=1").unwrap();
        let join = |location: &str| base.join(location).unwrap().to_string();
        // RFC 3986 §5.4's shapes.
        assert_eq!(join("http://other/x"), "http://other/x");
        assert_eq!(join("//other:81/x?y"), "https://other:81/x?y");
        assert_eq!(join("/root"), "https://h:8443/root");
        assert_eq!(join("d"), "https://h:8443/a/b/d");
        assert_eq!(join("./d/"), "https://h:8443/a/b/d/");
        assert_eq!(join("../d"), "https://h:8443/a/d");
        assert_eq!(join("../../../../d"), "https://h:8443/d");
        assert_eq!(join("?z=2"), "https://h:8443/a/b/c?z=2");
        assert_eq!(join(".."), "https://h:8443/a/");
        assert_eq!(join("#frag"), "https://h:8443/a/b/c?q=1");
        assert_eq!(join("d e#f"), "https://h:8443/a/b/d%20e");
        assert_eq!(
            base.join("gopher://x/").unwrap_err(),
            "unsupported scheme `gopher`; use http or https"
        );
        assert_eq!(base.join("http://").unwrap_err(), "no host");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let a = Url::parse("http://h/x").unwrap();
        assert!(a.same_origin(&Url::parse("http://H:80/y").unwrap()));
        assert!(!a.same_origin(&Url::parse("https://h/x").unwrap()));
        assert!(!a.same_origin(&Url::parse("http://h:81/x").unwrap()));
        assert!(!a.same_origin(&Url::parse("http://g/x").unwrap()));
    }
}
