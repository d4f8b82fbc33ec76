//! TLS to PostgreSQL, against a real server with `ssl=on` that refuses unencrypted connections
//! (fnhost-testpg's `start_private_tls`): libpq's `sslmode` values, `sslrootcert`, and client
//! certificates, through `Store::connect` as `fnhost up --store` uses it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fnhost_store::{Change, Store, StoreError};
use fnhost_testpg::{CERT_USERS, Server, Tls};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA: its certificate in PEM, and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `names` (DNS names or IP addresses) with common name `cn`: (PEM, key PEM).
    fn sign(&self, names: &[&str], cn: &str) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// The TLS server of this test process, and the files the tests point the store at.
struct Setup {
    server: Server,
    dir: tempfile::TempDir,
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A new role `role` (login, no password; a member of `cert_users` if its name starts
    /// with `cert_`) owning a new database; the database's name.
    fn database_of(&self, role: &str) -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "tls_{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut admin = self.server.admin().unwrap();
        admin
            .batch_execute(&format!(
                "DO $$ BEGIN CREATE ROLE {role} LOGIN{}; \
                 EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                if role.starts_with("cert_") {
                    format!(" IN ROLE {CERT_USERS}")
                } else {
                    String::new()
                }
            ))
            .unwrap();
        // (CREATE DATABASE may not share a batch, which is one transaction.)
        admin
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {role}"))
            .unwrap();
        name
    }

    /// `postgres://ROLE@HOST:PORT/DB?QUERY`.
    fn url(&self, role: &str, host: &str, db: &str, query: &str) -> String {
        let port = self.server.port();
        format!("postgres://{role}@{host}:{port}/{db}?{query}")
    }

    /// Whether every connection of `role` to the server is encrypted, and how many there are.
    fn encrypted_connections(&self, role: &str) -> (bool, i64) {
        let mut admin = self.server.admin().unwrap();
        let row = admin
            .query_one(
                "SELECT coalesce(bool_and(s.ssl), false), count(*) \
                 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = $1",
                &[&role],
            )
            .unwrap();
        (row.get(0), row.get(1))
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let ca = Ca::new("fnhost test CA");
        let (cert_pem, key_pem) = ca.sign(&["localhost", "127.0.0.1"], "localhost");
        let server = Server::start_private_tls(&Tls {
            cert_pem,
            key_pem,
            client_ca_pem: ca.pem.clone(),
        })
        .expect("a PostgreSQL server with TLS");
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("ca.pem", &ca.pem);
        write("other-ca.pem", &Ca::new("another CA").pem);
        let (client_pem, client_key) = ca.sign(&[], "cert_app");
        write("client.pem", &client_pem);
        write("client.key", &client_key);
        Setup { server, dir }
    })
}

fn connect_err(url: &str) -> String {
    match Store::connect(url) {
        Ok(_) => panic!("{url} connected"),
        Err(StoreError::Connect { reason, .. }) => reason,
        Err(other) => panic!("{url}: {other}"),
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn the_server_refuses_unencrypted_connections() {
    let s = setup();
    let db = s.database_of("plain_app");
    let reason = connect_err(&s.url("plain_app", "127.0.0.1", &db, "sslmode=disable"));
    assert!(reason.contains("no encryption"), "{reason}");
}

#[test]
fn verify_full_connects_encrypted_and_the_change_feed_follows() {
    let s = setup();
    let db = s.database_of("full_app");
    let query = format!(
        "sslmode=verify-full&sslrootcert={}",
        path_str(&s.path("ca.pem"))
    );
    let store = Store::connect(&s.url("full_app", "localhost", &db, &query)).unwrap();
    let mut feed = store
        .follow_changes()
        .unwrap()
        .expect("PostgreSQL has a feed");
    let (all_encrypted, count) = s.encrypted_connections("full_app");
    assert!(
        all_encrypted && count >= 2,
        "{count} connection(s), all encrypted: {all_encrypted}"
    );

    // The feed's own (encrypted) connection hears a change made by another.
    let mut sql = postgres::Client::connect(
        &format!("postgres://fnhost@127.0.0.1:{}/{db}", s.server.port()),
        postgres::NoTls,
    )
    .unwrap();
    sql.batch_execute(
        "INSERT INTO functions (name, version, code_sha256, code_size, description, memory_mb, \
         timeout_s, env, revision_id, last_modified_ms) \
         VALUES ('hello', '$LATEST', 'aa', 1, '', 128, 3, '{}', 'r1', 1)",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let want = Change::Function("hello".to_owned());
    while !feed.wait(Duration::from_millis(200)).contains(&want) {
        assert!(Instant::now() < deadline, "no change announced within 5 s");
    }
}

#[test]
fn require_and_the_default_encrypt_without_a_root_certificate() {
    // (As with libpq, a ~/.postgresql/root.crt would make these check the certificate.)
    let s = setup();
    for (role, query) in [("require_app", "sslmode=require"), ("prefer_app", "")] {
        let db = s.database_of(role);
        // 127.0.0.1 is in the certificate, but nothing checks it: a self-signed one would do.
        let store = Store::connect(&s.url(role, "127.0.0.1", &db, query)).unwrap();
        let (all_encrypted, count) = s.encrypted_connections(role);
        assert!(
            all_encrypted && count >= 1,
            "{role}: {count}, {all_encrypted}"
        );
        drop(store);
    }
}

#[test]
fn verify_full_refuses_a_server_certificate_of_another_ca() {
    let s = setup();
    let db = s.database_of("wrong_ca_app");
    for mode in ["verify-full", "verify-ca", "require"] {
        let query = format!(
            "sslmode={mode}&sslrootcert={}",
            path_str(&s.path("other-ca.pem"))
        );
        let reason = connect_err(&s.url("wrong_ca_app", "localhost", &db, &query));
        assert!(reason.contains("UnknownIssuer"), "{mode}: {reason}");
    }
}

#[test]
fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let s = setup();
    let db = s.database_of("name_app");
    // The URL's host is db.example (not in the certificate); hostaddr says where it is.
    let query = |mode: &str| {
        format!(
            "hostaddr=127.0.0.1&sslmode={mode}&sslrootcert={}",
            path_str(&s.path("ca.pem"))
        )
    };
    let reason = connect_err(&s.url("name_app", "db.example", &db, &query("verify-full")));
    assert!(
        reason.contains("not valid for name \"db.example\""),
        "{reason}"
    );
    Store::connect(&s.url("name_app", "db.example", &db, &query("verify-ca"))).unwrap();
}

#[test]
fn a_client_certificate_logs_in_a_role_that_requires_one() {
    let s = setup();
    let db = s.database_of("cert_app");
    let root = format!(
        "sslmode=verify-full&sslrootcert={}",
        path_str(&s.path("ca.pem"))
    );
    let reason = connect_err(&s.url("cert_app", "localhost", &db, &root));
    assert!(reason.contains("certificate"), "{reason}");

    let query = format!(
        "{root}&sslcert={}&sslkey={}",
        path_str(&s.path("client.pem")),
        path_str(&s.path("client.key"))
    );
    let store = Store::connect(&s.url("cert_app", "localhost", &db, &query)).unwrap();
    let mut admin = s.server.admin().unwrap();
    let dn: String = admin
        .query_one(
            "SELECT s.client_dn FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.usename = 'cert_app' LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(dn.contains("CN=cert_app"), "{dn}");
    drop(store);
}
