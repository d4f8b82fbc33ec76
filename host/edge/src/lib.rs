//! The HTTP edge both of `fnhost up`'s listeners share: the HTTP trigger (routes to functions)
//! and the admin listener (the Lambda API).
//!
//! [`serve`] is the one accept loop: hyper HTTP/1.1 with keep-alive, a header-read timeout
//! (which also closes idle keep-alive connections) and a cap on open connections (past it, new
//! ones wait in the kernel's backlog, which [`bind`] makes large enough for a burst), a write
//! deadline (a client that stops reading its response is closed), counting every request in
//! flight itself ([`InFlight`]), and on shutdown it stops accepting, lets in-flight requests
//! finish within the drain timeout and reports how that went ([`Drained`]). The stop is a
//! [`Shutdown`] the listeners share, in two steps: draining (still serving, health 503,
//! `Connection: close` on every response, so a load balancer moves away first), then closing.
//! A listener is a [`Handler`] that only answers. [`read_body`] is the one body reader (a limit checked before
//! and while reading; an oversized body is read away before the 413 so the client gets the
//! answer); a [`BodyReader`] adds a deadline for the whole body and a listener-wide budget of
//! body bytes in memory (waited for, or reserved up front and refused at once: the admin's).
//! [`percent_decode`] is the one `%XX` decoder.
//! [`serve_on`] is the same loop over another [`Transport`]: [`Tls`] (rustls) for the admin
//! listener's HTTPS.

mod body;
mod deadline;
mod percent;
mod serve;
mod shutdown;
mod tls;
mod workers;

pub use body::{
    BodyError, BodyReader, BodyShare, DRAIN_IDLE, MAX_DRAIN_BYTES, MAX_DRAIN_TIME,
    UNCOUNTED_BODY_BYTES, read_body,
};
pub use deadline::DEFAULT_WRITE_TIMEOUT;
pub use percent::{percent_decode, query_map};
pub use serve::{
    DEFAULT_MAX_CONNECTIONS, Drained, Handler, InFlight, LISTEN_BACKLOG, bind, serve, serve_on,
};
pub use shutdown::{Phase, Shutdown};
pub use tls::{Plain, Tls, TlsError, Transport};
