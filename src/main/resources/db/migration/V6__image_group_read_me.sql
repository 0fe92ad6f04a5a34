CREATE TABLE image_group_read_me (
    project_id VARCHAR(64) NOT NULL,
    group_id   VARCHAR(36) NOT NULL,
    read_me    TEXT        NOT NULL,
    PRIMARY KEY (project_id, group_id)
);
