-- A new instance is a change too: the feed of V15 carried updates and deletes, which was all that a cache of one
-- instance's reads needed; a cache of list totals needs to hear that a project has one more instance.
CREATE TRIGGER tr_instances_inserted AFTER INSERT ON instances
BEGIN
    INSERT INTO instance_changes (instance_id, changed_at)
    VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
