-- fnhost's PostgreSQL schema: the tables of the SQLite store (host/store/src/schema.rs, version
-- 7), in PostgreSQL's types. Times are unix milliseconds (BIGINT), JSON documents are TEXT
-- exactly as the SQLite store writes them, payloads and histograms are BYTEA.

CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    function TEXT NOT NULL,
    payload BYTEA NOT NULL,
    source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    state SMALLINT NOT NULL,              -- 0 ready, 1 running (leased)
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    enqueued_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    not_before_ms BIGINT NOT NULL,
    chain_id TEXT NOT NULL,
    hop INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs (state, not_before_ms, id);
CREATE INDEX jobs_function ON jobs (function, enqueued_at_ms);

CREATE TABLE dead_letters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    function TEXT NOT NULL,
    payload BYTEA NOT NULL,
    source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    reason TEXT NOT NULL,
    chain_id TEXT NOT NULL,
    hop INTEGER NOT NULL,
    enqueued_at_ms BIGINT NOT NULL,
    failed_at_ms BIGINT NOT NULL
);
CREATE INDEX dead_letters_function ON dead_letters (function, id);

CREATE TABLE checkpoints (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    etag TEXT NOT NULL,
    sequencer TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE functions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    code_sha256 TEXT NOT NULL,
    code_size BIGINT NOT NULL,
    handler TEXT,
    runtime TEXT,
    description TEXT NOT NULL,
    memory_mb BIGINT NOT NULL,
    timeout_s BIGINT NOT NULL,
    env TEXT NOT NULL,                    -- JSON object
    fuel BIGINT,
    revision_id TEXT NOT NULL,
    last_modified_ms BIGINT NOT NULL,
    ephemeral_storage_mb BIGINT NOT NULL DEFAULT 512,
    layers TEXT NOT NULL DEFAULT '[]',    -- JSON array
    task_sha256 TEXT,
    state TEXT NOT NULL DEFAULT 'Active',
    state_reason TEXT,
    state_reason_code TEXT,
    last_update_status TEXT NOT NULL DEFAULT 'Successful',
    last_update_reason TEXT,
    last_update_reason_code TEXT,
    source_sha256 TEXT,
    PRIMARY KEY (name, version)
);

CREATE TABLE function_versions (
    name TEXT PRIMARY KEY,
    last_published BIGINT NOT NULL
);

CREATE TABLE invocations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id TEXT NOT NULL,
    function TEXT NOT NULL,
    version TEXT NOT NULL,
    trigger_type TEXT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    billed_ms BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    max_memory_used_mb BIGINT NOT NULL,
    fuel BIGINT,
    error_type TEXT,
    log_line_count BIGINT NOT NULL,
    log TEXT NOT NULL
);
CREATE INDEX invocations_function ON invocations (function, started_at_ms);
CREATE INDEX invocations_started ON invocations (started_at_ms, id, request_id);
CREATE INDEX invocations_logs ON invocations (function, id);

CREATE TABLE layer_versions (
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    description TEXT NOT NULL,
    license_info TEXT,
    compatible_runtimes TEXT NOT NULL,        -- JSON array
    compatible_architectures TEXT NOT NULL,   -- JSON array
    code_sha256 TEXT NOT NULL,
    code_size BIGINT NOT NULL,
    unzipped_size BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE layers (
    name TEXT PRIMARY KEY,
    last_published BIGINT NOT NULL
);

CREATE TABLE function_tags (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, key)
);

CREATE TABLE aliases (
    function TEXT NOT NULL,
    name TEXT NOT NULL,
    function_version TEXT NOT NULL,
    description TEXT NOT NULL,
    routing TEXT NOT NULL DEFAULT '{}',   -- JSON object {"<version>": weight}
    revision_id TEXT NOT NULL,
    PRIMARY KEY (function, name)
);

CREATE TABLE function_urls (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,              -- '' for the unqualified function, else an alias
    url_id TEXT NOT NULL UNIQUE,
    auth_type TEXT NOT NULL,
    cors TEXT,                            -- JSON object, Lambda's Cors shape
    invoke_mode TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    PRIMARY KEY (function, qualifier)
);

CREATE TABLE invocation_stats (
    granularity_ms BIGINT NOT NULL,       -- 60000 or 3600000
    function TEXT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    invocations BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    errors TEXT,                          -- JSON {"<error type>": n}; NULL for none
    duration_hist BYTEA NOT NULL,         -- stats::Histogram's encoding
    billed_ms BIGINT NOT NULL,
    PRIMARY KEY (granularity_ms, bucket_ms, function)
);

CREATE TABLE function_samples (
    granularity_ms BIGINT NOT NULL,
    function TEXT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    throttles BIGINT NOT NULL,
    peak_concurrency BIGINT NOT NULL,
    queue_depth BIGINT NOT NULL,
    queue_age_ms BIGINT NOT NULL,
    PRIMARY KEY (granularity_ms, bucket_ms, function)
);

CREATE TABLE test_events (
    function TEXT NOT NULL,
    name TEXT NOT NULL,
    event TEXT NOT NULL,
    modified_ms BIGINT NOT NULL,
    PRIMARY KEY (function, name)
);

CREATE TABLE function_concurrency (
    function TEXT PRIMARY KEY,
    reserved BIGINT NOT NULL CHECK (reserved >= 0)
);
