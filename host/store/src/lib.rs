//! fnhost's persistent state: one embedded SQLite database for the function registry, the async event queue and dead letters, file checkpoints, invocation records and logs
