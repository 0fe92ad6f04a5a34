-- A create checks the owner's quota and (for the legacy API) the name's uniqueness in the same transaction as
-- its insert; this row per project is what serialises those transactions (a row lock on PostgreSQL, the write
-- lock on SQLite).
CREATE TABLE project_create_locks (
    project_id VARCHAR(64) PRIMARY KEY
);

-- SSH endpoints and storage records are now deleted with their instance; remove those that outlived theirs
DELETE FROM instance_ssh WHERE instance_id NOT IN (SELECT id FROM instances);
DELETE FROM mounts WHERE instance_id NOT IN (SELECT id FROM instances);
