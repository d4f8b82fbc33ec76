//! The HTTP edge both of `fnhost up`'s listeners share: the HTTP trigger (routes to functions)
//! and the admin listener (the Lambda API).
//!
//! [`serve`] is the one accept loop: hyper HTTP/1.1 with keep-alive and a header-read timeout,
//! counting every request in flight itself ([`InFlight`]), and on shutdown it stops accepting,
//! lets in-flight requests finish within the drain timeout and reports how that went
//! ([`Drained`]). A listener is a [`Handler`] that only answers. [`read_body`] is the one body
//! reader (a limit checked before and while reading; an oversized body is read away before the
//! 413 so the client gets the answer), and [`percent_decode`] the one `%XX` decoder.

mod body;
mod percent;
mod serve;

pub use body::{BodyError, DRAIN_IDLE, MAX_DRAIN_BYTES, MAX_DRAIN_TIME, read_body};
pub use percent::percent_decode;
pub use serve::{Drained, Handler, InFlight, serve};
