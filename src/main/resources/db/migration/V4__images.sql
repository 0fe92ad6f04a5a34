CREATE TABLE images (
    id                  VARCHAR(36)   PRIMARY KEY,
    project_id          VARCHAR(64)   NOT NULL,
    workspace_id        VARCHAR(32)   NOT NULL,
    name                VARCHAR(512)  NOT NULL,
    namespace           VARCHAR(64)   NOT NULL,
    tag                 VARCHAR(64)   NOT NULL,
    swr_path            VARCHAR(2048) NOT NULL,
    description         VARCHAR(512)  NOT NULL,
    arch                VARCHAR(16)   NOT NULL,
    type                VARCHAR(16)   NOT NULL,
    visibility          VARCHAR(16)   NOT NULL,
    origin              VARCHAR(16)   NOT NULL,
    dev_services        VARCHAR(256)  NOT NULL,
    resource_categories VARCHAR(64)   NOT NULL,
    service_type        VARCHAR(16)   NOT NULL,
    status              VARCHAR(16)   NOT NULL,
    status_message      TEXT,
    size_kb             BIGINT        NOT NULL,
    jupyter_command     TEXT,
    skeleton            TEXT,
    source_instance_id  VARCHAR(36),
    create_at           BIGINT        NOT NULL,
    update_at           BIGINT        NOT NULL
);

CREATE INDEX ix_images_project ON images (project_id);
CREATE INDEX ix_images_visibility ON images (visibility);
CREATE INDEX ix_images_source ON images (source_instance_id);
