//! Integration tests of fnhost-packager: one binary, one module per area.

mod package;
mod node_fast;
