-- Webhook delivery state, kept by the webhooks dispatcher (not a read model:
-- projection rebuilds leave it alone, since it records what receivers were sent).
-- `webhook_dispatch` holds the scanner's place in the log and `webhook_targets`
-- the endpoints as of that place; both change in the transaction that creates
-- the deliveries of the events scanned.
CREATE TABLE IF NOT EXISTS webhook_dispatch (
    name       TEXT   PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at TEXT   NOT NULL
);

CREATE TABLE IF NOT EXISTS webhook_targets (
    endpoint_id TEXT   PRIMARY KEY,
    owner_id    TEXT   NOT NULL,
    scope       TEXT   NOT NULL,
    url         TEXT   NOT NULL,
    event_types TEXT   NOT NULL,
    secret      TEXT   NOT NULL,
    enabled     BIGINT NOT NULL
);

-- One row per (endpoint, event); `id` is the delivery id receivers see in
-- `webhook-id`, the same on every attempt. Times in unix milliseconds where the
-- dispatcher compares them, RFC 3339 where people read them.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               TEXT   PRIMARY KEY,
    endpoint_id      TEXT   NOT NULL,
    position         BIGINT NOT NULL,
    event_id         TEXT   NOT NULL,
    event_type       TEXT   NOT NULL,
    ordering_key     TEXT   NOT NULL,
    payload          TEXT   NOT NULL,
    status           TEXT   NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_ms  BIGINT NOT NULL,
    first_attempt_ms BIGINT,
    last_attempt_at  TEXT,
    last_status_code BIGINT,
    last_error       TEXT,
    response_prefix  TEXT,
    created_at       TEXT   NOT NULL,
    delivered_at     TEXT
);

CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_endpoint
    ON webhook_deliveries (endpoint_id, status, position);
