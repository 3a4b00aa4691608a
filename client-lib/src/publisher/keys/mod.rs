//! Private keys behind tough's `KeySource`: PKCS#8 PEM files (plain or
//! passphrase-encrypted), the OS keyring, environment variables (CI), and
//! tufup's securesystemslib key files (read only, for adoption).
//!
//! Any key can be overridden by the environment variable `TUFA_KEY_<NAME>`
//! (name upper-cased, `-` as `_`) holding its PEM text. Passphrases come
//! from `TUFA_PASSPHRASE_<NAME>`, then `TUFA_PASSPHRASE`, then a prompt on
//! the terminal; never from a command-line argument. Secrets are zeroed
//! when dropped and never appear in `Debug`, logs or errors.

mod keyring_store;
mod pem_file;
mod tufup_file;

pub use keyring_store::{
    available as keyring_available, delete as keyring_delete, entry_name as keyring_entry_name,
    SERVICE as KEYRING_SERVICE,
};

use super::project::{KeyConfig, KeyLocation};
use crate::{Error, Result};
use async_trait::async_trait;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tough::key_source::KeySource;
use tough::sign::Sign;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Secret bytes: zeroed on drop, never printed.
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

/// The environment variable that overrides key `name`.
pub fn env_var_for(name: &str) -> String {
    format!("TUFA_KEY_{}", upper(name))
}

/// The environment variable holding the passphrase of key `name`.
pub fn passphrase_var_for(name: &str) -> String {
    format!("TUFA_PASSPHRASE_{}", upper(name))
}

fn upper(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The passphrase for key `name`: from the environment, else a prompt when
/// a person is at the terminal.
pub fn passphrase_for(name: &str, origin: &str) -> Result<Secret, KeyError> {
    for var in [passphrase_var_for(name), "TUFA_PASSPHRASE".to_string()] {
        if let Ok(v) = std::env::var(&var) {
            return Ok(Secret::new(v.into_bytes()));
        }
    }
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password(format!("Passphrase for key '{name}' ({origin}): "))
            .map_err(|e| KeyError::NeedPassphrase(format!("cannot read a passphrase: {e}")))?;
        return Ok(Secret::new(typed.into_bytes()));
    }
    Err(KeyError::NeedPassphrase(format!(
        "key '{name}' ({origin}) is encrypted: set {} (or TUFA_PASSPHRASE), or run in a terminal to be asked",
        passphrase_var_for(name)
    )))
}

/// `known` when given, else [`passphrase_for`].
fn known_or_ask(known: Option<&Secret>, name: &str, origin: &str) -> Result<Secret, KeyError> {
    match known {
        Some(p) => Ok(Secret::new(p.as_bytes().to_vec())),
        None => passphrase_for(name, origin),
    }
}

/// A custodian's signer from a key file of any supported format, named
/// after the file; `known` is the passphrase when one was typed.
pub fn signer_from_file(path: &Path, known: Option<&Secret>) -> Result<Signer> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let der = load_der_from_file_with(path, &name, known).map_err(|e| Error::BadKey {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    signer_from_der(&name, &der)
}

/// A signer from an entry of Tufa's service in the OS keyring.
pub fn signer_from_keyring_entry(user: &str, known: Option<&Secret>) -> Result<Signer> {
    let location = KeyLocation::Keyring {
        service: KEYRING_SERVICE.into(),
        user: user.to_string(),
    };
    let der = load_der_with(user, &location, Path::new("."), known).map_err(|e| Error::BadKey {
        name: user.to_string(),
        reason: e.to_string(),
    })?;
    signer_from_der(user, &der)
}

/// The PKCS#8 DER of key `name` at `location` (or from its environment
/// override).
pub fn load_der(
    name: &str,
    location: &KeyLocation,
    project_dir: &Path,
) -> Result<Secret, KeyError> {
    load_der_with(name, location, project_dir, None)
}

/// [`load_der`] with a known passphrase (instead of asking for one).
pub fn load_der_with(
    name: &str,
    location: &KeyLocation,
    project_dir: &Path,
    known: Option<&Secret>,
) -> Result<Secret, KeyError> {
    let passphrase_for = |name: &str, origin: &str| known_or_ask(known, name, origin);
    let var = env_var_for(name);
    if let Ok(text) = std::env::var(&var) {
        let origin = format!("environment variable {var}");
        return pem_file::der_from_pem(&text, &origin, &mut || passphrase_for(name, &origin));
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
            let origin = format!("environment variable {v}");
            let text =
                std::env::var(v).map_err(|_| KeyError::Missing(format!("{v} is not set")))?;
            pem_file::der_from_pem(&text, &origin, &mut || passphrase_for(name, &origin))
        }
        KeyLocation::Keyring { service, user } => {
            let pem_text = keyring_store::load(service, user)?;
            let text = std::str::from_utf8(pem_text.as_bytes()).map_err(|_| {
                KeyError::Unreadable(format!("keyring entry '{user}' is not a PEM key"))
            })?;
            let origin = format!("keyring entry '{user}'");
            pem_file::der_from_pem(text, &origin, &mut || passphrase_for(name, &origin))
        }
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
pub fn load_der_from_file(path: &Path, name: &str) -> Result<Secret, KeyError> {
    load_der_from_file_with(path, name, None)
}

/// [`load_der_from_file`] with a known passphrase (from a dialog).
pub fn load_der_from_file_with(
    path: &Path,
    name: &str,
    known: Option<&Secret>,
) -> Result<Secret, KeyError> {
    let passphrase_for = |name: &str, origin: &str| known_or_ask(known, name, origin);
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
            "cannot store a key into environment variable {v}"
        ))),
        KeyLocation::Tufup(p) => Err(KeyError::ReadOnly(format!(
            "{} is a tufup key file, read only",
            p.display()
        ))),
    }
}

/// Writes key `der` to `path` as PEM, encrypted with `passphrase` when
/// given (for backups and custodians).
pub fn export_der(path: &Path, der: &[u8], passphrase: Option<&[u8]>) -> Result<(), KeyError> {
    let pem_text = pem_file::pem_from_der(der, passphrase)?;
    write_private_file(path, pem_text.as_bytes()).map_err(|e| KeyError::Unreadable(e.to_string()))
}

/// A configured key as tough's `KeySource`. `Debug` shows where the key
/// lives, never the key.
#[derive(Debug, Clone)]
pub struct ConfiguredKeySource {
    /// Key name in the project.
    pub name: String,
    /// Where it lives.
    pub location: KeyLocation,
    /// Project directory (relative paths).
    pub project_dir: PathBuf,
}

fn to_sign(der: &Secret) -> Result<Box<dyn Sign>, BoxError> {
    let pair = tough::sign::parse_keypair(der.as_bytes())
        .map_err(|e| format!("not a usable private key ({e})"))?;
    Ok(Box::new(pair))
}

#[async_trait]
impl KeySource for ConfiguredKeySource {
    async fn as_sign(&self) -> Result<Box<dyn Sign>, BoxError> {
        let der = load_der(&self.name, &self.location, &self.project_dir)?;
        to_sign(&der)
    }

    async fn write(&self, value: &str, _key_id_hex: &str) -> Result<(), BoxError> {
        let der = pem_file::der_from_pem(value, "new key", &mut || {
            Err(KeyError::NeedPassphrase("unexpected encrypted key".into()))
        })?;
        store_der(&self.location, &self.project_dir, der.as_bytes(), None)?;
        Ok(())
    }
}

/// A signer from raw PKCS#8 DER.
pub fn signer_from_der(name: &str, der: &Secret) -> Result<Signer> {
    let sign = to_sign(der).map_err(|e| Error::BadKey {
        name: name.to_string(),
        reason: e.to_string(),
    })?;
    let keyid = key_id_of(sign.as_ref())?;
    Ok(Signer {
        name: name.to_string(),
        keyid,
        sign,
    })
}

/// The key source for a configured key.
pub fn source_for(name: &str, cfg: &KeyConfig, project_dir: &Path) -> ConfiguredKeySource {
    ConfiguredKeySource {
        name: name.to_string(),
        location: cfg.location.clone(),
        project_dir: project_dir.to_path_buf(),
    }
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

/// Loads key `name` and checks it is the key root.json expects.
pub fn load_signer(name: &str, cfg: &KeyConfig, project_dir: &Path, role: &str) -> Result<Signer> {
    let der = load_der(name, &cfg.location, project_dir).map_err(|e| match e {
        KeyError::Missing(why)
        | KeyError::KeyringUnavailable(why)
        | KeyError::NeedPassphrase(why) => Error::MissingKey {
            name: name.to_string(),
            role: role.to_string(),
            hint: format!(
                "{why}; it is expected in {} (or set {})",
                cfg.location,
                env_var_for(name)
            ),
        },
        other => Error::BadKey {
            name: name.to_string(),
            reason: other.to_string(),
        },
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
    fn tufup_keys() -> PathBuf {
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
