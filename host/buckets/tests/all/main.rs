//! Integration tests of fnhost-buckets: one binary, one module per area.

mod grants;
mod guest;
mod journal;
mod keys;
mod objects;
mod support;
mod symlinks;
