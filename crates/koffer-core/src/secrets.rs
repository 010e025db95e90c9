//! Where access tokens live: the OS credential store, or KOFFER_TOKEN for scheduled tasks.
//!
//! A token never reaches SQLite, a file, a log line or an error message. [`AccessToken`]'s
//! `Debug` hides it, so a stray `{:?}` cannot leak it either.

use crate::error::{Error, Result};

/// The environment variable a scheduled task sets instead of using the credential store.
pub const TOKEN_ENV: &str = "KOFFER_TOKEN";

const SERVICE: &str = "Koffer";

#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// A token as typed or pasted; surrounding whitespace is dropped. Empty is refused.
    pub fn new(text: &str) -> Result<AccessToken> {
        let token = text.trim();
        if token.is_empty() {
            return Err(Error::InvalidInput(
                "The access token is empty. Create one in Relution under Profile → Access Token \
                 and paste it here."
                    .to_owned(),
            ));
        }
        Ok(AccessToken(token.to_owned()))
    }

    /// The token from KOFFER_TOKEN, if that is set and not empty.
    pub fn from_env() -> Option<AccessToken> {
        std::env::var(TOKEN_ENV)
            .ok()
            .and_then(|text| AccessToken::new(&text).ok())
    }

    /// The secret itself, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(hidden)")
    }
}

/// One profile's slot in the OS credential store: Windows Credential Manager, the macOS
/// Keychain, or the Linux kernel keyring.
///
/// Known limit: on Linux the kernel keyring keeps the token for the login session only, so after
/// a reboot the user signs in again (or a scheduled task sets KOFFER_TOKEN). Keeping it across
/// reboots would need the Secret Service, which needs D-Bus and its development library.
#[derive(Debug)]
pub struct CredentialSlot {
    entry: keyring::Entry,
}

impl CredentialSlot {
    /// The slot for a profile; `account` names the profile uniquely (see `profile.rs`).
    pub fn new(account: &str) -> Result<CredentialSlot> {
        let entry = keyring::Entry::new(SERVICE, account).map_err(store_error)?;
        Ok(CredentialSlot { entry })
    }

    pub fn save(&self, token: &AccessToken) -> Result<()> {
        self.entry.set_password(token.expose()).map_err(store_error)
    }

    pub fn load(&self) -> Result<Option<AccessToken>> {
        match self.entry.get_password() {
            Ok(text) => Ok(AccessToken::new(&text).ok()),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(store_error(error)),
        }
    }

    pub fn forget(&self) -> Result<()> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(store_error(error)),
        }
    }
}

fn store_error(error: keyring::Error) -> Error {
    Error::CredentialStore {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = AccessToken::new("s3cr3t-token").unwrap();

        let shown = format!("{token:?}");

        assert!(
            !shown.contains("s3cr3t"),
            "a logged token would leak: {shown}"
        );
    }

    #[test]
    fn empty_tokens_are_refused_with_where_to_get_one() {
        let error = AccessToken::new("  \n").unwrap_err();

        assert!(
            error.to_string().contains("Profile → Access Token"),
            "{error}"
        );
    }
}
