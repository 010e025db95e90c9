//! Sync progress: a bar per organisation on a terminal, plain lines otherwise (logs, cron).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use koffer_core::sync::Progress;

#[derive(Debug)]
pub struct Display {
    bars: Option<MultiProgress>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    names: HashMap<String, String>,
    bars: HashMap<String, ProgressBar>,
}

impl Display {
    pub fn new() -> Display {
        let bars = std::io::stderr().is_terminal().then(MultiProgress::new);
        Display {
            bars,
            state: Mutex::new(State::default()),
        }
    }

    pub fn show(&self, progress: &Progress) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match progress {
            Progress::Started { org, name, full } => {
                state.names.insert(org.clone(), name.clone());
                let kind = if *full { "full sync" } else { "changes" };
                match &self.bars {
                    Some(bars) => {
                        let bar = bars.add(ProgressBar::new(0).with_style(bar_style()));
                        bar.set_message(format!("{name} ({kind})"));
                        state.bars.insert(org.clone(), bar);
                    }
                    None => eprintln!("{name}: {kind} started"),
                }
            }
            Progress::Devices { org, done, total } => match state.bars.get(org) {
                Some(bar) => {
                    bar.set_length(*total);
                    bar.set_position(*done);
                }
                None => eprintln!("{}: {done}/{total} devices", name_of(&state, org)),
            },
            Progress::Finished { org, error } => {
                let name = name_of(&state, org).to_owned();
                match (state.bars.get(org), error) {
                    (Some(bar), None) => bar.finish_with_message(format!("{name}: done")),
                    (Some(bar), Some(_)) => bar.abandon_with_message(format!("{name}: failed")),
                    (None, None) => eprintln!("{name}: done"),
                    (None, Some(_)) => eprintln!("{name}: failed"),
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}

fn name_of<'a>(state: &'a State, org: &'a str) -> &'a str {
    state.names.get(org).map_or(org, String::as_str)
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:40} [{bar:30}] {pos}/{len} devices")
        .expect("the template is valid")
        .progress_chars("=> ")
}
