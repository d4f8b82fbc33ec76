//! Who a function may call over HTTP: its allow-list, in Spin's `allowed_outbound_hosts`
//! grammar, and the operator's blocked networks, checked against every address a name resolves
//! to. The manifest, the Lambda API (tag `fnhost:allowed-outbound-hosts`) and the sender in
//! `fnhost-outbound` all use these types, so an entry means the same everywhere.
//!
//! An entry is `scheme://host[:port]`:
//! * scheme `http`, `https` or `*` (mandatory);
//! * host a name (`api.example.com`), `*.example.org` (any subdomain, not the bare domain), `*`,
//!   an IP address (`127.0.0.1`, `[::1]`) or a CIDR block (`10.0.0.0/8`, `[fd00::/8]`);
//! * port a number, `*`, or Spin's range `8000..8100` (end excluded); without one, the scheme's
//!   default (80 or 443; `*://` needs a port).
//!
//! A path, query or user name is refused with the form to write instead. `*://*:*` allows
//! everything the operator's `block_networks` does not block.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// Why an allow-list entry or a blocked network is not valid; the text says what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid entry {entry:?}: {reason}")]
pub struct RuleError {
    /// The entry as written.
    pub entry: String,
    /// What is wrong and what to write instead.
    pub reason: String,
}

fn bad(entry: &str, reason: impl Into<String>) -> RuleError {
    RuleError {
        entry: entry.to_owned(),
        reason: reason.into(),
    }
}

/// The scheme of a request fnhost sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `http`, port 80 by default.
    Http,
    /// `https`, port 443 by default.
    Https,
}

impl Scheme {
    /// The port a URL without one uses.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Where one outbound request goes: what the allow-list is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The request's scheme.
    pub scheme: Scheme,
    /// Lower-case host name without a trailing dot, or an IP address (no brackets).
    pub host: String,
    /// The port, the scheme's default when the URL has none.
    pub port: u16,
}

impl Target {
    /// A target from a URL's parts; the host is normalized (lower case, no brackets, no
    /// trailing dot).
    pub fn new(scheme: Scheme, host: &str, port: Option<u16>) -> Target {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        Target {
            scheme,
            port: port.unwrap_or(scheme.default_port()),
            host,
        }
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// The allow-list entry that admits exactly this target (the default port left out).
    pub fn entry(&self) -> String {
        let host = match self.ip() {
            Some(IpAddr::V6(_)) => format!("[{}]", self.host),
            _ => self.host.clone(),
        };
        if self.port == self.scheme.default_port() {
            format!("{}://{host}", self.scheme.as_str())
        } else {
            format!("{}://{host}:{}", self.scheme.as_str(), self.port)
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entry())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    Any,
    /// `.example.org` of `*.example.org`.
    Subdomains(String),
    Name(String),
    Net(IpNet),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortRule {
    Any,
    One(u16),
    /// Start included, end excluded (Spin's `a..b`).
    Range(u16, u16),
}

/// One parsed entry of `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    original: String,
    /// `None` for `*`.
    scheme: Option<Scheme>,
    host: HostRule,
    port: PortRule,
}

const FORM: &str = "entries are scheme://host[:port], e.g. \"https://api.example.com\", \
                    \"https://*.example.org\", \"http://127.0.0.1:8081\" or \"https://10.0.0.0/8:443\"";

impl AllowedHost {
    /// Parse one entry.
    pub fn parse(entry: &str) -> Result<AllowedHost, RuleError> {
        let text = entry.trim();
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(match text {
                "*" | "" | ":" | "?" => bad(
                    entry,
                    "to allow every host write \"*://*:*\" (fnhost's block_networks still apply)",
                ),
                "insecure:allow-all" => bad(entry, "write \"*://*:*\" to allow every host"),
                _ => bad(
                    entry,
                    format!("the scheme is missing; write \"https://{text}\" (or http://, *://)"),
                ),
            });
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "*" => None,
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            other => {
                return Err(bad(
                    entry,
                    format!(
                        "fnhost sends only HTTP requests: the scheme must be http, https or *, not {other:?}"
                    ),
                ));
            }
        };
        if rest.contains(['@', '?', '#']) {
            return Err(bad(
                entry,
                format!("a user name, query or fragment is not allowed; {FORM}"),
            ));
        }
        // `[v6]`, `[v6/len]`, or everything up to the last `:` (or the slash of a path).
        let (host, after) = if let Some(inner) = rest.strip_prefix('[') {
            let Some((host, after)) = inner.split_once(']') else {
                return Err(bad(entry, "an IPv6 address needs its closing `]`"));
            };
            (host, after)
        } else {
            split_host(rest)
        };
        let (port, path) = match after.strip_prefix(':') {
            Some(p) => p.split_once('/').unwrap_or((p, "")),
            None if after.is_empty() => ("", ""),
            None => match after.strip_prefix('/') {
                Some(path) => ("", path),
                None => return Err(bad(entry, format!("cannot read the host; {FORM}"))),
            },
        };
        if !path.is_empty() {
            let base = text.len() - path.len() - 1;
            return Err(bad(
                entry,
                format!(
                    "paths are not allowed; write {:?} (every path on the host is allowed)",
                    &text[..base]
                ),
            ));
        }
        let host = parse_host(entry, host)?;
        let port = match (port, scheme) {
            ("", Some(s)) => PortRule::One(s.default_port()),
            ("", None) => {
                return Err(bad(
                    entry,
                    "with the scheme `*` the port must be given: a number, `*` or a range like 8000..8100",
                ));
            }
            ("*", _) => PortRule::Any,
            (p, _) => parse_port(entry, p)?,
        };
        Ok(AllowedHost {
            original: text.to_owned(),
            scheme,
            host,
            port,
        })
    }

    /// Whether this entry admits `target`.
    pub fn allows(&self, target: &Target) -> bool {
        self.scheme.is_none_or(|s| s == target.scheme)
            && self.port_allows(target.port)
            && match &self.host {
                HostRule::Any => true,
                HostRule::Subdomains(suffix) => {
                    target.ip().is_none() && target.host.ends_with(suffix.as_str())
                }
                HostRule::Name(name) => *name == target.host,
                HostRule::Net(net) => target.ip().is_some_and(|ip| net.contains(&canonical(ip))),
            }
    }

    fn port_allows(&self, port: u16) -> bool {
        match self.port {
            PortRule::Any => true,
            PortRule::One(p) => p == port,
            PortRule::Range(start, end) => (start..end).contains(&port),
        }
    }

    /// Whether the host is written as an IP address or CIDR block: only such an entry may reach
    /// a blocked network, and only where the operator allows it (`allow_listed_ips`).
    pub fn is_ip(&self) -> bool {
        matches!(self.host, HostRule::Net(_))
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// The host part and what follows it (`:port`, `/path` or nothing) of an entry without
/// brackets. A CIDR's `/len` belongs to the host.
fn split_host(rest: &str) -> (&str, &str) {
    let end = rest.find(':').unwrap_or(rest.len());
    let host_and_path = &rest[..end];
    // `10.0.0.0/8` is a host; `example.com/api` is a host and a path.
    if let Some((host, tail)) = host_and_path.split_once('/') {
        let is_cidr = host.parse::<IpAddr>().is_ok()
            && !tail.is_empty()
            && tail.bytes().all(|b| b.is_ascii_digit());
        if !is_cidr {
            let at = host.len();
            return (&rest[..at], &rest[at..]);
        }
    }
    (&rest[..end], &rest[end..])
}

fn parse_host(entry: &str, host: &str) -> Result<HostRule, RuleError> {
    let host = host.trim().to_ascii_lowercase();
    if host.is_empty() {
        return Err(bad(entry, format!("the host is missing; {FORM}")));
    }
    if host == "*" {
        return Ok(HostRule::Any);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(HostRule::Net(IpNet::from(canonical(ip))));
    }
    if let Ok(net) = host.parse::<IpNet>() {
        if net.network() != net.addr() {
            return Err(bad(
                entry,
                format!(
                    "{host} has host bits set; the block is written {}",
                    net.trunc()
                ),
            ));
        }
        return Ok(HostRule::Net(net));
    }
    let (wild, name) = match host.strip_prefix("*.") {
        Some(domain) => (true, domain),
        None => (false, host.as_str()),
    };
    if name.contains('*') {
        return Err(bad(
            entry,
            "a wildcard is allowed only as the whole host (`*`) or as a leading `*.` (`*.example.org`)",
        ));
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !valid {
        return Err(bad(entry, format!("{name:?} is not a host name; {FORM}")));
    }
    Ok(if wild {
        HostRule::Subdomains(format!(".{name}"))
    } else {
        HostRule::Name(name.to_owned())
    })
}

fn parse_port(entry: &str, port: &str) -> Result<PortRule, RuleError> {
    let number = |p: &str| {
        p.parse::<u16>().map_err(|_| {
            bad(
                entry,
                format!("the port {p:?} is not a number from 0 to 65535; write a number, `*` or a range like 8000..8100"),
            )
        })
    };
    match port.split_once("..") {
        Some((start, end)) => {
            let (start, end) = (number(start)?, number(end)?);
            if start >= end {
                return Err(bad(
                    entry,
                    format!("the port range {port} is empty (the end is excluded, as in Spin)"),
                ));
            }
            Ok(PortRule::Range(start, end))
        }
        None => Ok(PortRule::One(number(port)?)),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) as the IPv4 address they are.
pub fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// A function's allow-list; empty denies every request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    entries: Vec<AllowedHost>,
}

impl AllowedHosts {
    /// Parse every entry; the first bad one is the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts, RuleError> {
        Ok(AllowedHosts {
            entries: entries
                .iter()
                .map(|e| AllowedHost::parse(e.as_ref()))
                .collect::<Result<_, _>>()?,
        })
    }

    /// No entry: every request is denied.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, as written.
    pub fn entries(&self) -> &[AllowedHost] {
        &self.entries
    }

    /// The entries that admit `target` (the first decides; an IP entry after a name entry
    /// still counts for [`AllowedHost::is_ip`]).
    pub fn matching<'a>(&'a self, target: &'a Target) -> impl Iterator<Item = &'a AllowedHost> {
        self.entries.iter().filter(move |e| e.allows(target))
    }

    /// Whether any entry admits `target`.
    pub fn allows(&self, target: &Target) -> bool {
        self.matching(target).next().is_some()
    }
}

/// Named groups of networks for `block_networks`.
pub const NETWORK_GROUPS: &[(&str, &[&str])] = &[
    (
        "private",
        &[
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "fc00::/7",
        ],
    ),
    ("loopback", &["127.0.0.0/8", "::1/128"]),
    ("link-local", &["169.254.0.0/16", "fe80::/10"]),
    (
        "metadata",
        &[
            "169.254.169.254/32",
            "fd00:ec2::254/128",
            "100.100.100.200/32",
        ],
    ),
];

/// `block_networks` when the operator does not set it.
pub const DEFAULT_BLOCK_NETWORKS: &[&str] = &["metadata", "link-local"];

/// Addresses no request may reach whatever the configuration: they are never a server
/// (`0.0.0.0` reaches this host on Linux, multicast and broadcast are not unicast).
const NEVER: &[&str] = &[
    "0.0.0.0/8",
    "::/128",
    "224.0.0.0/4",
    "255.255.255.255/32",
    "ff00::/8",
];

/// The networks outbound requests may not reach, checked after fnhost resolves a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockNetworks {
    /// Each block with the entry that put it there (a group name or the CIDR as written).
    nets: Vec<(IpNet, String)>,
}

impl Default for BlockNetworks {
    fn default() -> Self {
        BlockNetworks::parse(DEFAULT_BLOCK_NETWORKS).expect("the default block list parses")
    }
}

impl BlockNetworks {
    /// Parse group names ([`NETWORK_GROUPS`]), IP addresses and CIDR blocks.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<BlockNetworks, RuleError> {
        let mut nets = Vec::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if let Some((_, group)) = NETWORK_GROUPS.iter().find(|(name, _)| *name == entry) {
                nets.extend(group.iter().map(|n| {
                    (
                        n.parse::<IpNet>().expect("the groups are valid CIDRs"),
                        entry.to_owned(),
                    )
                }));
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                nets.push((IpNet::from(canonical(ip)), entry.to_owned()));
            } else if let Ok(net) = entry.parse::<IpNet>() {
                nets.push((net.trunc(), entry.to_owned()));
            } else {
                let groups: Vec<&str> = NETWORK_GROUPS.iter().map(|(n, _)| *n).collect();
                return Err(bad(
                    entry,
                    format!(
                        "not a network: write one of {}, an IP address or a CIDR block like 10.0.0.0/8",
                        groups.join(", ")
                    ),
                ));
            }
        }
        Ok(BlockNetworks { nets })
    }

    /// Nothing blocked (besides the addresses that are never a server).
    pub fn none() -> BlockNetworks {
        BlockNetworks { nets: Vec::new() }
    }

    /// What blocks `ip`, if anything does.
    pub fn blocking(&self, ip: IpAddr) -> Option<Blocked> {
        let ip = canonical(ip);
        if let Some(net) = NEVER
            .iter()
            .map(|n| n.parse::<IpNet>().expect("valid CIDRs"))
            .find(|n| n.contains(&ip))
        {
            return Some(Blocked {
                entry: format!("{net} (never a server)"),
                always: true,
            });
        }
        self.nets
            .iter()
            .find(|(net, _)| net.contains(&ip))
            .map(|(_, entry)| Blocked {
                entry: entry.clone(),
                always: false,
            })
    }
}

/// Why an address may not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The `block_networks` entry (a group name or the network as written) that holds the
    /// address, or the never-a-server block.
    pub entry: String,
    /// A never-a-server address: no allow-list entry reaches it.
    pub always: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(url: &str) -> Target {
        let (scheme, rest) = url.split_once("://").unwrap();
        let scheme = if scheme == "https" {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (h, after) = inner.split_once(']').unwrap();
            (h, after.strip_prefix(':').map(|p| p.parse().unwrap()))
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p.parse().unwrap())),
                None => (rest, None),
            }
        };
        Target::new(scheme, host, port)
    }

    /// (entry, URL, allowed?) — Spin's cases and fnhost's own.
    const MATCHES: &[(&str, &str, bool)] = &[
        ("https://api.example.com", "https://api.example.com", true),
        (
            "https://api.example.com",
            "https://api.example.com:443",
            true,
        ),
        ("https://api.example.com", "https://API.Example.com.", true),
        ("https://api.example.com", "http://api.example.com", false),
        (
            "https://api.example.com",
            "https://api.example.com:8443",
            false,
        ),
        (
            "https://api.example.com",
            "https://x.api.example.com",
            false,
        ),
        ("https://api.example.com/", "https://api.example.com", true),
        ("http://api.example.com", "http://api.example.com:80", true),
        ("*://api.example.com:*", "http://api.example.com:1234", true),
        ("*://api.example.com:*", "https://api.example.com", true),
        ("https://*.example.org", "https://a.example.org", true),
        ("https://*.example.org", "https://a.b.example.org", true),
        ("https://*.example.org", "https://example.org", false),
        ("https://*.example.org", "https://badexample.org", false),
        (
            "https://*.example.org",
            "https://example.org.evil.com",
            false,
        ),
        ("https://*", "https://anything.example", true),
        ("https://*", "https://anything.example:444", false),
        ("https://*:*", "https://anything.example:444", true),
        ("*://*:*", "http://10.1.2.3:9", true),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081", true),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8082", false),
        ("http://127.0.0.1:8081", "http://localhost:8081", false),
        ("http://localhost:8081", "http://127.0.0.1:8081", false),
        ("https://10.0.0.0/8:443", "https://10.200.3.4", true),
        ("https://10.0.0.0/8:443", "https://11.0.0.1", false),
        ("https://10.0.0.0/8:443", "https://10.0.0.1:8443", false),
        ("http://10.0.0.0/8", "http://10.0.0.1", true),
        ("http://[::1]:8080", "http://[::1]:8080", true),
        ("http://[::1]:8080", "http://[::2]:8080", false),
        ("http://[fd00::/8]:*", "http://[fd12::1]:1", true),
        ("http://127.0.0.1:*", "http://[::ffff:127.0.0.1]:5", true),
        ("http://127.0.0.1:8000..8003", "http://127.0.0.1:8000", true),
        ("http://127.0.0.1:8000..8003", "http://127.0.0.1:8002", true),
        (
            "http://127.0.0.1:8000..8003",
            "http://127.0.0.1:8003",
            false,
        ),
        (
            "http://127.0.0.1:8000..8003",
            "http://127.0.0.1:7999",
            false,
        ),
        ("http://*.example.org", "http://10.0.0.1", false),
    ];

    #[test]
    fn entries_admit_what_spin_admits() {
        for (entry, url, allowed) in MATCHES {
            let rule = AllowedHost::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
            assert_eq!(rule.allows(&t(url)), *allowed, "{entry} vs {url}");
        }
    }

    /// (entry, a fragment of the error).
    const REFUSED: &[(&str, &str)] = &[
        ("*", "*://*:*"),
        ("", "*://*:*"),
        ("insecure:allow-all", "*://*:*"),
        ("api.example.com", "write \"https://api.example.com\""),
        ("ftp://example.com", "http, https or *"),
        ("redis://example.com:6379", "http, https or *"),
        ("https://example.com/api", "write \"https://example.com\""),
        (
            "https://example.com:8443/api/v1",
            "write \"https://example.com:8443\"",
        ),
        ("https://example.com?x=1", "query"),
        ("https://user@example.com", "user name"),
        ("*://example.com", "port must be given"),
        ("https://example.com:http", "not a number"),
        ("https://example.com:70000", "not a number"),
        ("https://example.com:9..9", "empty"),
        ("https://ex*ample.com", "wildcard"),
        ("https://*.*.example.com", "wildcard"),
        ("https://a.*.example.com", "wildcard"),
        ("https://", "host is missing"),
        ("https://exa mple.com", "not a host name"),
        ("https://10.0.0.1/8", "host bits"),
        ("http://[::1", "closing"),
    ];

    #[test]
    fn bad_entries_are_refused_with_the_form_to_write() {
        for (entry, fragment) in REFUSED {
            let err = AllowedHost::parse(entry).expect_err(entry).to_string();
            assert!(err.contains(fragment), "{entry}: {err}");
        }
    }

    #[test]
    fn an_empty_list_denies_everything() {
        let hosts = AllowedHosts::parse::<&str>(&[]).unwrap();
        assert!(hosts.is_empty());
        assert!(!hosts.allows(&t("https://example.com")));
    }

    #[test]
    fn the_suggested_entry_admits_its_target() {
        for url in [
            "https://api.example.com",
            "http://127.0.0.1:8081",
            "http://[::1]:9000",
            "https://x.example.org:8443",
        ] {
            let target = t(url);
            let entry = AllowedHost::parse(&target.entry()).unwrap();
            assert!(entry.allows(&target), "{url} -> {}", target.entry());
        }
        assert_eq!(
            t("https://Api.Example.com:443").entry(),
            "https://api.example.com"
        );
    }

    #[test]
    fn ip_entries_are_marked() {
        assert!(AllowedHost::parse("http://10.0.0.0/8").unwrap().is_ip());
        assert!(AllowedHost::parse("http://[::1]:80").unwrap().is_ip());
        assert!(!AllowedHost::parse("http://localhost").unwrap().is_ip());
        assert!(!AllowedHost::parse("http://*:*").unwrap().is_ip());
    }

    #[test]
    fn blocked_networks_name_their_entry() {
        let block = BlockNetworks::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            block
                .blocking(ip("169.254.169.254"))
                .map(|b| b.entry)
                .as_deref(),
            Some("metadata")
        );
        assert_eq!(
            block
                .blocking(ip("169.254.1.1"))
                .map(|b| b.entry)
                .as_deref(),
            Some("link-local")
        );
        assert_eq!(
            block.blocking(ip("fe80::1")).map(|b| b.entry).as_deref(),
            Some("link-local")
        );
        assert_eq!(block.blocking(ip("127.0.0.1")), None);
        assert_eq!(block.blocking(ip("10.0.0.1")), None);
        assert!(block.blocking(ip("0.0.0.0")).unwrap().always);
        assert!(block.blocking(ip("::")).unwrap().entry.contains("never"));
        assert!(BlockNetworks::none().blocking(ip("0.1.2.3")).is_some());
        assert_eq!(BlockNetworks::none().blocking(ip("169.254.169.254")), None);

        let block = BlockNetworks::parse(&["private", "loopback", "203.0.113.7"]).unwrap();
        assert_eq!(
            block.blocking(ip("10.9.9.9")).map(|b| b.entry).as_deref(),
            Some("private")
        );
        assert_eq!(
            block.blocking(ip("172.31.0.1")).map(|b| b.entry).as_deref(),
            Some("private")
        );
        assert_eq!(block.blocking(ip("172.32.0.1")), None);
        assert_eq!(
            block.blocking(ip("127.0.0.2")).map(|b| b.entry).as_deref(),
            Some("loopback")
        );
        // IPv4-mapped IPv6 is the IPv4 address it carries.
        assert_eq!(
            block
                .blocking(ip("::ffff:127.0.0.1"))
                .map(|b| b.entry)
                .as_deref(),
            Some("loopback")
        );
        assert_eq!(
            block.blocking(ip("::1")).map(|b| b.entry).as_deref(),
            Some("loopback")
        );
        assert_eq!(
            block
                .blocking(ip("203.0.113.7"))
                .map(|b| b.entry)
                .as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(block.blocking(ip("203.0.113.8")), None);
        let err = BlockNetworks::parse(&["privat"]).unwrap_err().to_string();
        assert!(
            err.contains("private, loopback, link-local, metadata"),
            "{err}"
        );
    }
}

/// Longest wait for a TCP (and TLS) connection by default.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 10_000;
/// Longest wait for a response's head by default.
pub const DEFAULT_FIRST_BYTE_TIMEOUT_MS: u64 = 30_000;
/// Longest pause inside a response body by default.
pub const DEFAULT_BETWEEN_BYTES_TIMEOUT_MS: u64 = 30_000;
/// Largest response body a function may receive by default (32 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 << 20;
/// Outbound requests one function may have open at once by default (all its invocations
/// together).
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// The operator's outbound settings (the manifest's `[network]` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Networks no request may reach, checked on every resolved address.
    pub block_networks: BlockNetworks,
    /// Whether an IP address or CIDR block written in a function's allow-list may reach a
    /// blocked network (a name never may).
    pub allow_listed_ips: bool,
    /// PEM files of extra root certificates, trusted besides Mozilla's roots.
    pub ca_certificates: Vec<std::path::PathBuf>,
    /// Longest wait for a connection, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Longest wait for a response's head, in milliseconds.
    pub first_byte_timeout_ms: u64,
    /// Longest pause inside a response body, in milliseconds.
    pub between_bytes_timeout_ms: u64,
    /// Largest response body, in bytes.
    pub max_response_bytes: u64,
    /// Outbound requests one function may have open at once.
    pub max_connections: usize,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        NetworkSettings {
            block_networks: BlockNetworks::default(),
            allow_listed_ips: false,
            ca_certificates: Vec::new(),
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            first_byte_timeout_ms: DEFAULT_FIRST_BYTE_TIMEOUT_MS,
            between_bytes_timeout_ms: DEFAULT_BETWEEN_BYTES_TIMEOUT_MS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}
