//! Paths, headers and query parameters of the central server's API.

/// Header that carries the user's access token on every request.
pub const TOKEN_HEADER: &str = "X-User-Access-Token";

/// Query parameter that chooses the organisation (tenant) a request acts in.
pub const TENANT_PARAM: &str = "tenantOrganizationUuid";

/// The signed-in user behind the access token.
pub const CURRENT_USER: &str = "/api/management/v1/users/current";

/// Organisations the access token has rights on.
pub const ORGANIZATIONS: &str = "/api/management/v1/organizations";

/// Device inventory query (POST with a [`crate::QueryRequest`] body).
pub const DEVICE_QUERY: &str = "/api/management/v2/devices/baseInfo/query";

/// Installed apps of many devices at once (POST; filter on `deviceUuid`).
///
/// Not in every Relution release; see `docs/api.md`.
pub const INSTALLED_APPS_QUERY: &str = "/api/management/v2/devices/installedApps/baseInfo/query";

/// Installed apps of one device (POST with a [`crate::QueryRequest`] body).
pub fn device_installed_apps(device_uuid: &str) -> String {
    format!("/api/management/v2/devices/{device_uuid}/installedApps/baseInfo/query")
}

/// Device groups of an organisation (GET, paged with `limit` and `offset`).
pub const DEVICE_GROUPS: &str = "/api/management/v1/deviceGroups";

/// Classes of an organisation (GET, paged).
pub const CLASSES: &str = "/api/management/v1/classes";

/// Policies of an organisation with their configurations (GET, paged).
pub const POLICIES: &str = "/api/management/v1/policies";

/// The organisation's app catalogue with VPP licence counts (GET, paged).
pub const APPS: &str = "/api/management/v1/apps";

/// Field names the device query can filter and sort on.
pub mod device_field {
    pub const UUID: &str = "uuid";
    pub const NAME: &str = "name";
    pub const SERIAL_NUMBER: &str = "serialNumber";
    pub const MODIFICATION_DATE: &str = "modificationDate";
}

/// Field names the installed-apps query can filter on.
pub mod app_field {
    pub const DEVICE_UUID: &str = "deviceUuid";
}

/// Header that makes a create safe to repeat: the same key answers the same action.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Actions of one device (GET lists, POST creates).
pub fn device_actions(device_uuid: &str) -> String {
    format!("/api/management/v1/devices/{device_uuid}/actions")
}

/// One action of a device (DELETE cancels).
pub fn device_action(device_uuid: &str, action_uuid: &str) -> String {
    format!("/api/management/v1/devices/{device_uuid}/actions/{action_uuid}")
}

/// Actions of an organisation (POST with a [`crate::QueryRequest`] body).
pub const ACTION_QUERY: &str = "/api/management/v2/actions/baseInfo/query";

/// Field names the action query can filter on.
pub mod action_field {
    pub const UUID: &str = "uuid";
    pub const DEVICE_UUID: &str = "deviceUuid";
    pub const STATE: &str = "state";
    pub const TYPE: &str = "type";
    pub const MODIFICATION_DATE: &str = "modificationDate";
}

/// Lessons of an organisation (GET lists running and recently ended ones, POST starts one).
pub const LESSONS: &str = "/api/management/v1/lessons";

/// One lesson (GET).
pub fn lesson(lesson_uuid: &str) -> String {
    format!("/api/management/v1/lessons/{lesson_uuid}")
}

/// Commands of a lesson (POST with a [`crate::LessonCommandBody`]).
pub fn lesson_commands(lesson_uuid: &str) -> String {
    format!("/api/management/v1/lessons/{lesson_uuid}/commands")
}

/// Extends a running lesson (POST with a [`crate::ExtendLesson`]).
pub fn lesson_extend(lesson_uuid: &str) -> String {
    format!("/api/management/v1/lessons/{lesson_uuid}/extend")
}

/// Ends a lesson at once (POST, no body; an ended lesson answers unchanged).
pub fn lesson_end(lesson_uuid: &str) -> String {
    format!("/api/management/v1/lessons/{lesson_uuid}/end")
}

/// The emulator's view of every lesson with what each device has applied (GET, no token).
pub const SIM_LESSONS: &str = "/sim/lessons";

/// Copies a template policy into the organisation of `tenantOrganizationUuid` (POST with a
/// [`crate::CopyTemplate`] body).
pub fn policy_copy(template_uuid: &str) -> String {
    format!("/api/management/v1/policies/{template_uuid}/copy")
}

/// Publishes one version of a policy (POST with a [`crate::PublishPolicy`] body).
pub fn policy_publish(policy_uuid: &str) -> String {
    format!("/api/management/v1/policies/{policy_uuid}/publish")
}

/// The organisation's device licence counts (GET, one [`crate::LicenceCounts`]).
pub const LICENSES: &str = "/api/management/v1/licenses";

/// The organisation's automated-enrolment profiles (GET, paged [`crate::DepProfile`]s).
pub const DEP_PROFILES: &str = "/api/management/v1/depProfiles";
