-- Every list answers with "total", a COUNT(*) of all matches. For a whole project (optionally one status) the
-- narrowest index to count on is this one: at 100,000 records SQLite counted them in 14 ms on the list index and
-- in 4-5 ms on this.
CREATE INDEX ix_instances_ws_status ON instances (project_id, workspace_id, status);
