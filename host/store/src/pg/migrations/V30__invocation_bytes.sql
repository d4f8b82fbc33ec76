-- Invocation logs and error types hold whatever a function printed or named: text that may
-- contain NUL, which PostgreSQL's TEXT refuses (SQLite stores it). They are kept as their UTF-8
-- bytes instead, exactly as written; the store reads them back as text.
ALTER TABLE invocations
    ALTER COLUMN log TYPE BYTEA USING convert_to(log, 'UTF8'),
    ALTER COLUMN error_type TYPE BYTEA USING convert_to(error_type, 'UTF8');
