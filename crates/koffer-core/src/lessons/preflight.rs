//! The checks before a lesson request is queued, as pure functions: who may teach the class,
//! how long a lesson may last, which URLs and apps a command may name, and which devices a
//! command leaves out (absent students, unsupervised iPads for an app lock).

use koffer_api::{Role, MAX_LESSON_MINUTES, MAX_LOCK_MESSAGE_CHARS};

use super::types::{LessonCommand, Skipped};

/// A bad input, with the field of the form it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// "duration", "url", "app", "message", "class" or "devices".
    pub field: &'static str,
    /// Stable name for translations.
    pub key: &'static str,
    /// In English: what is wrong and what to do.
    pub message: String,
}

fn refuse(field: &'static str, key: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        field,
        key,
        message: message.into(),
    }
}

/// Teachers teach the classes they are a teacher of; school and district admins (the IT
/// coordinators) may teach every class of their schools.
pub fn may_teach(
    role: Role,
    login: &str,
    class_name: &str,
    teachers: &[String],
) -> Result<(), Refusal> {
    match role {
        Role::Teacher if teachers.iter().any(|t| t.eq_ignore_ascii_case(login)) => Ok(()),
        Role::Teacher => Err(refuse(
            "class",
            "not_your_class",
            format!(
                "You do not teach the class {class_name}. Only its teachers or the school's IT \
                 coordinator can start a lesson on it."
            ),
        )),
        Role::SchoolAdmin | Role::DistrictAdmin => Ok(()),
        Role::Other => Err(refuse(
            "class",
            "not_your_class",
            format!(
                "Your account may not teach lessons on {class_name}. Sign in with a teacher's \
                 token."
            ),
        )),
    }
}

/// A lesson lasts at least a minute and at most a school day.
pub fn duration(minutes: u32) -> Result<(), Refusal> {
    if minutes == 0 {
        return Err(refuse(
            "duration",
            "lesson_duration",
            "A lesson lasts at least one minute.",
        ));
    }
    if minutes > MAX_LESSON_MINUTES {
        return Err(refuse(
            "duration",
            "lesson_duration",
            format!(
                "A lesson lasts at most {MAX_LESSON_MINUTES} minutes (a school day); {minutes} \
                 is too long."
            ),
        ));
    }
    Ok(())
}

/// An extension may not take the lesson past a school day in total.
pub fn extension(current_minutes: u32, add: u32) -> Result<(), Refusal> {
    let total = current_minutes + add;
    if total > MAX_LESSON_MINUTES {
        return Err(refuse(
            "duration",
            "lesson_duration",
            format!(
                "The lesson would last {total} minutes; at most {MAX_LESSON_MINUTES} (a school \
                 day) are possible. End it and start a new one instead."
            ),
        ));
    }
    Ok(())
}

/// The command's own inputs: the URL's scheme, the apps it names, the message's length.
pub fn command_inputs(command: &LessonCommand, class_apps: &[String]) -> Result<(), Refusal> {
    let in_class = |bundle: &str| class_apps.iter().any(|a| a == bundle);
    match command {
        LessonCommand::LockScreen { message } => {
            let count = message.chars().count();
            if count > MAX_LOCK_MESSAGE_CHARS {
                return Err(refuse(
                    "message",
                    "message_too_long",
                    format!(
                        "The message has {count} characters; at most {MAX_LOCK_MESSAGE_CHARS} fit \
                         on a locked screen."
                    ),
                ));
            }
            Ok(())
        }
        LessonCommand::OpenWebPage { url } => web_url(url),
        LessonCommand::AppLock { bundle_id } if !in_class(bundle_id) => {
            Err(not_in_class(bundle_id))
        }
        LessonCommand::AllowApps { bundle_ids } if bundle_ids.is_empty() => Err(refuse(
            "app",
            "no_apps",
            "Choose at least one app to allow.",
        )),
        LessonCommand::AllowApps { bundle_ids } => match bundle_ids.iter().find(|b| !in_class(b)) {
            Some(bundle) => Err(not_in_class(bundle)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn not_in_class(bundle: &str) -> Refusal {
    refuse(
        "app",
        "app_not_in_class",
        format!(
            "The app {bundle} is not one of the class's apps. Choose one of the class's apps, or \
             ask the IT coordinator to add it to the class."
        ),
    )
}

/// Only web pages: http and https URLs with a host.
pub fn web_url(text: &str) -> Result<(), Refusal> {
    let bad = || {
        refuse(
            "url",
            "bad_url",
            format!(
                "\"{}\" is not a web address; enter one starting with https://.",
                text.trim()
            ),
        )
    };
    let url = url::Url::parse(text.trim()).map_err(|_| bad())?;
    let web = matches!(url.scheme(), "http" | "https");
    if !web || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(())
}

/// A device of the class as a command sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub uuid: String,
    pub name: String,
    pub supervised: bool,
    pub absent: bool,
    pub in_lesson: bool,
}

/// Which of the chosen devices (all of the class's when `None`) the command goes to, and which
/// it leaves out with the reason.
pub fn targets(
    command: Option<&LessonCommand>,
    chosen: Option<&[String]>,
    class_devices: &[Target],
) -> (Vec<String>, Vec<Skipped>) {
    let mut send = Vec::new();
    let mut skipped = Vec::new();
    let mut skip = |device: &Target, reason: &str| {
        skipped.push(Skipped {
            device_uuid: device.uuid.clone(),
            device_name: device.name.clone(),
            reason: reason.to_owned(),
        })
    };
    let app_lock = matches!(command, Some(LessonCommand::AppLock { .. }));
    for device in class_devices {
        if chosen.is_some_and(|c| !c.contains(&device.uuid)) {
            continue;
        }
        if device.absent {
            skip(device, "The student is marked absent.");
        } else if command.is_some() && !device.in_lesson {
            skip(device, "The device is not part of this lesson.");
        } else if app_lock && !device.supervised {
            skip(
                device,
                "The iPad is not supervised; Apple allows locking into an app only on supervised \
                 devices.",
            );
        } else {
            send.push(device.uuid.clone());
        }
    }
    for uuid in chosen.unwrap_or_default() {
        if !class_devices.iter().any(|d| &d.uuid == uuid) {
            skipped.push(Skipped {
                device_uuid: uuid.clone(),
                device_name: uuid.clone(),
                reason: "The device is not one of the class's devices.".to_owned(),
            });
        }
    }
    (send, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipad(uuid: &str, supervised: bool, absent: bool) -> Target {
        Target {
            uuid: uuid.to_owned(),
            name: format!("iPad {uuid}"),
            supervised,
            absent,
            in_lesson: true,
        }
    }

    #[test]
    fn a_lesson_lasts_between_one_minute_and_a_school_day() {
        assert_eq!(
            duration(0).unwrap_err().field,
            "duration",
            "0 minutes is no lesson"
        );
        assert!(duration(1).is_ok());
        assert!(duration(45).is_ok(), "the default lesson");
        assert!(duration(600).is_ok(), "a whole school day is allowed");

        let too_long = duration(601).unwrap_err();

        assert_eq!(too_long.field, "duration");
        assert!(too_long.message.contains("600"), "{}", too_long.message);
    }

    #[test]
    fn an_extension_past_a_school_day_is_refused() {
        assert!(extension(45, 10).is_ok());
        assert!(extension(590, 10).is_ok());
        assert_eq!(extension(595, 10).unwrap_err().field, "duration");
    }

    #[test]
    fn only_http_and_https_pages_can_be_opened() {
        assert!(web_url("https://www.planet-schule.de/").is_ok());
        assert!(web_url(" http://intranet.schule.example/aufgabe ").is_ok());

        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://x.de",
            "www.x.de",
            "",
        ] {
            let refusal = web_url(bad).unwrap_err();

            assert_eq!(refusal.field, "url", "{bad} must be refused");
        }
    }

    #[test]
    fn apps_outside_the_class_list_are_refused() {
        let apps = vec!["com.apple.Pages".to_owned(), "de.westermann.app".to_owned()];
        let lock = |b: &str| LessonCommand::AppLock {
            bundle_id: b.to_owned(),
        };
        let allow = LessonCommand::AllowApps {
            bundle_ids: vec!["com.apple.Pages".into(), "com.game.fun".into()],
        };

        assert!(command_inputs(&lock("com.apple.Pages"), &apps).is_ok());
        assert_eq!(
            command_inputs(&lock("com.game.fun"), &apps)
                .unwrap_err()
                .field,
            "app"
        );
        let refusal = command_inputs(&allow, &apps).unwrap_err();
        assert!(
            refusal.message.contains("com.game.fun"),
            "names the app: {}",
            refusal.message
        );
    }

    #[test]
    fn a_lock_message_longer_than_a_screen_holds_is_refused() {
        let long = LessonCommand::LockScreen {
            message: "x".repeat(201),
        };
        let short = LessonCommand::LockScreen {
            message: "Augen nach vorn".into(),
        };

        assert_eq!(command_inputs(&long, &[]).unwrap_err().field, "message");
        assert!(command_inputs(&short, &[]).is_ok());
    }

    #[test]
    fn an_app_lock_skips_unsupervised_ipads_and_says_so() {
        let devices = [ipad("a", true, false), ipad("b", false, false)];
        let lock = LessonCommand::AppLock {
            bundle_id: "x".into(),
        };

        let (send, skipped) = targets(Some(&lock), None, &devices);
        let (screen, none_skipped) = targets(Some(&LessonCommand::UnlockScreen), None, &devices);

        assert_eq!(send, ["a"]);
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].reason.contains("not supervised"),
            "{}",
            skipped[0].reason
        );
        assert_eq!(
            screen,
            ["a", "b"],
            "a screen lock works without supervision"
        );
        assert!(none_skipped.is_empty());
    }

    #[test]
    fn absent_students_are_left_out_even_when_chosen() {
        let devices = [
            ipad("a", true, false),
            ipad("b", true, true),
            ipad("c", true, false),
        ];
        let chosen = ["b".to_owned(), "c".to_owned()];

        let (send, skipped) = targets(Some(&LessonCommand::UnlockScreen), Some(&chosen), &devices);
        let (start, _) = targets(None, None, &devices);

        assert_eq!(send, ["c"], "only the chosen, present students");
        assert_eq!(skipped[0].device_uuid, "b");
        assert!(skipped[0].reason.contains("absent"));
        assert_eq!(start, ["a", "c"], "a lesson starts without the absent");
    }

    #[test]
    fn a_device_outside_the_class_is_named_and_left_out() {
        let devices = [ipad("a", true, false)];
        let chosen = ["a".to_owned(), "zz".to_owned()];

        let (send, skipped) = targets(None, Some(&chosen), &devices);

        assert_eq!(send, ["a"]);
        assert_eq!(skipped[0].device_uuid, "zz");
    }

    #[test]
    fn teachers_teach_only_their_own_classes_and_coordinators_every_class() {
        let teachers = vec!["t.becker".to_owned()];

        assert!(may_teach(Role::Teacher, "t.becker", "5a", &teachers).is_ok());
        let other = may_teach(Role::Teacher, "t.schulz", "5a", &teachers).unwrap_err();
        assert_eq!(other.field, "class");
        assert!(
            other.message.contains("5a"),
            "names the class: {}",
            other.message
        );
        assert!(may_teach(Role::SchoolAdmin, "admin", "5a", &teachers).is_ok());
        assert!(may_teach(Role::DistrictAdmin, "bezirk", "5a", &teachers).is_ok());
        assert!(may_teach(Role::Other, "x", "5a", &teachers).is_err());
    }
}
