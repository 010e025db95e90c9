-- Policy versions (issue 6): every version of each policy, published or not, with its
-- configurations and time windows. The `policies` row keeps the newest version's fields, as
-- the server sends them at the top level; only the newest published version takes effect.

CREATE TABLE policy_versions (
    policy_uuid TEXT NOT NULL REFERENCES policies (uuid) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    published   INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    PRIMARY KEY (policy_uuid, version)
) STRICT, WITHOUT ROWID;

-- Answers "the newest published version of each policy" along the index.
CREATE INDEX policy_versions_published ON policy_versions (policy_uuid, published, version);

CREATE TABLE policy_configurations (
    policy_uuid TEXT NOT NULL,
    version     INTEGER NOT NULL,
    -- The configuration's place in the version, as the server listed it.
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- The kind's own fields besides type and name, as the server sent them (a JSON object).
    fields      TEXT NOT NULL,
    PRIMARY KEY (policy_uuid, version, position),
    FOREIGN KEY (policy_uuid, version) REFERENCES policy_versions (policy_uuid, version)
        ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE policy_time_windows (
    policy_uuid TEXT NOT NULL,
    version     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    -- 1 = Monday … 7 = Sunday; start and end "HH:MM" in school time.
    weekday     INTEGER NOT NULL,
    start_time  TEXT NOT NULL,
    end_time    TEXT NOT NULL,
    PRIMARY KEY (policy_uuid, version, position),
    FOREIGN KEY (policy_uuid, version) REFERENCES policy_versions (policy_uuid, version)
        ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
