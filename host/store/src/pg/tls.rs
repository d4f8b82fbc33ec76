//! TLS to PostgreSQL, with libpq's connection parameters and their meaning, so that the URL a
//! managed database's console hands out (`?sslmode=verify-full&sslrootcert=…`) works as it
//! does with `psql`.
//!
//! rust-postgres's own URL parser knows only `sslmode=disable|prefer|require` and none of the
//! certificate parameters, so they are taken out of the query here and applied to a rustls
//! client configuration:
//!
//! | `sslmode` | encrypted | server certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (the default) | when the server offers TLS | only when a root certificate is given (or `~/.postgresql/root.crt` exists): chain, as `verify-ca` |
//! | `require` | always | likewise |
//! | `verify-ca` | always | chain up to `sslrootcert` |
//! | `verify-full` | always | chain, and the host name (or IP address) in the URL |
//!
//! `sslrootcert` is a PEM file, or `system` for the public certificate authorities (Mozilla's
//! roots built into fnhost, as outbound HTTPS uses), which like libpq implies and requires
//! `verify-full`. `sslcert` and `sslkey` give a client certificate for PostgreSQL's `cert`
//! authentication (default `~/.postgresql/postgresql.crt` and `.key`, when both exist).
//! `allow` tries TLS first where libpq tries plain text first: rust-postgres has no `allow`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use postgres::config::SslMode as WireMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The value `sslrootcert` takes for the public certificate authorities.
const SYSTEM_ROOTS: &str = "system";

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = String;

    fn from_str(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, \
                     verify-ca, verify-full"
                ));
            }
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

/// Where and how to connect: rust-postgres's configuration and the TLS connector for it.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: postgres::Config,
    pub(crate) tls: MakeRustlsConnect,
    /// What the URL asked for, after the defaults.
    pub(crate) mode: SslMode,
}

impl Target {
    /// Parses `url`; `home` is where `~/.postgresql/` is looked for (libpq's default files).
    /// Errors say what is wrong with the URL or which file cannot be used.
    pub(crate) fn parse(url: &str, home: Option<&Path>) -> Result<Target, String> {
        let (rest, params) = take_tls_params(url)?;
        let mut config =
            postgres::Config::from_str(&rest).map_err(|e| crate::error::pg_message(&e))?;
        // As libpq: told not to use TLS, it reads no certificate file, given or default.
        let disabled = params.mode == Some(SslMode::Disable);
        let default_dir = home
            .filter(|_| !disabled)
            .map(|home| home.join(".postgresql"));
        let default_file = |name: &str| {
            default_dir
                .as_ref()
                .map(|dir| dir.join(name))
                .filter(|path| path.is_file())
        };

        let roots = match params.rootcert.as_deref() {
            Some(SYSTEM_ROOTS) => Some(Roots::System),
            Some(_) if disabled => None,
            Some(path) => Some(Roots::File(PathBuf::from(path))),
            None => default_file("root.crt").map(Roots::File),
        };
        let mode = match (params.mode, &roots) {
            (None, Some(Roots::System)) => SslMode::VerifyFull,
            (Some(mode), Some(Roots::System)) if mode != SslMode::VerifyFull => {
                return Err(format!(
                    "sslrootcert=system needs sslmode=verify-full (a public CA signs \
                     certificates for any host, so the host name must be checked), not {mode}"
                ));
            }
            (Some(mode), _) => mode,
            (None, _) => SslMode::Prefer,
        };
        if mode >= SslMode::VerifyCa && roots.is_none() {
            return Err(format!(
                "sslmode={mode} needs the certificate of the server's CA: add \
                 sslrootcert=/path/to/ca.pem, or sslrootcert=system for a public CA"
            ));
        }
        config.ssl_mode(match mode {
            SslMode::Disable => WireMode::Disable,
            SslMode::Allow | SslMode::Prefer => WireMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
        });

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .dangerous();
        let chain = match roots {
            None => None,
            Some(roots) => Some(
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots.load()?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| format!("cannot use the root certificates: {e}"))?,
            ),
        };
        let verifier: Arc<dyn ServerCertVerifier> = match chain {
            Some(webpki) if mode == SslMode::VerifyFull => webpki,
            chain => Arc::new(Lenient { chain, provider }),
        };
        let builder = builder.with_custom_certificate_verifier(verifier);
        let client_cert = match (params.cert, params.key) {
            _ if disabled => None,
            (Some(cert), Some(key)) => Some((cert, key)),
            (Some(cert), None) => match default_file("postgresql.key") {
                Some(key) => Some((cert, key)),
                None => return Err("sslcert needs sslkey, the file of its private key".into()),
            },
            (None, Some(_)) => return Err("sslkey needs sslcert, its certificate".into()),
            (None, None) => default_file("postgresql.crt").zip(default_file("postgresql.key")),
        };
        let tls = match client_cert {
            Some((cert, key)) => builder
                .with_client_auth_cert(read_certs("sslcert", &cert)?, read_key(&key)?)
                .map_err(|e| format!("cannot use sslcert `{}`: {e}", cert.display()))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Target {
            config,
            tls: MakeRustlsConnect::new(tls),
            mode,
        })
    }

    /// A connection of its own, outside any pool. Call off the tokio runtime.
    pub(crate) fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }
}

/// The TLS parameters of a URL's query, which rust-postgres does not parse.
#[derive(Default)]
struct TlsParams {
    mode: Option<SslMode>,
    rootcert: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

/// `url` without its TLS parameters, and those parameters.
fn take_tls_params(url: &str) -> Result<(String, TlsParams), String> {
    let mut params = TlsParams::default();
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), params));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            percent_decode_str(text)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| format!("`{text}` is not UTF-8 once %-decoded"))
        };
        let value = || decode(value);
        let slot_taken = match decode(key)?.as_str() {
            "sslmode" => params.mode.replace(value()?.parse()?).is_some(),
            "sslrootcert" => params.rootcert.replace(value()?).is_some(),
            "sslcert" => params.cert.replace(value()?.into()).is_some(),
            "sslkey" => params.key.replace(value()?.into()).is_some(),
            _ => {
                kept.push(pair);
                false
            }
        };
        if slot_taken {
            return Err(format!("`{key}` is given twice"));
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, params))
}

/// The certificate authorities a server's certificate is checked against.
enum Roots {
    System,
    File(PathBuf),
}

impl Roots {
    fn load(self) -> Result<RootCertStore, String> {
        match self {
            Roots::System => Ok(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
            Roots::File(path) => {
                let mut roots = RootCertStore::empty();
                let (_, rejected) =
                    roots.add_parsable_certificates(read_certs("sslrootcert", &path)?);
                if roots.is_empty() {
                    return Err(format!(
                        "sslrootcert `{}`: none of its {rejected} certificate(s) can be a root",
                        path.display()
                    ));
                }
                Ok(roots)
            }
        }
    }
}

/// The PEM certificates in the file that parameter `what` names; at least one.
fn read_certs(what: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read {what} `{}`: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} `{}` is not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{what} `{}` holds no certificate", path.display()));
    }
    Ok(certs)
}

/// The PEM private key in `path` (PKCS#8, PKCS#1 or SEC1).
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read sslkey `{}`: {e}", path.display()))?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| format!("sslkey `{}` holds no PEM private key: {e}", path.display()))
}

/// The server certificate checks short of `verify-full`, for `sslmode=prefer/require` without a
/// root certificate (`chain` is `None`: encrypted, the certificate not checked, as libpq does;
/// protection against eavesdropping, not against a man in the middle) and for `verify-ca`
/// (the chain up to a trusted root, not the host name: webpki checks the chain before the
/// name, so a name mismatch means the chain was sound). Either way the handshake's signatures
/// are verified, so the session key is the certificate's.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(url: &str) -> (String, TlsParams) {
        take_tls_params(url).unwrap()
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_query_and_the_rest_kept() {
        let (rest, p) = params(
            "postgres://u:p@db:5432/x?application_name=a&sslmode=verify-full\
             &sslrootcert=%2Fetc%2Fca%20file.pem&connect_timeout=3",
        );
        assert_eq!(
            rest,
            "postgres://u:p@db:5432/x?application_name=a&connect_timeout=3"
        );
        assert_eq!(p.mode, Some(SslMode::VerifyFull));
        assert_eq!(p.rootcert.as_deref(), Some("/etc/ca file.pem"));
        let (rest, p) = params("postgres://db/x?sslmode=disable");
        assert_eq!(rest, "postgres://db/x");
        assert_eq!(p.mode, Some(SslMode::Disable));
        assert_eq!(params("postgres://db/x").0, "postgres://db/x");
    }

    #[test]
    fn bad_tls_parameters_are_refused_with_the_reason() {
        let err = |url: &str| Target::parse(url, None).err().unwrap();
        assert!(err("postgres://db/x?sslmode=verify").contains("not one of disable"));
        assert!(err("postgres://db/x?sslmode=require&sslmode=disable").contains("twice"));
        assert!(err("postgres://db/x?sslmode=verify-full").contains("sslrootcert="));
        assert!(err("postgres://db/x?sslmode=verify-ca").contains("sslrootcert="));
        assert!(err("postgres://db/x?sslrootcert=system&sslmode=require").contains("verify-full"));
        assert!(err("postgres://db/x?sslrootcert=/nonexistent/ca.pem").contains("cannot read"));
        assert!(err("postgres://db/x?sslkey=/k.pem").contains("sslkey needs sslcert"));
        assert!(err("postgres://db/x?sslcrl=/c.pem").contains("sslcrl"));
    }

    #[test]
    fn the_mode_defaults_as_in_libpq() {
        let mode = |url: &str, home: Option<&Path>| Target::parse(url, home).unwrap().mode;
        assert_eq!(mode("postgres://db/x", None), SslMode::Prefer);
        assert_eq!(
            mode("postgres://db/x?sslrootcert=system", None),
            SslMode::VerifyFull
        );
        assert_eq!(mode("postgres://db/x?sslmode=allow", None), SslMode::Allow);
        // ~/.postgresql/root.crt makes verify-* usable without sslrootcert.
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".postgresql");
        std::fs::create_dir(&dir).unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["db".into()]).unwrap();
        std::fs::write(dir.join("root.crt"), ca.cert.pem()).unwrap();
        assert_eq!(
            mode("postgres://db/x?sslmode=verify-full", Some(home.path())),
            SslMode::VerifyFull
        );
        // An empty or non-PEM root file is refused, not read as "no roots".
        std::fs::write(dir.join("root.crt"), "").unwrap();
        let err = Target::parse("postgres://db/x?sslmode=verify-ca", Some(home.path()))
            .err()
            .unwrap();
        assert!(err.contains("no certificate"), "{err}");
    }

    #[test]
    fn without_tls_no_certificate_file_is_read() {
        // Unusable default files, as a stale ~/.postgresql/ may hold.
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".postgresql");
        std::fs::create_dir(&dir).unwrap();
        for name in ["root.crt", "postgresql.crt", "postgresql.key"] {
            std::fs::write(dir.join(name), "not PEM").unwrap();
        }
        let home = Some(home.path());
        assert!(
            Target::parse("postgres://db/x?sslmode=prefer", home).is_err(),
            "the default files are read when TLS may be used"
        );
        let target = Target::parse("postgres://db/x?sslmode=disable", home).unwrap();
        assert_eq!(target.mode, SslMode::Disable);
        // Nor are the files a URL names.
        Target::parse(
            "postgres://db/x?sslmode=disable&sslrootcert=/nonexistent/ca.pem\
             &sslcert=/nonexistent/c.pem&sslkey=/nonexistent/c.key",
            None,
        )
        .unwrap();
        // But sslrootcert=system still asks for verify-full, as in libpq.
        assert!(Target::parse("postgres://db/x?sslmode=disable&sslrootcert=system", None).is_err());
    }
}
