//! Device actions: the commands the server queues for a device, and their states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionType {
    DeviceLock,
    EnableLostMode,
    DisableLostMode,
    PlayLostModeSound,
    DeviceLocation,
    RestartDevice,
    ShutDownDevice,
    ClearPasscode,
    EraseDevice,
    InstallApp,
    RemoveApp,
}

impl ActionType {
    pub const ALL: [ActionType; 11] = [
        ActionType::DeviceLock,
        ActionType::EnableLostMode,
        ActionType::DisableLostMode,
        ActionType::PlayLostModeSound,
        ActionType::DeviceLocation,
        ActionType::RestartDevice,
        ActionType::ShutDownDevice,
        ActionType::ClearPasscode,
        ActionType::EraseDevice,
        ActionType::InstallApp,
        ActionType::RemoveApp,
    ];

    /// The wire name, e.g. "ENABLE_LOST_MODE".
    pub fn as_str(self) -> &'static str {
        match self {
            ActionType::DeviceLock => "DEVICE_LOCK",
            ActionType::EnableLostMode => "ENABLE_LOST_MODE",
            ActionType::DisableLostMode => "DISABLE_LOST_MODE",
            ActionType::PlayLostModeSound => "PLAY_LOST_MODE_SOUND",
            ActionType::DeviceLocation => "DEVICE_LOCATION",
            ActionType::RestartDevice => "RESTART_DEVICE",
            ActionType::ShutDownDevice => "SHUT_DOWN_DEVICE",
            ActionType::ClearPasscode => "CLEAR_PASSCODE",
            ActionType::EraseDevice => "ERASE_DEVICE",
            ActionType::InstallApp => "INSTALL_APP",
            ActionType::RemoveApp => "REMOVE_APP",
        }
    }

    pub fn parse(text: &str) -> Option<ActionType> {
        ActionType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionState {
    /// Accepted by the server, waiting for the device to check in.
    Queued,
    /// The device fetched it.
    Sent,
    Acknowledged,
    Error,
    /// The device was busy; the server sends it again at the next check-in.
    NotNow,
    Cancelled,
}

impl ActionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Queued => "QUEUED",
            ActionState::Sent => "SENT",
            ActionState::Acknowledged => "ACKNOWLEDGED",
            ActionState::Error => "ERROR",
            ActionState::NotNow => "NOT_NOW",
            ActionState::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Option<ActionState> {
        [
            ActionState::Queued,
            ActionState::Sent,
            ActionState::Acknowledged,
            ActionState::Error,
            ActionState::NotNow,
            ActionState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// No further change will come from the device.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ActionState::Acknowledged | ActionState::Error | ActionState::Cancelled
        )
    }
}

/// Parameters of an action; which ones apply depends on its type (see `docs/api.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields)]
pub struct ActionParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footnote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_data_plan: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to_service: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
}

/// Body of a create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAction {
    #[serde(rename = "type")]
    pub kind: ActionType,
    #[serde(default)]
    pub parameters: ActionParameters,
}

/// Where a device was, as it reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    /// Metres.
    pub horizontal_accuracy: f64,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub uuid: String,
    pub device_uuid: String,
    pub organization_uuid: String,
    #[serde(rename = "type")]
    pub kind: ActionType,
    pub state: ActionState,
    #[serde(default)]
    pub parameters: ActionParameters,
    #[serde(default)]
    pub created_by: String,
    pub creation_date: DateTime<Utc>,
    pub modification_date: DateTime<Utc>,
    #[serde(default)]
    pub sent_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completion_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub result: Option<Location>,
}

/// Apple's error codes that Koffer explains in words.
pub mod apple_error {
    /// The command needs the device to be in lost mode.
    pub const NOT_IN_LOST_MODE: i64 = 12067;
    /// The device's location is unknown.
    pub const LOCATION_UNKNOWN: i64 = 12068;
    /// The command is not allowed while the device is in lost mode.
    pub const INVALID_IN_LOST_MODE: i64 = 12078;
    /// The emulator's code for a command that needs supervision.
    pub const NOT_SUPERVISED: i64 = 12021;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_types_round_trip_through_their_wire_names() {
        for kind in ActionType::ALL {
            let json = serde_json::to_value(kind).unwrap();

            assert_eq!(json, kind.as_str(), "serde and as_str must agree");
            assert_eq!(ActionType::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn a_create_body_leaves_out_parameters_that_are_not_set() {
        let body = CreateAction {
            kind: ActionType::EnableLostMode,
            parameters: ActionParameters {
                message: Some("Bitte abgeben".into()),
                ..Default::default()
            },
        };

        let json = serde_json::to_value(&body).unwrap();

        assert_eq!(
            json,
            serde_json::json!({"type": "ENABLE_LOST_MODE", "parameters": {"message": "Bitte abgeben"}}),
            "absent parameters must not be sent as null"
        );
    }
}
