-- A new instance is a change too: the feed of V15 carried updates and deletes, which was all that a cache of one
-- instance's reads needed; a cache of list totals needs to hear that a project has one more instance.
-- (SQLite has the same trigger in db/vendor/sqlite.)
CREATE TRIGGER tr_instances_inserted AFTER INSERT ON instances
    FOR EACH ROW EXECUTE FUNCTION atelier_instance_changed('id');
