//! Keys in the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows) through the `keyring` crate. Entries are
//! named `tufa` / `<app>:<key name>:<key id>`: the key id makes entries of
//! two projects, or of a dev and a production repository, distinct.

use super::{KeyError, Secret};

/// The keyring service name of every Tufa entry.
pub const SERVICE: &str = "tufa";

/// The entry name ("user") for a key.
pub fn entry_name(app: &str, key_name: &str, keyid: &str) -> String {
    format!("{app}:{key_name}:{keyid}")
}

fn entry(service: &str, user: &str) -> Result<keyring::Entry, KeyError> {
    keyring::Entry::new(service, user).map_err(|e| explain(e, user))
}

/// Turns keyring errors into answers a person can act on.
fn explain(e: keyring::Error, user: &str) -> KeyError {
    match e {
        keyring::Error::NoEntry => KeyError::Missing(format!("the OS keyring has no entry '{user}'")),
        keyring::Error::NoStorageAccess(inner) => KeyError::KeyringUnavailable(format!(
            "the OS keyring is locked or refused access ({inner}): unlock it (log in to the desktop session) and retry"
        )),
        keyring::Error::PlatformFailure(inner) => KeyError::KeyringUnavailable(format!(
            "no OS keyring is reachable ({inner}): on Linux a Secret Service (GNOME Keyring, KWallet) must run in this session, \
             or keep keys in files"
        )),
        other => KeyError::KeyringUnavailable(format!("OS keyring error: {other}")),
    }
}

/// Reads an entry's secret.
pub fn load(service: &str, user: &str) -> Result<Secret, KeyError> {
    let secret = entry(service, user)?
        .get_secret()
        .map_err(|e| explain(e, user))?;
    Ok(Secret::new(secret))
}

/// Stores a secret, replacing any previous one.
pub fn store(service: &str, user: &str, secret: &[u8]) -> Result<(), KeyError> {
    entry(service, user)?
        .set_secret(secret)
        .map_err(|e| explain(e, user))
}

/// Removes an entry (missing is fine).
pub fn delete(service: &str, user: &str) -> Result<(), KeyError> {
    match entry(service, user)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(explain(e, user)),
    }
}

/// Whether a keyring answers here (stores and removes a probe entry).
pub fn available() -> Result<(), KeyError> {
    let user = format!("probe:{}", std::process::id());
    store(SERVICE, &user, b"probe")?;
    delete(SERVICE, &user)
}
