//! `koffer act`, `koffer ledger` and `koffer audit`: device actions for scripts.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use koffer_api::{ActionParameters, ActionType, Role};
use koffer_core::actions::preflight::{erase_confirmed, Verdict};
use koffer_core::actions::{self, FlushReport, Requested};
use koffer_core::client::Client;
use koffer_core::query;
use koffer_core::store::outbox::{self, LedgerEntry};
use koffer_core::store::Store;
use koffer_core::{Error, Result};

use crate::commands::{open_existing, signed_in};
use crate::{ActCommand, Target};

pub async fn act(
    data_dir: &Path,
    action: &ActCommand,
    target: &Target,
    wait: u64,
) -> Result<ExitCode> {
    let profile = signed_in(data_dir)?;
    let mut store = open_existing(data_dir)?;
    let devices = query::resolve_devices(
        store.conn(),
        &target.serials,
        &target.names,
        target.group.as_deref(),
    )?;
    if devices.is_empty() {
        return Err(Error::InvalidInput(
            "Name the devices with --serial, --device or --group.".to_owned(),
        ));
    }
    let (kind, parameters) = action_of(action);
    confirm_erase(&store, action, &devices)?;
    let role = serde_json::from_value(serde_json::Value::String(profile.role.clone()))
        .unwrap_or(Role::Other);

    let requested = actions::request(
        &mut store,
        &devices,
        kind,
        &parameters,
        &profile.login,
        role,
    )?;

    print_preflight(&requested);
    let queued: Vec<i64> = requested.iter().filter_map(|r| r.action_id).collect();
    if queued.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let client = Client::new(profile.server_url()?, profile.token()?)?;
    let flushed = actions::flush_outbox(&client, &mut store).await?;
    print_flush(&flushed);
    follow_until(&client, &mut store, &queued, Duration::from_secs(wait)).await?;
    print_ledger(&ledger_of(&store, &queued)?);
    Ok(if requested.iter().all(|r| r.action_id.is_some()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn action_of(action: &ActCommand) -> (ActionType, ActionParameters) {
    let none = ActionParameters::default();
    match action {
        ActCommand::Lock { message } => (
            ActionType::DeviceLock,
            ActionParameters {
                message: message.clone(),
                ..none
            },
        ),
        ActCommand::LostMode {
            message,
            phone,
            footnote,
        } => (
            ActionType::EnableLostMode,
            ActionParameters {
                message: message.clone(),
                phone_number: phone.clone(),
                footnote: footnote.clone(),
                ..none
            },
        ),
        ActCommand::LostModeOff => (ActionType::DisableLostMode, none),
        ActCommand::Ring => (ActionType::PlayLostModeSound, none),
        ActCommand::Locate => (ActionType::DeviceLocation, none),
        ActCommand::Restart => (ActionType::RestartDevice, none),
        ActCommand::Shutdown => (ActionType::ShutDownDevice, none),
        ActCommand::ClearPasscode => (ActionType::ClearPasscode, none),
        ActCommand::Erase {
            keep_data_plan,
            return_to_service,
            ..
        } => (
            ActionType::EraseDevice,
            ActionParameters {
                preserve_data_plan: Some(*keep_data_plan),
                return_to_service: Some(*return_to_service),
                ..none
            },
        ),
    }
}

/// An erase goes to one device at a time, confirmed by its name or serial number.
fn confirm_erase(store: &Store, action: &ActCommand, devices: &[String]) -> Result<()> {
    let ActCommand::Erase { confirm, .. } = action else {
        return Ok(());
    };
    let [device] = devices else {
        return Err(Error::InvalidInput(
            "Erase one device at a time.".to_owned(),
        ));
    };
    let detail = koffer_core::device_detail::device_detail(store.conn(), device)?
        .ok_or_else(|| Error::InvalidInput("The device is not in the cache.".to_owned()))?;
    if erase_confirmed(confirm, &detail.name, &detail.serial) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "The confirmation \"{confirm}\" is neither the device's name ({}) nor its serial number \
         ({}). Nothing was queued.",
        detail.name, detail.serial
    )))
}

async fn follow_until(
    client: &Client,
    store: &mut Store,
    ids: &[i64],
    wait: Duration,
) -> Result<()> {
    let deadline = Instant::now() + wait;
    loop {
        match actions::follow(client, store).await {
            Ok(_) => {}
            Err(error) if error.code() == koffer_core::ErrorCode::Offline => return Ok(()),
            Err(error) => return Err(error),
        }
        let open = ledger_of(store, ids)?.iter().any(|e| !is_final(&e.state));
        if !open || Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn is_final(state: &str) -> bool {
    matches!(state, "ACKNOWLEDGED" | "ERROR" | "CANCELLED" | "REJECTED")
}

fn ledger_of(store: &Store, ids: &[i64]) -> Result<Vec<LedgerEntry>> {
    let mut entries = Vec::with_capacity(ids.len());
    for id in ids {
        entries.extend(outbox::get(store.conn(), *id)?);
    }
    Ok(entries)
}

pub async fn ledger(
    data_dir: &Path,
    serial: Option<&str>,
    json: bool,
    cancel: Option<i64>,
    retry: Option<i64>,
) -> Result<ExitCode> {
    let profile = signed_in(data_dir)?;
    let mut store = open_existing(data_dir)?;
    let client = Client::new(profile.server_url()?, profile.token()?)?;
    if let Some(id) = cancel {
        let cancelled = actions::cancel(&client, &mut store, id).await?;
        println!("Action {id}: {}", cancelled.state);
    }
    if let Some(id) = retry {
        let role = serde_json::from_value(serde_json::Value::String(profile.role.clone()))
            .unwrap_or(Role::Other);
        print_preflight(&[actions::retry(&mut store, id, &profile.login, role)?]);
    }
    match actions::flush_outbox(&client, &mut store).await {
        Ok(flushed) => print_flush(&flushed),
        Err(error) => eprintln!("koffer: {error}"),
    }
    if let Err(error) = actions::follow(&client, &mut store).await {
        eprintln!("koffer: the states shown may be old: {error}");
    }
    let device = match serial {
        Some(serial) => query::resolve_devices(store.conn(), &[serial.to_owned()], &[], None)?
            .into_iter()
            .next(),
        None => None,
    };
    let entries = outbox::ledger(store.conn(), device.as_deref(), 500)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&entries).expect("ledger rows serialise")
        );
    } else {
        print_ledger(&entries);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn audit(data_dir: &Path, csv: Option<&Path>) -> Result<ExitCode> {
    let store = open_existing(data_dir)?;
    let entries = outbox::audit_log(store.conn())?;
    match csv {
        Some(path) => {
            let file = std::fs::File::create(path)?;
            let written = koffer_core::export::audit_csv(&entries, file)?;
            println!("Wrote {written} audit entries to {}.", path.display());
        }
        None => {
            for e in &entries {
                let at = crate::output::local_time(e.at);
                println!(
                    "{at}  {}  {}  {} ({})",
                    e.who, e.what, e.device_name, e.serial
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_preflight(requested: &[Requested]) {
    for r in requested {
        let outcome = match (r.action_id, r.preflight.duplicate_of) {
            (Some(id), _) => format!("queued as action {id}"),
            (None, Some(pending)) => format!("not queued: action {pending} is already pending"),
            (None, None) => "not queued".to_owned(),
        };
        println!("{}: {outcome}", r.device_name);
        for check in r
            .preflight
            .checks
            .iter()
            .filter(|c| c.verdict != Verdict::Pass)
        {
            let mark = if check.verdict == Verdict::Block {
                "blocked"
            } else {
                "note"
            };
            println!("  {mark}: {}", check.message);
        }
    }
}

fn print_flush(flushed: &FlushReport) {
    if let Some(problem) = &flushed.problem {
        println!(
            "{} action(s) wait in the outbox and will be sent when the server is reachable \
             (`koffer ledger` sends them): {problem}",
            flushed.waiting
        );
    }
}

fn print_ledger(entries: &[LedgerEntry]) {
    for e in entries {
        let at = crate::output::local_time(e.updated_at);
        let error = match (&e.error_code, &e.error_message) {
            (Some(code), Some(message)) => format!("  error {code}: {message}"),
            (None, Some(message)) if e.state != "OUTBOX" || e.error_message.is_some() => {
                format!("  {message}")
            }
            _ => String::new(),
        };
        println!(
            "{:>5}  {at}  {:<22} {:<13} {} ({}){error}",
            e.id, e.kind, e.state, e.device_name, e.serial
        );
    }
}
