-- Quotas on what runs at once, per project (user_id '') and per user in a project: instances, vcpus,
-- memory_mib, gpus. No row: no limit.
CREATE TABLE quotas (
    project_id  VARCHAR(64) NOT NULL,
    user_id     VARCHAR(64) NOT NULL,
    resource    VARCHAR(32) NOT NULL,
    quota       BIGINT      NOT NULL,
    update_time BIGINT      NOT NULL,
    PRIMARY KEY (project_id, user_id, resource)
);
