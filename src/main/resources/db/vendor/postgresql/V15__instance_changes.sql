-- The change feed behind each server's cache of instance reads: every write that changes what a view of an
-- instance shows (its record, tags, mounts, SSH endpoint) appends the instance's id here, whichever replica makes
-- it. Each replica reads the rows it has not seen, a few times a second and after each of its own writes, and drops
-- those instances from its cache. Claims do not change the version, so they do not count.
-- (SQLite has the same table and triggers in db/vendor/sqlite: trigger syntax differs.)
CREATE TABLE instance_changes (
    seq         BIGSERIAL   PRIMARY KEY,
    instance_id VARCHAR(36) NOT NULL,
    changed_at  BIGINT      NOT NULL
);

-- TG_ARGV[0]: the column that holds the instance id in the table the trigger is on
CREATE FUNCTION atelier_instance_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (to_jsonb(changed) ->> TG_ARGV[0], (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
    RETURN NULL;
END
$$;

CREATE TRIGGER tr_instances_updated AFTER UPDATE ON instances
    FOR EACH ROW WHEN (OLD.version <> NEW.version) EXECUTE FUNCTION atelier_instance_changed('id');
CREATE TRIGGER tr_instances_deleted AFTER DELETE ON instances
    FOR EACH ROW EXECUTE FUNCTION atelier_instance_changed('id');
CREATE TRIGGER tr_instance_tags_changed AFTER INSERT OR UPDATE OR DELETE ON instance_tags
    FOR EACH ROW EXECUTE FUNCTION atelier_instance_changed('instance_id');
CREATE TRIGGER tr_mounts_changed AFTER INSERT OR UPDATE OR DELETE ON mounts
    FOR EACH ROW EXECUTE FUNCTION atelier_instance_changed('instance_id');
CREATE TRIGGER tr_instance_ssh_changed AFTER INSERT OR UPDATE OR DELETE ON instance_ssh
    FOR EACH ROW EXECUTE FUNCTION atelier_instance_changed('instance_id');
