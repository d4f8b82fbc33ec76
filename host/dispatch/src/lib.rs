//! fnhost's dispatcher: the step between a trigger and the runtime.
//!
//! A trigger (HTTP, file watch, schedule, API) asks the [`Dispatcher`] to run an event on a
//! function by name. The dispatcher finds the live version in the [`Registry`] (swapped whole
//! on hot reload, so an invocation in flight keeps the version it started on), admits the
//! invocation under the global and per-function concurrency limits of [`Admission`] (waiting in
//! a bounded queue for a short time, then [`DispatchError::Throttled`]), runs it on the
//! [`fnhost_runtime::Runtime`], and hands the log to a [`LogSink`] such as [`Console`].

mod admission;
mod aliases;
mod console;
mod dispatcher;
mod error;
mod registry;

pub use admission::{
    Admission, AdmissionConfig, Gate, OverReserved, Permit, ThrottleReason, check_reservations,
};
pub use aliases::{AliasRoute, version_key};
pub use console::{Console, LogSink, NoLogs, Tee, prefixed, terminal_safe};
pub use dispatcher::Dispatcher;
pub use error::DispatchError;
pub use registry::{Deployed, Origin, Registry};
