//! fnhost's shared vocabulary: the contracts and rules more than one crate needs, each written
//! once.
//!
//! [`Trigger`] says what delivered an event (and whether it went through the durable queue);
//! [`Lineage`] places an event in a chain of events that cause one another (the loop guard's
//! input). [`limits`] holds Lambda's numbers (memory, timeout, payloads, environment size) and
//! the identity fnhost reports in ARNs; [`env`] is Lambda's rule for environment variable
//! names, used by the manifest and the API alike; [`outbound`] the allow-list grammar and the
//! blocked networks of outbound HTTP; [`runtimes`] Lambda's runtime names and what fnhost runs
//! for each. [`unix_ms`] and [`blocking`] are the clock and the off-the-workers helper every
//! crate shares; [`Batcher`] the group commit of store writes made by many callers at once.

mod batch;
pub mod env;
pub mod limits;
pub mod outbound;
pub mod runtimes;
mod task;
mod trigger;

pub use batch::Batcher;
pub use env::{EnvKeyProblem, check_env_key};
pub use task::{blocking, may_block, unix_ms};
pub use trigger::{Lineage, Trigger, UnknownTrigger};
