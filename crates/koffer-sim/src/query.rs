//! The query language of `.../baseInfo/query`: filter trees, sort orders and paging.
//!
//! A request's filter is compiled once into a [`Predicate`] (field names checked, value sets
//! hashed) and then evaluated per device or per installed-app row without allocating.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use koffer_api::filter::LogOperation;
use koffer_api::{Action, Filter, SortOrder};

use crate::catalogue;
use crate::fields::{ActionField, AppField, DeviceField};
use crate::inventory::{Device, Install};
use crate::uuid::Uuid;

/// A field that filters may name.
pub trait FilterField: Copy + Eq {
    /// The field of that name, or `None` when filters cannot use it.
    fn filterable(name: &str) -> Option<Self>;
    fn is_date(self) -> bool;
}

/// Something a predicate is evaluated on: a device or an installed-app row.
pub trait Record<F> {
    /// Whether the field's text passes `test`; false when the record has no such text.
    fn text_passes(&self, field: F, test: impl FnOnce(&str) -> bool) -> bool;
    fn date(&self, field: F) -> Option<DateTime<Utc>>;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate<F> {
    All(Vec<Predicate<F>>),
    Any(Vec<Predicate<F>>),
    /// Case-insensitive equality.
    Equals {
        field: F,
        value: String,
    },
    OneOf {
        field: F,
        values: HashSet<String>,
    },
    /// `from <= field < to`.
    Within {
        field: F,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    },
}

impl<F: FilterField> Predicate<F> {
    /// Checks the field names of a filter tree; the error names the offending field.
    pub fn compile(filter: &Filter) -> Result<Predicate<F>, String> {
        Ok(match filter {
            Filter::LogOp { operation, filters } => {
                let children = filters
                    .iter()
                    .map(Predicate::compile)
                    .collect::<Result<_, _>>()?;
                match operation {
                    LogOperation::And => Predicate::All(children),
                    LogOperation::Or => Predicate::Any(children),
                }
            }
            Filter::String { field_name, value } => Predicate::Equals {
                field: text_field(field_name)?,
                value: value.clone(),
            },
            Filter::StringEnum { field_name, values } => Predicate::OneOf {
                field: text_field(field_name)?,
                values: values.iter().cloned().collect(),
            },
            Filter::DateRange {
                field_name,
                from,
                to,
            } => Predicate::Within {
                field: date_field(field_name)?,
                from: *from,
                to: *to,
            },
        })
    }

    pub fn matches(&self, record: &impl Record<F>) -> bool {
        match self {
            Predicate::All(children) => children.iter().all(|child| child.matches(record)),
            Predicate::Any(children) => children.iter().any(|child| child.matches(record)),
            Predicate::Equals { field, value } => {
                record.text_passes(*field, |text| equal_ignoring_case(text, value))
            }
            Predicate::OneOf { field, values } => {
                record.text_passes(*field, |text| values.contains(text))
            }
            Predicate::Within { field, from, to } => record.date(*field).is_some_and(|date| {
                from.is_none_or(|from| from <= date) && to.is_none_or(|to| date < to)
            }),
        }
    }
}

/// Matches everything when the request has no filter.
pub fn matches_optional<F: FilterField>(
    predicate: Option<&Predicate<F>>,
    record: &impl Record<F>,
) -> bool {
    predicate.is_none_or(|predicate| predicate.matches(record))
}

fn text_field<F: FilterField>(name: &str) -> Result<F, String> {
    match F::filterable(name) {
        Some(field) if !field.is_date() => Ok(field),
        Some(_) => Err(format!(
            "the filter field '{name}' takes a dateRange filter"
        )),
        None => Err(format!("unknown filter field '{name}'")),
    }
}

fn date_field<F: FilterField>(name: &str) -> Result<F, String> {
    match F::filterable(name) {
        Some(field) if field.is_date() => Ok(field),
        Some(_) => Err(format!(
            "the filter field '{name}' takes a string filter, not dateRange"
        )),
        None => Err(format!("unknown filter field '{name}'")),
    }
}

fn equal_ignoring_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl FilterField for DeviceField {
    fn filterable(name: &str) -> Option<Self> {
        DeviceField::filterable(name)
    }

    fn is_date(self) -> bool {
        self == DeviceField::ModificationDate
    }
}

impl Record<DeviceField> for Device {
    fn text_passes(&self, field: DeviceField, test: impl FnOnce(&str) -> bool) -> bool {
        match field {
            DeviceField::Uuid => test(self.uuid.text().as_str()),
            DeviceField::Name => test(&self.name),
            DeviceField::SerialNumber => test(&self.serial),
            DeviceField::OsVersion => test(self.os_version()),
            DeviceField::ComplianceState => test(self.compliance.as_str()),
            _ => false,
        }
    }

    fn date(&self, field: DeviceField) -> Option<DateTime<Utc>> {
        (field == DeviceField::ModificationDate).then_some(self.modified)
    }
}

/// One row of the installed-apps queries: an app on a device.
#[derive(Debug, Clone, Copy)]
pub struct AppRow {
    pub device: Uuid,
    pub install: Install,
}

impl FilterField for AppField {
    fn filterable(name: &str) -> Option<Self> {
        AppField::filterable(name)
    }

    fn is_date(self) -> bool {
        false
    }
}

impl Record<AppField> for AppRow {
    fn text_passes(&self, field: AppField, test: impl FnOnce(&str) -> bool) -> bool {
        match field {
            AppField::DeviceUuid => test(self.device.text().as_str()),
            AppField::BundleId => test(catalogue::app_entry(self.install.app).bundle_id),
            _ => false,
        }
    }

    fn date(&self, _: AppField) -> Option<DateTime<Utc>> {
        None
    }
}

impl FilterField for ActionField {
    fn filterable(name: &str) -> Option<Self> {
        ActionField::filterable(name)
    }

    fn is_date(self) -> bool {
        self == ActionField::ModificationDate
    }
}

impl Record<ActionField> for Action {
    fn text_passes(&self, field: ActionField, test: impl FnOnce(&str) -> bool) -> bool {
        match field {
            ActionField::Uuid => test(&self.uuid),
            ActionField::DeviceUuid => test(&self.device_uuid),
            ActionField::State => test(self.state.as_str()),
            ActionField::Type => test(self.kind.as_str()),
            ActionField::ModificationDate => false,
        }
    }

    fn date(&self, field: ActionField) -> Option<DateTime<Utc>> {
        (field == ActionField::ModificationDate).then_some(self.modification_date)
    }
}

/// One key of a device sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSortKey {
    pub field: DeviceField,
    pub ascending: bool,
}

/// Device fields the query sorts on.
const SORTABLE: [DeviceField; 6] = [
    DeviceField::Uuid,
    DeviceField::Name,
    DeviceField::SerialNumber,
    DeviceField::OsVersion,
    DeviceField::LastConnectionDate,
    DeviceField::ModificationDate,
];

pub fn device_sort(order: Option<&SortOrder>) -> Result<Vec<DeviceSortKey>, String> {
    let Some(order) = order else {
        return Ok(Vec::new());
    };
    order
        .sort_fields
        .iter()
        .map(|key| match DeviceField::named(&key.name) {
            Some(field) if SORTABLE.contains(&field) => Ok(DeviceSortKey {
                field,
                ascending: key.ascending,
            }),
            _ => Err(format!("the device query cannot sort by '{}'", key.name)),
        })
        .collect()
}

/// Orders two devices by the keys, then by uuid so that paging stays stable.
pub fn compare_devices(a: &Device, b: &Device, keys: &[DeviceSortKey]) -> Ordering {
    keys.iter()
        .map(|key| {
            let order = compare_on(a, b, key.field);
            if key.ascending {
                order
            } else {
                order.reverse()
            }
        })
        .find(|order| order.is_ne())
        .unwrap_or_else(|| a.uuid.cmp(&b.uuid))
}

fn compare_on(a: &Device, b: &Device, field: DeviceField) -> Ordering {
    match field {
        DeviceField::Name => a.name.cmp(&b.name),
        DeviceField::SerialNumber => a.serial.cmp(&b.serial),
        DeviceField::OsVersion => a.os.cmp(&b.os),
        DeviceField::LastConnectionDate => a.last_connection.cmp(&b.last_connection),
        DeviceField::ModificationDate => a.modified.cmp(&b.modified),
        _ => a.uuid.cmp(&b.uuid),
    }
}

/// The page `[offset, offset + limit)` of `items`, and how many there are in all when asked.
pub fn window<T>(
    items: impl Iterator<Item = T>,
    offset: u64,
    limit: u32,
    count: bool,
) -> (Vec<T>, Option<u64>) {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = limit as usize;
    if !count {
        return (items.skip(offset).take(limit).collect(), None);
    }
    let mut page = Vec::with_capacity(limit.min(5000));
    let mut total = 0u64;
    for (position, item) in items.enumerate() {
        if position >= offset && page.len() < limit {
            page.push(item);
        }
        total += 1;
    }
    (page, Some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(json: serde_json::Value) -> Filter {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn unknown_filter_fields_are_refused_by_name() {
        let tree = filter(
            serde_json::json!({"type": "logOp", "operation": "AND", "filters": [
            {"type": "string", "fieldName": "colour", "value": "blue"}]}),
        );

        let compiled = Predicate::<DeviceField>::compile(&tree);

        assert_eq!(
            compiled,
            Err("unknown filter field 'colour'".to_owned()),
            "400 names it"
        );
    }

    #[test]
    fn a_date_range_on_a_text_field_is_refused() {
        let tree = filter(serde_json::json!({"type": "dateRange", "fieldName": "name"}));

        assert!(
            Predicate::<DeviceField>::compile(&tree).is_err(),
            "names are not dates"
        );
    }

    #[test]
    fn string_filters_ignore_case_also_beyond_ascii() {
        assert!(
            equal_ignoring_case("GSN-L-Müller", "gsn-l-MÜLLER"),
            "umlauts fold too"
        );
        assert!(
            !equal_ignoring_case("GSN-L-Müller", "GSN-L-Muller"),
            "but stay letters"
        );
    }

    #[test]
    fn window_counts_everything_but_keeps_one_page() {
        let (page, total) = window(0..10, 3, 4, true);

        assert_eq!(page, [3, 4, 5, 6], "the page starts at the offset");
        assert_eq!(total, Some(10), "the count ignores paging");
    }
}
