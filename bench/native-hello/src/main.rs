//! Native hyper "hello" server: the ceiling `bench/http.sh` compares fnhost against.
//!
//! `native-hello --listen 127.0.0.1:0` binds, prints `listening on http://ADDR` and answers
//! every request with 200 and a small JSON body over HTTP/1.1 keep-alive.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"message":"Hello, World! This is your first AWS Lambda function."}"#;

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY)));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

fn listen_addr() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8080".to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => addr = args.next().ok_or("--listen needs an address")?,
            s if s.starts_with("--listen=") => addr = s["--listen=".len()..].to_string(),
            "-h" | "--help" => {
                println!("usage: native-hello [--listen ADDR]   (default 127.0.0.1:8080)");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    addr.parse()
        .map_err(|e| format!("bad --listen {addr:?}: {e}"))
}

#[tokio::main]
async fn main() {
    let addr = listen_addr().unwrap_or_else(|e| {
        eprintln!("native-hello: {e}");
        std::process::exit(2);
    });
    let listener = TcpListener::bind(addr).await.unwrap_or_else(|e| {
        eprintln!("native-hello: bind {addr}: {e}");
        std::process::exit(1);
    });
    let local = listener.local_addr().expect("bound socket has an address");
    // Flushed explicitly: the line is the readiness signal and stdout may be a pipe.
    println!("listening on http://{local}");
    std::io::stdout().flush().expect("flush stdout");

    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("native-hello: accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(hello));
            if let Err(e) = conn.await
                && !e.is_incomplete_message()
            {
                eprintln!("native-hello: connection: {e}");
            }
        });
    }
}
