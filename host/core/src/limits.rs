//! Lambda's numbers, as fnhost applies them, and the identity it reports. The manifest, the API
//! and the runtime read them from here.

/// Memory when none is configured, in MB (Lambda's default).
pub const DEFAULT_MEMORY_MB: u32 = 128;
/// Smallest memory setting, in MB (Lambda's minimum).
pub const MIN_MEMORY_MB: u32 = 128;
/// Largest memory setting, in MB (Lambda's maximum; a wasm32 guest can use at most 4096 of it).
pub const MAX_MEMORY_MB: u32 = 10240;
/// Timeout when none is configured, in seconds (Lambda's default).
pub const DEFAULT_TIMEOUT_S: u32 = 3;
/// Smallest timeout, in seconds.
pub const MIN_TIMEOUT_S: u32 = 1;
/// Largest timeout, in seconds (Lambda's 15 minutes).
pub const MAX_TIMEOUT_S: u32 = 900;
/// Largest synchronous event and response (Lambda's 6 MB request limit).
pub const MAX_EVENT_BYTES: usize = 6_291_456;
/// `/tmp` size when none is configured, in MB (Lambda's default ephemeral storage).
pub const DEFAULT_EPHEMERAL_MB: u32 = 512;
/// Smallest `/tmp` size, in MB.
pub const MIN_EPHEMERAL_MB: u32 = 512;
/// Largest `/tmp` size, in MB (Lambda's 10 GB).
pub const MAX_EPHEMERAL_MB: u32 = 10240;
/// Most layers one function may use (Lambda's limit).
pub const MAX_LAYERS: usize = 5;
/// Most bytes a function and its layers may take unzipped (Lambda's 250 MB).
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;
/// Largest environment, measured as its JSON serialisation (Lambda's 4 KB rule).
pub const ENV_MAX_BYTES: usize = 4096;

/// Region reported in ARNs, events and environment variables.
pub const REGION: &str = "us-east-1";
/// Account id reported in ARNs and events (LocalStack's convention for a local account).
pub const ACCOUNT: &str = "000000000000";
