-- Licences and enrolment profiles (issue 6): each school's device licence counts and its
-- automated-enrolment (DEP) profiles, replaced whole per organisation on every sync. The VPP
-- licences per app are in catalog_apps; compliance itself is evaluated from the cache and
-- not stored. Times are Unix milliseconds.

CREATE TABLE licence_counts (
    org_uuid   TEXT PRIMARY KEY REFERENCES organisations (uuid) ON DELETE CASCADE,
    assigned   INTEGER NOT NULL,
    used       INTEGER NOT NULL
) STRICT;

CREATE TABLE dep_profiles (
    uuid             TEXT PRIMARY KEY,
    org_uuid         TEXT NOT NULL REFERENCES organisations (uuid) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    supervised       INTEGER NOT NULL,
    allow_pairing    INTEGER NOT NULL,
    -- The setup assistant panes skipped (JSON array of strings).
    skip_setup_items TEXT NOT NULL,
    devices          INTEGER NOT NULL,
    modified_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX dep_profiles_org ON dep_profiles (org_uuid, name);

-- Install and remove actions by app, so the licences they will take are counted quickly.
CREATE INDEX actions_app ON actions (org_uuid, kind, json_extract(parameters, '$.bundleId'))
    WHERE kind IN ('INSTALL_APP', 'REMOVE_APP');
