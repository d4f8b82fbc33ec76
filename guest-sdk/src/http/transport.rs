//! One request and its response over wasi:http (`outgoing-handler.handle`), blocking.
//!
//! Everything here calls the host, so it only runs inside a component; the redirect loop and
//! URL handling above it are plain Rust and tested natively.

use std::time::Duration;

use super::url::Scheme;
use super::{Error, Incoming, Method, Outgoing};
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    self as wasi, FutureIncomingResponse, HeaderError, IncomingBody, IncomingResponse,
    OutgoingBody, RequestOptions,
};
use crate::bindings::wasi::io::streams::StreamError;

/// The most bytes moved by one stream call.
const CHUNK: usize = 64 * 1024;

/// Send `out` and wait for the response's status and headers; its body is left unread.
pub(super) fn exchange(out: Outgoing<'_>) -> Result<Incoming<IncomingResponse>, Error> {
    let fields = wasi::Fields::new();
    for (name, value) in out.headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|e| header_error(name, e))?;
    }
    let request = wasi::OutgoingRequest::new(fields);
    request
        .set_method(&wasi_method(out.method))
        .map_err(|()| Error::InvalidMethod(out.method.to_string()))?;
    let scheme = match out.url.scheme {
        Scheme::Http => wasi::Scheme::Http,
        Scheme::Https => wasi::Scheme::Https,
    };
    let invalid = |reason: &str| Error::InvalidUrl {
        url: out.url.to_string(),
        reason: format!("the host refused its {reason}"),
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("scheme"))?;
    request
        .set_authority(Some(&out.url.authority()))
        .map_err(|()| invalid("authority"))?;
    request
        .set_path_with_query(Some(&out.url.path_and_query))
        .map_err(|()| invalid("path"))?;
    let options = out.timeout.map(options).transpose()?;
    let body = match out.body {
        Some(bytes) => Some((
            request
                .body()
                .map_err(|()| Error::Io("the request body was already taken".into()))?,
            bytes,
        )),
        None => None,
    };

    // The body is written after `handle`: the host streams it to the connection that `handle`
    // opens, so writing first could wait for room that never comes.
    let future = outgoing_handler::handle(request, options)?;
    if let Some((body, bytes)) = body
        && let Err(write_error) = write_body(body, bytes)
    {
        // The body was dropped unfinished, so the request is over; its response says why (a
        // refusal, a reset) or is the server's early answer.
        return match wait(&future) {
            Ok(response) => Ok(incoming(response)),
            Err(Error::Io(_)) => Err(write_error),
            Err(e) => Err(e),
        };
    }
    wait(&future).map(incoming)
}

/// The whole body of `response`, read until the stream closes.
pub(super) fn read_body(response: IncomingResponse) -> Result<Vec<u8>, Error> {
    let body = response
        .consume()
        .map_err(|()| Error::Io("the response body was already taken".into()))?;
    let mut bytes = Vec::new();
    {
        // A child of `body`: dropped before `finish`.
        let stream = body
            .stream()
            .map_err(|()| Error::Io("the response body stream was already taken".into()))?;
        loop {
            match stream.blocking_read(CHUNK as u64) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_error(e, "reading the response body")),
            }
        }
    }
    // Trailers are not read; dropping their future is enough.
    drop(IncomingBody::finish(body));
    Ok(bytes)
}

fn incoming(response: IncomingResponse) -> Incoming<IncomingResponse> {
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    Incoming {
        status: response.status(),
        headers,
        body: response,
    }
}

fn wait(future: &FutureIncomingResponse) -> Result<IncomingResponse, Error> {
    loop {
        match future.get() {
            Some(Ok(Ok(response))) => return Ok(response),
            Some(Ok(Err(code))) => return Err(Error::Http(code)),
            Some(Err(())) => return Err(Error::Io("the response was already taken".into())),
            None => future.subscribe().block(),
        }
    }
}

/// Write `bytes` in the chunks the stream has room for, then finish the body.
fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), Error> {
    {
        // A child of `body`: dropped before `finish`.
        let stream = body
            .write()
            .map_err(|()| Error::Io("the request body stream was already taken".into()))?;
        let writing = "writing the request body";
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = stream.check_write().map_err(|e| stream_error(e, writing))?;
            if room == 0 {
                stream.subscribe().block();
                continue;
            }
            let n = rest
                .len()
                .min(CHUNK)
                .min(usize::try_from(room).unwrap_or(usize::MAX));
            stream
                .write(&rest[..n])
                .map_err(|e| stream_error(e, writing))?;
            rest = &rest[n..];
        }
        stream
            .blocking_flush()
            .map_err(|e| stream_error(e, writing))?;
    }
    OutgoingBody::finish(body, None)?;
    Ok(())
}

/// wasi:http's error code behind a stream error when it has one (a refusal, a size cap).
fn stream_error(e: StreamError, doing: &str) -> Error {
    match e {
        StreamError::LastOperationFailed(io) => match wasi::http_error_code(&io) {
            Some(code) => Error::Http(code),
            None => Error::Io(format!("{doing} failed: {}", io.to_debug_string())),
        },
        StreamError::Closed => Error::Io(format!("{doing} failed: the stream was closed")),
    }
}

fn header_error(name: &str, e: HeaderError) -> Error {
    let reason = match e {
        HeaderError::InvalidSyntax => "not a valid header name or value",
        HeaderError::Forbidden => "the host sets this header itself",
        HeaderError::Immutable => "the headers can no longer be changed",
    };
    Error::InvalidHeader {
        name: name.to_owned(),
        reason,
    }
}

/// The same limit for connecting, the first byte and the gaps between bytes.
fn options(timeout: Duration) -> Result<RequestOptions, Error> {
    let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    let options = RequestOptions::new();
    options
        .set_connect_timeout(Some(nanos))
        .and_then(|()| options.set_first_byte_timeout(Some(nanos)))
        .and_then(|()| options.set_between_bytes_timeout(Some(nanos)))
        .map_err(|()| Error::Io("the host does not support request timeouts".into()))?;
    Ok(options)
}

fn wasi_method(method: &Method) -> wasi::Method {
    match method {
        Method::Get => wasi::Method::Get,
        Method::Head => wasi::Method::Head,
        Method::Post => wasi::Method::Post,
        Method::Put => wasi::Method::Put,
        Method::Delete => wasi::Method::Delete,
        Method::Patch => wasi::Method::Patch,
        Method::Options => wasi::Method::Options,
        Method::Connect => wasi::Method::Connect,
        Method::Trace => wasi::Method::Trace,
        Method::Other(other) => wasi::Method::Other(other.clone()),
    }
}
