-- Which replica drives an instance, and until when its claim holds (epoch ms). A replica renews its claims;
-- a replica that dies lets them lapse and another takes them over.
ALTER TABLE instances ADD COLUMN claimed_by VARCHAR(64);
ALTER TABLE instances ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
