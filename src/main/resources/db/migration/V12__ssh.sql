-- SSH access: public keys registered by name in a project, and each instance's SSH endpoint (the key pairs
-- that may log in, and the client addresses allowed).
CREATE TABLE key_pairs (
    project_id  VARCHAR(64)  NOT NULL,
    name        VARCHAR(64)  NOT NULL,
    public_key  TEXT         NOT NULL,
    fingerprint VARCHAR(128) NOT NULL,
    user_id     VARCHAR(64)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE instance_ssh (
    instance_id        VARCHAR(36) PRIMARY KEY,
    key_pair_names     TEXT        NOT NULL,
    allowed_access_ips TEXT        NOT NULL
);
