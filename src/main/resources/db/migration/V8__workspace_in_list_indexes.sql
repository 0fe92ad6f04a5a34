-- Every list filters by workspace (default "0"), so the workspace belongs in the list indexes: without it
-- each matching row had to be read from the table to check it.
DROP INDEX ix_instances_project_created;
DROP INDEX ix_instances_project_owner_created;
DROP INDEX ix_instances_project_status_created;
DROP INDEX ix_instances_project_name;
CREATE INDEX ix_instances_ws_created ON instances (project_id, workspace_id, create_at, id);
CREATE INDEX ix_instances_ws_owner_created ON instances (project_id, workspace_id, owner_id, create_at, id);
CREATE INDEX ix_instances_ws_status_created ON instances (project_id, workspace_id, status, create_at, id);
CREATE INDEX ix_instances_ws_name ON instances (project_id, workspace_id, name, id);
