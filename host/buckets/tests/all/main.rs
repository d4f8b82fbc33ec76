//! Integration tests of fnhost-buckets: one binary, one module per area.

mod copy;
mod grants;
mod guest;
mod journal;
mod keys;
mod load;
mod objects;
mod races;
mod roots;
mod special;
mod support;
mod symlinks;
