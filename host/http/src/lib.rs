//! fnhost's HTTP trigger, the API Gateway stand-in.
//!
//! [`Router`] matches a request to a function route from the manifest (exact paths, `{param}`
//! segments and a trailing greedy `{proxy+}`, most specific first). [`request`] turns the
//! request into an API Gateway proxy event (HTTP API payload 2.0 by default, REST 1.0 per
//! route), the [`fnhost_dispatch::Dispatcher`] runs it, and [`response`] maps the function's
//! answer back to HTTP as API Gateway does. Every failure becomes a status in one place,
//! [`error::HttpError::into_response`]. [`App`] is a [`fnhost_edge::Handler`]: the accept loop, the
//! body reader and the drain on shutdown are the edge's, shared with the admin listener.

pub mod error;
pub mod request;
pub mod response;
mod router;
mod server;

pub use error::HttpError;
pub use router::{RouteEntry, RouteMatch, Router};
pub use server::{App, DEFAULT_BODY_BUDGET, HEALTH_PATH, ServerConfig};
