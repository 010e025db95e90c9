//! App compliance as pure functions: which policies are in effect at a moment of school time,
//! and whether a device's installed apps satisfy them.
//!
//! How several policies on one device combine (the policies of all the device's groups):
//!
//! - Only a policy's newest *published* version counts; a newer unpublished one is ignored,
//!   and a policy never published has no effect.
//! - A policy with time windows is in effect only inside one of them (school time,
//!   Europe/Berlin); a policy without windows is always in effect.
//! - A device is compliant only if every policy in effect is satisfied:
//!   - required apps are the union over all of them: each must be installed;
//!   - an app listed by any block list ("listed apps are forbidden") is forbidden, even where
//!     an allow list lists it or a policy requires it (a conflict the report then shows);
//!   - every allow list ("only listed apps are allowed") in effect must be satisfied on its
//!     own: an installed app is forbidden when any allow list in effect does not list it, so an
//!     exam policy allowing four apps is not widened by a lesson policy allowing forty. An app
//!     a policy in effect requires is never forbidden by an allow list (only by a block list),
//!     so requiring an app and allowing a list never contradict each other.
//! - A device none of whose policies with app compliance is in effect has no policy: it is
//!   neither compliant nor non-compliant, and counts as compliant in rates.
//!
//! Bundle ids are interned as [`AppId`]s so the bulk evaluation compares integers.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Timelike};
use koffer_api::{ListMode, TimeWindow};
use serde::Serialize;

/// An interned bundle id.
pub type AppId = u32;

/// Bundle ids and their [`AppId`]s.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<Box<str>, AppId>,
    bundle_ids: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, bundle_id: &str) -> AppId {
        if let Some(id) = self.ids.get(bundle_id) {
            return *id;
        }
        let id = self.bundle_ids.len() as AppId;
        self.bundle_ids.push(bundle_id.into());
        self.ids.insert(bundle_id.into(), id);
        id
    }

    pub fn get(&self, bundle_id: &str) -> Option<AppId> {
        self.ids.get(bundle_id).copied()
    }

    pub fn bundle_id(&self, id: AppId) -> &str {
        &self.bundle_ids[id as usize]
    }

    /// Sorted, repeat-free ids of these bundle ids.
    pub fn intern_all<'a>(
        &mut self,
        bundle_ids: impl IntoIterator<Item = &'a String>,
    ) -> Vec<AppId> {
        let mut ids: Vec<AppId> = bundle_ids.into_iter().map(|b| self.intern(b)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A moment in school time: the weekday (1 = Monday … 7 = Sunday) and the minute of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchoolTime {
    pub weekday: u8,
    pub minute: u16,
}

impl SchoolTime {
    /// The school time (Europe/Berlin, with summer time) at Unix milliseconds `ms`.
    pub fn at(ms: i64) -> SchoolTime {
        let utc = DateTime::from_timestamp_millis(ms).unwrap_or_default();
        let local = utc.with_timezone(&chrono_tz::Europe::Berlin);
        SchoolTime {
            weekday: local.weekday().number_from_monday() as u8,
            minute: (local.hour() * 60 + local.minute()) as u16,
        }
    }
}

/// A time window: on `weekday`, from `start` (inclusive) to `end` (exclusive), in minutes of
/// the day. An `end` before `start` runs over midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub weekday: u8,
    pub start: u16,
    pub end: u16,
}

impl Window {
    /// The window as the server sends it; `None` when it cannot be read (a weekday outside
    /// 1–7, a time not "HH:MM"). Such a window never applies.
    pub fn parse(window: &TimeWindow) -> Option<Window> {
        let weekday = (1..=7)
            .contains(&window.weekday)
            .then_some(window.weekday)?;
        Some(Window {
            weekday,
            start: minute_of_day(&window.start)?,
            end: minute_of_day(&window.end)?,
        })
    }

    pub fn contains(&self, at: SchoolTime) -> bool {
        if self.start <= self.end {
            return at.weekday == self.weekday && self.start <= at.minute && at.minute < self.end;
        }
        let next_day = self.weekday % 7 + 1;
        (at.weekday == self.weekday && at.minute >= self.start)
            || (at.weekday == next_day && at.minute < self.end)
    }
}

/// "HH:MM" (or "H:MM") as minutes since midnight; "24:00" is the end of the day.
fn minute_of_day(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    let valid = minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0));
    valid.then_some(hours * 60 + minutes)
}

/// Whether a policy with these windows is in effect at `at`: always without windows.
pub fn in_effect(windows: &[Option<Window>], at: SchoolTime) -> bool {
    windows.is_empty() || windows.iter().flatten().any(|w| w.contains(at))
}

/// One app-compliance configuration, its apps interned and sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRule {
    pub list_mode: ListMode,
    pub listed: Vec<AppId>,
    pub required: Vec<AppId>,
}

/// The version of a policy that takes effect, reduced to what compliance needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRules {
    pub uuid: String,
    pub org_uuid: String,
    pub name: String,
    /// The published version these rules come from.
    pub version: u32,
    /// The policy's newest version, published or not.
    pub newest_version: u32,
    /// Unreadable windows are kept as `None`, so that a policy whose only window cannot be
    /// read is never in effect rather than always.
    pub windows: Vec<Option<Window>>,
    pub rules: Vec<AppRule>,
}

/// The newest published version among `versions`, given each one's number and whether it is
/// published.
pub fn newest_published<T>(versions: &[T], number: impl Fn(&T) -> (u32, bool)) -> Option<&T> {
    versions
        .iter()
        .filter(|v| number(v).1)
        .max_by_key(|v| number(v).0)
}

/// Koffer's own verdict on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum KofferState {
    Compliant,
    NonCompliant,
    /// No policy with app compliance is in effect for the device.
    NoPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: KofferState,
    /// Required apps that are not installed, sorted.
    pub missing: Vec<AppId>,
    /// Installed apps that are forbidden, sorted.
    pub forbidden: Vec<AppId>,
}

/// Evaluates a device's installed apps (sorted ids) against the policies in effect for it.
pub fn evaluate(installed: &[AppId], in_effect: &[&PolicyRules]) -> Verdict {
    let rules: Vec<&AppRule> = in_effect.iter().flat_map(|p| &p.rules).collect();
    if rules.is_empty() {
        return Verdict {
            state: KofferState::NoPolicy,
            missing: Vec::new(),
            forbidden: Vec::new(),
        };
    }
    let mut required: Vec<AppId> = rules
        .iter()
        .flat_map(|r| r.required.iter().copied())
        .collect();
    required.sort_unstable();
    required.dedup();
    let missing: Vec<AppId> = required
        .iter()
        .copied()
        .filter(|app| installed.binary_search(app).is_err())
        .collect();
    let forbidden: Vec<AppId> = installed
        .iter()
        .copied()
        .filter(|app| is_forbidden(*app, &rules, &required))
        .collect();
    let state = if missing.is_empty() && forbidden.is_empty() {
        KofferState::Compliant
    } else {
        KofferState::NonCompliant
    };
    Verdict {
        state,
        missing,
        forbidden,
    }
}

fn is_forbidden(app: AppId, rules: &[&AppRule], required: &[AppId]) -> bool {
    let listed = |r: &&&AppRule| r.listed.binary_search(&app).is_ok();
    let mut blocks = rules.iter().filter(|r| r.list_mode == ListMode::Blacklist);
    if blocks.any(|r| listed(&r)) {
        return true;
    }
    if required.binary_search(&app).is_ok() {
        return false;
    }
    let mut allows = rules.iter().filter(|r| r.list_mode == ListMode::Whitelist);
    allows.any(|r| !listed(&r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interns bundle ids for a test, so the cases read with names.
    struct Apps(Interner);

    impl Apps {
        fn new() -> Apps {
            Apps(Interner::default())
        }

        fn ids(&mut self, names: &[&str]) -> Vec<AppId> {
            let owned: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            self.0.intern_all(&owned)
        }

        fn names(&self, ids: &[AppId]) -> Vec<&str> {
            ids.iter().map(|id| self.0.bundle_id(*id)).collect()
        }

        fn rule(&mut self, mode: ListMode, listed: &[&str], required: &[&str]) -> AppRule {
            AppRule {
                list_mode: mode,
                listed: self.ids(listed),
                required: self.ids(required),
            }
        }
    }

    fn policy(name: &str, rules: Vec<AppRule>) -> PolicyRules {
        PolicyRules {
            uuid: format!("p-{name}"),
            org_uuid: "o".into(),
            name: name.into(),
            version: 1,
            newest_version: 1,
            windows: Vec::new(),
            rules,
        }
    }

    fn window(weekday: u8, start: &str, end: &str) -> Option<Window> {
        Window::parse(&TimeWindow {
            weekday,
            start: start.into(),
            end: end.into(),
        })
    }

    const MONDAY: u8 = 1;

    fn at(weekday: u8, hh_mm: &str) -> SchoolTime {
        SchoolTime {
            weekday,
            minute: minute_of_day(hh_mm).unwrap(),
        }
    }

    #[test]
    fn a_device_without_policies_has_no_policy() {
        let mut apps = Apps::new();
        let installed = apps.ids(&["com.a"]);

        let verdict = evaluate(&installed, &[]);

        assert_eq!(
            verdict.state,
            KofferState::NoPolicy,
            "nothing to comply with"
        );
        assert!(verdict.missing.is_empty() && verdict.forbidden.is_empty());
    }

    #[test]
    fn a_policy_without_app_compliance_counts_as_no_policy() {
        let wifi_only = policy("WLAN", Vec::new());

        let verdict = evaluate(&[], &[&wifi_only]);

        assert_eq!(
            verdict.state,
            KofferState::NoPolicy,
            "no app rules are in effect"
        );
    }

    #[test]
    fn a_block_list_forbids_exactly_the_listed_apps() {
        let mut apps = Apps::new();
        let rule = apps.rule(ListMode::Blacklist, &["com.tiktok", "com.games"], &[]);
        let installed = apps.ids(&["com.tiktok", "com.pages"]);
        let p = policy("Sperrliste", vec![rule]);

        let verdict = evaluate(&installed, &[&p]);

        assert_eq!(verdict.state, KofferState::NonCompliant);
        assert_eq!(
            apps.names(&verdict.forbidden),
            ["com.tiktok"],
            "only the listed one"
        );
        assert!(verdict.missing.is_empty());
    }

    #[test]
    fn a_block_list_with_none_of_its_apps_installed_is_satisfied() {
        let mut apps = Apps::new();
        let rule = apps.rule(ListMode::Blacklist, &["com.tiktok"], &[]);
        let installed = apps.ids(&["com.pages", "com.keynote"]);
        let p = policy("Sperrliste", vec![rule]);

        let verdict = evaluate(&installed, &[&p]);

        assert_eq!(
            verdict.state,
            KofferState::Compliant,
            "unlisted apps are fine"
        );
    }

    #[test]
    fn an_allow_list_forbids_every_installed_app_it_does_not_list() {
        let mut apps = Apps::new();
        let rule = apps.rule(ListMode::Whitelist, &["com.pages"], &[]);
        let installed = apps.ids(&["com.pages", "com.safari", "com.games"]);
        let p = policy("Nur Schul-Apps", vec![rule]);

        let verdict = evaluate(&installed, &[&p]);

        assert_eq!(verdict.state, KofferState::NonCompliant);
        assert_eq!(apps.names(&verdict.forbidden), ["com.safari", "com.games"]);
    }

    #[test]
    fn required_apps_that_are_not_installed_are_missing() {
        let mut apps = Apps::new();
        let rule = apps.rule(ListMode::Blacklist, &[], &["com.anton", "com.pages"]);
        let installed = apps.ids(&["com.pages"]);
        let p = policy("Pflicht", vec![rule]);

        let verdict = evaluate(&installed, &[&p]);

        assert_eq!(verdict.state, KofferState::NonCompliant);
        assert_eq!(apps.names(&verdict.missing), ["com.anton"]);
        assert!(verdict.forbidden.is_empty());
    }

    #[test]
    fn a_required_app_is_allowed_under_an_allow_list_that_does_not_list_it() {
        let mut apps = Apps::new();
        let rule = apps.rule(ListMode::Whitelist, &["com.pages"], &["com.anton"]);
        let installed = apps.ids(&["com.pages", "com.anton"]);
        let p = policy("Nur Schul-Apps", vec![rule]);

        let verdict = evaluate(&installed, &[&p]);

        assert_eq!(
            verdict.state,
            KofferState::Compliant,
            "requiring an app allows it"
        );
    }

    #[test]
    fn required_apps_of_several_policies_are_united() {
        let mut apps = Apps::new();
        let first = apps.rule(ListMode::Blacklist, &[], &["com.anton"]);
        let second = apps.rule(ListMode::Blacklist, &[], &["com.pages", "com.anton"]);
        let installed = apps.ids(&[]);
        let (a, b) = (policy("A", vec![first]), policy("B", vec![second]));

        let verdict = evaluate(&installed, &[&a, &b]);

        assert_eq!(
            apps.names(&verdict.missing),
            ["com.anton", "com.pages"],
            "each required app once"
        );
    }

    #[test]
    fn an_app_on_any_block_list_is_forbidden_even_where_an_allow_list_lists_it() {
        let mut apps = Apps::new();
        let allow = apps.rule(ListMode::Whitelist, &["com.youtube", "com.pages"], &[]);
        let block = apps.rule(ListMode::Blacklist, &["com.youtube"], &[]);
        let installed = apps.ids(&["com.youtube", "com.pages"]);
        let (a, b) = (
            policy("Erlaubt", vec![allow]),
            policy("Gesperrt", vec![block]),
        );

        let verdict = evaluate(&installed, &[&a, &b]);

        assert_eq!(
            apps.names(&verdict.forbidden),
            ["com.youtube"],
            "blocking wins"
        );
    }

    #[test]
    fn every_allow_list_in_effect_must_list_an_app_for_it_to_be_allowed() {
        let mut apps = Apps::new();
        let lessons = apps.rule(
            ListMode::Whitelist,
            &["com.pages", "com.keynote", "com.maps"],
            &[],
        );
        let exam = apps.rule(ListMode::Whitelist, &["com.pages", "com.keynote"], &[]);
        let installed = apps.ids(&["com.pages", "com.keynote", "com.maps"]);
        let (a, b) = (
            policy("Unterricht", vec![lessons]),
            policy("Prüfung", vec![exam]),
        );

        let verdict = evaluate(&installed, &[&a, &b]);

        assert_eq!(
            apps.names(&verdict.forbidden),
            ["com.maps"],
            "an exam's short list is not widened by the lessons' longer one"
        );
    }

    #[test]
    fn a_required_app_is_allowed_even_by_an_allow_list_of_another_policy() {
        let mut apps = Apps::new();
        let exam = apps.rule(ListMode::Whitelist, &["com.pages"], &[]);
        let require = apps.rule(ListMode::Blacklist, &[], &["com.anton"]);
        let installed = apps.ids(&["com.pages", "com.anton"]);
        let (a, b) = (
            policy("Prüfung", vec![exam]),
            policy("Pflicht", vec![require]),
        );

        let verdict = evaluate(&installed, &[&a, &b]);

        assert_eq!(
            verdict.state,
            KofferState::Compliant,
            "requiring an app allows it"
        );
    }

    #[test]
    fn a_block_list_beside_an_allow_list_does_not_allow_unlisted_apps() {
        let mut apps = Apps::new();
        let allow = apps.rule(ListMode::Whitelist, &["com.pages"], &[]);
        let block = apps.rule(ListMode::Blacklist, &["com.tiktok"], &[]);
        let installed = apps.ids(&["com.pages", "com.games"]);
        let (a, b) = (policy("A", vec![allow]), policy("B", vec![block]));

        let verdict = evaluate(&installed, &[&a, &b]);

        assert_eq!(
            apps.names(&verdict.forbidden),
            ["com.games"],
            "the allow list still holds"
        );
    }

    #[test]
    fn a_required_app_on_a_block_list_can_never_comply_and_shows_both_ways() {
        let mut apps = Apps::new();
        let require = apps.rule(ListMode::Blacklist, &[], &["com.youtube"]);
        let block = apps.rule(ListMode::Blacklist, &["com.youtube"], &[]);
        let (a, b) = (policy("A", vec![require]), policy("B", vec![block]));

        let without = evaluate(&[], &[&a, &b]);
        let installed = apps.ids(&["com.youtube"]);
        let with = evaluate(&installed, &[&a, &b]);

        assert_eq!(
            apps.names(&without.missing),
            ["com.youtube"],
            "missing when absent"
        );
        assert_eq!(
            apps.names(&with.forbidden),
            ["com.youtube"],
            "forbidden when present"
        );
    }

    #[test]
    fn several_configurations_of_one_policy_combine_like_several_policies() {
        let mut apps = Apps::new();
        let block = apps.rule(ListMode::Blacklist, &["com.games"], &[]);
        let require = apps.rule(ListMode::Blacklist, &[], &["com.anton"]);
        let installed = apps.ids(&["com.games"]);
        let p = policy("Beides", vec![block, require]);

        let verdict = evaluate(&installed, &[&p]);

        assert_eq!(apps.names(&verdict.forbidden), ["com.games"]);
        assert_eq!(apps.names(&verdict.missing), ["com.anton"]);
    }

    #[test]
    fn the_newest_published_version_takes_effect_and_newer_unpublished_ones_are_ignored() {
        let versions = [(1, true), (2, true), (3, false)];

        let chosen = newest_published(&versions, |v| *v);

        assert_eq!(chosen, Some(&(2, true)), "version 3 is a draft");
    }

    #[test]
    fn a_policy_never_published_has_no_version_in_effect() {
        let versions = [(1, false), (2, false)];

        assert_eq!(newest_published(&versions, |v| *v), None);
    }

    #[test]
    fn a_policy_without_time_windows_is_always_in_effect() {
        assert!(in_effect(&[], at(7, "03:00")));
    }

    #[test]
    fn a_time_window_holds_from_its_start_minute_up_to_but_not_including_its_end() {
        let windows = [window(MONDAY, "08:00", "13:00")];

        assert!(!in_effect(&windows, at(MONDAY, "07:59")), "a minute early");
        assert!(
            in_effect(&windows, at(MONDAY, "08:00")),
            "the start minute counts"
        );
        assert!(
            in_effect(&windows, at(MONDAY, "12:59")),
            "the last minute inside"
        );
        assert!(
            !in_effect(&windows, at(MONDAY, "13:00")),
            "the end minute is outside"
        );
    }

    #[test]
    fn a_time_window_holds_only_on_its_weekday() {
        let windows = [window(MONDAY, "08:00", "13:00")];

        assert!(
            !in_effect(&windows, at(2, "09:00")),
            "Tuesday is another day"
        );
        assert!(!in_effect(&windows, at(7, "09:00")), "Sunday too");
    }

    #[test]
    fn a_policy_with_several_windows_is_in_effect_in_any_of_them() {
        let windows = [window(1, "08:00", "13:00"), window(5, "08:00", "12:00")];

        assert!(in_effect(&windows, at(5, "11:00")));
        assert!(!in_effect(&windows, at(5, "12:30")));
    }

    #[test]
    fn a_window_ending_before_it_starts_runs_over_midnight() {
        let windows = [window(7, "22:00", "06:00")];

        assert!(in_effect(&windows, at(7, "23:30")), "Sunday night");
        assert!(
            in_effect(&windows, at(MONDAY, "05:59")),
            "into Monday morning"
        );
        assert!(!in_effect(&windows, at(MONDAY, "06:00")));
        assert!(!in_effect(&windows, at(7, "21:59")));
    }

    #[test]
    fn a_window_until_24_00_includes_the_last_minute_of_the_day() {
        let windows = [window(3, "18:00", "24:00")];

        assert!(in_effect(&windows, at(3, "23:59")));
        assert!(
            !in_effect(&windows, at(4, "00:00")),
            "Thursday is not Wednesday"
        );
    }

    #[test]
    fn an_unreadable_window_never_applies() {
        let windows = [window(8, "08:00", "13:00"), window(1, "8 Uhr", "13:00")];

        assert_eq!(
            windows,
            [None, None],
            "weekday 8 and a time in words cannot be read"
        );
        assert!(
            !in_effect(&windows, at(1, "09:00")),
            "never, rather than always"
        );
    }

    #[test]
    fn school_time_is_berlin_time_with_summer_time() {
        // 2026-12-07 is a Monday: 07:30 UTC is 08:30 in Berlin (CET, UTC+1).
        let winter = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 7, 30, 0).unwrap();
        // 2026-06-01 is a Monday: 06:30 UTC is 08:30 in Berlin (CEST, UTC+2).
        let summer = chrono::Utc.with_ymd_and_hms(2026, 6, 1, 6, 30, 0).unwrap();

        assert_eq!(
            SchoolTime::at(winter.timestamp_millis()),
            at(MONDAY, "08:30")
        );
        assert_eq!(
            SchoolTime::at(summer.timestamp_millis()),
            at(MONDAY, "08:30")
        );
    }

    #[test]
    fn late_sunday_evening_in_utc_is_already_monday_in_berlin() {
        let sunday_utc = chrono::Utc
            .with_ymd_and_hms(2026, 12, 6, 23, 30, 0)
            .unwrap();

        assert_eq!(
            SchoolTime::at(sunday_utc.timestamp_millis()),
            at(MONDAY, "00:30")
        );
    }

    use chrono::TimeZone;
}
