-- The inventory cache: organisations, devices with their apps and groups, classes, policies,
-- the app catalogue and one sync status row per organisation. Times are Unix milliseconds.

CREATE TABLE organisations (
    uuid        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_uuid TEXT
) STRICT;

CREATE TABLE devices (
    uuid             TEXT PRIMARY KEY,
    org_uuid         TEXT NOT NULL REFERENCES organisations (uuid) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    serial           TEXT NOT NULL,
    model            TEXT NOT NULL,
    model_identifier TEXT NOT NULL,
    platform         TEXT NOT NULL,
    os_version       TEXT NOT NULL,
    -- The OS version as a number that sorts right: 17.10.1 -> 17010001.
    os_sort          INTEGER NOT NULL,
    battery          REAL,
    storage_total    INTEGER,
    storage_free     INTEGER,
    supervised       INTEGER NOT NULL,
    shared_ipad      INTEGER NOT NULL,
    lost_mode        INTEGER NOT NULL,
    user_login       TEXT,
    user_name        TEXT,
    last_contact     INTEGER,
    enrolled_at      INTEGER,
    enrollment_type  TEXT NOT NULL,
    compliance       TEXT NOT NULL,
    modified_at      INTEGER NOT NULL,
    -- The full sync pass that last saw this device; a completed pass removes older ones.
    seen_in_pass     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Each filter and sort of the inventory has an index, so a page of it never sorts the table.
CREATE INDEX devices_name ON devices (name COLLATE NOCASE);
CREATE INDEX devices_org_name ON devices (org_uuid, name COLLATE NOCASE);
CREATE INDEX devices_org_pass ON devices (org_uuid, seen_in_pass);
CREATE INDEX devices_serial ON devices (serial COLLATE NOCASE);
CREATE INDEX devices_model ON devices (model);
CREATE INDEX devices_os_sort ON devices (os_sort);
CREATE INDEX devices_last_contact ON devices (last_contact);
CREATE INDEX devices_battery ON devices (battery);
CREATE INDEX devices_compliance ON devices (compliance, name COLLATE NOCASE);
CREATE INDEX devices_supervised ON devices (supervised, name COLLATE NOCASE);
CREATE INDEX devices_user_name ON devices (user_name COLLATE NOCASE);

-- Every model name seen; a model that no device has any more matches nothing, harmlessly.
CREATE TABLE models (model TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;

-- Trigram search over what people type: name, serial and user. Models are few and searched
-- through their own list below, so that "iPad" does not put every device into the index.
CREATE VIRTUAL TABLE devices_search USING fts5 (
    name, serial, user_login, user_name,
    content = 'devices', content_rowid = 'rowid', tokenize = 'trigram'
);

CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_search (rowid, name, serial, user_login, user_name)
    VALUES (new.rowid, new.name, new.serial, new.user_login, new.user_name);
    INSERT OR IGNORE INTO models (model) VALUES (new.model);
END;

CREATE TRIGGER devices_search_delete AFTER DELETE ON devices BEGIN
    INSERT INTO devices_search (devices_search, rowid, name, serial, user_login, user_name)
    VALUES ('delete', old.rowid, old.name, old.serial, old.user_login, old.user_name);
END;

CREATE TRIGGER devices_search_update AFTER UPDATE OF name, serial, user_login, user_name
ON devices
WHEN old.name IS NOT new.name OR old.serial IS NOT new.serial
    OR old.user_login IS NOT new.user_login OR old.user_name IS NOT new.user_name
BEGIN
    INSERT INTO devices_search (devices_search, rowid, name, serial, user_login, user_name)
    VALUES ('delete', old.rowid, old.name, old.serial, old.user_login, old.user_name);
    INSERT INTO devices_search (rowid, name, serial, user_login, user_name)
    VALUES (new.rowid, new.name, new.serial, new.user_login, new.user_name);
END;

CREATE TRIGGER devices_model_update AFTER UPDATE OF model ON devices
WHEN old.model IS NOT new.model
BEGIN
    INSERT OR IGNORE INTO models (model) VALUES (new.model);
END;

CREATE TABLE installed_apps (
    device_uuid TEXT NOT NULL REFERENCES devices (uuid) ON DELETE CASCADE,
    bundle_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    managed     INTEGER NOT NULL,
    size_bytes  INTEGER,
    PRIMARY KEY (device_uuid, bundle_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX installed_apps_bundle ON installed_apps (bundle_id);

CREATE TABLE device_groups (
    uuid     TEXT PRIMARY KEY,
    org_uuid TEXT NOT NULL REFERENCES organisations (uuid) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL
) STRICT;

-- No foreign key to device_groups: a device may name a group created after the groups were
-- fetched; it shows up with the next sync.
CREATE TABLE group_members (
    group_uuid  TEXT NOT NULL,
    device_uuid TEXT NOT NULL REFERENCES devices (uuid) ON DELETE CASCADE,
    PRIMARY KEY (group_uuid, device_uuid)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_device ON group_members (device_uuid);

CREATE TABLE classes (
    uuid            TEXT PRIMARY KEY,
    org_uuid        TEXT NOT NULL REFERENCES organisations (uuid) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    case_group_uuid TEXT
) STRICT;

CREATE TABLE class_members (
    class_uuid   TEXT NOT NULL REFERENCES classes (uuid) ON DELETE CASCADE,
    login        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('teacher', 'student')),
    device_uuid  TEXT,
    PRIMARY KEY (class_uuid, role, login)
) STRICT, WITHOUT ROWID;

CREATE TABLE policies (
    uuid          TEXT PRIMARY KEY,
    org_uuid      TEXT NOT NULL REFERENCES organisations (uuid) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    published     INTEGER NOT NULL,
    template_uuid TEXT,
    modified_at   INTEGER NOT NULL,
    -- Time windows and configurations as the server sent them (JSON arrays).
    time_windows  TEXT NOT NULL,
    configurations TEXT NOT NULL
) STRICT;

CREATE TABLE policy_groups (
    policy_uuid TEXT NOT NULL REFERENCES policies (uuid) ON DELETE CASCADE,
    group_uuid  TEXT NOT NULL,
    PRIMARY KEY (policy_uuid, group_uuid)
) STRICT, WITHOUT ROWID;

CREATE INDEX policy_groups_group ON policy_groups (group_uuid);

CREATE TABLE catalog_apps (
    uuid                TEXT PRIMARY KEY,
    org_uuid            TEXT NOT NULL REFERENCES organisations (uuid) ON DELETE CASCADE,
    bundle_id           TEXT NOT NULL,
    name                TEXT NOT NULL,
    version             TEXT NOT NULL,
    vpp_licenses_total  INTEGER NOT NULL,
    vpp_licenses_assigned INTEGER NOT NULL
) STRICT;

CREATE INDEX catalog_apps_org_bundle ON catalog_apps (org_uuid, bundle_id);

CREATE TABLE sync_status (
    org_uuid        TEXT PRIMARY KEY REFERENCES organisations (uuid) ON DELETE CASCADE,
    last_attempt    INTEGER,
    last_success    INTEGER,
    last_full       INTEGER,
    last_error      TEXT,
    devices_done    INTEGER NOT NULL DEFAULT 0,
    devices_total   INTEGER NOT NULL DEFAULT 0,
    -- Newest device modification date seen (server time): later syncs ask for what changed
    -- since.
    watermark       INTEGER,
    -- A full pass under way: its number and the offset committed so far, so a killed sync
    -- resumes there. NULL when no pass is under way.
    pass            INTEGER NOT NULL DEFAULT 0,
    pass_offset     INTEGER,
    -- Fingerprint of the groups, classes, policies and catalogue last written, so an unchanged
    -- catalogue is not written again.
    catalog_hash    TEXT
) STRICT;
