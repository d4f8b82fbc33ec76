//! fnhost's HTTP trigger, the API Gateway stand-in.
//!
//! [`Router`] matches a request to a function route from the manifest (exact paths, `{param}`
//! segments and a trailing greedy `{proxy+}`, most specific first). [`request`] turns the
//! request into an API Gateway proxy event (HTTP API payload 2.0 by default, REST 1.0 per
//! route), the [`fnhost_dispatch::Dispatcher`] runs it, and [`response`] maps the function's
//! answer back to HTTP as API Gateway does. Every failure becomes a status in one place,
//! [`error::HttpError::into_response`]. [`App`] is a [`fnhost_edge::Handler`]: the accept loop, the
//! body reader and the drain on shutdown are the edge's, shared with the admin listener.
//!
//! The same listener serves Lambda function URLs ([`urls`]): a request whose `Host` is
//! `<url-id>.lambda-url.<domain>` or whose path starts with `/lambda-url/<url-id>/` runs the
//! URL's function (or alias) with the event Lambda's function URLs send, from the live
//! [`FunctionUrls`] table the Lambda API changes.

pub mod error;
pub mod request;
pub mod response;
mod router;
mod server;
pub mod urls;

pub use error::HttpError;
pub use router::{RouteEntry, RouteMatch, Router};
pub use server::{App, DEFAULT_BODY_BUDGET, HEALTH_PATH, ServerConfig};
pub use urls::{FunctionUrls, UrlAuthenticator, UrlTarget};
