//! The node name of `fnhost up`: what tells the nodes of a cluster apart on `/metrics` and the
//! health endpoint. `--node` / `FNHOST_NODE`, else the machine's hostname, else `local`.

use anyhow::{Result, bail};

/// The name when neither a flag nor a usable hostname gives one.
pub const FALLBACK_NODE: &str = "local";

/// Longest node name (a DNS label's length, which a Kubernetes pod's hostname also keeps to).
pub const MAX_NODE_LEN: usize = 63;

/// The node name: `given` (the flag or `FNHOST_NODE`, checked), else the hostname when it is a
/// valid name, else [`FALLBACK_NODE`].
pub fn resolve(given: Option<&str>) -> Result<String> {
    if let Some(name) = given {
        if let Err(reason) = check(name) {
            bail!(
                "invalid node name `{}`: {reason}; give --node (or FNHOST_NODE) 1 to {MAX_NODE_LEN} characters of A-Z, a-z, 0-9, `.`, `_` and `-`",
                name.escape_debug()
            );
        }
        return Ok(name.to_owned());
    }
    Ok(hostname()
        .filter(|name| check(name).is_ok())
        .unwrap_or_else(|| FALLBACK_NODE.to_owned()))
}

/// Why `name` is not a node name.
fn check(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.len() > MAX_NODE_LEN {
        return Err(format!("it is {} bytes long", name.len()));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(format!("it holds {c:?}")),
        None => Ok(()),
    }
}

/// The kernel's hostname (`/proc/sys/kernel/hostname`, Linux; a pod's name in Kubernetes).
fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_pass_and_bad_ones_say_why() {
        for good in ["x", "node-1", "web_2.example.com", &"a".repeat(63)] {
            assert_eq!(resolve(Some(good)).unwrap(), good);
        }
        for (bad, why) in [
            ("", "it is empty"),
            (&"a".repeat(64), "it is 64 bytes long"),
            ("node 1", "it holds ' '"),
            ("nöde", "it holds 'ö'"),
            ("a\"b", "it holds '\"'"),
        ] {
            let err = resolve(Some(bad)).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
            assert!(err.contains("--node (or FNHOST_NODE)"), "{err}");
        }
    }

    #[test]
    fn without_a_flag_the_hostname_or_local() {
        let name = resolve(None).unwrap();
        assert!(check(&name).is_ok(), "{name}");
        match hostname() {
            Some(host) if check(&host).is_ok() => assert_eq!(name, host),
            _ => assert_eq!(name, FALLBACK_NODE),
        }
    }
}
