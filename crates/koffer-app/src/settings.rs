//! What the window remembers between starts: language, the chosen organisations, the
//! inventory's filters and columns, the sync interval and the active profile.

use std::path::Path;

use koffer_core::query::DeviceQuery;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

const SETTINGS_FILE: &str = "settings.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// "de" (default) or "en".
    pub language: String,
    /// Organisations whose devices the inventory shows; all when empty.
    pub organisations: Vec<String>,
    /// The inventory's filters and sort order as the user left them.
    pub inventory: DeviceQuery,
    /// Columns shown in the inventory, in order.
    pub columns: Vec<String>,
    /// Minutes between automatic syncs; 0 turns them off.
    pub sync_interval_minutes: u32,
    /// Large, high-contrast display for projectors.
    pub high_contrast: bool,
    /// Hours a device's reported location is kept in the cache before it is deleted.
    pub location_keep_hours: u32,
    /// Map tiles for locations, e.g. "https://tile.example.org/{z}/{x}/{y}.png"; empty shows
    /// the coordinates and a link instead of a map.
    pub tile_server: String,
    pub active_profile_id: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "de".to_owned(),
            organisations: Vec::new(),
            inventory: DeviceQuery::default(),
            columns: [
                "name",
                "serial",
                "model",
                "osVersion",
                "battery",
                "user",
                "lastContact",
            ]
            .map(str::to_owned)
            .to_vec(),
            sync_interval_minutes: 15,
            high_contrast: false,
            location_keep_hours: 24,
            tile_server: String::new(),
            active_profile_id: None,
        }
    }
}

impl Settings {
    /// The settings in `dir`, or the defaults when there are none or they do not decode
    /// (a damaged settings file must never keep the window from opening).
    pub fn load(dir: &Path) -> Settings {
        let text = std::fs::read_to_string(dir.join(SETTINGS_FILE)).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or_else(|error| {
            if !text.is_empty() {
                tracing::warn!(%error, "the settings file does not decode; using the defaults");
            }
            Settings::default()
        })
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!("{SETTINGS_FILE}.tmp"));
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(temporary, dir.join(SETTINGS_FILE))
    }
}
