-- The dedicated pool an instance runs in (NULL: the public pool).
ALTER TABLE instances ADD COLUMN pool_id VARCHAR(64);
CREATE INDEX instances_pool ON instances (project_id, pool_id);

-- An instance's place in its pool: waiting in the queue (seated_at NULL) or seated (it holds what its flavor takes
-- until it stops). The flavor's demand is kept as it was when the place was taken: a later change of the
-- flavor file does not change what running instances hold.
CREATE TABLE pool_tickets (
    instance_id  VARCHAR(36)  PRIMARY KEY,
    pool_id      VARCHAR(64)  NOT NULL,
    owner_id     VARCHAR(64)  NOT NULL,
    flavor_id    VARCHAR(128) NOT NULL,
    vcpus        BIGINT       NOT NULL,
    memory_mib   BIGINT       NOT NULL,
    accelerators BIGINT       NOT NULL,
    queued_at    BIGINT       NOT NULL,
    seated_at    BIGINT
);
CREATE INDEX pool_tickets_queue ON pool_tickets (pool_id, queued_at);

-- One row per pool: what serialises admissions to it (a row lock on PostgreSQL, the write lock on SQLite).
CREATE TABLE pool_locks (
    pool_id VARCHAR(64) PRIMARY KEY
);
