//! Outbound HTTP: a function's `allowed_outbound_hosts` and the `[network]` table, with the
//! exact text of each error. The grammar itself is tested in fnhost-core.

use std::path::PathBuf;

use fnhost_manifest::NetworkSettings;

use crate::{HEAD, error, parse};

#[test]
fn absent_means_deny_all_and_the_default_network_settings() {
    let manifest = parse(HEAD).unwrap();
    assert!(
        manifest.functions["hello"]
            .allowed_outbound_hosts
            .is_empty()
    );
    assert_eq!(manifest.network, NetworkSettings::default());
}

#[test]
fn every_key_parsed() {
    let text = format!(
        "{HEAD}allowed_outbound_hosts = [\"https://api.example.com\", \"http://127.0.0.1:8000..8100\"]\n\n\
         [network]\nblock_networks = [\"private\", \"169.254.169.254/32\"]\nallow_listed_ips = true\n\
         ca_certificates = [\"certs/ca.pem\"]\nconnect_timeout_ms = 500\nfirst_byte_timeout_ms = 600\n\
         between_bytes_timeout_ms = 700\nmax_response_bytes = 1024\nmax_connections = 3\n"
    );
    let manifest = parse(&text).unwrap();
    let allowed = &manifest.functions["hello"].allowed_outbound_hosts;
    let entries: Vec<String> = allowed.entries().iter().map(|e| e.to_string()).collect();
    assert_eq!(
        entries,
        ["https://api.example.com", "http://127.0.0.1:8000..8100"]
    );
    let network = &manifest.network;
    assert!(network.allow_listed_ips);
    assert_eq!(
        network.ca_certificates,
        [PathBuf::from("/proj/certs/ca.pem")]
    );
    assert_eq!(
        (
            network.connect_timeout_ms,
            network.first_byte_timeout_ms,
            network.between_bytes_timeout_ms,
            network.max_response_bytes,
            network.max_connections
        ),
        (500, 600, 700, 1024, 3)
    );
    let ip = |s: &str| s.parse().unwrap();
    assert_eq!(
        network
            .block_networks
            .blocking(ip("10.1.1.1"))
            .map(|b| b.entry)
            .as_deref(),
        Some("private")
    );
    // An explicit list replaces the default one.
    assert_eq!(network.block_networks.blocking(ip("169.254.1.1")), None);
}

#[test]
fn a_path_in_an_entry_names_the_form_to_write() {
    let text = format!(
        "{HEAD}allowed_outbound_hosts = [\"https://ok.example\", \"https://api.example.com/v1\"]\n"
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:5: function `hello`: allowed_outbound_hosts: invalid entry \"https://api.example.com/v1\": \
         paths are not allowed; write \"https://api.example.com\" (every path on the host is allowed)"
    );
}

#[test]
fn a_missing_scheme_and_a_bare_star_are_explained() {
    let text = format!("{HEAD}allowed_outbound_hosts = [\"api.example.com\"]\n");
    assert!(
        error(&text).ends_with(
            "the scheme is missing; write \"https://api.example.com\" (or http://, *://)"
        )
    );
    let text = format!("{HEAD}allowed_outbound_hosts = [\"*\"]\n");
    assert!(
        error(&text).contains("write \"*://*:*\""),
        "{}",
        error(&text)
    );
}

#[test]
fn bad_network_values_are_refused_on_their_line() {
    let text = format!("{HEAD}\n[network]\nblock_networks = [\"loopback\", \"privat\"]\n");
    assert_eq!(
        error(&text),
        "fnhost.toml:7: [network]: block_networks: invalid entry \"privat\": not a network: write one of \
         private, loopback, link-local, metadata, an IP address or a CIDR block like 10.0.0.0/8"
    );
    let text = format!("{HEAD}\n[network]\nmax_connections = 0\n");
    assert_eq!(
        error(&text),
        "fnhost.toml:7: [network]: max_connections: 0 is out of range; use 1 to 100000"
    );
    let text = format!("{HEAD}\n[network]\nblock = []\n");
    assert!(error(&text).contains("block"), "{}", error(&text));
}
