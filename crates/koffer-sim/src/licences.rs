//! Licences and automated enrolment: device licences per organisation, the VPP check the
//! server makes before it accepts an app install, and the DEP profiles devices enrol with.
//!
//! A device holds a VPP licence of an app while the app is installed through the server; the
//! catalogue counts them (`vppLicensesAssigned`). The licence is assigned when the device
//! acknowledges the install and freed when it acknowledges the removal (see
//! [`crate::commands`]).

use axum::http::StatusCode;
use koffer_api::{error_code, DepProfile, GroupKind, LicenceCounts};

use crate::catalogue;
use crate::district::{District, OrgIdx};
use crate::error::ApiError;
use crate::inventory::Device;
use crate::policy_seed;

/// A DEP profile and the kind of device group whose devices enrol with it.
#[derive(Debug, Clone)]
pub struct EnrolmentProfile {
    pub wire: DepProfile,
    pub kind: GroupKind,
}

/// Device licences assigned to the organisation and used by its enrolled devices.
pub fn counts(district: &District, org: OrgIdx) -> LicenceCounts {
    let organisation = &district.organisations[org];
    LicenceCounts {
        organization_uuid: organisation.uuid().to_owned(),
        device_licenses_assigned: organisation.device_licences,
        device_licenses_used: district.inventory.count_in(org) as u32,
    }
}

/// The organisation's DEP profiles with the devices enrolled with each, counted now.
pub fn dep_profiles(district: &District, org: OrgIdx) -> Vec<DepProfile> {
    let profiles = &district.organisations[org].dep_profiles;
    let mut counted: Vec<DepProfile> = profiles.iter().map(|p| p.wire.clone()).collect();
    for device in district.inventory.of_org(org) {
        let Some(kind) = policy_seed::profile_kind(district, device) else {
            continue;
        };
        if let Some(at) = profiles.iter().position(|p| p.kind == kind) {
            counted[at].devices += 1;
        }
    }
    counted
}

/// The server's check before it queues an install: the app must be in the organisation's
/// catalogue, and a licence must be left unless the device already holds one.
pub fn check_install(
    district: &District,
    device: &Device,
    bundle_id: &str,
) -> Result<(), ApiError> {
    let organisation = &district.organisations[device.org];
    let Some(entry) = organisation
        .catalogue
        .iter()
        .find(|app| app.bundle_id == bundle_id)
    else {
        let message = format!(
            "The app {bundle_id} is not in the app catalogue of {}; add it there first.",
            organisation.wire.name
        );
        return Err(ApiError::coded(
            StatusCode::BAD_REQUEST,
            error_code::APP_NOT_IN_CATALOGUE,
            message,
        ));
    };
    let holds_licence = catalogue::app_by_bundle(bundle_id)
        .is_some_and(|app| device.apps.iter().any(|install| install.app == app));
    if holds_licence || entry.vpp_licenses_assigned < entry.vpp_licenses_total {
        return Ok(());
    }
    let message = format!(
        "No licence left: all {} VPP licences of {} are assigned in {}. Buy more or free one by \
         removing the app from another device.",
        entry.vpp_licenses_total, entry.name, organisation.wire.name
    );
    Err(ApiError::coded(
        StatusCode::CONFLICT,
        error_code::NO_LICENSES_LEFT,
        message,
    ))
}
