-- Content-addressed blobs the nodes share (host/store/src/blobs.rs): uploaded and packaged code
-- and the zips of `/var/task` directories and layers, by the SHA-256 of their bytes, so that a
-- node with an empty state directory can serve every function. PostgreSQL keeps up to 1 GB in
-- one BYTEA value (Lambda's packages stay under 250 MB unzipped); values this large are
-- TOASTed out of line and compressed where that helps.
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    bytes      BYTEA NOT NULL,
    size       BIGINT NOT NULL,
    written_ms BIGINT NOT NULL
);
