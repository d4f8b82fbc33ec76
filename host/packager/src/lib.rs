//! Packages Python and Node.js source into fnhost components, as Lambda builds a function from a
//! zip of source and a handler name.
//!
//! The packaging scripts (`guest-sdk/python`, `guest-sdk/js`) and the WIT they compile against
//! are embedded in the binary, so an `fnhost` installed anywhere packages source in any
//! directory: on first use they are extracted under the tools directory as
//! `sdk-<fingerprint>/`, and the scripts install their tools there once (componentize-py from
//! PyPI, componentize-qjs and esbuild from the npm registry). [`Packager::package`] checks the
//! handler the way Lambda's runtimes split it ([`handler_file`]) before running anything,
//! streams the scripts' progress, and maps failures to [`PackageError`].
//!
//! [`Packager::prepare`] is the fast tier: a Python function runs at once on a generic runtime
//! that imports its handler at each event, while [`Packager::package`] builds its own snapshot.

mod error;
mod fast;
mod handler;
mod node_fast;
mod packager;
mod sdk;

pub use error::PackageError;
pub use fast::{Prepared, RuntimeMounts};
pub use handler::handler_file;
pub use packager::{Packaged, Packager, Request, default_tools_dir};
