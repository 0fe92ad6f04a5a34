-- What happened to each instance, written in the transaction of the change it describes. An event's place in its
-- instance's history is the version that change produced, then its ordinal among that change's events.
CREATE TABLE instance_events (
    instance_id VARCHAR(64)  NOT NULL,
    version     BIGINT       NOT NULL,
    ordinal     INTEGER      NOT NULL,
    at          BIGINT       NOT NULL,
    kind        VARCHAR(32)  NOT NULL,
    actor       VARCHAR(32)  NOT NULL,
    actor_name  VARCHAR(255),
    request_id  VARCHAR(36),
    status      VARCHAR(32)  NOT NULL,
    message     TEXT,
    PRIMARY KEY (instance_id, version, ordinal)
);
-- expiry deletes by age
CREATE INDEX instance_events_at ON instance_events (at);
