-- Workspaces of a project (the default one, "0", is not stored) and the quotas set on any of them.
CREATE TABLE workspaces (
    id          VARCHAR(32)  PRIMARY KEY,
    project_id  VARCHAR(64)  NOT NULL,
    name        VARCHAR(64)  NOT NULL,
    description VARCHAR(256) NOT NULL,
    owner_id    VARCHAR(64)  NOT NULL,
    auth_type   VARCHAR(16)  NOT NULL,
    create_time BIGINT       NOT NULL,
    update_time BIGINT       NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE workspace_quotas (
    project_id   VARCHAR(64) NOT NULL,
    workspace_id VARCHAR(32) NOT NULL,
    resource     VARCHAR(64) NOT NULL,
    quota        BIGINT      NOT NULL,
    update_time  BIGINT      NOT NULL,
    PRIMARY KEY (project_id, workspace_id, resource)
);
