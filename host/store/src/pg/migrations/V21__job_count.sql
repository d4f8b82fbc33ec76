-- The number of queued jobs, kept by triggers so that the queue cap (`enqueue_within`) and
-- `queue_depth` read 16 rows instead of counting a backlog of up to the cap on every Event
-- invocation. Each connection adds to and subtracts from its own slot (its backend pid modulo
-- 16), so concurrent writers rarely wait on one another's slot; the depth is the sum.
CREATE TABLE job_count (
    slot SMALLINT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO job_count (slot, n) SELECT s, 0 FROM generate_series(0, 15) AS s;
UPDATE job_count SET n = (SELECT COUNT(*) FROM jobs) WHERE slot = 0;

CREATE FUNCTION fnhost_count_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT COUNT(*) INTO changed FROM added;
    ELSE
        SELECT -COUNT(*) INTO changed FROM removed;
    END IF;
    IF changed <> 0 THEN
        UPDATE job_count SET n = n + changed WHERE slot = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_count_added AFTER INSERT ON jobs REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION fnhost_count_jobs();
CREATE TRIGGER jobs_count_removed AFTER DELETE ON jobs REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION fnhost_count_jobs();
