//! `koffer`: sign in, sync, list and export the inventory from a shell or a scheduled task.

mod act;
mod commands;
mod output;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use koffer_core::ErrorCode;

#[derive(Debug, Parser)]
#[command(
    name = "koffer",
    version,
    about = "Koffer: the school iPad inventory, offline."
)]
struct Cli {
    /// Folder of this server profile's cache [default: the OS's per-user app data folder].
    #[arg(long, global = true, env = "KOFFER_DATA_DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check an access token against the server and keep it in the OS credential store.
    Login {
        /// The server's address, e.g. https://mdm.example.org.
        #[arg(long)]
        server: String,
        /// Read the token from standard input instead of prompting for it.
        #[arg(long)]
        token_stdin: bool,
    },
    /// Remove the token from the credential store and delete this profile's cache.
    Logout,
    /// Bring the cache up to date with the server.
    Sync {
        /// Reconcile every device instead of fetching only what changed.
        #[arg(long)]
        full: bool,
        /// Sync only this organisation (name or uuid); may be given more than once.
        #[arg(long = "org")]
        orgs: Vec<String>,
        /// Do a full reconcile when the last one is older than this many hours.
        #[arg(long, default_value_t = 24)]
        full_after_hours: u64,
    },
    /// When each organisation was last synced, and how that went.
    Status,
    /// List cached devices; works offline.
    Devices {
        #[command(flatten)]
        filters: Filters,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// At most this many devices [default: 100 for the table, all for --json].
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Export cached devices.
    Export {
        #[command(subcommand)]
        format: ExportFormat,
    },
    /// Send an action to devices: checked first, queued durably, sent exactly once.
    Act {
        #[command(subcommand)]
        action: ActCommand,
        #[command(flatten)]
        target: Target,
        /// Wait up to this many seconds for the devices to answer.
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// The actions asked for and their states; sends what waits in the outbox first.
    Ledger {
        /// Only this device (serial number).
        #[arg(long)]
        serial: Option<String>,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Cancel this pending action (its number in the ledger).
        #[arg(long)]
        cancel: Option<i64>,
        /// Queue this failed action again (its number in the ledger).
        #[arg(long)]
        retry: Option<i64>,
    },
    /// Who located or erased which device, and when.
    Audit {
        /// Write the audit log as CSV to this file instead of printing it.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

/// Which devices an action goes to; at least one of these.
#[derive(Debug, Clone, Args)]
struct Target {
    /// Serial number; may be given more than once.
    #[arg(long = "serial", global = true)]
    serials: Vec<String>,
    /// Device name; may be given more than once.
    #[arg(long = "device", global = true)]
    names: Vec<String>,
    /// Every device of this group or case (name or uuid).
    #[arg(long, global = true)]
    group: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
enum ActCommand {
    /// Lock the screen.
    Lock {
        #[arg(long)]
        message: Option<String>,
    },
    /// Enable lost mode with a message and/or a phone number for the finder.
    LostMode {
        #[arg(long)]
        message: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        footnote: Option<String>,
    },
    /// Disable lost mode (the device was found).
    LostModeOff,
    /// Play the lost-mode sound.
    Ring,
    /// Ask the device for its location (lost mode only).
    Locate,
    Restart,
    Shutdown,
    /// Clear the passcode (not on a Shared iPad).
    ClearPasscode,
    /// Erase the device; confirm by typing its name or serial number.
    Erase {
        #[arg(long)]
        confirm: String,
        #[arg(long)]
        keep_data_plan: bool,
        #[arg(long)]
        return_to_service: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ExportFormat {
    /// As CSV (UTF-8), one device per line.
    Csv {
        /// File to write.
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        filters: Filters,
    },
}

#[derive(Debug, Clone, Args)]
struct Filters {
    /// Text in the name, serial number, user or model.
    #[arg(long)]
    search: Option<String>,
    /// Organisation name or uuid; may be given more than once.
    #[arg(long = "org")]
    orgs: Vec<String>,
    /// Device group or case, by name or uuid.
    #[arg(long)]
    group: Option<String>,
    /// OS version: 17 matches 17.x, 17.5 matches 17.5.x.
    #[arg(long)]
    os: Option<String>,
    /// Only supervised (true) or only unsupervised (false) devices.
    #[arg(long)]
    supervised: Option<bool>,
    /// compliant, non-compliant or unknown.
    #[arg(long)]
    compliance: Option<String>,
    /// Last contact more than N days ago.
    #[arg(long, value_name = "DAYS")]
    not_seen_for: Option<u32>,
    /// Battery below N percent.
    #[arg(long, value_name = "PERCENT")]
    battery_below: Option<u32>,
    /// Sort by name, serial, model, os, battery, last-contact, org, user or compliance.
    #[arg(long, default_value = "name")]
    sort: String,
    /// Sort in descending order.
    #[arg(long)]
    desc: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(commands::run(cli)),
        Err(e) => Err(koffer_core::Error::Io(e)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("koffer: {error}");
            exit_code(error.code())
        }
    }
}

/// Exit statuses scripts can tell apart; listed in the README.
fn exit_code(code: ErrorCode) -> ExitCode {
    ExitCode::from(match code {
        ErrorCode::InvalidInput => 2,
        ErrorCode::Offline => 3,
        ErrorCode::TokenRejected => 4,
        ErrorCode::NoRights => 5,
        ErrorCode::ServerError => 6,
        ErrorCode::LocalStorage => 7,
    })
}
