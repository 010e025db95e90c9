-- Device actions the user asked for: the outbox (not yet accepted by the server) and the
-- ledger (their server states), in one table; locations reported by locate, kept for a limited
-- time; and the audit log of locates and erases.

CREATE TABLE actions (
    id              INTEGER PRIMARY KEY,
    -- Sent with every create, so a retry after a crash never makes a second action.
    idempotency_key TEXT NOT NULL UNIQUE,
    -- No foreign key: the ledger keeps actions of devices that were removed or erased.
    device_uuid     TEXT NOT NULL,
    org_uuid        TEXT NOT NULL,
    device_name     TEXT NOT NULL,
    serial          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    -- The action's parameters as sent (JSON).
    parameters      TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    INTEGER NOT NULL,
    -- OUTBOX until the server accepted it, then the server's state (QUEUED, SENT,
    -- ACKNOWLEDGED, ERROR, NOT_NOW, CANCELLED), or REJECTED when the server refused it.
    state           TEXT NOT NULL,
    server_uuid     TEXT,
    error_code      INTEGER,
    error_message   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    -- Part of one bulk request: the same number for all its actions.
    batch           INTEGER
) STRICT;

CREATE INDEX actions_state ON actions (state, id);
CREATE INDEX actions_device ON actions (device_uuid, id);
CREATE INDEX actions_batch ON actions (batch);

CREATE TABLE locations (
    action_id   INTEGER PRIMARY KEY REFERENCES actions (id) ON DELETE CASCADE,
    device_uuid TEXT NOT NULL,
    latitude    REAL NOT NULL,
    longitude   REAL NOT NULL,
    accuracy_m  REAL NOT NULL,
    taken_at    INTEGER NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;

CREATE INDEX locations_received ON locations (received_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    who         TEXT NOT NULL,
    what        TEXT NOT NULL,
    device_uuid TEXT NOT NULL,
    serial      TEXT NOT NULL,
    device_name TEXT NOT NULL
) STRICT;
