-- Sorting a project's instances by name.
CREATE INDEX ix_instances_project_name ON instances (project_id, name, id);
