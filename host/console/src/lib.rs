//! fnhost's web console, served by `fnhost up` on the admin listener under `/console/`.
//!
//! [`Admin`] is the listener's handler: the console's paths go to [`Console`], everything else
//! to the Lambda API ([`fnhost_api::Api`]). The console is a page of plain ES modules embedded
//! in the binary ([`assets`]), and JSON endpoints under `/console/api/` that read the store
//! and the registry, run test events, move bucket objects, re-drive dead letters and pass
//! Lambda API calls through with the session standing in for a SigV4 signature. Live logs are
//! server-sent events fed by [`LiveFeed`], a sink of the dispatcher that costs nothing while
//! nobody follows. The Monitor tab's per-minute throttles, concurrency and queue figures come
//! from [`sampler`].
//!
//! The console never weakens the admin API: every request passes the same `Host` check; the
//! JSON endpoints take only same-origin requests with a session cookie (`HttpOnly`,
//! `SameSite=Strict`), and every change also a CSRF token and a body type no cross-site form
//! can send ([`guard`], [`session`]). With admin credentials configured a session begins only
//! by signing in with them.

pub mod admin;
pub mod assets;
pub mod body;
mod buckets;
mod console;
mod dead_letters;
pub mod error;
mod functions;
pub mod guard;
pub mod live;
pub mod sampler;
pub mod session;
mod testing;

pub use admin::Admin;
pub use body::AdminBody;
pub use console::{Console, ConsoleConfig};
pub use error::ConsoleError;
pub use live::LiveFeed;
