//! How a school's copy of a template policy differs from the template: pure, no I/O.
//!
//! The rules:
//!
//! - A configuration is matched by its kind and name. Should one version hold the same kind
//!   and name twice, the n-th of them is matched with the n-th on the other side.
//! - The changes are named for what copying the template into the school would do to the
//!   school's copy: **added** configurations are in the template and not in the copy (copying
//!   adds them), **removed** ones are in the copy and not in the template (copying removes
//!   them), **changed** ones are in both with different values.
//! - Values are compared field by field (the kind's own fields, besides type and name). A
//!   field only one side has counts as a change of that field.
//! - Lists are compared as sets, at any depth: order and repeats do not count. Every list in
//!   the configuration kinds the server sends (forbidden, allowed and required apps) is a set
//!   of bundle ids, and a school that sorted its app list differently has not changed its
//!   policy. Known limit: a list whose order did matter would show a reordering as no change.
//! - Objects compare by their fields, whatever their order; numbers, strings and booleans by
//!   value, so `true` and `"true"` differ.
//! - With no copy at all, every configuration of the template is added.

use std::collections::{HashMap, VecDeque};

use koffer_api::PolicyConfiguration;
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

/// Every difference between the template's configurations and the copy's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDiff {
    /// In the template, not in the copy: copying adds them. Each field has its template value.
    pub added: Vec<ConfigurationChange>,
    /// In the copy, not in the template: copying removes them. Each field has its copy value.
    pub removed: Vec<ConfigurationChange>,
    /// In both, with different values: only the fields that differ.
    pub changed: Vec<ConfigurationChange>,
    /// Configurations in both with the same values.
    pub unchanged: u32,
}

impl PolicyDiff {
    /// Configurations added, removed or changed.
    pub fn changes(&self) -> u32 {
        (self.added.len() + self.removed.len() + self.changed.len()) as u32
    }

    pub fn is_same(&self) -> bool {
        self.changes() == 0
    }
}

/// One configuration that differs, with the values of its fields that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationChange {
    pub kind: String,
    pub name: String,
    pub values: Vec<ValueChange>,
}

/// One field of a configuration: its value in the template and in the copy, as text (a
/// string as it is, anything else as JSON); `null` where that side lacks the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ValueChange {
    pub key: String,
    pub template: Option<String>,
    pub copy: Option<String>,
    /// For a list on both sides: the entries only the template has (copying adds them).
    pub only_in_template: Vec<String>,
    /// For a list on both sides: the entries only the copy has (copying removes them).
    pub only_in_copy: Vec<String>,
}

/// The template's configurations against the copy's; `copy` is `None` when the school has
/// no copy of the template.
pub fn diff(template: &[PolicyConfiguration], copy: Option<&[PolicyConfiguration]>) -> PolicyDiff {
    let copy = copy.unwrap_or_default();
    let mut partners: HashMap<(&str, &str), VecDeque<usize>> = HashMap::new();
    for (at, c) in copy.iter().enumerate() {
        partners.entry(key(c)).or_default().push_back(at);
    }

    let mut matched = vec![false; copy.len()];
    let mut result = PolicyDiff::default();
    for t in template {
        let Some(at) = partners.get_mut(&key(t)).and_then(VecDeque::pop_front) else {
            result.added.push(whole(t, Side::Template));
            continue;
        };
        matched[at] = true;
        let values = field_changes(t, &copy[at]);
        if values.is_empty() {
            result.unchanged += 1;
        } else {
            result.changed.push(change(t, values));
        }
    }
    let unmatched = copy.iter().zip(matched).filter(|(_, matched)| !matched);
    result.removed = unmatched.map(|(c, _)| whole(c, Side::Copy)).collect();
    result
}

fn key(configuration: &PolicyConfiguration) -> (&str, &str) {
    (&configuration.kind, &configuration.name)
}

#[derive(Clone, Copy)]
enum Side {
    Template,
    Copy,
}

/// A configuration only one side has, with every field's value on that side.
fn whole(configuration: &PolicyConfiguration, side: Side) -> ConfigurationChange {
    let mut keys: Vec<&String> = configuration.values.keys().collect();
    keys.sort();
    let values = keys
        .into_iter()
        .map(|key| {
            let shown = Some(shown(&configuration.values[key]));
            let (template, copy) = match side {
                Side::Template => (shown, None),
                Side::Copy => (None, shown),
            };
            ValueChange {
                key: key.clone(),
                template,
                copy,
                only_in_template: Vec::new(),
                only_in_copy: Vec::new(),
            }
        })
        .collect();
    change(configuration, values)
}

fn change(configuration: &PolicyConfiguration, values: Vec<ValueChange>) -> ConfigurationChange {
    ConfigurationChange {
        kind: configuration.kind.clone(),
        name: configuration.name.clone(),
        values,
    }
}

/// The fields whose values differ, sorted by field name.
fn field_changes(template: &PolicyConfiguration, copy: &PolicyConfiguration) -> Vec<ValueChange> {
    let mut keys: Vec<&String> = template.values.keys().chain(copy.values.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (t, c) = (template.values.get(key), copy.values.get(key));
            let same = match (t, c) {
                (Some(t), Some(c)) => canonical(t) == canonical(c),
                _ => false,
            };
            (!same).then(|| value_change(key, t, c))
        })
        .collect()
}

fn value_change(key: &str, template: Option<&Value>, copy: Option<&Value>) -> ValueChange {
    let (only_in_template, only_in_copy) = match (template, copy) {
        (Some(Value::Array(t)), Some(Value::Array(c))) => (missing_from(t, c), missing_from(c, t)),
        _ => (Vec::new(), Vec::new()),
    };
    ValueChange {
        key: key.to_owned(),
        template: template.map(shown),
        copy: copy.map(shown),
        only_in_template,
        only_in_copy,
    }
}

/// The entries of `list` that `other` lacks, shown, each once, in `list`'s order.
fn missing_from(list: &[Value], other: &[Value]) -> Vec<String> {
    let other: Vec<Value> = other.iter().map(canonical).collect();
    let mut missing: Vec<String> = Vec::new();
    for entry in list {
        let text = shown(entry);
        if !other.contains(&canonical(entry)) && !missing.contains(&text) {
            missing.push(text);
        }
    }
    missing
}

/// A value with every list, at any depth, sorted and without repeats, so that equal sets
/// compare equal.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_cached_key(Value::to_string);
            items.dedup();
            Value::Array(items)
        }
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A value as text for the window: a string as it is, anything else as compact JSON.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn configuration(value: Value) -> PolicyConfiguration {
        serde_json::from_value(value).expect("a configuration")
    }

    fn apps(name: &str, list: &[&str], required: &[&str]) -> PolicyConfiguration {
        configuration(
            json!({"type": "APP_COMPLIANCE", "name": name, "listMode": "BLACKLIST",
            "apps": list, "requiredApps": required}),
        )
    }

    fn wifi(name: &str, ssid: &str) -> PolicyConfiguration {
        configuration(json!({"type": "WIFI", "name": name, "ssid": ssid, "security": "WPA2"}))
    }

    fn camera(allowed: Value) -> PolicyConfiguration {
        configuration(json!({"type": "RESTRICTIONS", "name": "Einschränkungen",
            "allowCamera": allowed, "allowAppInstallation": false}))
    }

    #[test]
    fn identical_configurations_are_all_unchanged() {
        let template = vec![apps("Apps", &["a", "b"], &["k"]), wifi("WLAN", "Schule")];
        let copy = template.clone();

        let diff = diff(&template, Some(&copy));

        assert!(diff.is_same(), "{diff:?}");
        assert_eq!(
            diff.unchanged, 2,
            "both configurations are counted as unchanged"
        );
    }

    #[test]
    fn a_changed_value_names_the_field_with_both_values() {
        let template = vec![wifi("WLAN", "Schule"), camera(json!(false))];
        let copy = vec![wifi("WLAN", "Schule-Gast"), camera(json!(false))];

        let diff = diff(&template, Some(&copy));

        assert_eq!(diff.changed.len(), 1);
        let change = &diff.changed[0];
        assert_eq!(
            (change.kind.as_str(), change.name.as_str()),
            ("WIFI", "WLAN")
        );
        assert_eq!(
            change.values,
            vec![ValueChange {
                key: "ssid".to_owned(),
                template: Some("Schule".to_owned()),
                copy: Some("Schule-Gast".to_owned()),
                only_in_template: vec![],
                only_in_copy: vec![],
            }],
            "only the field that differs is listed, strings without quotes"
        );
        assert_eq!(diff.unchanged, 1, "the restrictions are the same");
    }

    #[test]
    fn app_lists_are_compared_as_sets() {
        let template = vec![apps("Apps", &["a", "b", "c"], &["k"])];
        let reordered = vec![apps("Apps", &["c", "a", "b", "a"], &["k"])];

        let diff = diff(&template, Some(&reordered));

        assert!(
            diff.is_same(),
            "another order or a repeat of the same apps is the same policy: {diff:?}"
        );
    }

    #[test]
    fn a_changed_app_list_names_the_apps_each_side_has_alone() {
        let template = vec![apps("Apps", &["a", "b", "c"], &["k"])];
        let copy = vec![apps("Apps", &["b", "c", "d", "e"], &["k"])];

        let diff = diff(&template, Some(&copy));

        let values = &diff.changed[0].values;
        assert_eq!(values.len(), 1, "required apps are the same: {values:?}");
        assert_eq!(values[0].key, "apps");
        assert_eq!(values[0].only_in_template, ["a"], "copying adds a");
        assert_eq!(
            values[0].only_in_copy,
            ["d", "e"],
            "copying removes d and e"
        );
        assert_eq!(values[0].template.as_deref(), Some(r#"["a","b","c"]"#));
        assert_eq!(values[0].copy.as_deref(), Some(r#"["b","c","d","e"]"#));
    }

    #[test]
    fn nested_lists_inside_objects_are_sets_too() {
        let template = vec![configuration(json!({"type": "X", "name": "n",
            "rules": [{"apps": ["a", "b"], "mode": 1}, {"apps": [], "mode": 2}]}))];
        let copy = vec![configuration(json!({"type": "X", "name": "n",
            "rules": [{"mode": 2, "apps": []}, {"apps": ["b", "a"], "mode": 1}]}))];

        let diff = diff(&template, Some(&copy));

        assert!(
            diff.is_same(),
            "order inside nested lists and objects does not count"
        );
    }

    #[test]
    fn a_nested_difference_shows_the_whole_field() {
        let template = vec![configuration(json!({"type": "X", "name": "n",
            "rules": [{"apps": ["a"]}]}))];
        let copy = vec![configuration(json!({"type": "X", "name": "n",
            "rules": [{"apps": ["b"]}]}))];

        let diff = diff(&template, Some(&copy));

        let value = &diff.changed[0].values[0];
        assert_eq!(value.key, "rules");
        assert_eq!(value.only_in_template, [r#"{"apps":["a"]}"#]);
        assert_eq!(value.only_in_copy, [r#"{"apps":["b"]}"#]);
    }

    #[test]
    fn a_value_of_another_type_is_a_change() {
        let template = vec![camera(json!(false))];
        let copy = vec![camera(json!("false"))];

        let diff = diff(&template, Some(&copy));

        let value = &diff.changed[0].values[0];
        assert_eq!(value.key, "allowCamera");
        assert_eq!(value.template.as_deref(), Some("false"));
        assert_eq!(
            value.copy.as_deref(),
            Some("false"),
            "the text looks alike, the values do not"
        );
    }

    #[test]
    fn a_field_only_one_side_has_is_a_change_of_that_field() {
        let template = vec![configuration(json!({"type": "WEB_CLIP", "name": "Plan",
            "label": "Plan", "url": "https://plan.example"}))];
        let copy = vec![configuration(json!({"type": "WEB_CLIP", "name": "Plan",
            "label": "Plan", "icon": "blue"}))];

        let diff = diff(&template, Some(&copy));

        let values = &diff.changed[0].values;
        let keys: Vec<&str> = values.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["icon", "url"], "sorted by field name");
        assert_eq!(
            (values[0].template.as_deref(), values[0].copy.as_deref()),
            (None, Some("blue"))
        );
        assert_eq!(
            (values[1].template.as_deref(), values[1].copy.as_deref()),
            (Some("https://plan.example"), None)
        );
    }

    #[test]
    fn configurations_only_in_the_template_are_added_with_their_values() {
        let template = vec![wifi("WLAN", "Schule"), camera(json!(false))];
        let copy = vec![wifi("WLAN", "Schule")];

        let diff = diff(&template, Some(&copy));

        assert_eq!(diff.added.len(), 1, "copying adds the restrictions");
        let added = &diff.added[0];
        assert_eq!(added.kind, "RESTRICTIONS");
        let keys: Vec<&str> = added.values.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["allowAppInstallation", "allowCamera"]);
        assert!(added
            .values
            .iter()
            .all(|v| v.template.is_some() && v.copy.is_none()));
        assert_eq!(diff.unchanged, 1);
    }

    #[test]
    fn configurations_only_in_the_copy_are_removed_with_their_values() {
        let template = vec![wifi("WLAN", "Schule")];
        let copy = vec![wifi("WLAN", "Schule"), wifi("Gäste", "Gast")];

        let diff = diff(&template, Some(&copy));

        assert_eq!(
            diff.removed.len(),
            1,
            "copying removes the school's own guest network"
        );
        assert_eq!(diff.removed[0].name, "Gäste");
        let ssid = diff.removed[0]
            .values
            .iter()
            .find(|v| v.key == "ssid")
            .unwrap();
        assert_eq!(
            (ssid.template.as_deref(), ssid.copy.as_deref()),
            (None, Some("Gast"))
        );
        assert!(diff.added.is_empty() && diff.changed.is_empty());
    }

    #[test]
    fn the_same_kind_with_another_name_is_another_configuration() {
        let template = vec![wifi("WLAN", "Schule")];
        let copy = vec![wifi("WLAN Lehrkräfte", "Schule")];

        let diff = diff(&template, Some(&copy));

        assert_eq!(diff.added.len(), 1, "WLAN is added");
        assert_eq!(diff.removed.len(), 1, "WLAN Lehrkräfte is removed");
        assert_eq!(diff.changes(), 2);
    }

    #[test]
    fn repeated_kind_and_name_are_matched_in_order() {
        let template = vec![wifi("WLAN", "A"), wifi("WLAN", "B")];
        let copy = vec![wifi("WLAN", "A"), wifi("WLAN", "C"), wifi("WLAN", "D")];

        let diff = diff(&template, Some(&copy));

        assert_eq!(diff.unchanged, 1, "the first with the first");
        assert_eq!(diff.changed.len(), 1, "the second with the second");
        assert_eq!(diff.changed[0].values[0].copy.as_deref(), Some("C"));
        assert_eq!(diff.removed.len(), 1, "the third has no partner");
        let removed = diff.removed[0]
            .values
            .iter()
            .find(|v| v.key == "ssid")
            .unwrap();
        assert_eq!(removed.copy.as_deref(), Some("D"));
    }

    #[test]
    fn without_a_copy_every_configuration_is_added() {
        let template = vec![apps("Apps", &["a"], &[]), wifi("WLAN", "Schule")];

        let diff = diff(&template, None);

        assert_eq!(
            diff.added.len(),
            2,
            "copying creates the policy with all of them"
        );
        assert_eq!(diff.unchanged, 0);
        assert!(diff.removed.is_empty() && diff.changed.is_empty());
    }

    #[test]
    fn an_empty_template_against_a_copy_removes_everything() {
        let copy = vec![wifi("WLAN", "Schule")];

        let diff = diff(&[], Some(&copy));

        assert_eq!(diff.removed.len(), 1);
        assert_eq!(diff.changes(), 1);
    }

    #[test]
    fn numbers_and_strings_are_shown_plainly() {
        assert_eq!(shown(&json!("Schule")), "Schule", "no quotes around text");
        assert_eq!(shown(&json!(3)), "3");
        assert_eq!(shown(&json!(true)), "true");
        assert_eq!(shown(&json!(["a", "b"])), r#"["a","b"]"#);
        assert_eq!(shown(&Value::Null), "null");
    }
}
