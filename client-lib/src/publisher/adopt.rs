//! Adopting a tufup project: its keys, its repository, its clients.
//!
//! tufup writes legacy key ids (securesystemslib's, computed with
//! `keyid_hash_algorithms` that the keys in root.json do not carry), which
//! tough rejects. Adoption publishes root N+1 with the same keys under
//! standard key ids, signed by the old root keys under their legacy ids
//! (so that tufup clients trusting root N accept it) and under the new ids
//! (its own threshold); then re-signs targets, snapshot and timestamp. From
//! then on Tufa manages the repository; clients on either side keep
//! updating.

use super::commit::{RepoLock, Transaction};
use super::keys::{self, signer_from_der, Secret, Signer};
use super::project::{KeyConfig, KeyLocation, Project, RoleConfig, PROJECT_FILE};
use super::signing::add_signatures;
use super::{PublishOutcome, Publisher, VersionChange};
use crate::metadata::{
    canonical_json, file_bytes, read_limited, RepoMetadata, TopRole, MAX_METADATA_BYTES,
};
use crate::{Error, Result};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use tough::schema::{RoleKeys, Root, Signature, Signed, Snapshot, Targets, Timestamp};

/// Where the adopted keys go.
#[derive(Debug, Clone)]
pub enum AdoptKeys {
    /// PKCS#8 PEM files in this directory (relative to the project).
    Files(PathBuf),
    /// The OS keyring.
    Keyring,
}

#[derive(Deserialize)]
struct TufupConfig {
    app_name: String,
    repo_dir: PathBuf,
    keys_dir: PathBuf,
    key_map: BTreeMap<String, Vec<String>>,
    thresholds: BTreeMap<String, u64>,
    #[serde(default)]
    encrypted_keys: Vec<String>,
    #[serde(default)]
    expiration_days: BTreeMap<String, u32>,
}

fn bad(what: impl Into<String>) -> Error {
    Error::CannotAdopt {
        reason: what.into(),
    }
}

/// Ed25519 public key bytes of a key object in tufup's root.json.
fn public_of(key: &Value) -> Option<Vec<u8>> {
    key["keyval"]["public"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
}

/// Valid signatures of `doc` by keys of `role` in `root` (legacy ids),
/// checked over canonical JSON as securesystemslib does.
fn legacy_valid(root: &Value, role: &str, doc: &Value) -> Result<u64> {
    let data = canonical_json(&doc["signed"])?;
    let keyids: Vec<&str> = root["signed"]["roles"][role]["keyids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut valid = Vec::new();
    for sig in doc["signatures"].as_array().into_iter().flatten() {
        let (Some(id), Some(sig_hex)) = (sig["keyid"].as_str(), sig["sig"].as_str()) else {
            continue;
        };
        if !keyids.contains(&id) || valid.contains(&id) {
            continue;
        }
        let (Some(public), Ok(sig_bytes)) =
            (public_of(&root["signed"]["keys"][id]), hex::decode(sig_hex))
        else {
            continue;
        };
        let key =
            aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, public);
        if key.verify(&data, &sig_bytes).is_ok() {
            valid.push(id);
        }
    }
    Ok(valid.len() as u64)
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = read_limited(path, MAX_METADATA_BYTES)?;
    serde_json::from_slice(&bytes).map_err(|source| Error::MalformedJson {
        file: path.display().to_string(),
        source,
    })
}

impl Publisher {
    /// Adopts the tufup project in `dir` (holding `.tufup-repo-config`):
    /// imports its keys into `keys_to`, publishes root N+1 with standard
    /// key ids and re-signs the other roles, and writes `tufa.toml` there.
    /// Passphrases of encrypted tufup keys come from `keys`, which the
    /// returned publisher keeps.
    pub fn adopt_tufup(
        dir: &Path,
        keys_to: &AdoptKeys,
        keys: std::sync::Arc<dyn keys::KeyProvider>,
    ) -> Result<(Publisher, PublishOutcome)> {
        let config_path = dir.join(".tufup-repo-config");
        let config: TufupConfig = serde_json::from_slice(&read_limited(&config_path, 1 << 20)?)
            .map_err(|e| bad(format!("{}: {e}", config_path.display())))?;
        crate::target::validate_app_name(&config.app_name)?;
        if dir.join(PROJECT_FILE).exists() {
            return Err(bad(format!(
                "{} exists: this project is already managed by Tufa",
                dir.join(PROJECT_FILE).display()
            )));
        }
        let repo = dir.join(&config.repo_dir);
        let md = repo.join("metadata");
        let _lock = RepoLock::acquire(&repo)?;
        super::commit::recover(&repo)?;

        // The current state, verified with tufup's own (legacy) key ids.
        let root = read_json(&md.join("root.json"))?;
        let n = root["signed"]["version"]
            .as_u64()
            .ok_or_else(|| bad("root.json has no version"))?;
        if read_json(&md.join(format!("{n}.root.json")))? != root {
            return Err(bad(format!("root.json differs from {n}.root.json")));
        }
        let targets_doc = read_json(&md.join("targets.json"))?;
        for (role, doc) in [
            ("root", &root),
            ("targets", &targets_doc),
            ("snapshot", &read_json(&md.join("snapshot.json"))?),
            ("timestamp", &read_json(&md.join("timestamp.json"))?),
        ] {
            let need = root["signed"]["roles"][role]["threshold"]
                .as_u64()
                .unwrap_or(1);
            let have = legacy_valid(&root, role, doc)?;
            if have < need {
                return Err(Error::VerificationFailed {
                    file: format!("{role}.json"),
                    reason: format!(
                        "{have} valid signature(s) under root version {n}, {need} needed"
                    ),
                });
            }
        }

        // Keys: each keystore file must be the key root.json lists.
        let mut signers: BTreeMap<String, (Signer, Secret)> = BTreeMap::new();
        let mut legacy_id_of: HashMap<String, String> = HashMap::new();
        for (role, names) in &config.key_map {
            let keyids: Vec<String> = root["signed"]["roles"][role]["keyids"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            for name in names {
                if signers.contains_key(name) {
                    continue;
                }
                let path = dir.join(&config.keys_dir).join(name);
                let der = keys::load_der(name, &KeyLocation::Tufup(path.clone()), dir, &*keys)
                    .map_err(|e| bad(format!("key '{name}' ({}): {e}", path.display())))?;
                let signer = signer_from_der(name, &der)?;
                let tough::schema::key::Key::Ed25519 { keyval, .. } = signer.sign.tuf_key() else {
                    return Err(bad(format!("key '{name}' is not ed25519")));
                };
                let legacy = keyids
                    .iter()
                    .find(|id| {
                        public_of(&root["signed"]["keys"][id.as_str()]).as_deref()
                            == Some(keyval.public.as_ref())
                    })
                    .ok_or_else(|| {
                        bad(format!(
                            "keystore key '{name}' is not a {role} key of root version {n}"
                        ))
                    })?;
                legacy_id_of.insert(signer.keyid.clone(), legacy.clone());
                signers.insert(name.clone(), (signer, der));
            }
        }

        // The project, with keys stored where the user chose.
        let roles_of = |r: TopRole| config.key_map.get(r.as_str()).cloned().unwrap_or_default();
        let mut project = Project {
            app_name: config.app_name.clone(),
            repo_dir: config.repo_dir.clone(),
            keys_dir: match keys_to {
                AdoptKeys::Files(p) => p.clone(),
                AdoptKeys::Keyring => "keys".into(),
            },
            roles: BTreeMap::new(),
            keys: BTreeMap::new(),
            trust_from_root: n + 1,
            publish: None,
            delegations: BTreeMap::new(),
        };
        for role in TopRole::ALL {
            project.roles.insert(
                role,
                RoleConfig {
                    threshold: config.thresholds.get(role.as_str()).copied().unwrap_or(1),
                    expires_days: config
                        .expiration_days
                        .get(role.as_str())
                        .copied()
                        .unwrap_or_else(|| super::project::default_expiry_days(role)),
                    keys: roles_of(role),
                },
            );
        }
        for (name, (signer, der)) in &signers {
            let location = match keys_to {
                AdoptKeys::Files(p) => KeyLocation::File(p.join(format!("{name}.pem"))),
                AdoptKeys::Keyring => KeyLocation::Keyring {
                    service: keys::KEYRING_SERVICE.into(),
                    user: keys::keyring_entry_name(&config.app_name, name, &signer.keyid),
                },
            };
            // An encrypted tufup key stays encrypted, with the same passphrase.
            let passphrase = match (keys_to, config.encrypted_keys.contains(name)) {
                (AdoptKeys::Files(_), true) => Some(
                    keys.passphrase(name, "the encrypted key file to write")
                        .ok_or_else(|| Error::NeedPassphrase {
                            name: name.clone(),
                            role: "adoption".into(),
                            origin: "the encrypted key file to write".into(),
                        })?,
                ),
                _ => None,
            };
            keys::store_der(
                &location,
                dir,
                der.as_bytes(),
                passphrase.as_ref().map(|p| p.as_bytes()),
            )
            .map_err(|e| bad(format!("storing key '{name}': {e}")))?;
            project.keys.insert(
                name.clone(),
                KeyConfig {
                    keyid: signer.keyid.clone(),
                    location,
                    owner: None,
                },
            );
        }
        project.validate()?;
        let publisher = Publisher {
            dir: dir.to_path_buf(),
            project,
            keys,
        };
        let outcome = publisher.publish_adoption(&md, n, &targets_doc, &signers, &legacy_id_of)?;
        publisher.project.save(dir)?;
        Ok((publisher, outcome))
    }

    fn publish_adoption(
        &self,
        md: &Path,
        n: u64,
        targets_doc: &Value,
        signers: &BTreeMap<String, (Signer, Secret)>,
        legacy_id_of: &HashMap<String, String>,
    ) -> Result<PublishOutcome> {
        let signers_of = |role: TopRole| -> Vec<&Signer> {
            self.project
                .role(role)
                .map(|c| {
                    c.keys
                        .iter()
                        .filter_map(|k| signers.get(k).map(|(s, _)| s))
                        .collect()
                })
                .unwrap_or_default()
        };
        let version = |v: u64| NonZeroU64::new(v).unwrap_or(NonZeroU64::MIN);
        let mut root = Root {
            spec_version: crate::metadata::SPEC_VERSION.into(),
            consistent_snapshot: false,
            version: version(n + 1),
            expires: self.expiry(TopRole::Root, None)?,
            keys: HashMap::new(),
            roles: HashMap::new(),
            _extra: HashMap::new(),
        };
        for role in TopRole::ALL {
            let mut keyids = Vec::new();
            for s in signers_of(role) {
                let id: tough::schema::decoded::Decoded<tough::schema::decoded::Hex> =
                    hex::decode(&s.keyid)
                        .map_err(|e| Error::encoding("a key id", e))?
                        .into();
                root.keys.insert(id.clone(), s.sign.tuf_key());
                keyids.push(id);
            }
            root.roles.insert(
                role.role_type(),
                RoleKeys {
                    keyids,
                    threshold: version(self.project.role(role)?.threshold),
                    _extra: HashMap::new(),
                },
            );
        }
        // Signed by the root keys under their standard ids (for the new
        // root's threshold) and under tufup's ids (for the old root's).
        let mut signed_root = Signed {
            signed: root,
            signatures: Vec::new(),
        };
        let root_signers: Vec<Signer> = signers_of(TopRole::Root)
            .into_iter()
            .map(|s| {
                signers
                    .get(&s.name)
                    .map(|(_, der)| signer_from_der(&s.name, der))
            })
            .collect::<Option<Result<Vec<_>>>>()
            .ok_or_else(|| bad("root key missing"))??;
        add_signatures(&mut signed_root, &root_signers)?;
        let data = canonical_json(&signed_root.signed)?;
        let rng = aws_lc_rs::rand::SystemRandom::new();
        for s in &root_signers {
            if let Some(legacy) = legacy_id_of.get(&s.keyid) {
                let sig = futures::executor::block_on(s.sign.sign(&data, &rng)).map_err(|e| {
                    Error::BadKey {
                        name: s.name.clone(),
                        reason: e.to_string(),
                    }
                })?;
                signed_root.signatures.push(Signature {
                    keyid: hex::decode(legacy)
                        .map_err(|e| Error::encoding("a key id", e))?
                        .into(),
                    sig: sig.into(),
                });
            }
        }

        // The other roles, same content, new versions, standard ids.
        let mut targets: Targets = serde_json::from_value::<Signed<Targets>>(targets_doc.clone())
            .map_err(|source| Error::MalformedJson {
                file: "targets.json".into(),
                source,
            })?
            .signed;
        let old_targets_version = targets.version.get();
        targets.version = super::staging::next(targets.version)?;
        targets.expires = self.expiry(TopRole::Targets, None)?;
        targets.spec_version = crate::metadata::SPEC_VERSION.into();
        let owned = |role| -> Result<Vec<Signer>> {
            signers_of(role)
                .into_iter()
                .map(|s| {
                    signers
                        .get(&s.name)
                        .ok_or_else(|| bad("key missing"))
                        .and_then(|(_, der)| signer_from_der(&s.name, der))
                })
                .collect()
        };
        let targets = super::signing::sign_fresh(targets, &owned(TopRole::Targets)?)?;
        let targets_bytes = file_bytes(&targets)?;
        let old_snapshot = read_json(&md.join("snapshot.json"))?["signed"]["version"]
            .as_u64()
            .unwrap_or(0);
        let old_timestamp = read_json(&md.join("timestamp.json"))?["signed"]["version"]
            .as_u64()
            .unwrap_or(0);
        let snapshot: Signed<Snapshot> = super::signing::sign_fresh(
            super::snapshot_for(
                &targets_bytes,
                targets.signed.version,
                version(old_snapshot + 1),
                self.expiry(TopRole::Snapshot, None)?,
            ),
            &owned(TopRole::Snapshot)?,
        )?;
        let snapshot_bytes = file_bytes(&snapshot)?;
        let timestamp: Signed<Timestamp> = super::signing::sign_fresh(
            super::timestamp_for(
                &snapshot_bytes,
                snapshot.signed.version,
                version(old_timestamp + 1),
                self.expiry(TopRole::Timestamp, None)?,
            ),
            &owned(TopRole::Timestamp)?,
        )?;
        let root_bytes = file_bytes(&signed_root)?;
        let mut tx = Transaction::begin(&self.repo())?;
        tx.put_bytes(&format!("metadata/{}.root.json", n + 1), &root_bytes)?;
        tx.put_bytes("metadata/root.json", &root_bytes)?;
        tx.put_bytes("metadata/targets.json", &targets_bytes)?;
        tx.put_bytes("metadata/snapshot.json", &snapshot_bytes)?;
        tx.put_bytes("metadata/timestamp.json", &file_bytes(&timestamp)?)?;
        let written = tx.commit()?;
        RepoMetadata::load_from_root(md, n + 1)?;
        Ok(PublishOutcome {
            published: true,
            written,
            removed: Vec::new(),
            versions: vec![
                VersionChange {
                    role: TopRole::Root,
                    from: n,
                    to: n + 1,
                },
                VersionChange {
                    role: TopRole::Targets,
                    from: old_targets_version,
                    to: targets.signed.version.get(),
                },
                VersionChange {
                    role: TopRole::Snapshot,
                    from: old_snapshot,
                    to: old_snapshot + 1,
                },
                VersionChange {
                    role: TopRole::Timestamp,
                    from: old_timestamp,
                    to: old_timestamp + 1,
                },
            ],
            waiting: Vec::new(),
        })
    }
}
