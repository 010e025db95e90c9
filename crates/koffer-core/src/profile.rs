//! A server profile: one data folder holding one server's cache, and the name of its slot in
//! the credential store. Several profiles (a QM test server and PROD, say) never share a cache.

use std::path::{Path, PathBuf};

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secrets::{AccessToken, CredentialSlot};
use crate::server_url::ServerUrl;
use crate::store::CACHE_FILE;

const PROFILE_FILE: &str = "profile.json";

/// What a data folder remembers about its server. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub server: String,
    /// Names this profile's slot in the credential store; random, so that two data folders
    /// signed in to the same server keep separate tokens.
    pub account: String,
    pub login: String,
    #[serde(default)]
    pub display_name: String,
    /// What the window shows to tell profiles apart, e.g. "PROD" or "QM-Test".
    #[serde(default)]
    pub label: String,
    /// The user's role on that server, e.g. "SCHOOL_ADMIN".
    #[serde(default)]
    pub role: String,
}

impl Profile {
    pub fn new(server: &ServerUrl, login: &str, display_name: &str) -> Profile {
        let id: u64 = rand::rng().random();
        Profile {
            server: server.to_string(),
            account: format!("{server} {id:016x}"),
            login: login.to_owned(),
            display_name: display_name.to_owned(),
            label: String::new(),
            role: String::new(),
        }
    }

    /// The profile of a data folder, or `None` when nobody signed in there yet.
    pub fn load(data_dir: &Path) -> Result<Option<Profile>> {
        let path = data_dir.join(PROFILE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Store {
                path,
                reason: format!("{e}; sign in again to write it anew"),
            })
    }

    /// Writes the profile atomically (temporary file, then rename).
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let path = data_dir.join(PROFILE_FILE);
        let temporary = data_dir.join(format!("{PROFILE_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).expect("a profile serialises");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|e| Error::DataDirNotWritable {
                path: data_dir.to_owned(),
                reason: e.to_string(),
            })
    }

    pub fn server_url(&self) -> Result<ServerUrl> {
        ServerUrl::parse(&self.server)
    }

    pub fn credential_slot(&self) -> Result<CredentialSlot> {
        CredentialSlot::new(&self.account)
    }

    /// The token to use: KOFFER_TOKEN when set (scheduled tasks), else the credential store.
    pub fn token(&self) -> Result<AccessToken> {
        if let Some(token) = AccessToken::from_env() {
            return Ok(token);
        }
        let stored = self.credential_slot()?.load()?;
        stored.ok_or_else(|| Error::NotSignedIn {
            server: self.server.clone(),
        })
    }
}

/// Signs out: removes the token from the credential store, then the profile and its cache.
pub fn forget(data_dir: &Path) -> Result<()> {
    if let Some(profile) = Profile::load(data_dir)? {
        profile.credential_slot()?.forget()?;
    }
    for name in [PROFILE_FILE.to_owned(), CACHE_FILE.to_owned()]
        .into_iter()
        .chain(["-wal", "-shm"].map(|suffix| format!("{CACHE_FILE}{suffix}")))
    {
        remove_if_present(&data_dir.join(name))?;
    }
    Ok(())
}

fn remove_if_present(path: &PathBuf) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_profile_loads_back_and_holds_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let server = ServerUrl::parse("https://mdm.example.org").unwrap();
        let profile = Profile::new(&server, "admin.nord", "Anna Berger");

        profile.save(dir.path()).unwrap();

        assert_eq!(Profile::load(dir.path()).unwrap(), Some(profile));
        let text = std::fs::read_to_string(dir.path().join(PROFILE_FILE)).unwrap();
        assert!(
            !text.to_lowercase().contains("token"),
            "a token must never be in a file"
        );
    }

    #[test]
    fn two_profiles_of_one_server_get_separate_credential_slots() {
        let server = ServerUrl::parse("https://mdm.example.org").unwrap();

        let (a, b) = (
            Profile::new(&server, "x", ""),
            Profile::new(&server, "x", ""),
        );

        assert_ne!(
            a.account, b.account,
            "signing out of one must not sign out the other"
        );
    }
}
