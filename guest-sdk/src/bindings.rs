//! Bindings generated from `wit/handler.wit`, the only copy of the guest ABI.
//!
//! Hidden from the docs: functions use [`crate::handler!`], [`crate::Context`] and
//! [`crate::objects`] instead. The export macro is public and refers to this crate by absolute
//! paths so that `handler!` works from any crate without a direct `wit-bindgen` dependency.

// The canonical ABI flattens `handle`'s arguments into 16 parameters.
#![allow(clippy::too_many_arguments)]

wit_bindgen::generate!({
    world: "guest",
    path: "../wit",
    pub_export_macro: true,
    export_macro_name: "export",
    default_bindings_module: "::fnhost_sdk::bindings",
    runtime_path: "::fnhost_sdk::bindings::rt",
    // wasi:http and what it uses (io, clocks), for `crate::http`.
    generate_all,
});

#[doc(hidden)]
pub use wit_bindgen::rt;
