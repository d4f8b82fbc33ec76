//! Outbound HTTP: a function's `allowed_outbound_hosts` and the operator's `[network]` table.
//! The grammar and the defaults are `fnhost_core::outbound`'s; this module only places errors
//! on their line.

use std::ops::RangeInclusive;
use std::path::Path;

use fnhost_core::outbound::{AllowedHosts, BlockNetworks, NetworkSettings};
use toml::Spanned;

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// Milliseconds a `[network]` timeout may be (up to Lambda's longest invocation).
pub const TIMEOUT_MS_RANGE: RangeInclusive<u64> = 1..=900_000;
/// Bytes `max_response_bytes` may be (1 byte to 4 GiB, a wasm32 guest's whole memory).
pub const RESPONSE_BYTES_RANGE: RangeInclusive<u64> = 1..=(4 << 30);
/// Requests `max_connections` may allow per function.
pub const CONNECTIONS_RANGE: RangeInclusive<u64> = 1..=100_000;

/// A function's `allowed_outbound_hosts`, parsed; absent or empty denies everything.
pub(crate) fn validate_allowed_hosts(
    function: &str,
    entries: Option<Spanned<Vec<Spanned<String>>>>,
    src: &Source<'_>,
) -> Result<AllowedHosts, ManifestError> {
    let Some(entries) = entries else {
        return Ok(AllowedHosts::default());
    };
    for entry in entries.get_ref() {
        if let Err(e) = fnhost_core::outbound::AllowedHost::parse(entry.get_ref()) {
            return Err(ManifestError::Invalid {
                at: src.at(entry.span()),
                what: format!("function `{function}`: allowed_outbound_hosts"),
                message: e.to_string(),
            });
        }
    }
    let texts: Vec<&str> = entries
        .get_ref()
        .iter()
        .map(|e| e.get_ref().as_str())
        .collect();
    Ok(AllowedHosts::parse(&texts).expect("every entry parsed above"))
}

/// The `[network]` table with defaults applied; CA paths are made absolute against `dir`.
pub(crate) fn validate_network(
    table: Option<raw::Table<raw::Network>>,
    dir: &Path,
    src: &Source<'_>,
) -> Result<NetworkSettings, ManifestError> {
    let defaults = NetworkSettings::default();
    let Some(raw::Table(table)) = table else {
        return Ok(defaults);
    };
    let block_networks = match table.block_networks {
        None => defaults.block_networks,
        Some(entries) => {
            for entry in &entries {
                if let Err(e) = BlockNetworks::parse(&[entry.get_ref()]) {
                    return Err(ManifestError::Invalid {
                        at: src.at(entry.span()),
                        what: "[network]: block_networks".into(),
                        message: e.to_string(),
                    });
                }
            }
            let texts: Vec<&str> = entries.iter().map(|e| e.get_ref().as_str()).collect();
            BlockNetworks::parse(&texts).expect("every entry parsed above")
        }
    };
    let number = |field: &str,
                  value: Option<Spanned<raw::Integer>>,
                  range: RangeInclusive<u64>,
                  default: u64| {
        let Some(value) = value else {
            return Ok(default);
        };
        u64::try_from(value.get_ref().0)
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| ManifestError::Invalid {
                at: src.at(value.span()),
                what: format!("[network]: {field}"),
                message: format!(
                    "{} is out of range; use {} to {}",
                    src.as_written(value.span()),
                    range.start(),
                    range.end()
                ),
            })
    };
    Ok(NetworkSettings {
        block_networks,
        allow_listed_ips: table.allow_listed_ips.unwrap_or(defaults.allow_listed_ips),
        ca_certificates: table
            .ca_certificates
            .iter()
            .map(|p| dir.join(p.get_ref()))
            .collect(),
        connect_timeout_ms: number(
            "connect_timeout_ms",
            table.connect_timeout_ms,
            TIMEOUT_MS_RANGE,
            defaults.connect_timeout_ms,
        )?,
        first_byte_timeout_ms: number(
            "first_byte_timeout_ms",
            table.first_byte_timeout_ms,
            TIMEOUT_MS_RANGE,
            defaults.first_byte_timeout_ms,
        )?,
        between_bytes_timeout_ms: number(
            "between_bytes_timeout_ms",
            table.between_bytes_timeout_ms,
            TIMEOUT_MS_RANGE,
            defaults.between_bytes_timeout_ms,
        )?,
        max_response_bytes: number(
            "max_response_bytes",
            table.max_response_bytes,
            RESPONSE_BYTES_RANGE,
            defaults.max_response_bytes,
        )?,
        max_connections: number(
            "max_connections",
            table.max_connections,
            CONNECTIONS_RANGE,
            defaults.max_connections as u64,
        )? as usize,
    })
}
