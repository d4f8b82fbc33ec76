//! Write fnhost functions in Rust.
//!
//! A function is a plain Rust function from a JSON event to a JSON response. [`handler!`] exports
//! it as the component's `handle`: the event is decoded with serde (a typed struct such as
//! [`events::S3Event`], or [`serde_json::Value`]), the response is encoded back to JSON, and an
//! error becomes Lambda's `{"errorType","errorMessage","stackTrace"}` payload through
//! [`Diagnostic`]. [`Context`] carries what Lambda's `context` object does, [`objects`] reads and
//! writes the host's buckets, [`functions`] invokes other functions (Lambda's `Invoke`),
//! [`http`] sends HTTP requests to the hosts in the function's `allowed_outbound_hosts`, and
//! anything printed to stdout or stderr is the function's log.
//!
//! Build with `cargo build --profile guest --target wasm32-wasip2 -p NAME` (`crate-type =
//! ["cdylib"]`); the `.wasm` file is a component the fnhost host runs.
//!
//! ```no_run
//! use fnhost_sdk::Context;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Order {
//!     sku: String,
//!     quantity: u32,
//! }
//!
//! #[derive(Serialize)]
//! struct Receipt {
//!     sku: String,
//!     request_id: String,
//! }
//!
//! fn place_order(order: Order, ctx: &Context) -> Result<Receipt, String> {
//!     if order.quantity == 0 {
//!         return Err(format!("quantity of `{}` must be at least 1", order.sku));
//!     }
//!     println!("ordering {} x {}", order.quantity, order.sku);
//!     Ok(Receipt { sku: order.sku, request_id: ctx.request_id.clone() })
//! }
//!
//! fnhost_sdk::handler!(place_order);
//! ```

// The generated export macro names this crate by absolute path (`::fnhost_sdk::…`) so that it
// works in function crates; this alias makes the same paths resolve inside the SDK itself.
extern crate self as fnhost_sdk;

#[doc(hidden)]
pub mod bindings;
mod context;
mod diagnostic;
pub mod events;
pub mod functions;
mod handler;
pub mod http;
mod key;
pub mod objects;

pub use context::Context;
pub use diagnostic::Diagnostic;
pub use handler::invoke;
pub use key::url_decode_key;

#[doc(hidden)]
pub use handler::__handle;
