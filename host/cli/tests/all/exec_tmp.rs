//! Issue 13 end-to-end tests (being written).
