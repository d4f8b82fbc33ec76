//! Integration tests of fnhost-packager: one binary, one module per area.

mod node_fast;
mod package;
mod python_fast;
