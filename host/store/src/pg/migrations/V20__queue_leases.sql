-- The shared queue's leases (issue 18): a running job is leased to the store handle (one per
-- node process) named in `leased_by` until `lease_until_ms`; the holder renews its leases while
-- it lives, so a job whose node died is claimed again once its lease has run out.
ALTER TABLE jobs ADD COLUMN leased_by TEXT;
ALTER TABLE jobs ADD COLUMN lease_until_ms BIGINT;
-- Claims find the running jobs whose lease ran out here; only running jobs are in it.
CREATE INDEX jobs_leases ON jobs (lease_until_ms, id) WHERE state = 1;

-- Names sort bytewise, as SQLite sorts them, whatever the database's locale: queue depth per
-- function, dead letters, a bucket's checkpoints by key (which the primary key then serves).
ALTER TABLE jobs ALTER COLUMN function TYPE TEXT COLLATE "C";
ALTER TABLE dead_letters ALTER COLUMN function TYPE TEXT COLLATE "C";
ALTER TABLE checkpoints
    ALTER COLUMN bucket TYPE TEXT COLLATE "C",
    ALTER COLUMN key TYPE TEXT COLLATE "C";

-- Every event inserts, updates and deletes a row of `jobs`, leaving dead index entries at the
-- head of the claim's index scan until a vacuum: vacuum it after every 1,000 dead rows, not
-- after a fifth of the table, and without the cost-based pauses.
ALTER TABLE jobs SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0
);
