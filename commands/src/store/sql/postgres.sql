-- Event log schema for the PostgreSQL backend.
--
-- A position is (transaction id << 20) + index of the event in its transaction.
-- Readers only return positions below (oldest running transaction id << 20): every
-- transaction that could still commit has an id at or above that, so no event can
-- later appear below a position a reader has already passed (no sequence gaps).
CREATE TABLE IF NOT EXISTS events (
    position       BIGINT      PRIMARY KEY,
    event_id       UUID        NOT NULL UNIQUE,
    stream_id      TEXT        NOT NULL,
    stream_version BIGINT      NOT NULL,
    event_type     TEXT        NOT NULL,
    schema_version INT         NOT NULL,
    data           TEXT        NOT NULL,
    metadata       TEXT        NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    prev_hash      TEXT        NOT NULL,
    hash           TEXT        NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE TABLE IF NOT EXISTS event_streams (
    stream_id TEXT   PRIMARY KEY,
    version   BIGINT NOT NULL,
    last_hash TEXT   NOT NULL
);

-- Appends events to one stream in the caller's transaction.
-- p_expected: -1 any, -2 no stream, -3 stream exists, n >= 0 exact version.
-- status: 'ok', 'duplicate' (the same ids were appended before: their result),
-- 'wrong_version' (current_version says where the stream is), 'id_reused'.
-- The head is read without a lock: of two appenders that read the same head, the
-- unique (stream_id, stream_version) index lets one insert and fails the other
-- (SQLSTATE 23505), which the client turns into a retry or a version conflict.
CREATE OR REPLACE FUNCTION altegon_append_events(
    p_stream TEXT,
    p_expected BIGINT,
    p_ids UUID[],
    p_types TEXT[],
    p_schema_versions INT[],
    p_data TEXT[],
    p_metadata TEXT[],
    OUT status TEXT,
    OUT current_version BIGINT,
    OUT first_position BIGINT,
    OUT last_position BIGINT
)
LANGUAGE plpgsql AS $fn$
DECLARE
    n         INT := cardinality(p_ids);
    v_version BIGINT;
    v_hash    TEXT;
    v_base    INT;
    v_xid     BIGINT;
    v_prev    TEXT[] := ARRAY[]::TEXT[];
    v_hashes  TEXT[] := ARRAY[]::TEXT[];
BEGIN
    SELECT s.version, s.last_hash INTO v_version, v_hash
      FROM event_streams s WHERE s.stream_id = p_stream;
    IF NOT FOUND THEN
        v_version := -1;
        v_hash := repeat('0', 64);
    END IF;

    IF NOT (p_expected = -1
            OR (p_expected = -2 AND v_version = -1)
            OR (p_expected = -3 AND v_version >= 0)
            OR (p_expected >= 0 AND v_version = p_expected)) THEN
        -- A retry of an append that landed looks like a stale version too.
        SELECT e.status, e.current_version, e.first_position, e.last_position
          INTO status, current_version, first_position, last_position
          FROM altegon_earlier_append(p_stream, p_ids, v_version) e;
        RETURN;
    END IF;

    v_base := COALESCE(NULLIF(current_setting('altegon.tx_events', true), ''), '0')::INT;
    IF v_base + n >= 1048576 THEN
        RAISE EXCEPTION 'too many events in one transaction';
    END IF;
    PERFORM set_config('altegon.tx_events', (v_base + n)::TEXT, true);
    v_xid := pg_current_xact_id()::TEXT::BIGINT;

    -- The chain is computed in memory, then everything is written in one statement.
    FOR i IN 1..n LOOP
        v_prev := v_prev || v_hash;
        v_hash := encode(sha256(convert_to(
            v_hash || E'\n' || p_stream || E'\n' || (v_version + i)::TEXT || E'\n' ||
            p_ids[i]::TEXT || E'\n' || p_types[i] || E'\n' || p_schema_versions[i]::TEXT ||
            E'\n' || p_data[i] || E'\n' || p_metadata[i], 'UTF8')), 'hex');
        v_hashes := v_hashes || v_hash;
    END LOOP;

    WITH appended AS (
        INSERT INTO events (position, event_id, stream_id, stream_version, event_type,
                            schema_version, data, metadata, prev_hash, hash)
        SELECT (v_xid << 20) + v_base + i, p_ids[i], p_stream, v_version + i, p_types[i],
               p_schema_versions[i], p_data[i], p_metadata[i], v_prev[i], v_hashes[i]
          FROM generate_series(1, n) AS i
    )
    INSERT INTO event_streams (stream_id, version, last_hash) VALUES (p_stream, v_version + n, v_hash)
    ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_hash = excluded.last_hash;

    status := 'ok';
    current_version := v_version + n;
    first_position := (v_xid << 20) + v_base + 1;
    last_position := (v_xid << 20) + v_base + n;
END;
$fn$;

-- Several appends in the caller's transaction, in order (group commit: one
-- commit for all). p_counts[k] events of the flattened arrays belong to append k.
-- Each append runs in its own subtransaction: one that loses a race for its
-- stream's next version (unique violation) is undone alone, reported as 'race',
-- and the others stand. Callers keep batches under 64 appends, PostgreSQL's cache
-- of subtransaction ids per transaction, so that snapshots stay cheap.
CREATE OR REPLACE FUNCTION altegon_append_batch(
    p_streams TEXT[],
    p_expected BIGINT[],
    p_counts INT[],
    p_ids UUID[],
    p_types TEXT[],
    p_schema_versions INT[],
    p_data TEXT[],
    p_metadata TEXT[]
)
RETURNS TABLE (status TEXT, current_version BIGINT, first_position BIGINT, last_position BIGINT)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_from INT := 1;
    v_to   INT;
    r      RECORD;
BEGIN
    FOR k IN 1..cardinality(p_streams) LOOP
        v_to := v_from + p_counts[k] - 1;
        BEGIN
            SELECT * INTO r FROM altegon_append_events(
                p_streams[k], p_expected[k], p_ids[v_from:v_to], p_types[v_from:v_to],
                p_schema_versions[v_from:v_to], p_data[v_from:v_to], p_metadata[v_from:v_to]);
            status := r.status;
            current_version := r.current_version;
            first_position := r.first_position;
            last_position := r.last_position;
        EXCEPTION WHEN unique_violation THEN
            status := 'race';
            current_version := NULL;
            first_position := NULL;
            last_position := NULL;
        END;
        RETURN NEXT;
        v_from := v_to + 1;
    END LOOP;
END;
$fn$;

-- When the ids of an append are already stored: 'duplicate' with the earlier
-- result if they are exactly that append, 'id_reused' if only some are, and
-- otherwise 'wrong_version' at the stream's version p_current.
CREATE OR REPLACE FUNCTION altegon_earlier_append(p_stream TEXT, p_ids UUID[], p_current BIGINT)
RETURNS TABLE (status TEXT, current_version BIGINT, first_position BIGINT, last_position BIGINT)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    n         INT := cardinality(p_ids);
    d_count   INT;
    d_min_ver BIGINT;
    d_max_ver BIGINT;
    d_min_pos BIGINT;
    d_max_pos BIGINT;
    d_same    BOOLEAN;
BEGIN
    SELECT count(*), min(e.stream_version), max(e.stream_version), min(e.position),
           max(e.position), bool_and(e.stream_id = p_stream)
      INTO d_count, d_min_ver, d_max_ver, d_min_pos, d_max_pos, d_same
      FROM events e WHERE e.event_id = ANY (p_ids);
    IF d_count = 0 THEN
        RETURN QUERY SELECT 'wrong_version'::TEXT, p_current, NULL::BIGINT, NULL::BIGINT;
    ELSIF d_count = n AND d_same AND d_max_ver - d_min_ver = n - 1 THEN
        RETURN QUERY SELECT 'duplicate'::TEXT, d_max_ver, d_min_pos, d_max_pos;
    ELSE
        RETURN QUERY SELECT 'id_reused'::TEXT, p_current, NULL::BIGINT, NULL::BIGINT;
    END IF;
END;
$fn$;

-- The first position that is not yet final for readers.
CREATE OR REPLACE FUNCTION altegon_stable_bound() RETURNS BIGINT
LANGUAGE sql STABLE AS $fn$
    SELECT pg_snapshot_xmin(pg_current_snapshot())::TEXT::BIGINT << 20
$fn$;
