-- Identity and access control: passwords (PBKDF2 hashes, never the password), the service-administrator
-- flag, disabling, project-scoped sign-in tokens (stored as SHA-256 hashes) and the audit log.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN service_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
-- before roles existed, the one administrator was the first-start user, with the "admin" role in its project
UPDATE users SET service_admin = 1 WHERE id IN (SELECT user_id FROM project_members WHERE role = 'admin');

ALTER TABLE access_keys ADD COLUMN description VARCHAR(256) NOT NULL DEFAULT '';

CREATE TABLE tokens (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id    VARCHAR(64) NOT NULL,
    project_id VARCHAR(64) NOT NULL,
    issued_at  BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL
);
CREATE INDEX ix_tokens_user ON tokens (user_id);

CREATE TABLE audit_events (
    request_id VARCHAR(36)  PRIMARY KEY,
    at         BIGINT       NOT NULL,
    user_id    VARCHAR(64),
    user_name  VARCHAR(128),
    credential VARCHAR(64),
    address    VARCHAR(64)  NOT NULL,
    method     VARCHAR(8)   NOT NULL,
    path       TEXT         NOT NULL,
    project_id VARCHAR(64),
    status     INTEGER      NOT NULL,
    error_code VARCHAR(32)
);
CREATE INDEX ix_audit_at ON audit_events (at, request_id);
CREATE INDEX ix_audit_project_at ON audit_events (project_id, at);
CREATE INDEX ix_audit_user_at ON audit_events (user_id, at);
