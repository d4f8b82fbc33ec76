//! The admin listener (Lambda API) against hostile callers: web pages reaching the loopback
//! API (cross-site requests, DNS rebinding), floods of unsigned uploads, slow bodies, replayed
//! signatures, TLS, and requests in flight at SIGTERM.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::api::{manifest, run_py, run_signed_py};
use crate::up::{Server, client, function, metric};

const ACCESS_KEY: &str = "AKIDFNHOSTADMIN";
const SECRET_KEY: &str = "fnhost-admin-secret-do-not-log";
const CREDENTIALS: [(&str, &str); 2] = [
    ("FNHOST_ACCESS_KEY_ID", ACCESS_KEY),
    ("FNHOST_SECRET_ACCESS_KEY", SECRET_KEY),
];

/// An environment variable of `hello` that the listing shows to whoever may list.
const TOKEN: &str = "tok-4f9a-admin-env";

/// One raw HTTP/1.1 exchange on a fresh connection (the request must say `Connection: close`):
/// the status and the whole answer.
pub(crate) async fn raw(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    (status_of(&text), text)
}

/// The status of an HTTP/1.1 response's first line (0 when there is none).
fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `fnhost_invocations_total` of `function` on the admin's `/metrics` (0 before its first).
async fn invocations(admin: SocketAddr, function: &str) -> u64 {
    metric(admin, "fnhost_invocations_total", function).await
}

/// Finding 1: the probes of the issue, exactly as a web page's browser sends them.
#[tokio::test(flavor = "multi_thread")]
async fn web_pages_cannot_invoke_or_list_through_the_loopback_admin() {
    let functions = function(
        "hello",
        "hello",
        &format!("env = {{ TOKEN = \"{TOKEN}\" }}"),
    );
    let server = Server::start(&functions, &["-q"]);
    let admin = server.admin;
    let own = format!("127.0.0.1:{}", admin.port());

    // A cross-site simple POST after DNS rebinding: foreign Origin and Host, text/plain.
    let probe = "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: evil.example:9000\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{\"name\":\"Pwned\"}\n";
    let (status, answer) = raw(admin, probe).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("AccessDeniedException"), "{answer}");
    assert!(!answer.contains("Pwned"), "the function ran: {answer}");

    // The listing with a foreign Host: no environment variables.
    let list = "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: evil.example:9000\r\nConnection: close\r\n\r\n";
    let (status, answer) = raw(admin, list).await;
    assert_eq!(status, 403, "{answer}");
    assert!(!answer.contains(TOKEN), "{answer}");

    // The right Host with a foreign Origin (a cross-site request without rebinding).
    let cross_site = format!(
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: {own}\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let (status, answer) = raw(admin, &cross_site).await;
    assert_eq!(status, 403, "{answer}");
    // No Origin, but a content type only browsers send for a simple request.
    let text_plain = format!(
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: {own}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let (status, answer) = raw(admin, &text_plain).await;
    assert_eq!(status, 415, "{answer}");
    assert!(answer.contains("UnsupportedMediaTypeException"), "{answer}");
    // A form post creating a function.
    let form = format!(
        "POST /2015-03-31/functions HTTP/1.1\r\nHost: {own}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=b"
    );
    assert_eq!(raw(admin, &form).await.0, 415);
    assert_eq!(invocations(admin, "hello").await, 0, "a refused probe ran");

    // The same calls as AWS clients send them still work, and would have been counted.
    let (status, answer) = raw(
        admin,
        &format!("GET /2015-03-31/functions/ HTTP/1.1\r\nHost: {own}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(TOKEN), "{answer}");
    let by_name = format!(
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: localhost:{}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        admin.port()
    );
    let (status, answer) = raw(admin, &by_name).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(invocations(admin, "hello").await, 1);
}

/// Finding 1: `--admin-host` names are answered to; others still are not.
#[tokio::test(flavor = "multi_thread")]
async fn configured_admin_host_names_are_answered_to() {
    let server = Server::start(&manifest(), &["-q", "--admin-host", "fnhost.internal"]);
    let list = |host: &str| {
        format!("GET /2015-03-31/functions/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };
    let (status, answer) = raw(server.admin, &list("fnhost.internal:9000")).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = raw(server.admin, &list("fnhost.internal.evil.example")).await;
    assert_eq!(status, 403, "{answer}");
}

/// Finding 1: configured credentials are enforced on a loopback listener, without
/// `--admin-auth`; boto3 and the aws CLI sign and get through.
#[test]
fn credentials_are_enforced_on_loopback_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let server = Server::start_with_env(dir, &["-q"], &CREDENTIALS);
    assert!(server.admin.ip().is_loopback());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, answer) = runtime.block_on(raw(
        server.admin,
        &format!(
            "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            server.admin.port()
        ),
    ));
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer.contains("MissingAuthenticationTokenException"),
        "{answer}"
    );
    let out = run_py("auth.py", &server, &CREDENTIALS);
    assert!(out.contains("passed auth.py"), "{out}");
}

/// Bytes each flood upload declares: just under Lambda's 70,167,211-byte request limit.
const UPLOAD_BYTES: usize = 70_000_000;

/// How a flood upload pretends to be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pretend {
    /// No `Authorization` header.
    Unsigned,
    /// An `Authorization` header that is not SigV4.
    Garbled,
    /// The (not secret) access key id with a made-up signature over a declared payload hash.
    DeclaredHash,
    /// The access key id with a made-up signature over the body, hash not declared.
    BodyHash,
}

/// Start a CreateFunction of [`UPLOAD_BYTES`] and keep sending its body until the host
/// answers: the status and how many body bytes were written by then.
async fn flood_upload(admin: SocketAddr, pretend: Pretend) -> (u16, usize) {
    let now = chrono::Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let day = now.format("%Y%m%d").to_string();
    let signature = "0".repeat(64);
    let auth = match pretend {
        Pretend::Unsigned => String::new(),
        Pretend::Garbled => "Authorization: AWS4-HMAC-SHA256 Credential=\r\n".into(),
        Pretend::DeclaredHash | Pretend::BodyHash => format!(
            "Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{day}/us-east-1/lambda/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={signature}\r\n"
        ),
    };
    let declared = if pretend == Pretend::DeclaredHash {
        format!("X-Amz-Content-SHA256: {}\r\n", "ab".repeat(32))
    } else {
        String::new()
    };
    let head = format!(
        "POST /2015-03-31/functions HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nX-Amz-Date: {amz_date}\r\n{auth}{declared}Content-Length: {UPLOAD_BYTES}\r\n\r\n",
        admin.port()
    );
    let stream = TcpStream::connect(admin).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let mut answer = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        status_of(&String::from_utf8_lossy(&got))
    });
    write.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'x'; 256 << 10];
    let mut written = 0;
    let mut status = None;
    while written < UPLOAD_BYTES && status.is_none() {
        let n = chunk.len().min(UPLOAD_BYTES - written);
        tokio::select! {
            sent = write.write_all(&chunk[..n]) => match sent {
                Ok(()) => written += n,
                Err(_) => break,
            },
            answered = &mut answer => status = Some(answered.unwrap()),
        }
    }
    let status = match status {
        Some(status) => status,
        None => tokio::time::timeout(Duration::from_secs(120), answer)
            .await
            .expect("the host never answered")
            .unwrap(),
    };
    (status, written)
}

/// Finding 2: 50 concurrent 70 MB uploads that only look signed. Those refused on their
/// headers are answered before their bodies are read; those whose signature needs the body
/// share a 64 MiB budget (429 past it); the host's peak memory stays far below 50 × 70 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_unsigned_uploads_is_refused_before_the_bodies_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let server = Server::start_with_env(
        dir,
        &["-q", "--admin-body-budget", &(64u64 << 20).to_string()],
        &CREDENTIALS,
    );
    let before = server.peak_rss();
    let mut uploads = Vec::new();
    for i in 0..50 {
        let pretend = match i % 5 {
            0 => Pretend::Unsigned,
            1 => Pretend::Garbled,
            2 | 3 => Pretend::DeclaredHash,
            _ => Pretend::BodyHash,
        };
        let admin = server.admin;
        uploads.push((
            pretend,
            tokio::spawn(async move { flood_upload(admin, pretend).await }),
        ));
    }
    let mut body_read = 0;
    for (pretend, upload) in uploads {
        let (status, written) = upload.await.unwrap();
        if pretend == Pretend::BodyHash {
            // Read (within the budget) and refused on the signature, or refused for want of room.
            assert!(status == 403 || status == 429, "{pretend:?}: {status}");
            body_read += usize::from(status == 403);
        } else {
            assert_eq!(status, 403, "{pretend:?}");
            // What the socket buffers hold, not the body: the host never read it.
            assert!(
                written < 24 << 20,
                "{pretend:?}: {written} bytes were sent before the answer"
            );
        }
    }
    let peak = server.peak_rss();
    eprintln!(
        "peak RSS {} MiB (before the flood {} MiB), {body_read} bodies read",
        peak >> 20,
        before >> 20
    );
    assert!(
        peak < 512 << 20,
        "peak RSS {} MiB for 50 uploads of 70 MB",
        peak >> 20
    );
    // The host still answers signed requests.
    let out = run_py("auth.py", &server, &CREDENTIALS);
    assert!(out.contains("passed auth.py"), "{out}");
}

/// Finding 2: a body that stops arriving gets 408 after the body timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_body_times_out() {
    let server = Server::start(&manifest(), &["-q", "--admin-body-timeout-s", "1"]);
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.admin).await.unwrap();
    let head = format!(
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 1000\r\n\r\n{{\"name\":",
        server.admin.port()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut answer))
        .await
        .expect("a stalled body was waited for past 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert_eq!(status_of(&text), 408, "{text}");
    assert!(text.contains("RequestTimeoutException"), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(invocations(server.admin, "hello").await, 0);
}

/// A CA, and a certificate it signed for 127.0.0.1 and localhost: (CA PEM, chain PEM, key PEM).
pub(crate) fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "fnhost test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

/// Finding 10: HTTPS with `--admin-tls-cert/--admin-tls-key`; over it, boto3 (trusting the
/// test's CA) works, a replayed RequestResponse signature with an unsigned
/// `X-Amz-Invocation-Type: Event` is refused, and so is a signature for another region.
#[test]
fn tls_serves_boto3_and_replays_or_other_regions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let (ca, chain, key) = certificates();
    let (ca_path, cert_path, key_path) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    std::fs::write(&ca_path, ca).unwrap();
    std::fs::write(&cert_path, chain).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let server = Server::start_with_env(
        dir,
        &[
            "-q",
            "--admin-tls-cert",
            cert_path.to_str().unwrap(),
            "--admin-tls-key",
            key_path.to_str().unwrap(),
        ],
        &CREDENTIALS,
    );
    assert!(
        server.stdout().contains("admin: https://"),
        "{}",
        server.stdout()
    );
    let https = format!("https://{}", server.admin);
    let mut env = CREDENTIALS.to_vec();
    env.push(("FNHOST_TEST_ADMIN", https.as_str()));
    env.push(("FNHOST_TEST_CA", ca_path.to_str().unwrap()));
    run_signed_py("tls.py", &server, &env, SECRET_KEY);
}

/// TLS files that cannot be used stop `fnhost up` before it listens, naming the file.
#[test]
fn unusable_tls_files_stop_the_start() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("fnhost.toml");
    std::fs::write(
        &manifest_path,
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let missing = dir.path().join("missing-cert.pem");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest_path)
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-build",
            "--admin",
            "127.0.0.1:0",
        ])
        .arg("--admin-tls-cert")
        .arg(&missing)
        .arg("--admin-tls-key")
        .arg(&missing)
        .env("FNHOST_STATE_DIR", crate::up::state_dir(dir.path()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing-cert.pem"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}

/// Low item: an admin request in flight at SIGTERM finishes before the host exits.
#[tokio::test(flavor = "multi_thread")]
async fn admin_requests_in_flight_are_drained_on_sigterm() {
    let functions = function("sleepy", "hostile-sleep", "timeout_s = 10\n");
    let mut server = Server::start(&functions, &["-q"]);
    let admin = server.admin;
    let in_flight = tokio::spawn(async move {
        let response = client()
            .post(format!(
                "http://{admin}/2015-03-31/functions/sleepy/invocations"
            ))
            .body(r#"{"ms":1500}"#)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        Ok::<_, String>((status, response.text().await.map_err(|e| e.to_string())?))
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(admin, "fnhost_concurrent_executions", "sleepy").await == 0 {
        assert!(Instant::now() < deadline, "the invocation never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.signal_term();
    let (status, body) = in_flight
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("the admin request was cut off: {e}\n{}", server.stderr()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"sleptMs":1500}"#);
    let exit = tokio::task::block_in_place(|| server.wait_exit());
    assert_eq!(exit.code(), Some(0), "{}", server.stderr());
    assert!(
        server.await_stderr(
            "admin API drained 1 in-flight request(s)",
            Duration::from_secs(10)
        ),
        "{}",
        server.stderr()
    );
}
