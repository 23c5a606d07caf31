-- Where each projection has got to in the event log, and which version of its
-- read model the tables hold. Written in the same transaction as the rows.
CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name       TEXT   PRIMARY KEY,
    position   BIGINT NOT NULL,
    version    BIGINT NOT NULL,
    updated_at TEXT   NOT NULL
);
