//! One function per subcommand, each a few calls into the core.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use koffer_core::client::Client;
use koffer_core::profile::{self, Profile};
use koffer_core::query::{self, DeviceQuery, SortKey};
use koffer_core::secrets::{AccessToken, TOKEN_ENV};
use koffer_core::server_url::ServerUrl;
use koffer_core::store::{self, Store};
use koffer_core::sync::{self, SyncOptions};
use koffer_core::{export, Error, Result};

use crate::{act, output, progress, Cli, Command, ExportFormat, Filters};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let data_dir = data_dir(cli.data_dir)?;
    match cli.command {
        Command::Login {
            server,
            token_stdin,
        } => login(&data_dir, &server, token_stdin).await,
        Command::Logout => logout(&data_dir),
        Command::Sync {
            full,
            orgs,
            full_after_hours,
        } => {
            let full_after = Duration::from_secs(full_after_hours * 3600);
            sync(
                &data_dir,
                SyncOptions {
                    full,
                    full_after,
                    only: orgs,
                },
            )
            .await
        }
        Command::Status => status(&data_dir),
        Command::Devices {
            filters,
            json,
            limit,
        } => devices(&data_dir, &filters, json, limit),
        Command::Export {
            format: ExportFormat::Csv { output, filters },
        } => export_csv(&data_dir, &filters, &output),
        Command::Act {
            action,
            target,
            wait,
        } => act::act(&data_dir, &action, &target, wait).await,
        Command::Ledger {
            serial,
            json,
            cancel,
            retry,
        } => act::ledger(&data_dir, serial.as_deref(), json, cancel, retry).await,
        Command::Audit { csv } => act::audit(&data_dir, csv.as_deref()),
    }
}

fn data_dir(chosen: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = chosen {
        return Ok(dir);
    }
    directories::ProjectDirs::from("de", "Koffer", "Koffer")
        .map(|dirs| dirs.data_dir().to_owned())
        .ok_or_else(|| {
            Error::InvalidInput(
                "This system names no per-user data folder. Choose one with --data-dir.".into(),
            )
        })
}

async fn login(data_dir: &Path, server: &str, token_stdin: bool) -> Result<ExitCode> {
    let server = ServerUrl::parse(server)?;
    Store::open_in(data_dir)?;
    refuse_other_server(data_dir, &server)?;
    let (token, from_env) = read_token(token_stdin)?;

    let user = Client::new(server.clone(), token.clone())?
        .current_user()
        .await?;

    let profile = match Profile::load(data_dir)? {
        Some(existing) => Profile {
            login: user.login.clone(),
            ..existing
        },
        None => Profile::new(&server, &user.login, &user.display_name),
    };
    let profile = Profile {
        role: role_name(user.role),
        ..profile
    };
    match profile.credential_slot().and_then(|slot| slot.save(&token)) {
        Ok(()) => {}
        Err(error) if from_env => {
            eprintln!("Note: {error}\nKoffer will read the token from {TOKEN_ENV} each time.");
        }
        Err(error) => return Err(error),
    }
    profile.save(data_dir)?;
    println!("Signed in to {server} as {} ({:?}).", user.login, user.role);
    Ok(ExitCode::SUCCESS)
}

fn refuse_other_server(data_dir: &Path, server: &ServerUrl) -> Result<()> {
    match Profile::load(data_dir)? {
        Some(existing) if existing.server != server.as_str() => Err(Error::InvalidInput(format!(
            "The data folder {} holds the cache of {}. Sign out there first (`koffer logout`) or \
             choose another --data-dir for {server}.",
            data_dir.display(),
            existing.server
        ))),
        _ => Ok(()),
    }
}

/// The token from KOFFER_TOKEN, standard input, or a prompt that does not echo.
fn read_token(token_stdin: bool) -> Result<(AccessToken, bool)> {
    if let Some(token) = AccessToken::from_env() {
        return Ok((token, true));
    }
    let text = if token_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    } else {
        rpassword::prompt_password("Access token (Relution → Profile → Access Token): ")?
    };
    Ok((AccessToken::new(&text)?, false))
}

fn role_name(role: koffer_api::Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn logout(data_dir: &Path) -> Result<ExitCode> {
    profile::forget(data_dir)?;
    println!(
        "Signed out; the token and the cache in {} are deleted.",
        data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn signed_in(data_dir: &Path) -> Result<Profile> {
    Profile::load(data_dir)?.ok_or_else(|| {
        Error::InvalidInput(format!(
            "Nobody has signed in with the data folder {}. Run `koffer login --server URL` first.",
            data_dir.display()
        ))
    })
}

async fn sync(data_dir: &Path, options: SyncOptions) -> Result<ExitCode> {
    let profile = signed_in(data_dir)?;
    let client = Arc::new(Client::new(profile.server_url()?, profile.token()?)?);
    let mut store = Store::open_in(data_dir)?;
    let display = progress::Display::new();

    let report = sync::sync(client, &mut store, &options, &|p| display.show(p)).await?;

    display.finish();
    output::sync_report(&report);
    let failed = report.failures().count();
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn status(data_dir: &Path) -> Result<ExitCode> {
    let profile = signed_in(data_dir)?;
    let store = Store::open_in(data_dir)?;
    output::status(&profile, &store)?;
    Ok(ExitCode::SUCCESS)
}

fn devices(data_dir: &Path, filters: &Filters, json: bool, limit: Option<u32>) -> Result<ExitCode> {
    let store = open_existing(data_dir)?;
    let default_limit = if json { None } else { Some(100) };
    let query = DeviceQuery {
        limit: limit.or(default_limit),
        ..device_query(filters)?
    };

    let page = query::find_devices(store.conn(), &query, Utc::now().timestamp_millis())?;

    if json {
        output::devices_json(&page.rows);
    } else {
        output::devices_table(&page);
    }
    Ok(ExitCode::SUCCESS)
}

fn export_csv(data_dir: &Path, filters: &Filters, path: &Path) -> Result<ExitCode> {
    let store = open_existing(data_dir)?;
    let query = device_query(filters)?;
    let file = std::fs::File::create(path).map_err(|e| {
        Error::InvalidInput(format!(
            "Cannot write {}: {e}. Choose another --output.",
            path.display()
        ))
    })?;

    let written = export::devices_csv(store.conn(), &query, Utc::now().timestamp_millis(), file)?;

    println!("Wrote {written} devices to {}.", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Opens a cache that a sync has filled; an empty folder gets advice instead of an empty list.
pub(crate) fn open_existing(data_dir: &Path) -> Result<Store> {
    if !data_dir.join(store::CACHE_FILE).exists() {
        return Err(Error::InvalidInput(format!(
            "There is no cache in {} yet. Run `koffer login` and `koffer sync` first.",
            data_dir.display()
        )));
    }
    Store::open_in(data_dir)
}

fn device_query(filters: &Filters) -> Result<DeviceQuery> {
    Ok(DeviceQuery {
        search: filters.search.clone(),
        organisations: filters.orgs.clone(),
        group: filters.group.clone(),
        os_version: filters.os.clone(),
        supervised: filters.supervised,
        compliance: filters.compliance.clone(),
        not_seen_for_days: filters.not_seen_for,
        battery_below_percent: filters.battery_below,
        sort: SortKey::parse(&filters.sort)?,
        descending: filters.desc,
        ..DeviceQuery::default()
    })
}
