-- Lists are per project, newest first, often for one owner or one status.
CREATE INDEX ix_instances_project_owner_created ON instances (project_id, owner_id, create_at, id);
CREATE INDEX ix_instances_project_status_created ON instances (project_id, status, create_at, id);
