//! The TypeScript bindings of the commands, generated from [`crate::commands`].
//!
//! `cargo test -p koffer-app` compares them with the committed files in `ui/src/lib/bindings/`
//! and fails when they differ; `KOFFER_WRITE_BINDINGS=1 cargo test -p koffer-app bindings`
//! writes them anew.

use std::collections::BTreeMap;
use std::path::Path;

use crate::commands::{export_types, COMMANDS};

/// Every generated file: its name in the bindings folder and its text.
pub fn generate() -> BTreeMap<String, String> {
    let dir = tempdir();
    let cfg = ts_rs::Config::new()
        .with_large_int("number")
        .with_out_dir(&dir);
    export_types(&cfg).expect("the command types export");
    export_types_of_errors(&cfg);
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir)
        .expect("the export folder exists")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).expect("an exported file reads");
        files.insert(name, text);
    }
    files.insert("commands.ts".to_owned(), commands_ts(&cfg));
    let _ = std::fs::remove_dir_all(&dir);
    files
}

fn export_types_of_errors(cfg: &ts_rs::Config) {
    use ts_rs::TS;
    crate::error::AppError::export_all(cfg).expect("the error type exports");
    crate::commands::SyncEvent::export_all(cfg).expect("the event type exports");
    crate::commands::LedgerEntry::export_all(cfg).expect("the ledger type exports");
    crate::commands::AuditEntry::export_all(cfg).expect("the audit type exports");
    crate::commands::Requested::export_all(cfg).expect("the request outcome exports");
    crate::commands::EraseFollowUp::export_all(cfg).expect("the erase follow-up exports");
    crate::commands::PolicyRow::export_all(cfg).expect("the policy row exports");
    crate::commands::TemplateOverviewRow::export_all(cfg).expect("the template overview exports");
    crate::commands::LessonChanged::export_all(cfg).expect("the lesson event exports");
}

/// `commands.ts`: for each command, its request and response type, so the UI's `call` is
/// typed by the command's name.
fn commands_ts(cfg: &ts_rs::Config) -> String {
    let mut text =
        String::from("// Generated from crates/koffer-app/src/commands.rs. Do not edit.\n");
    let used: std::collections::BTreeSet<String> = COMMANDS
        .iter()
        .flat_map(|(_, request, response)| [request(cfg), response(cfg)])
        .flat_map(|name| type_names(&name))
        .collect();
    for name in used {
        text.push_str(&format!("import type {{ {name} }} from \"./{name}\";\n"));
    }
    text.push_str("\nexport type Commands = {\n");
    for (command, request, response) in COMMANDS {
        text.push_str(&format!(
            "  {command}: {{ request: {}; response: {} }};\n",
            request(cfg),
            response(cfg)
        ));
    }
    text.push_str("};\n\n");
    for (name, value) in [
        ("SYNC_EVENT", crate::commands::SYNC_EVENT),
        ("LEDGER_EVENT", crate::commands::LEDGER_EVENT),
        ("LESSON_EVENT", crate::commands::LESSON_EVENT),
    ] {
        text.push_str(&format!("export const {name} = \"{value}\";\n"));
    }
    text
}

/// The generated types a TypeScript type expression names: `Array<Requested>` names Requested.
fn type_names(expression: &str) -> Vec<String> {
    expression
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|word| word.starts_with(|c: char| c.is_ascii_uppercase()) && *word != "Array")
        .map(str::to_owned)
        .collect()
}

fn tempdir() -> std::path::PathBuf {
    let unique = format!(
        "koffer-bindings-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    );
    let dir = std::env::temp_dir().join(unique.replace(['(', ')'], ""));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// Writes the bindings into `dir`, removing generated files that are no longer generated.
pub fn write(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.path().extension().is_some_and(|e| e == "ts") {
            std::fs::remove_file(entry.path())?;
        }
    }
    for (name, text) in generate() {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
    }

    #[test]
    fn bindings_in_the_ui_match_the_commands() {
        if std::env::var("KOFFER_WRITE_BINDINGS").is_ok_and(|v| v == "1") {
            write(&committed_dir()).unwrap();
            return;
        }
        let generated = generate();

        let mut committed = BTreeMap::new();
        for entry in std::fs::read_dir(committed_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            committed.insert(entry.file_name().to_string_lossy().into_owned(), text);
        }

        assert!(
            committed == generated,
            "ui/src/lib/bindings is stale: run `KOFFER_WRITE_BINDINGS=1 cargo test -p koffer-app \
             bindings` and commit the result"
        );
    }
}
