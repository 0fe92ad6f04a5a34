-- PostgreSQL only: names sort by code point (COLLATE "C", as on SQLite), so the name index must use it too.
DROP INDEX ix_instances_ws_name;
CREATE INDEX ix_instances_ws_name ON instances (project_id, workspace_id, name COLLATE "C", id);
