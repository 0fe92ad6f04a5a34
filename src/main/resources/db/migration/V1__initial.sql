-- One schema for SQLite and PostgreSQL: portable types only (VARCHAR, TEXT, BIGINT, INTEGER).
CREATE TABLE projects (
    id         VARCHAR(64)  PRIMARY KEY,
    name       VARCHAR(128) NOT NULL,
    created_at BIGINT       NOT NULL
);

CREATE TABLE users (
    id         VARCHAR(64)  PRIMARY KEY,
    name       VARCHAR(128) NOT NULL UNIQUE,
    created_at BIGINT       NOT NULL
);

CREATE TABLE project_members (
    project_id VARCHAR(64) NOT NULL REFERENCES projects (id),
    user_id    VARCHAR(64) NOT NULL REFERENCES users (id),
    role       VARCHAR(32) NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE access_keys (
    access_key    VARCHAR(64) PRIMARY KEY,
    user_id       VARCHAR(64) NOT NULL REFERENCES users (id),
    secret_sealed TEXT        NOT NULL,
    enabled       INTEGER     NOT NULL,
    created_at    BIGINT      NOT NULL
);

CREATE TABLE instances (
    id                VARCHAR(36)  PRIMARY KEY,
    project_id        VARCHAR(64)  NOT NULL,
    owner_id          VARCHAR(64)  NOT NULL,
    workspace_id      VARCHAR(32)  NOT NULL,
    name              VARCHAR(128) NOT NULL,
    description       VARCHAR(512) NOT NULL,
    feature           VARCHAR(16)  NOT NULL,
    flavor_id         VARCHAR(128) NOT NULL,
    image_id          VARCHAR(64)  NOT NULL,
    volume_category   VARCHAR(16)  NOT NULL,
    volume_ownership  VARCHAR(16)  NOT NULL,
    volume_capacity   INTEGER      NOT NULL,
    lease_create_at   BIGINT       NOT NULL,
    lease_duration    BIGINT       NOT NULL,
    lease_enabled     INTEGER      NOT NULL,
    lease_type        VARCHAR(16)  NOT NULL,
    lease_update_at   BIGINT       NOT NULL,
    lease_requested   BIGINT       NOT NULL,
    desired_state     VARCHAR(16)  NOT NULL,
    status            VARCHAR(16)  NOT NULL,
    progress          VARCHAR(64)  NOT NULL,
    fail_reason       TEXT,
    token             VARCHAR(128) NOT NULL,
    url               TEXT,
    runtime_state     TEXT         NOT NULL,
    create_at         BIGINT       NOT NULL,
    update_at         BIGINT       NOT NULL,
    version           BIGINT       NOT NULL
);

CREATE INDEX ix_instances_project_created ON instances (project_id, create_at, id);
CREATE INDEX ix_instances_status ON instances (status);
