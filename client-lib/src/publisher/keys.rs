//! Private keys behind tough's `KeySource`, so that other sources (the OS
//! keyring) drop in beside files and environment variables.
//!
//! Any key can be overridden in CI by the environment variable
//! `TUFA_KEY_<NAME>` (name upper-cased, `-` as `_`) holding the PEM text.

use super::project::{KeyConfig, KeyLocation};
use crate::{Error, Result};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use tough::key_source::KeySource;
use tough::sign::Sign;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The environment variable that overrides key `name`.
pub fn env_var_for(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("TUFA_KEY_{upper}")
}

/// A PKCS#8 PEM private key file.
#[derive(Debug, Clone)]
pub struct PemFileKeySource {
    /// Path of the file.
    pub path: PathBuf,
}

/// PEM text in an environment variable. `Debug` shows only the variable's
/// name, never its value.
#[derive(Debug, Clone)]
pub struct EnvKeySource {
    /// Name of the variable.
    pub var: String,
}

fn parse_pem(text: &str, origin: &str) -> Result<Box<dyn Sign>, BoxError> {
    let block =
        pem::parse(text.trim()).map_err(|e| format!("{origin} does not hold a PEM key ({e})"))?;
    if block.tag() != "PRIVATE KEY" {
        return Err(format!(
            "{origin} holds a PEM '{}' block; expected an unencrypted PKCS#8 'PRIVATE KEY'",
            block.tag()
        )
        .into());
    }
    let pair = tough::sign::parse_keypair(block.contents())
        .map_err(|e| format!("{origin} holds no usable private key ({e})"))?;
    Ok(Box::new(pair))
}

#[async_trait]
impl KeySource for PemFileKeySource {
    async fn as_sign(&self) -> Result<Box<dyn Sign>, BoxError> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        parse_pem(&text, &self.path.display().to_string())
    }

    async fn write(&self, value: &str, _key_id_hex: &str) -> Result<(), BoxError> {
        write_private_file(&self.path, value.as_bytes()).map_err(|e| e.to_string().into())
    }
}

#[async_trait]
impl KeySource for EnvKeySource {
    async fn as_sign(&self) -> Result<Box<dyn Sign>, BoxError> {
        let text = std::env::var(&self.var).map_err(|_| format!("{} is not set", self.var))?;
        parse_pem(&text, &format!("environment variable {}", self.var))
    }

    async fn write(&self, _value: &str, _key_id_hex: &str) -> Result<(), BoxError> {
        Err(format!("cannot store a key into environment variable {}", self.var).into())
    }
}

/// The key source for a configured key, honouring the CI override.
pub fn source_for(name: &str, cfg: &KeyConfig, project_dir: &Path) -> Box<dyn KeySource> {
    let var = env_var_for(name);
    if std::env::var_os(&var).is_some() {
        return Box::new(EnvKeySource { var });
    }
    match &cfg.location {
        KeyLocation::File(p) => Box::new(PemFileKeySource {
            path: project_dir.join(p),
        }),
        KeyLocation::Env(v) => Box::new(EnvKeySource { var: v.clone() }),
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
    let source = source_for(name, cfg, project_dir);
    let sign = futures::executor::block_on(source.as_sign()).map_err(|e| Error::MissingKey {
        name: name.to_string(),
        role: role.to_string(),
        hint: format!(
            "{e}; it is expected in {} (or set {})",
            cfg.location,
            env_var_for(name)
        ),
    })?;
    let keyid = key_id_of(sign.as_ref())?;
    if keyid != cfg.keyid {
        return Err(Error::BadKey {
            name: name.to_string(),
            reason: format!(
                "it is not the key the repository trusts (key id {}…, expected {}…)",
                &keyid[..12],
                &cfg.keyid[..cfg.keyid.len().min(12)]
            ),
        });
    }
    Ok(Signer {
        name: name.to_string(),
        keyid,
        sign,
    })
}

/// Hex TUF key id of a signing key.
pub fn key_id_of(sign: &dyn Sign) -> Result<String> {
    sign.tuf_key()
        .key_id()
        .map(|id| hex::encode(&id))
        .map_err(|e| Error::Tuf(format!("cannot compute key id: {e}")))
}

/// A new ed25519 key as PKCS#8 PEM text.
pub fn generate_ed25519_pem() -> Result<String> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let doc = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| Error::Tuf("the system random generator failed".into()))?;
    Ok(pem::encode(&pem::Pem::new(
        "PRIVATE KEY",
        doc.as_ref().to_vec(),
    )))
}

/// Writes a private key file readable by its owner only; never overwrites.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Project(format!(
                "{} already exists; refusing to overwrite a key",
                path.display()
            ))
        } else {
            Error::io(format!("creating {}", path.display()), e)
        }
    })?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
