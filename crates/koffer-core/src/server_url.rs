//! Which server addresses Koffer accepts: `https://` anywhere, `http://` only on this machine.
//!
//! A token sent over plain HTTP can be read by anyone on the school network, so plain HTTP is
//! only allowed to loopback addresses, where the emulator runs.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::{Error, Result};

/// A checked server address without trailing slash, e.g. `https://mdm.example.org`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

impl ServerUrl {
    pub fn parse(text: &str) -> Result<ServerUrl> {
        let trimmed = text.trim().trim_end_matches('/');
        let url = Url::parse(trimmed).map_err(|reason| {
            Error::InvalidServerUrl(format!(
                "\"{trimmed}\" is not a server address ({reason}). Enter it like \
                 https://mdm.example.org."
            ))
        })?;
        check_scheme(&url)?;
        Ok(ServerUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The full address of an API path such as `/api/management/v1/organizations`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.as_str())
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn check_scheme(url: &Url) -> Result<()> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::InvalidServerUrl(format!(
            "{url} uses plain http://, which would send the access token unencrypted. Use the \
             server's https:// address."
        ))),
        _ => Err(Error::InvalidServerUrl(format!(
            "{url} is not an https:// address. Enter the server like https://mdm.example.org."
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_addresses_are_accepted_without_trailing_slash() {
        let url = ServerUrl::parse(" https://mdm.example.org/ ").unwrap();

        assert_eq!(
            url.as_str(),
            "https://mdm.example.org",
            "paths are joined onto it"
        );
    }

    #[test]
    fn plain_http_is_accepted_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(
                ServerUrl::parse(ok).is_ok(),
                "{ok} is this machine, the emulator's place"
            );
        }

        let refused = ServerUrl::parse("http://mdm.example.org").unwrap_err();

        assert!(
            refused.to_string().contains("https://"),
            "the message must say to use https: {refused}"
        );
    }

    #[test]
    fn other_schemes_and_garbage_are_refused_with_an_example() {
        for bad in ["ftp://mdm.example.org", "mdm.example.org", "", "https://"] {
            let error = ServerUrl::parse(bad).unwrap_err();

            assert!(error.to_string().contains("https://"), "{bad}: {error}");
        }
    }
}
