-- What ran, for quotas on use per calendar month (UTC): a meter per instance whose server runs now, opened with
-- the write that makes it RUNNING and closed, into usage_months, with the write that ends that; both in the
-- transaction of that write, so that a crash neither loses nor doubles a minute. Rows of usage_months outlive
-- their instances: deleting an instance does not give back what it used.
CREATE TABLE run_meters (
    instance_id VARCHAR(64)  NOT NULL PRIMARY KEY,
    project_id  VARCHAR(64)  NOT NULL,
    user_id     VARCHAR(64)  NOT NULL,
    flavor_id   VARCHAR(128) NOT NULL,
    since       BIGINT       NOT NULL
);
CREATE INDEX run_meters_project ON run_meters (project_id, user_id);

CREATE TABLE usage_months (
    project_id VARCHAR(64)  NOT NULL,
    user_id    VARCHAR(64)  NOT NULL,
    month      VARCHAR(7)   NOT NULL,
    flavor_id  VARCHAR(128) NOT NULL,
    run_ms     BIGINT       NOT NULL,
    PRIMARY KEY (project_id, month, user_id, flavor_id)
);

-- servers running at the upgrade count from their instance's last write
INSERT INTO run_meters (instance_id, project_id, user_id, flavor_id, since)
    SELECT id, project_id, owner_id, flavor_id, update_at FROM instances WHERE status IN ('RUNNING', 'SNAPSHOTTING');
