//! Private keys: PKCS#8 PEM files (plain or passphrase-encrypted), the OS
//! keyring, key text the caller supplies (CI), and tufup's
//! securesystemslib key files (read only, for adoption).
//!
//! Passphrases, and key text that replaces a configured key, come from a
//! [`KeyProvider`] the caller supplies: the engine itself never reads the
//! terminal or the environment. Secrets are zeroed when dropped and never
//! appear in `Debug`, logs or errors.

mod keyring_store;
mod pem_file;
mod tufup_file;

pub use keyring_store::{
    available as keyring_available, delete as keyring_delete, entry_name as keyring_entry_name,
    SERVICE as KEYRING_SERVICE,
};
// Destination credentials (`publisher::destinations`) share the keyring.
pub(crate) use keyring_store::{load as keyring_load, store as keyring_store};

use super::project::{KeyConfig, KeyLocation};
use crate::{Error, Result};
use std::path::Path;
use tough::sign::Sign;

/// Secret bytes: zeroed on drop (every clone too), never printed.
#[derive(Clone)]
pub struct Secret(zeroize::Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(zeroize::Zeroizing::new(bytes))
    }
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not where the project says.
    #[error("{0}")]
    Missing(String),
    /// Present but not a usable key.
    #[error("{0}")]
    Unreadable(String),
    /// The passphrase did not decrypt it.
    #[error("wrong passphrase for {0}")]
    WrongPassphrase(String),
    /// Encrypted, and no passphrase could be had.
    #[error("{0}")]
    NeedPassphrase(String),
    /// The OS keyring is locked or absent.
    #[error("{0}")]
    KeyringUnavailable(String),
    /// The location cannot store keys.
    #[error("{0}")]
    ReadOnly(String),
}

/// Where the engine gets the secrets it does not keep itself, supplied by
/// the caller: the CLI reads environment variables and prompts on the
/// terminal, the app asks in a dialog, tests pass a closure
/// ([`PassphraseFn`]). The engine never reads the terminal or the
/// environment itself. Every method defaults to "nothing to give".
pub trait KeyProvider: Send + Sync {
    /// A key that replaces key `name` wherever the project keeps it (a CI
    /// secret, say): its PEM text and where it came from, for messages.
    fn key(&self, name: &str) -> Option<ProvidedKey> {
        let _ = name;
        None
    }

    /// The PEM text of a key the project keeps in the variable `var`
    /// ([`KeyLocation::Env`]).
    fn variable(&self, var: &str) -> Option<Secret> {
        let _ = var;
        None
    }

    /// The passphrase of the encrypted key `name`, read from `origin`.
    fn passphrase(&self, name: &str, origin: &str) -> Option<Secret> {
        let _ = (name, origin);
        None
    }
}

impl std::fmt::Debug for dyn KeyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyProvider")
    }
}

/// Key text a [`KeyProvider`] gives in place of a configured key.
pub struct ProvidedKey {
    /// PKCS#8 PEM text (plain or encrypted).
    pub pem: Secret,
    /// Where it came from, as shown to the user.
    pub origin: String,
}

/// A provider with nothing to give: keys come from where the project keeps
/// them, encrypted keys cannot be opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecrets;

impl KeyProvider for NoSecrets {}

/// One passphrase for whichever key asks (what a person typed in a dialog).
#[derive(Debug)]
pub struct KnownPassphrase(pub Secret);

impl KeyProvider for KnownPassphrase {
    fn passphrase(&self, _name: &str, _origin: &str) -> Option<Secret> {
        Some(Secret::new(self.0.as_bytes().to_vec()))
    }
}

/// Passphrases from a closure `(key name, origin) -> passphrase`.
pub struct PassphraseFn<F>(pub F);

impl<F> KeyProvider for PassphraseFn<F>
where
    F: Fn(&str, &str) -> Option<Secret> + Send + Sync,
{
    fn passphrase(&self, name: &str, origin: &str) -> Option<Secret> {
        (self.0)(name, origin)
    }
}

/// The passphrase of key `name` from `keys`, or why there is none.
fn ask(keys: &dyn KeyProvider, name: &str, origin: &str) -> Result<Secret, KeyError> {
    keys.passphrase(name, origin).ok_or_else(|| {
        KeyError::NeedPassphrase(format!(
            "key '{name}' ({origin}) is encrypted and no passphrase was given"
        ))
    })
}

/// A custodian's signer from a key file of any supported format, named
/// after the file; an encrypted file's passphrase comes from `keys`.
pub fn signer_from_file(path: &Path, keys: &dyn KeyProvider) -> Result<Signer> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let der = load_der_from_file(path, &name, keys).map_err(|e| key_error(&name, "root", e))?;
    signer_from_der(&name, &der)
}

/// A signer from an entry of Tufa's service in the OS keyring.
pub fn signer_from_keyring_entry(user: &str, keys: &dyn KeyProvider) -> Result<Signer> {
    let location = KeyLocation::Keyring {
        service: KEYRING_SERVICE.into(),
        user: user.to_string(),
    };
    let der =
        load_der(user, &location, Path::new("."), keys).map_err(|e| key_error(user, "root", e))?;
    signer_from_der(user, &der)
}

/// The PKCS#8 DER of key `name` at `location`, or of the key `keys` gives
/// in its place; passphrases of encrypted keys come from `keys` too.
pub fn load_der(
    name: &str,
    location: &KeyLocation,
    project_dir: &Path,
    keys: &dyn KeyProvider,
) -> Result<Secret, KeyError> {
    let passphrase_for = |name: &str, origin: &str| ask(keys, name, origin);
    if let Some(given) = keys.key(name) {
        let text = std::str::from_utf8(given.pem.as_bytes())
            .map_err(|_| KeyError::Unreadable(format!("{} is not a PEM key", given.origin)))?;
        return pem_file::der_from_pem(text, &given.origin, &mut || {
            passphrase_for(name, &given.origin)
        });
    }
    match location {
        KeyLocation::File(p) => {
            let path = project_dir.join(p);
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| KeyError::Missing(format!("cannot read {origin}: {e}")))?;
            pem_file::der_from_pem(&text, &origin, &mut || passphrase_for(name, &origin))
        }
        KeyLocation::Env(v) => {
            let origin = format!("variable {v}");
            let pem = keys
                .variable(v)
                .ok_or_else(|| KeyError::Missing(format!("{origin} was not given")))?;
            let text = std::str::from_utf8(pem.as_bytes())
                .map_err(|_| KeyError::Unreadable(format!("{origin} is not a PEM key")))?;
            pem_file::der_from_pem(text, &origin, &mut || passphrase_for(name, &origin))
        }
        KeyLocation::Keyring { service, user } => {
            let pem_text = keyring_store::load(service, user)?;
            let text = std::str::from_utf8(pem_text.as_bytes()).map_err(|_| {
                KeyError::Unreadable(format!("keyring entry '{user}' is not a PEM key"))
            })?;
            let origin = format!("keyring entry '{user}'");
            pem_file::der_from_pem(text, &origin, &mut || passphrase_for(name, &origin))
        }
        KeyLocation::Custodian => Err(KeyError::Missing(format!(
            "key '{name}' is held by its custodian, not on this computer: they sign the request with their own key file, in custodian mode"
        ))),
        KeyLocation::Tufup(p) => {
            let path = project_dir.join(p);
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| KeyError::Missing(format!("cannot read {origin}: {e}")))?;
            tufup_file::der_from_tufup(&text, &origin, &mut || passphrase_for(name, &origin))
        }
    }
}

/// Reads any supported key file (PEM plain/encrypted, or tufup's format)
/// given by path, for custodians signing outside a project.
pub fn load_der_from_file(
    path: &Path,
    name: &str,
    keys: &dyn KeyProvider,
) -> Result<Secret, KeyError> {
    let passphrase_for = |name: &str, origin: &str| ask(keys, name, origin);
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| KeyError::Missing(format!("cannot read {origin}: {e}")))?;
    if text.trim_start().starts_with("-----BEGIN") {
        pem_file::der_from_pem(&text, &origin, &mut || passphrase_for(name, &origin))
    } else {
        tufup_file::der_from_tufup(&text, &origin, &mut || passphrase_for(name, &origin))
    }
}

/// Stores key `der` at `location`: a PEM file (encrypted with `passphrase`
/// when given) or a keyring entry.
pub fn store_der(
    location: &KeyLocation,
    project_dir: &Path,
    der: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<(), KeyError> {
    match location {
        KeyLocation::File(p) => {
            let pem_text = pem_file::pem_from_der(der, passphrase)?;
            write_private_file(&project_dir.join(p), pem_text.as_bytes())
                .map_err(|e| KeyError::Unreadable(e.to_string()))
        }
        KeyLocation::Keyring { service, user } => {
            let pem_text = pem_file::pem_from_der(der, None)?;
            keyring_store::store(service, user, pem_text.as_bytes())
        }
        KeyLocation::Env(v) => Err(KeyError::ReadOnly(format!(
            "cannot store a key into variable {v}"
        ))),
        KeyLocation::Custodian => Err(KeyError::ReadOnly(
            "a key held by a custodian is not stored here".into(),
        )),
        KeyLocation::Tufup(p) => Err(KeyError::ReadOnly(format!(
            "{} is a tufup key file, read only",
            p.display()
        ))),
    }
}

fn to_sign(der: &Secret) -> Result<Box<dyn Sign>, String> {
    let pair = tough::sign::parse_keypair(der.as_bytes())
        .map_err(|e| format!("not a usable private key ({e})"))?;
    Ok(Box::new(pair))
}

/// A signer from raw PKCS#8 DER.
pub fn signer_from_der(name: &str, der: &Secret) -> Result<Signer> {
    let sign = to_sign(der).map_err(|reason| Error::BadKey {
        name: name.to_string(),
        reason,
    })?;
    let keyid = key_id_of(sign.as_ref())?;
    Ok(Signer {
        name: name.to_string(),
        keyid,
        sign,
    })
}

/// A loaded signing key with its TUF key id.
pub struct Signer {
    /// Key name in the project.
    pub name: String,
    /// TUF key id, hex.
    pub keyid: String,
    pub(crate) sign: Box<dyn Sign>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("keyid", &self.keyid)
            .finish_non_exhaustive()
    }
}

/// The engine error for key `name` (of `role`) that could not be loaded:
/// missing keys and passphrases become errors whose remedy is to provide
/// them, anything else a bad key.
fn key_error(name: &str, role: &str, e: KeyError) -> Error {
    match e {
        KeyError::NeedPassphrase(origin) => Error::NeedPassphrase {
            name: name.to_string(),
            role: role.to_string(),
            origin,
        },
        KeyError::Missing(why) | KeyError::KeyringUnavailable(why) => Error::MissingKey {
            name: name.to_string(),
            role: role.to_string(),
            hint: why,
        },
        other => Error::BadKey {
            name: name.to_string(),
            reason: other.to_string(),
        },
    }
}

/// Loads key `name` (through `keys` for passphrases and replacements) and
/// checks it is the key root.json expects.
pub fn load_signer(
    name: &str,
    cfg: &KeyConfig,
    project_dir: &Path,
    role: &str,
    keys: &dyn KeyProvider,
) -> Result<Signer> {
    let der = load_der(name, &cfg.location, project_dir, keys).map_err(|e| match e {
        KeyError::Missing(why) | KeyError::KeyringUnavailable(why) => Error::MissingKey {
            name: name.to_string(),
            role: role.to_string(),
            hint: format!("{why}; it is expected in {}", cfg.location),
        },
        other => key_error(name, role, other),
    })?;
    let signer = signer_from_der(name, &der)?;
    if signer.keyid != cfg.keyid {
        return Err(Error::BadKey {
            name: name.to_string(),
            reason: format!(
                "it is not the key the repository trusts (key id {}…, expected {}…)",
                crate::display::short_id(&signer.keyid),
                crate::display::short_id(&cfg.keyid)
            ),
        });
    }
    Ok(signer)
}

/// Hex TUF key id of a signing key.
pub fn key_id_of(sign: &dyn Sign) -> Result<String> {
    sign.tuf_key()
        .key_id()
        .map(|id| hex::encode(&id))
        .map_err(|e| Error::encoding("a key id", e))
}

/// A new ed25519 key as PKCS#8 DER.
pub fn generate_ed25519() -> Result<Secret> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let doc = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| Error::Crypto("the system random generator failed".into()))?;
    Ok(Secret::new(doc.as_ref().to_vec()))
}

/// A new ed25519 key as PKCS#8 PEM text.
pub fn generate_ed25519_pem() -> Result<String> {
    let der = generate_ed25519()?;
    Ok(pem::encode(&pem::Pem::new(
        "PRIVATE KEY",
        der.as_bytes().to_vec(),
    )))
}

/// Writes a private key file readable by its owner only; never overwrites.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::KeyFileExists {
                path: path.to_path_buf(),
            }
        } else {
            Error::io(format!("creating {}", path.display()), e)
        }
    })?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test keys in tufup's formats (tests/data/tufup-keys/README.txt).
    fn tufup_keys() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tufup-keys")
    }

    #[test]
    fn encrypted_pem_round_trip_and_wrong_passphrase() {
        let der = generate_ed25519().unwrap();
        let pem_text = pem_file::pem_from_der(der.as_bytes(), Some(b"correct horse")).unwrap();
        let text = std::str::from_utf8(pem_text.as_bytes()).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let back = pem_file::der_from_pem(text, "t", &mut || {
            Ok(Secret::new(b"correct horse".to_vec()))
        })
        .unwrap();
        assert_eq!(back.as_bytes(), der.as_bytes());
        let wrong = pem_file::der_from_pem(text, "t", &mut || Ok(Secret::new(b"nope".to_vec())));
        assert!(matches!(wrong, Err(KeyError::WrongPassphrase(_))));
        assert_eq!(format!("{der:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn reads_tufup_keys_plain_and_encrypted() {
        let dir = tufup_keys();
        let plain = std::fs::read_to_string(dir.join("targets")).unwrap();
        let der = tufup_file::der_from_tufup(&plain, "targets", &mut || unreachable!()).unwrap();
        let public: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("targets.pub")).unwrap())
                .unwrap();
        let signer = signer_from_der("targets", &der).unwrap();
        let tough::schema::key::Key::Ed25519 { keyval, .. } = signer.sign.tuf_key() else {
            panic!("ed25519")
        };
        assert_eq!(
            hex::encode(&keyval.public),
            public["keyval"]["public"].as_str().unwrap()
        );

        let enc = std::fs::read_to_string(dir.join("encrypted_key")).unwrap();
        let der = tufup_file::der_from_tufup(&enc, "enc", &mut || {
            Ok(Secret::new(b"tufup-fixture-password".to_vec()))
        })
        .unwrap();
        let public: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("encrypted_key.pub")).unwrap())
                .unwrap();
        let signer = signer_from_der("enc", &der).unwrap();
        let tough::schema::key::Key::Ed25519 { keyval, .. } = signer.sign.tuf_key() else {
            panic!("ed25519")
        };
        assert_eq!(
            hex::encode(&keyval.public),
            public["keyval"]["public"].as_str().unwrap()
        );
        let wrong =
            tufup_file::der_from_tufup(&enc, "enc", &mut || Ok(Secret::new(b"wrong".to_vec())));
        assert!(matches!(wrong, Err(KeyError::WrongPassphrase(_))));
    }
}
