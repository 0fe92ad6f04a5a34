CREATE TABLE instance_tags (
    instance_id VARCHAR(36)  NOT NULL,
    tag_key     VARCHAR(128) NOT NULL,
    tag_value   VARCHAR(255) NOT NULL,
    PRIMARY KEY (instance_id, tag_key)
);
