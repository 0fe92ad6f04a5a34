-- The API request that asked for an instance's desired state (its request id), so that what a runtime launches for
-- it can be labelled with the request, and an operator can go from a container or pod to the request and back.
-- Null where the service itself set the desired state (a lease, the idle culler) and for rows from before.
ALTER TABLE instances ADD COLUMN desired_request_id VARCHAR(36);
