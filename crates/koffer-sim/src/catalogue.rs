//! What a school's iPads are made of: models, iPadOS versions and the apps found on them.
//!
//! Devices refer to these tables by index, so that 50,000 devices with 15 apps each stay small
//! in memory; the JSON is rendered from the tables when a page is asked for.

/// Index into [`APPS`].
pub type AppIdx = u8;

/// Index into [`MODELS`].
pub type ModelIdx = u8;

/// Index into [`OS_VERSIONS`].
pub type OsIdx = u8;

#[derive(Debug)]
pub struct IpadModel {
    pub name: &'static str,
    pub identifier: &'static str,
    pub capacities_gb: &'static [u16],
    /// Apple gives models from 2021 on 10-character random serials; older ones carry a
    /// 12-character serial whose first characters name the factory.
    pub random_serial: bool,
}

pub const MODELS: [IpadModel; 6] = [
    IpadModel {
        name: "iPad (9th generation)",
        identifier: "iPad12,1",
        capacities_gb: &[64, 256],
        random_serial: false,
    },
    IpadModel {
        name: "iPad (10th generation)",
        identifier: "iPad13,18",
        capacities_gb: &[64, 256],
        random_serial: true,
    },
    IpadModel {
        name: "iPad Air (5th generation)",
        identifier: "iPad13,16",
        capacities_gb: &[64, 256],
        random_serial: true,
    },
    IpadModel {
        name: "iPad Pro 11-inch (4th generation)",
        identifier: "iPad14,3",
        capacities_gb: &[128, 256],
        random_serial: true,
    },
    IpadModel {
        name: "iPad mini (6th generation)",
        identifier: "iPad14,1",
        capacities_gb: &[64, 256],
        random_serial: true,
    },
    IpadModel {
        name: "iPad (A16)",
        identifier: "iPad15,7",
        capacities_gb: &[128, 256],
        random_serial: true,
    },
];

/// Weights over [`MODELS`] for class sets and students' iPads: mostly the cheap models.
pub const STUDENT_MODEL_WEIGHTS: [u32; 6] = [45, 33, 5, 1, 6, 10];

/// Weights over [`MODELS`] for teachers' iPads: more Airs and Pros.
pub const TEACHER_MODEL_WEIGHTS: [u32; 6] = [10, 30, 35, 20, 5, 0];

/// iPadOS versions seen in a district, oldest first; an update moves a device further down.
pub const OS_VERSIONS: [&str; 10] = [
    "16.7.8", "16.7.10", "16.7.11", "17.5.1", "17.6.1", "17.7.2", "18.1.1", "18.3.2", "18.5",
    "18.6.2",
];

/// Weights over [`OS_VERSIONS`] at seeding: most devices are recent, a tail lags behind.
pub const OS_WEIGHTS: [u32; 10] = [3, 5, 7, 5, 10, 15, 8, 12, 15, 20];

/// Factory prefixes of 12-character serials.
pub const SERIAL_PREFIXES: [&str; 8] = ["DMP", "DMQ", "F9F", "GG7", "DLX", "H4H", "GCG", "F4K"];

/// Characters of Apple serials: upper-case letters and digits without O and I.
pub const SERIAL_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// Apple's own apps, on nearly every school iPad.
    Core,
    /// Learning apps a school buys through VPP and hands out.
    School,
    /// Apps only teachers get.
    Teacher,
    /// Personal apps students install themselves; policies usually forbid them.
    Personal,
}

#[derive(Debug)]
pub struct AppEntry {
    pub bundle_id: &'static str,
    pub name: &'static str,
    /// Oldest first; the last one is the current release.
    pub versions: &'static [&'static str],
    pub size_mb: u64,
    pub kind: AppKind,
}

impl AppEntry {
    pub fn newest(&self) -> &'static str {
        self.versions[self.versions.len() - 1]
    }

    pub fn newest_index(&self) -> u8 {
        (self.versions.len() - 1) as u8
    }

    /// Newer versions are a little larger.
    pub fn size_bytes(&self, version: u8) -> u64 {
        (self.size_mb + 3 * u64::from(version)) * 1024 * 1024
    }

    pub fn managed(&self) -> bool {
        self.kind != AppKind::Personal
    }
}

const fn app(
    bundle_id: &'static str,
    name: &'static str,
    versions: &'static [&'static str],
    size_mb: u64,
    kind: AppKind,
) -> AppEntry {
    AppEntry {
        bundle_id,
        name,
        versions,
        size_mb,
        kind,
    }
}

/// Every app the emulator knows, sorted by bundle id (byte order), so that a device's installs
/// kept sorted by index are also sorted by bundle id.
pub const APPS: [AppEntry; 30] = [
    app(
        "com.apple.Keynote",
        "Keynote",
        &["13.2", "14.1", "14.2"],
        700,
        AppKind::Core,
    ),
    app(
        "com.apple.Numbers",
        "Numbers",
        &["13.2", "14.1", "14.2"],
        610,
        AppKind::Core,
    ),
    app(
        "com.apple.Pages",
        "Pages",
        &["13.2", "14.1", "14.2"],
        580,
        AppKind::Core,
    ),
    app(
        "com.apple.classroom",
        "Classroom",
        &["3.4", "3.5"],
        25,
        AppKind::Teacher,
    ),
    app(
        "com.apple.clips",
        "Clips",
        &["3.1.3", "3.1.4"],
        210,
        AppKind::School,
    ),
    app(
        "com.apple.iMovie",
        "iMovie",
        &["3.5", "3.6", "3.7"],
        780,
        AppKind::Core,
    ),
    app(
        "com.apple.mobilegarageband",
        "GarageBand",
        &["2.3.14", "2.3.15", "2.3.16"],
        1650,
        AppKind::Core,
    ),
    app(
        "com.apple.playgrounds",
        "Swift Playgrounds",
        &["4.5.1", "4.6"],
        480,
        AppKind::School,
    ),
    app(
        "com.burbn.instagram",
        "Instagram",
        &["355.0", "357.1"],
        380,
        AppKind::Personal,
    ),
    app(
        "com.duolingo.DuolingoMobile",
        "Duolingo",
        &["7.42.0", "7.45.1"],
        410,
        AppKind::School,
    ),
    app(
        "com.goodnotesapp.x",
        "GoodNotes 5",
        &["5.9.88", "5.9.92"],
        290,
        AppKind::School,
    ),
    app(
        "com.google.chrome.ios",
        "Google Chrome",
        &["126.0", "127.0"],
        260,
        AppKind::School,
    ),
    app(
        "com.microsoft.Office.Excel",
        "Microsoft Excel",
        &["2.87", "2.88"],
        420,
        AppKind::School,
    ),
    app(
        "com.microsoft.Office.Powerpoint",
        "Microsoft PowerPoint",
        &["2.87", "2.88"],
        390,
        AppKind::School,
    ),
    app(
        "com.microsoft.Office.Word",
        "Microsoft Word",
        &["2.87", "2.88"],
        400,
        AppKind::School,
    ),
    app(
        "com.microsoft.onenote",
        "Microsoft OneNote",
        &["16.87", "16.88"],
        310,
        AppKind::School,
    ),
    app(
        "com.microsoft.skype.teams",
        "Microsoft Teams",
        &["6.12.1", "6.14.0"],
        330,
        AppKind::School,
    ),
    app(
        "com.morriscooke.explaineverything",
        "Explain Everything",
        &["6.12", "6.14"],
        240,
        AppKind::School,
    ),
    app(
        "com.redjumper.bookcreator",
        "Book Creator",
        &["5.7.1", "5.8.0"],
        120,
        AppKind::School,
    ),
    app(
        "com.toyopagroup.picaboo",
        "Snapchat",
        &["13.02", "13.04"],
        350,
        AppKind::Personal,
    ),
    app(
        "com.wallwisher.Padlet",
        "Padlet",
        &["212.0", "214.1"],
        95,
        AppKind::School,
    ),
    app(
        "com.zhiliaoapp.musically",
        "TikTok",
        &["35.4.0", "35.6.0"],
        450,
        AppKind::Personal,
    ),
    app(
        "de.solocode.anton",
        "Anton",
        &["8.4.2", "8.5.0"],
        180,
        AppKind::School,
    ),
    app(
        "de.westermann.bibox",
        "BiBox",
        &["4.1.0", "4.2.3"],
        150,
        AppKind::School,
    ),
    app(
        "net.whatsapp.WhatsApp",
        "WhatsApp",
        &["24.14.79", "24.16.80"],
        260,
        AppKind::Personal,
    ),
    app(
        "no.mobitroll.kahoot",
        "Kahoot!",
        &["5.9.6", "5.9.8"],
        140,
        AppKind::School,
    ),
    app(
        "org.geogebra.calculator",
        "GeoGebra Rechner",
        &["5.2.846", "5.2.850"],
        90,
        AppKind::School,
    ),
    app(
        "org.scratchfoundation.scratchjr",
        "ScratchJr",
        &["1.5.10", "1.5.12"],
        110,
        AppKind::School,
    ),
    app(
        "org.videolan.vlc-ios",
        "VLC",
        &["3.5.1", "3.6.0"],
        70,
        AppKind::School,
    ),
    app(
        "us.zoom.videomeetings",
        "Zoom",
        &["6.1.0", "6.1.5"],
        230,
        AppKind::School,
    ),
];

pub fn app_entry(app: AppIdx) -> &'static AppEntry {
    &APPS[usize::from(app)]
}

pub fn model(model: ModelIdx) -> &'static IpadModel {
    &MODELS[usize::from(model)]
}

pub fn os_version(os: OsIdx) -> &'static str {
    OS_VERSIONS[usize::from(os)]
}

/// The app with this bundle id; the catalogue is small, so a scan is fine.
pub fn app_by_bundle(bundle_id: &str) -> Option<AppIdx> {
    APPS.iter()
        .position(|app| app.bundle_id == bundle_id)
        .map(|index| index as AppIdx)
}

/// Indices of all apps of one kind, in bundle id order.
pub fn apps_of_kind(kind: AppKind) -> Vec<AppIdx> {
    (0..APPS.len())
        .filter(|&i| APPS[i].kind == kind)
        .map(|i| i as AppIdx)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_sorted_by_bundle_id() {
        let bundle_ids: Vec<&str> = APPS.iter().map(|app| app.bundle_id).collect();

        let mut sorted = bundle_ids.clone();
        sorted.sort_unstable();

        assert_eq!(
            bundle_ids, sorted,
            "installs are sorted by index to answer bundle id order"
        );
    }

    #[test]
    fn weights_cover_every_model_and_version() {
        assert_eq!(
            STUDENT_MODEL_WEIGHTS.len(),
            MODELS.len(),
            "one weight per model"
        );
        assert_eq!(
            OS_WEIGHTS.len(),
            OS_VERSIONS.len(),
            "one weight per iPadOS version"
        );
    }
}
