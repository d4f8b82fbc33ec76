//! Runtime integration tests: real wasm built from `functions/`, real engines, real cache.

mod support;

mod bad_input;
mod cache;
mod calls;
mod examples;
mod hostile;
mod incremental;
mod languages;
mod objects;
mod sandbox;
mod tmp;
