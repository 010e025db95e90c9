//! The server profiles on disk: one folder each under `profiles/`, holding that server's
//! `profile.json` and cache. Tokens stay in the credential store (or, for the demo, in memory).

use std::path::{Path, PathBuf};

use koffer_api::CurrentUser;
use koffer_core::client::Client;
use koffer_core::profile::{self, Profile};
use koffer_core::secrets::AccessToken;
use koffer_core::server_url::ServerUrl;
use rand::Rng;

use crate::commands::ProfileInfo;
use crate::error::{AppError, AppResult};
use crate::Demo;

const DEMO_ID: &str = "demo";

#[derive(Debug)]
pub struct Profiles {
    dir: PathBuf,
    demo: Option<Demo>,
}

/// A profile ready to use: what the window shows, its folder and a client with its token.
pub struct Opened {
    pub info: ProfileInfo,
    pub dir: PathBuf,
    pub client: Client,
}

impl Profiles {
    pub fn new(root: &Path, demo: Option<Demo>) -> Profiles {
        Profiles {
            dir: root.join("profiles"),
            demo,
        }
    }

    pub fn demo_id(&self) -> Option<String> {
        self.demo.as_ref().map(|_| DEMO_ID.to_owned())
    }

    /// Every profile, the demo first, then by label.
    pub fn list(&self) -> Vec<ProfileInfo> {
        let mut listed: Vec<ProfileInfo> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let id = entry.file_name().to_string_lossy().into_owned();
                let profile = Profile::load(&entry.path()).ok()??;
                (id != DEMO_ID).then(|| info(&id, &profile, false))
            })
            .collect();
        listed.sort_by_key(|p| p.label.to_lowercase());
        if let Some(demo) = &self.demo {
            listed.insert(0, demo_info(demo));
        }
        listed
    }

    /// Records a checked sign-in; the same server and login reuse their profile (and cache).
    pub fn sign_in(
        &self,
        server: &ServerUrl,
        user: &CurrentUser,
        label: &str,
        token: &AccessToken,
    ) -> AppResult<String> {
        let existing = self
            .list()
            .into_iter()
            .find(|p| !p.demo && p.server == server.as_str() && p.login == user.login);
        let id = existing.map_or_else(new_id, |p| p.id);
        let dir = self.dir.join(&id);
        std::fs::create_dir_all(&dir).map_err(|e| AppError::from(koffer_core::Error::Io(e)))?;
        let mut profile = Profile::load(&dir)?
            .unwrap_or_else(|| Profile::new(server, &user.login, &user.display_name));
        profile.label = Some(label.trim())
            .filter(|l| !l.is_empty())
            .map_or_else(|| url_host(server), str::to_owned);
        profile.role = serde_json::to_value(user.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        profile.credential_slot()?.save(token)?;
        profile.save(&dir)?;
        Ok(id)
    }

    pub fn open(&self, id: &str) -> AppResult<Opened> {
        let dir = self.dir.join(id);
        if id == DEMO_ID {
            let demo = self.demo.as_ref().ok_or_else(AppError::not_signed_in)?;
            let server = ServerUrl::parse(&demo.server)?;
            let client = Client::new(server, AccessToken::new(&demo.token)?)?;
            std::fs::create_dir_all(&dir).map_err(|e| AppError::from(koffer_core::Error::Io(e)))?;
            return Ok(Opened {
                info: demo_info(demo),
                dir,
                client,
            });
        }
        let profile = Profile::load(&dir)?.ok_or_else(AppError::not_signed_in)?;
        let client = Client::new(profile.server_url()?, profile.token()?)?;
        Ok(Opened {
            info: info(id, &profile, false),
            dir,
            client,
        })
    }

    /// Removes the token from the credential store and the profile's folder with its cache.
    pub fn forget(&self, id: &str) -> AppResult<()> {
        let dir = self.dir.join(id);
        if id != DEMO_ID {
            profile::forget(&dir)?;
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(koffer_core::Error::Io(e).into()),
        }
    }
}

fn info(id: &str, profile: &Profile, demo: bool) -> ProfileInfo {
    ProfileInfo {
        id: id.to_owned(),
        label: profile.label.clone(),
        server: profile.server.clone(),
        login: profile.login.clone(),
        display_name: profile.display_name.clone(),
        role: profile.role.clone(),
        demo,
    }
}

fn demo_info(demo: &Demo) -> ProfileInfo {
    ProfileInfo {
        id: DEMO_ID.to_owned(),
        label: "Demo".to_owned(),
        server: demo.server.clone(),
        login: "demo".to_owned(),
        display_name: String::new(),
        role: demo.role.clone(),
        demo: true,
    }
}

fn new_id() -> String {
    format!("{:012x}", rand::rng().random::<u64>() & 0xffff_ffff_ffff)
}

fn url_host(server: &ServerUrl) -> String {
    let text = server.as_str();
    let without_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    without_scheme
        .split(['/', ':'])
        .next()
        .unwrap_or(without_scheme)
        .to_owned()
}
