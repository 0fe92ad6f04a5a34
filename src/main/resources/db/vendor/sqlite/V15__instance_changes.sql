-- The change feed behind each server's cache of instance reads: every write that changes what a view of an
-- instance shows (its record, tags, mounts, SSH endpoint) appends the instance's id here, whoever makes it. Each
-- server reads the rows it has not seen, a few times a second and after each of its own writes, and drops those
-- instances from its cache. Claims do not change the version, so they do not count.
-- AUTOINCREMENT: a seq is never reused, even after the oldest rows are pruned.
CREATE TABLE instance_changes (
    seq         INTEGER     PRIMARY KEY AUTOINCREMENT,
    instance_id VARCHAR(36) NOT NULL,
    changed_at  BIGINT      NOT NULL
);

CREATE TRIGGER tr_instances_updated AFTER UPDATE ON instances WHEN OLD.version <> NEW.version
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instances_deleted AFTER DELETE ON instances
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instance_tags_inserted AFTER INSERT ON instance_tags
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instance_tags_updated AFTER UPDATE ON instance_tags
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instance_tags_deleted AFTER DELETE ON instance_tags
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (OLD.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_mounts_inserted AFTER INSERT ON mounts
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_mounts_updated AFTER UPDATE ON mounts
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_mounts_deleted AFTER DELETE ON mounts
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (OLD.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instance_ssh_inserted AFTER INSERT ON instance_ssh
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instance_ssh_updated AFTER UPDATE ON instance_ssh
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER tr_instance_ssh_deleted AFTER DELETE ON instance_ssh
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (OLD.instance_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
