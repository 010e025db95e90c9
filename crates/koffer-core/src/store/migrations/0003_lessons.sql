-- Lessons of the teacher console (issue 5): the apps of each class, the lessons a teacher
-- started with the server's last known state of each, the outbox of lesson requests, and the
-- students marked absent. Times are Unix milliseconds.

-- Replaced with the classes on every sync (the foreign key drops them with their class).
CREATE TABLE class_apps (
    class_uuid TEXT NOT NULL REFERENCES classes (uuid) ON DELETE CASCADE,
    bundle_id  TEXT NOT NULL,
    PRIMARY KEY (class_uuid, bundle_id)
) STRICT, WITHOUT ROWID;

-- No foreign key to classes: a sync replaces the classes, and a lesson must outlive that.
CREATE TABLE lessons (
    id               INTEGER PRIMARY KEY,
    class_uuid       TEXT NOT NULL,
    org_uuid         TEXT NOT NULL,
    -- NULL until the server accepted the start.
    server_uuid      TEXT UNIQUE,
    -- QUEUED (start not yet accepted), RUNNING, ENDED or REFUSED (the start was refused).
    state            TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    ends_at          INTEGER NOT NULL,
    end_reason       TEXT,
    refusal          TEXT,
    -- The devices of the lesson (JSON array of uuids), as asked for.
    devices          TEXT NOT NULL,
    -- The server's lesson as last fetched (JSON), with each device's restrictions and state.
    server_lesson    TEXT,
    -- When the server last accepted a request of this lesson: devices still pending long after
    -- it are offline.
    accepted_at      INTEGER,
    updated_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX lessons_class ON lessons (class_uuid, id);
CREATE INDEX lessons_state ON lessons (state);

-- The outbox of lesson requests: starts, commands, extensions and ends, in the order asked.
-- The body holds what teachers typed (lock messages): it is sent, never logged.
CREATE TABLE lesson_requests (
    id              INTEGER PRIMARY KEY,
    lesson_id       INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    -- Sent with every attempt, so a repeat after a crash or a lost answer changes nothing.
    idempotency_key TEXT NOT NULL UNIQUE,
    -- START, COMMAND, EXTEND or END.
    kind            TEXT NOT NULL,
    -- The request body as sent (JSON).
    body            TEXT NOT NULL,
    -- The devices it is for (JSON array); all of the lesson's for START, EXTEND and END.
    devices         TEXT NOT NULL,
    -- OUTBOX until the server answered, then ACCEPTED or REJECTED.
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    requested_at    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX lesson_requests_state ON lesson_requests (state, id);
CREATE INDEX lesson_requests_lesson ON lesson_requests (lesson_id, id);

-- Devices of a class whose student is absent: left out of every lesson command.
CREATE TABLE absences (
    class_uuid  TEXT NOT NULL,
    device_uuid TEXT NOT NULL,
    marked_at   INTEGER NOT NULL,
    PRIMARY KEY (class_uuid, device_uuid)
) STRICT, WITHOUT ROWID;
