//! The checks before an action is queued, as pure functions: what the device is, what is
//! already pending for it, who asks, and what Apple's rules allow. The user sees every check
//! and what will happen before confirming; a blocked check keeps the action from being queued.

use koffer_api::{ActionParameters, ActionType, Role};
use serde::Serialize;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Lengths the server accepts (see `docs/api.md`).
pub const MAX_MESSAGE: usize = 200;
pub const MAX_PHONE: usize = 30;
pub const MAX_FOOTNOTE: usize = 100;

/// What the cache (and the ledger) know about the device right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    pub supervised: bool,
    pub shared_ipad: bool,
    /// In lost mode as far as Koffer knows: the cache's flag, or an acknowledged lost-mode
    /// action newer than the last sync.
    pub lost_mode: bool,
    pub last_contact_ms: Option<i64>,
    /// Automated enrolment: an erased device enrols again by itself.
    pub automated_enrolment: bool,
}

/// An action of this device that has not reached a final state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAction {
    pub id: i64,
    pub kind: ActionType,
    /// The app of an install or removal.
    pub bundle_id: Option<String>,
}

impl PendingAction {
    /// The same action again: of the same kind, and for installs and removals of the same app
    /// (installing two missing apps on one device is two actions, not a duplicate).
    fn repeats(&self, kind: ActionType, parameters: &ActionParameters) -> bool {
        let per_app = matches!(kind, ActionType::InstallApp | ActionType::RemoveApp);
        self.kind == kind && (!per_app || self.bundle_id == parameters.bundle_id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Fine.
    Pass,
    /// Fine, but the user should know (the device is offline, it will reboot, …).
    Note,
    /// The action will not be queued.
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Stable name for translations, e.g. "supervised", "lost_mode", "duplicate".
    pub key: String,
    pub verdict: Verdict,
    /// In English, for the CLI and as the detail in the window.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    pub checks: Vec<Check>,
    /// The pending action of the same kind that makes this one a duplicate.
    #[ts(type = "number | null")]
    pub duplicate_of: Option<i64>,
    pub can_send: bool,
}

/// Runs every check for one action on one device.
pub fn preflight(
    kind: ActionType,
    parameters: &ActionParameters,
    device: &DeviceFacts,
    pending: &[PendingAction],
    role: Role,
    now_ms: i64,
) -> Preflight {
    let duplicate_of = pending
        .iter()
        .find(|p| p.repeats(kind, parameters))
        .map(|p| p.id);
    let checks: Vec<Check> = [
        rights(kind, role),
        parameters_check(kind, parameters),
        supervision(kind, device),
        lost_mode(kind, device),
        shared_ipad(kind, device),
        duplicate(duplicate_of),
        last_contact(device, now_ms),
        consequence(kind, device),
    ]
    .into_iter()
    .flatten()
    .collect();
    let can_send = checks.iter().all(|c| c.verdict != Verdict::Block);
    Preflight {
        checks,
        duplicate_of,
        can_send,
    }
}

fn check(key: &str, verdict: Verdict, message: impl Into<String>) -> Option<Check> {
    Some(Check {
        key: key.to_owned(),
        verdict,
        message: message.into(),
    })
}

fn needs_supervision(kind: ActionType) -> bool {
    use ActionType::*;
    matches!(
        kind,
        EnableLostMode
            | DisableLostMode
            | PlayLostModeSound
            | DeviceLocation
            | RestartDevice
            | ShutDownDevice
            | InstallApp
    )
}

fn needs_lost_mode(kind: ActionType) -> bool {
    matches!(
        kind,
        ActionType::DisableLostMode | ActionType::PlayLostModeSound | ActionType::DeviceLocation
    )
}

fn rights(kind: ActionType, role: Role) -> Option<Check> {
    match role {
        // The server answers 403 to a teacher's device action: teachers act on devices only
        // through a lesson.
        Role::Teacher => check(
            "rights",
            Verdict::Block,
            format!(
                "Teachers act on devices only during a lesson, from the teacher console; ask the \
                 school's IT coordinator to {} this device.",
                kind.as_str().to_lowercase().replace('_', " ")
            ),
        ),
        _ => None,
    }
}

fn parameters_check(kind: ActionType, p: &ActionParameters) -> Option<Check> {
    let text = |t: &Option<String>| t.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let (message, phone, footnote) = (text(&p.message), text(&p.phone_number), text(&p.footnote));
    let too_long = |what: &str, value: &str, max: usize| {
        (value.chars().count() > max).then(|| {
            format!(
                "The {what} has {} characters; at most {max} fit.",
                value.chars().count()
            )
        })
    };
    let problem = match kind {
        ActionType::EnableLostMode if message.is_empty() && phone.is_empty() => Some(
            "Lost mode needs a message or a phone number for whoever finds the iPad.".to_owned(),
        ),
        ActionType::EnableLostMode => too_long("message", &message, MAX_MESSAGE)
            .or_else(|| too_long("phone number", &phone, MAX_PHONE))
            .or_else(|| too_long("footnote", &footnote, MAX_FOOTNOTE)),
        ActionType::DeviceLock => too_long("message", &message, MAX_MESSAGE),
        ActionType::InstallApp | ActionType::RemoveApp if text(&p.bundle_id).is_empty() => {
            Some("Choose the app.".to_owned())
        }
        _ => None,
    };
    problem.and_then(|message| check("parameters", Verdict::Block, message))
}

fn supervision(kind: ActionType, device: &DeviceFacts) -> Option<Check> {
    if !needs_supervision(kind) {
        return None;
    }
    if device.supervised {
        return check("supervised", Verdict::Pass, "The device is supervised.");
    }
    check(
        "supervised",
        Verdict::Block,
        "The device is not supervised; Apple allows this action only on supervised devices.",
    )
}

fn lost_mode(kind: ActionType, device: &DeviceFacts) -> Option<Check> {
    if !needs_lost_mode(kind) {
        return None;
    }
    if device.lost_mode {
        return check("lost_mode", Verdict::Pass, "The device is in lost mode.");
    }
    check(
        "lost_mode",
        Verdict::Block,
        "The device is not in lost mode; ringing and locating work only in lost mode (Apple error \
         12067). Enable lost mode first and wait until the device acknowledged it.",
    )
}

fn shared_ipad(kind: ActionType, device: &DeviceFacts) -> Option<Check> {
    (kind == ActionType::ClearPasscode && device.shared_ipad).then_some(())?;
    check(
        "shared_ipad",
        Verdict::Block,
        "A Shared iPad has no passcode to clear.",
    )
}

fn duplicate(duplicate_of: Option<i64>) -> Option<Check> {
    duplicate_of?;
    check(
        "duplicate",
        Verdict::Block,
        "The same action is already pending for this device; a second one would only pile up. \
         The pending one is shown instead.",
    )
}

fn last_contact(device: &DeviceFacts, now_ms: i64) -> Option<Check> {
    let days = device.last_contact_ms.map(|ms| (now_ms - ms) / DAY_MS);
    match days {
        Some(days) if days < 1 => check(
            "last_contact",
            Verdict::Pass,
            "The device checked in today.",
        ),
        Some(days) => check(
            "last_contact",
            Verdict::Note,
            format!(
                "The device last checked in {days} days ago; it gets the action when it next \
                 checks in."
            ),
        ),
        None => check(
            "last_contact",
            Verdict::Note,
            "The device never checked in; it gets the action when it does.",
        ),
    }
}

fn consequence(kind: ActionType, device: &DeviceFacts) -> Option<Check> {
    match kind {
        ActionType::EraseDevice if device.automated_enrolment => check(
            "erase",
            Verdict::Note,
            "All data on the device is erased; it enrols again by itself through automated \
             enrolment.",
        ),
        ActionType::EraseDevice => check(
            "erase",
            Verdict::Note,
            "All data on the device is erased; it is not enrolled for automated enrolment and must \
             be enrolled again by hand.",
        ),
        ActionType::RestartDevice => check(
            "restart",
            Verdict::Note,
            "A passcode-locked iPad stays off Wi-Fi after a restart until someone unlocks it.",
        ),
        _ => None,
    }
}

/// The typed confirmation of an erase must be the device's name or its serial number.
pub fn erase_confirmed(typed: &str, name: &str, serial: &str) -> bool {
    let typed = typed.trim();
    !typed.is_empty() && (typed == name.trim() || typed.eq_ignore_ascii_case(serial.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 100 * DAY_MS;

    fn ipad() -> DeviceFacts {
        DeviceFacts {
            supervised: true,
            shared_ipad: false,
            lost_mode: false,
            last_contact_ms: Some(NOW - 3_600_000),
            automated_enrolment: true,
        }
    }

    fn run(kind: ActionType, device: &DeviceFacts) -> Preflight {
        let parameters = ActionParameters::default();
        preflight(kind, &parameters, device, &[], Role::SchoolAdmin, NOW)
    }

    fn blocked_by(result: &Preflight) -> Vec<&str> {
        let blocked = result.checks.iter().filter(|c| c.verdict == Verdict::Block);
        blocked.map(|c| c.key.as_str()).collect()
    }

    #[test]
    fn a_lock_on_a_supervised_device_seen_today_can_be_sent() {
        let result = run(ActionType::DeviceLock, &ipad());

        assert!(result.can_send, "{:?}", result.checks);
    }

    #[test]
    fn ring_and_locate_need_lost_mode_and_say_so() {
        for kind in [ActionType::PlayLostModeSound, ActionType::DeviceLocation] {
            let result = run(kind, &ipad());

            assert_eq!(
                blocked_by(&result),
                ["lost_mode"],
                "{kind:?} outside lost mode: 12067"
            );
            assert!(result.checks.iter().any(|c| c.message.contains("12067")));
        }
    }

    #[test]
    fn ring_and_locate_in_lost_mode_on_an_unsupervised_device_are_blocked_by_supervision() {
        let device = DeviceFacts {
            supervised: false,
            lost_mode: true,
            ..ipad()
        };

        let result = run(ActionType::DeviceLocation, &device);

        assert_eq!(
            blocked_by(&result),
            ["supervised"],
            "Apple needs supervision for this"
        );
    }

    #[test]
    fn lock_works_without_supervision() {
        let device = DeviceFacts {
            supervised: false,
            ..ipad()
        };

        assert!(
            run(ActionType::DeviceLock, &device).can_send,
            "DeviceLock works unsupervised"
        );
    }

    #[test]
    fn lost_mode_needs_a_message_or_a_phone_number() {
        let empty = ActionParameters {
            message: Some("  ".into()),
            ..Default::default()
        };
        let phone = ActionParameters {
            phone_number: Some("+49 201 1".into()),
            ..empty.clone()
        };

        let without = preflight(
            ActionType::EnableLostMode,
            &empty,
            &ipad(),
            &[],
            Role::SchoolAdmin,
            NOW,
        );
        let with = preflight(
            ActionType::EnableLostMode,
            &phone,
            &ipad(),
            &[],
            Role::SchoolAdmin,
            NOW,
        );

        assert_eq!(
            blocked_by(&without),
            ["parameters"],
            "whitespace is no message"
        );
        assert!(
            with.can_send,
            "a phone number alone is enough: {:?}",
            with.checks
        );
    }

    #[test]
    fn texts_over_the_allowed_length_are_refused_with_the_count() {
        let long = ActionParameters {
            message: Some("x".repeat(MAX_MESSAGE + 1)),
            ..Default::default()
        };
        let footnote = ActionParameters {
            message: Some("ok".into()),
            footnote: Some("y".repeat(MAX_FOOTNOTE + 1)),
            ..Default::default()
        };

        let long = preflight(
            ActionType::EnableLostMode,
            &long,
            &ipad(),
            &[],
            Role::SchoolAdmin,
            NOW,
        );
        let footnote = preflight(
            ActionType::EnableLostMode,
            &footnote,
            &ipad(),
            &[],
            Role::SchoolAdmin,
            NOW,
        );

        assert!(!long.can_send && long.checks[0].message.contains("201 characters"));
        assert!(!footnote.can_send && footnote.checks[0].message.contains("footnote"));
    }

    #[test]
    fn a_pending_action_of_the_same_kind_is_shown_instead_of_a_duplicate() {
        let pending = [PendingAction {
            id: 7,
            kind: ActionType::DeviceLock,
            bundle_id: None,
        }];
        let none = ActionParameters::default();

        let result = preflight(
            ActionType::DeviceLock,
            &none,
            &ipad(),
            &pending,
            Role::SchoolAdmin,
            NOW,
        );
        let other = preflight(
            ActionType::RestartDevice,
            &none,
            &ipad(),
            &pending,
            Role::SchoolAdmin,
            NOW,
        );

        assert_eq!(
            result.duplicate_of,
            Some(7),
            "the pending lock is shown instead"
        );
        assert!(!result.can_send, "never enqueue a duplicate");
        assert!(other.can_send, "another kind is no duplicate");
    }

    #[test]
    fn a_device_not_seen_for_days_gets_a_note_not_a_block() {
        let device = DeviceFacts {
            last_contact_ms: Some(NOW - 5 * DAY_MS),
            ..ipad()
        };

        let result = run(ActionType::DeviceLock, &device);

        assert!(result.can_send, "it will get the action when it checks in");
        assert!(result
            .checks
            .iter()
            .any(|c| c.verdict == Verdict::Note && c.message.contains("5 days")));
    }

    #[test]
    fn teachers_act_on_devices_only_through_lessons() {
        let none = ActionParameters::default();

        let lock = preflight(
            ActionType::DeviceLock,
            &none,
            &ipad(),
            &[],
            Role::Teacher,
            NOW,
        );
        let erase = preflight(
            ActionType::EraseDevice,
            &none,
            &ipad(),
            &[],
            Role::Teacher,
            NOW,
        );

        assert_eq!(blocked_by(&lock), ["rights"], "a lock comes from a lesson");
        assert_eq!(
            blocked_by(&erase),
            ["rights"],
            "inventory-wide actions are not for teachers"
        );
        assert!(
            erase.checks[0].message.contains("lesson"),
            "says where to go instead"
        );
    }

    #[test]
    fn clearing_the_passcode_of_a_shared_ipad_is_blocked() {
        let device = DeviceFacts {
            shared_ipad: true,
            ..ipad()
        };

        assert_eq!(
            blocked_by(&run(ActionType::ClearPasscode, &device)),
            ["shared_ipad"]
        );
    }

    #[test]
    fn an_erase_is_confirmed_only_by_the_name_or_the_serial() {
        assert!(erase_confirmed(
            "GSN-Koffer-3-07",
            "GSN-Koffer-3-07",
            "DMPXK2LQ9F0D"
        ));
        assert!(erase_confirmed(
            " dmpxk2lq9f0d ",
            "GSN-Koffer-3-07",
            "DMPXK2LQ9F0D"
        ));
        assert!(!erase_confirmed(
            "GSN-Koffer-3-08",
            "GSN-Koffer-3-07",
            "DMPXK2LQ9F0D"
        ));
        assert!(
            !erase_confirmed("", "", ""),
            "an empty confirmation never confirms"
        );
    }

    #[test]
    fn installing_another_app_while_one_install_is_pending_is_no_duplicate() {
        let pending = [PendingAction {
            id: 8,
            kind: ActionType::InstallApp,
            bundle_id: Some("com.apple.Keynote".into()),
        }];
        let app = |bundle_id: &str| ActionParameters {
            bundle_id: Some(bundle_id.into()),
            ..ActionParameters::default()
        };

        let same = preflight(
            ActionType::InstallApp,
            &app("com.apple.Keynote"),
            &ipad(),
            &pending,
            Role::SchoolAdmin,
            NOW,
        );
        let other = preflight(
            ActionType::InstallApp,
            &app("com.apple.Pages"),
            &ipad(),
            &pending,
            Role::SchoolAdmin,
            NOW,
        );

        assert_eq!(same.duplicate_of, Some(8), "the same app twice piles up");
        assert!(
            other.can_send,
            "another app is its own install: {:?}",
            other.checks
        );
    }
}
