//! The filter tree and sort order of the server's `.../baseInfo/query` endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One node of a query filter: a logical operation over children, or a leaf on one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Filter {
    /// `AND` / `OR` over child filters.
    LogOp {
        operation: LogOperation,
        filters: Vec<Filter>,
    },
    /// The field equals `value` (case-insensitive on the server).
    String {
        #[serde(rename = "fieldName")]
        field_name: String,
        value: String,
    },
    /// The field equals one of `values`.
    StringEnum {
        #[serde(rename = "fieldName")]
        field_name: String,
        values: Vec<String>,
    },
    /// The timestamp field lies in `[from, to)`; either end may be open.
    DateRange {
        #[serde(rename = "fieldName")]
        field_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogOperation {
    And,
    Or,
}

impl Filter {
    pub fn and(filters: Vec<Filter>) -> Filter {
        Filter::LogOp {
            operation: LogOperation::And,
            filters,
        }
    }

    pub fn any_of(field_name: &str, values: Vec<String>) -> Filter {
        Filter::StringEnum {
            field_name: field_name.to_owned(),
            values,
        }
    }

    pub fn since(field_name: &str, from: DateTime<Utc>) -> Filter {
        Filter::DateRange {
            field_name: field_name.to_owned(),
            from: Some(from),
            to: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortOrder {
    pub sort_fields: Vec<SortField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortField {
    pub name: String,
    pub ascending: bool,
}

impl SortOrder {
    pub fn ascending(field: &str) -> SortOrder {
        SortOrder {
            sort_fields: vec![SortField {
                name: field.to_owned(),
                ascending: true,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_tree_serialises_in_the_servers_shape() {
        let filter = Filter::and(vec![Filter::any_of("uuid", vec!["a".into(), "b".into()])]);

        let json = serde_json::to_value(&filter).unwrap();

        assert_eq!(
            json,
            serde_json::json!({
                "type": "logOp",
                "operation": "AND",
                "filters": [{"type": "stringEnum", "fieldName": "uuid", "values": ["a", "b"]}]
            }),
            "the server only understands its own filter shape"
        );
    }

    #[test]
    fn date_range_leaves_out_open_ends() {
        let from = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .to_utc();

        let json = serde_json::to_value(Filter::since("modificationDate", from)).unwrap();

        assert_eq!(
            json,
            serde_json::json!({
                "type": "dateRange", "fieldName": "modificationDate", "from": "2026-01-02T03:04:05Z"
            }),
            "an open end must be absent, not null"
        );
    }
}
