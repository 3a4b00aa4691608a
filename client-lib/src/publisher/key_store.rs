//! Where new keys go: one parser and one "auto" rule for the CLI and the
//! app alike.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where new keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum KeyStore {
    /// PKCS#8 PEM files in the keys directory.
    #[default]
    File,
    /// The OS keyring.
    Keyring,
}

/// A choice of key store that may be left to Tufa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum KeyStoreChoice {
    /// The OS keyring when one answers, else key files.
    #[default]
    Auto,
    /// The OS keyring.
    Keyring,
    /// PEM files in the keys directory.
    File,
}

/// What a [`KeyStoreChoice`] came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedKeyStore {
    /// The store to use.
    pub store: KeyStore,
    /// Why `Auto` fell back to files (no keyring answered), to tell the user.
    pub fallback: Option<String>,
}

impl KeyStoreChoice {
    /// Resolves `Auto` by asking the OS keyring; explicit choices stay.
    ///
    /// ```
    /// use tufa::publisher::{KeyStore, KeyStoreChoice};
    /// assert_eq!(KeyStoreChoice::File.resolve().store, KeyStore::File);
    /// ```
    pub fn resolve(self) -> ResolvedKeyStore {
        match self {
            KeyStoreChoice::File => ResolvedKeyStore {
                store: KeyStore::File,
                fallback: None,
            },
            KeyStoreChoice::Keyring => ResolvedKeyStore {
                store: KeyStore::Keyring,
                fallback: None,
            },
            KeyStoreChoice::Auto => match super::keys::keyring_available() {
                Ok(()) => ResolvedKeyStore {
                    store: KeyStore::Keyring,
                    fallback: None,
                },
                Err(why) => ResolvedKeyStore {
                    store: KeyStore::File,
                    fallback: Some(why.to_string()),
                },
            },
        }
    }
}

fn parse<T>(s: &str, options: &[(&str, T)]) -> Result<T>
where
    T: Copy,
{
    let wanted = s.trim().to_ascii_lowercase();
    options
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, v)| *v)
        .ok_or_else(|| Error::UnknownKeyStore {
            value: crate::display::printable(s, 40),
            expected: options
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl FromStr for KeyStore {
    type Err = Error;

    /// `file` or `keyring` (any case); anything else is an error, never a
    /// silent default.
    fn from_str(s: &str) -> Result<Self> {
        parse(
            s,
            &[("file", KeyStore::File), ("keyring", KeyStore::Keyring)],
        )
    }
}

impl FromStr for KeyStoreChoice {
    type Err = Error;

    /// `auto`, `keyring` or `file` (any case).
    fn from_str(s: &str) -> Result<Self> {
        parse(
            s,
            &[
                ("auto", KeyStoreChoice::Auto),
                ("keyring", KeyStoreChoice::Keyring),
                ("file", KeyStoreChoice::File),
            ],
        )
    }
}

impl std::fmt::Display for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyStore::File => "file",
            KeyStore::Keyring => "keyring",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_names_and_refuses_others() {
        assert_eq!("Keyring".parse::<KeyStore>().unwrap(), KeyStore::Keyring);
        assert_eq!(" file ".parse::<KeyStore>().unwrap(), KeyStore::File);
        assert_eq!(
            "auto".parse::<KeyStoreChoice>().unwrap(),
            KeyStoreChoice::Auto
        );
        let err = "keyrnig".parse::<KeyStore>().unwrap_err();
        assert!(matches!(err, Error::UnknownKeyStore { .. }), "{err}");
        assert!(err.to_string().contains("file, keyring"), "{err}");
        assert!(matches!(
            "auto".parse::<KeyStore>(),
            Err(Error::UnknownKeyStore { .. })
        ));
    }

    #[test]
    fn serde_names_match_the_parser() {
        assert_eq!(
            serde_json::to_string(&KeyStore::Keyring).unwrap(),
            "\"keyring\""
        );
        let c: KeyStoreChoice = serde_json::from_str("\"auto\"").unwrap();
        assert_eq!(c, KeyStoreChoice::Auto);
    }
}

/// Where a private key is kept, as a person sees it: the custody a
/// replacement key keeps unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Custody {
    /// An entry of the OS keyring.
    Keyring,
    /// A PEM file, unencrypted.
    File,
    /// A PEM file encrypted with a passphrase (what goes offline).
    EncryptedFile,
    /// An environment variable (a CI secret).
    Environment,
    /// A tufup key file (read only).
    TufupFile,
    /// Held by a custodian elsewhere; only its public key is here.
    Custodian,
}

impl Custody {
    /// The custody of a key kept at `location` (`project_dir` for
    /// relative files). A file that is not here (moved offline) counts as
    /// a plain file: nothing says it was encrypted.
    pub fn of(location: &super::project::KeyLocation, project_dir: &std::path::Path) -> Custody {
        use super::project::KeyLocation;
        match location {
            KeyLocation::Keyring { .. } => Custody::Keyring,
            KeyLocation::Env(_) => Custody::Environment,
            KeyLocation::Tufup(_) => Custody::TufupFile,
            KeyLocation::Custodian => Custody::Custodian,
            KeyLocation::File(rel) => {
                // Only the PEM label is read, never the key.
                let head = std::fs::read(project_dir.join(rel))
                    .map(|b| b.iter().take(64).copied().collect::<Vec<u8>>())
                    .unwrap_or_default();
                if String::from_utf8_lossy(&head).contains("BEGIN ENCRYPTED PRIVATE KEY") {
                    Custody::EncryptedFile
                } else {
                    Custody::File
                }
            }
        }
    }

    /// Where a new key with this custody goes, and whether it is
    /// encrypted. A key held in a variable or a tufup file is replaced by
    /// a plain file (neither can be written; the file's text then goes
    /// into the CI secret).
    pub fn new_key_store(self) -> (KeyStore, bool) {
        match self {
            Custody::Keyring => (KeyStore::Keyring, false),
            Custody::EncryptedFile | Custody::Custodian => (KeyStore::File, true),
            Custody::File | Custody::Environment | Custody::TufupFile => (KeyStore::File, false),
        }
    }
}

impl From<KeyStore> for Custody {
    fn from(store: KeyStore) -> Self {
        match store {
            KeyStore::Keyring => Custody::Keyring,
            KeyStore::File => Custody::File,
        }
    }
}
