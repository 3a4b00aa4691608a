//! The project file `tufa.toml`: which app, where the repository and the
//! keys are, thresholds and expiry per role. Paths are relative to the
//! directory holding the file.

use crate::error::IoContext;
use crate::metadata::TopRole;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name of the project file.
pub const PROJECT_FILE: &str = "tufa.toml";

/// Default expiry in days per role: policy, see [`crate::policy`].
pub use crate::policy::default_expiry_days;

/// Where a private key lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyLocation {
    /// A PKCS#8 PEM file, relative to the project directory.
    File(PathBuf),
    /// An environment variable holding the PEM text (for CI).
    Env(String),
    /// An entry of the OS keyring.
    Keyring {
        /// Keyring service (`tufa`).
        service: String,
        /// Entry name, `<app>:<key name>:<key id>`.
        user: String,
    },
    /// A tufup (securesystemslib) key file, read only.
    Tufup(PathBuf),
    /// Held by a custodian elsewhere: the project has only the public key
    /// (in root.json); the custodian signs in custodian mode.
    Custodian,
}

impl std::fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyLocation::File(p) => write!(f, "file {}", p.display()),
            KeyLocation::Env(v) => write!(f, "variable {v}"),
            KeyLocation::Keyring { user, .. } => write!(f, "OS keyring entry {user}"),
            KeyLocation::Tufup(p) => write!(f, "tufup key file {}", p.display()),
            KeyLocation::Custodian => write!(f, "its custodian (only the public key is here)"),
        }
    }
}

/// A key known to the project. The public half is in root.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyConfig {
    /// TUF key id (sha256 of the canonical public key).
    pub keyid: String,
    /// Where the private key is.
    pub location: KeyLocation,
    /// Who holds it (a person or a team), for people reading the key list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// Signing policy of one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleConfig {
    /// Signatures required.
    pub threshold: u64,
    /// Lifetime of a freshly signed version, in days.
    pub expires_days: u32,
    /// Names of the keys of this role (see `[keys]`).
    pub keys: Vec<String>,
}

/// Contents of `tufa.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Application name, `[A-Za-z0-9_-]+`.
    pub app_name: String,
    /// Repository directory (holds `metadata/` and `targets/`).
    pub repo_dir: PathBuf,
    /// Directory for key files.
    pub keys_dir: PathBuf,
    /// Policy per role.
    pub roles: BTreeMap<TopRole, RoleConfig>,
    /// Keys by name.
    pub keys: BTreeMap<String, KeyConfig>,
    /// First root version whose chain Tufa verifies: 1, or the root Tufa
    /// published when it adopted a tufup repository (older tufup roots use
    /// key ids tough cannot read).
    #[serde(default = "first_root", skip_serializing_if = "is_first_root")]
    pub trust_from_root: u64,
    /// Where `tufa publish` uploads the repository (credentials stay in
    /// the environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<PublishConfig>,
    /// Platforms whose releases live in a delegated targets role of their
    /// own (`tufa platform delegate`), by platform; the role is named
    /// after the platform.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub delegations: BTreeMap<String, DelegationConfig>,
}

/// `[delegations.<platform>]` in tufa.toml: the delegated targets role
/// that signs one platform's releases (a CI runner's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegationConfig {
    /// Signatures required (top-level targets names this threshold).
    pub threshold: u64,
    /// Lifetime of a freshly signed version, in days.
    pub expires_days: u32,
    /// Names of the keys of this role (see `[keys]`).
    pub keys: Vec<String>,
}

/// `[publish]` in tufa.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    /// `s3://BUCKET/PREFIX` or a directory.
    pub to: String,
    /// Endpoint of an S3-compatible server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

fn first_root() -> u64 {
    1
}

fn is_first_root(v: &u64) -> bool {
    *v == 1
}

impl Project {
    /// Reads `tufa.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(PROJECT_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NoProject {
                    dir: dir.to_path_buf(),
                    file: PROJECT_FILE,
                }
            } else {
                Error::io(format!("reading {}", path.display()), e)
            }
        })?;
        let project: Project = toml::from_str(&text).map_err(|e| Error::InvalidProjectFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        project.validate()?;
        Ok(project)
    }

    /// Checks internal consistency: every role configured with enough keys,
    /// every key name defined.
    pub fn validate(&self) -> Result<()> {
        crate::target::validate_app_name(&self.app_name)?;
        for role in TopRole::ALL {
            let cfg = self.role(role)?;
            if cfg.threshold == 0 {
                return Err(Error::InvalidSetting {
                    field: format!("roles.{role}.threshold"),
                    reason: "must be at least 1".into(),
                });
            }
            if cfg.threshold > cfg.keys.len() as u64 {
                return Err(Error::ThresholdImpossible {
                    role: role.to_string(),
                    threshold: cfg.threshold,
                    keys: cfg.keys.len() as u64,
                });
            }
            if cfg.expires_days == 0 {
                return Err(Error::InvalidSetting {
                    field: format!("roles.{role}.expires_days"),
                    reason: "must be at least 1".into(),
                });
            }
            for k in &cfg.keys {
                if !self.keys.contains_key(k) {
                    return Err(Error::InvalidSetting {
                        field: format!("roles.{role}.keys"),
                        reason: format!("names key '{k}', which [keys] does not define"),
                    });
                }
            }
        }
        for (platform, cfg) in &self.delegations {
            crate::target::validate_platform(platform)?;
            let field = |f: &str| format!("delegations.{platform}.{f}");
            if cfg.threshold == 0 || cfg.threshold > cfg.keys.len() as u64 {
                return Err(Error::ThresholdImpossible {
                    role: platform.clone(),
                    threshold: cfg.threshold,
                    keys: cfg.keys.len() as u64,
                });
            }
            if cfg.expires_days == 0 {
                return Err(Error::InvalidSetting {
                    field: field("expires_days"),
                    reason: "must be at least 1".into(),
                });
            }
            if let Some(k) = cfg.keys.iter().find(|k| !self.keys.contains_key(*k)) {
                return Err(Error::InvalidSetting {
                    field: field("keys"),
                    reason: format!("names key '{k}', which [keys] does not define"),
                });
            }
        }
        Ok(())
    }

    /// Policy of `role`.
    pub fn role(&self, role: TopRole) -> Result<&RoleConfig> {
        self.roles.get(&role).ok_or_else(|| Error::InvalidSetting {
            field: format!("roles.{role}"),
            reason: format!("missing from {PROJECT_FILE}"),
        })
    }

    /// Writes `tufa.toml` into `dir` atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).map_err(|e| Error::Encoding {
            what: PROJECT_FILE.into(),
            reason: e.to_string(),
        })?;
        let header = "# Tufa project file. Private keys are never stored here.\n";
        super::commit::write_atomic(
            &dir.join(PROJECT_FILE),
            format!("{header}{text}").as_bytes(),
        )
    }

    /// Absolute repository directory.
    pub fn repo_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.repo_dir)
    }

    /// Roles a key serves.
    pub fn roles_of(&self, key: &str) -> Vec<TopRole> {
        TopRole::ALL
            .into_iter()
            .filter(|r| {
                self.roles
                    .get(r)
                    .is_some_and(|c| c.keys.iter().any(|k| k == key))
            })
            .collect()
    }
}

/// Makes `path` relative to `base` when it lies below it, for portable
/// project files.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Creates `dir` if needed.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))
}
