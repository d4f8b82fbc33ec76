-- Leases of cluster singletons (host/store/src/leases.rs): the bucket watcher and the scheduler
-- each run on the node holding theirs, renewed by heartbeats, taken over once expired.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);

-- The last tick each schedule fired (claimed), so a tick fires once across the cluster even
-- when the scheduler's lease changes hands.
CREATE TABLE schedule_ticks (
    schedule TEXT PRIMARY KEY,
    tick_ms BIGINT NOT NULL
);
