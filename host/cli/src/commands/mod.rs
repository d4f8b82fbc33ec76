//! One module per subcommand; each has `Args` and `run`, which returns whether it succeeded.

pub mod build;
pub mod dead_letters;
pub mod deploy;
pub mod generate_event;
pub mod invoke;
pub mod logs;
pub mod new;
pub mod up;
pub mod usage;
