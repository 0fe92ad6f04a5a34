CREATE TABLE mounts (
    id             VARCHAR(36)  PRIMARY KEY,
    instance_id    VARCHAR(36)  NOT NULL,
    category       VARCHAR(16)  NOT NULL,
    mount_path     VARCHAR(256) NOT NULL,
    uri            VARCHAR(256) NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    failure_reason TEXT,
    create_at      BIGINT       NOT NULL,
    update_at      BIGINT       NOT NULL
);

CREATE INDEX ix_mounts_instance ON mounts (instance_id);
