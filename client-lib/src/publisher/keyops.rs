//! Key management and root changes: add, replace and revoke keys of any
//! role, change thresholds, refresh root's expiry. Each produces a root
//! signing request (see `ceremony`), published once both thresholds are
//! met. Moving keys between sources changes no metadata.

use super::ceremony::SigningRequest;
use super::key_store::Custody;
use super::keys::{self, Secret};
use super::project::{KeyConfig, KeyLocation};
use super::{new_key, KeyStore, PublishOutcome, Publisher};
use crate::error::IoContext;
use crate::metadata::{canonical_json, expiry_after_days, TopRole};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tough::schema::{Root, Signed};

/// A change of the root of trust.
#[derive(Debug, Clone)]
pub enum RootChange {
    /// New version, fresh expiry, nothing else.
    Refresh,
    /// A new key for `role`, generated into `store`.
    AddKey {
        /// Role the key signs.
        role: TopRole,
        /// Key name (default `<role>-<n>`).
        name: Option<String>,
        /// Where the new key goes.
        store: KeyStore,
        /// Who holds it.
        owner: Option<String>,
        /// A custodian's public key (see [`read_public_key`]): the private
        /// key stays with them, `store` is not used and nothing is
        /// generated here.
        public_key: Option<tough::schema::key::Key>,
    },
    /// A new key replaces key `name` in every role it signs.
    ReplaceKey {
        /// The key to replace.
        name: String,
        /// Where the new key goes; `None`: the old key's custody
        /// ([`Custody::of`]): keyring stays keyring, a file a file, an
        /// encrypted file an encrypted file (with the passphrase the key
        /// provider gives for `name`, the old key's).
        custody: Option<Custody>,
    },
    /// Key `name` is removed from every role (e.g. compromised).
    RevokeKey {
        /// The key to revoke.
        name: String,
    },
    /// A role's threshold changes.
    Threshold {
        /// Role.
        role: TopRole,
        /// New threshold.
        threshold: u64,
    },
}

/// Who signs a new root signing request before it goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSigning {
    /// The root keys at hand on this machine sign it at once.
    WithKeysHere,
    /// Nobody here: every signature comes from the custodians.
    CustodiansOnly,
}

fn keyid_bytes(id: &str) -> Result<tough::schema::decoded::Decoded<tough::schema::decoded::Hex>> {
    Ok(hex::decode(id)
        .map_err(|e| Error::Encoding {
            what: "a key id".into(),
            reason: e.to_string(),
        })?
        .into())
}

impl Publisher {
    /// Prepares a root change as a signing request, signs it with the root
    /// keys at hand, and writes it to `<project>/root-request-v<N>.json`.
    pub fn root_request(
        &self,
        change: &RootChange,
        expires_days: Option<u32>,
    ) -> Result<(PathBuf, SigningRequest)> {
        self.root_request_signed(change, expires_days, RequestSigning::WithKeysHere)
    }

    /// [`root_request`](Self::root_request), saying who signs first:
    /// [`RequestSigning::CustodiansOnly`] when every root key is with an
    /// offline custodian anyway.
    pub fn root_request_signed(
        &self,
        change: &RootChange,
        expires_days: Option<u32>,
        signing: RequestSigning,
    ) -> Result<(PathBuf, SigningRequest)> {
        let session = self.session()?;
        let old: Signed<Root> = session.meta.root().clone();
        // A request still pending on the current root is built upon, not
        // overwritten: a second change (a revoke after a key add) joins the
        // first, and custodians sign both at once.
        let pending = self.pending_root_request(&old)?;
        let mut root = match &pending {
            Some(p) => p.new_root.signed.clone(),
            None => old.signed.clone(),
        };
        root.version = super::staging::next(old.signed.version)?;
        root.expires = match expires_days {
            Some(d) => expiry_after_days(d),
            None => self.expiry(TopRole::Root, None)?,
        };
        let mut project = self.project.clone();
        if let Some(p) = &pending {
            project.keys = p.project_keys.clone();
            project.roles = p.project_roles.clone();
        }
        match change {
            RootChange::Refresh => {}
            RootChange::AddKey {
                role,
                name,
                store,
                owner,
                public_key,
            } => {
                let name = match name {
                    Some(n) => n.clone(),
                    None => (2..)
                        .map(|i| format!("{role}-{i}"))
                        .find(|n| !project.keys.contains_key(n))
                        .unwrap_or_default(),
                };
                if project.keys.contains_key(&name) {
                    return Err(Error::KeyExists { name });
                }
                let cfg = match public_key {
                    Some(key) => {
                        let keyid = hex::encode(key.key_id().map_err(|e| Error::BadKey {
                            name: name.clone(),
                            reason: format!("its public key has no key id: {e}"),
                        })?);
                        if project.keys.values().any(|k| k.keyid == keyid) {
                            return Err(Error::InvalidSetting {
                                field: format!("public key of '{name}'"),
                                reason: format!("key id {keyid} is already a key of this project"),
                            });
                        }
                        let cfg = KeyConfig {
                            keyid,
                            location: KeyLocation::Custodian,
                            owner: owner.clone(),
                        };
                        insert_key(&mut root, key.clone(), &cfg.keyid, &[*role])?;
                        cfg
                    }
                    None => {
                        let mut cfg = new_key(
                            &project.app_name,
                            &name,
                            *store,
                            &project.keys_dir,
                            &self.dir,
                        )?;
                        cfg.owner = owner.clone();
                        self.add_key_to_root(&mut root, &name, &cfg, &[*role])?;
                        cfg
                    }
                };
                project.keys.insert(name.clone(), cfg);
                if let Some(r) = project.roles.get_mut(role) {
                    r.keys.push(name);
                }
            }
            RootChange::ReplaceKey { name, custody } => {
                let old_cfg = project
                    .keys
                    .get(name)
                    .cloned()
                    .ok_or_else(|| Error::NoSuchKey {
                        name: name.to_string(),
                    })?;
                let roles = project.roles_of(name);
                // Custody is kept unless changed on purpose: a rotated
                // offline root key must not land in this machine's keyring.
                if let Some(c @ (Custody::Environment | Custody::TufupFile)) = custody {
                    return Err(Error::InvalidSetting {
                        field: "custody of the new key".into(),
                        reason: format!(
                            "a new key cannot be written to {}: choose the keyring, a file or an encrypted file",
                            if *c == Custody::Environment { "a variable" } else { "a tufup key file" }
                        ),
                    });
                }
                let custody = custody.unwrap_or_else(|| Custody::of(&old_cfg.location, &self.dir));
                if custody == Custody::Custodian {
                    return Err(Error::InvalidSetting {
                        field: format!("replacement of '{name}'"),
                        reason: format!(
                            "'{name}' is held by its custodian: add the new public key they send, then revoke '{name}'"
                        ),
                    });
                }
                let (store, encrypted) = custody.new_key_store();
                let passphrase = if encrypted {
                    let origin = format!("the new key replacing '{name}' (encrypted like it)");
                    Some(self.keys().passphrase(name, &origin).ok_or_else(|| {
                        Error::NeedPassphrase {
                            name: name.to_string(),
                            role: roles
                                .iter()
                                .map(|r| r.to_string())
                                .collect::<Vec<_>>()
                                .join(", "),
                            origin:
                                "its replacement is encrypted like it, with the same passphrase"
                                    .into(),
                        }
                    })?)
                } else {
                    None
                };
                // The same passphrase as the old key's, checked against it
                // when it is here: a typo would leave the custodian with a
                // key nobody can open.
                if let (Some(_), KeyLocation::File(rel)) = (&passphrase, &old_cfg.location) {
                    if self.dir.join(rel).exists() {
                        keys::load_der(name, &old_cfg.location, &self.dir, self.keys()).map_err(
                            |e| Error::BadKey {
                                name: name.to_string(),
                                reason: format!(
                                    "the passphrase for its replacement must be the one that opens it: {e}"
                                ),
                            },
                        )?;
                    }
                }
                let mut cfg = super::init::new_key_encrypted(
                    &project.app_name,
                    name,
                    store,
                    passphrase.as_ref().map(|p| p.as_bytes()),
                    &project.keys_dir,
                    &self.dir,
                )?;
                cfg.owner = old_cfg.owner.clone();
                self.add_key_to_root(&mut root, name, &cfg, &roles)?;
                remove_keyid(&mut root, &old_cfg.keyid, &roles)?;
                project.keys.insert(name.clone(), cfg);
            }
            RootChange::RevokeKey { name } => {
                let cfg = project.keys.remove(name).ok_or_else(|| Error::NoSuchKey {
                    name: name.to_string(),
                })?;
                let roles = project.roles_of(name);
                remove_keyid(&mut root, &cfg.keyid, &roles)?;
                for r in project.roles.values_mut() {
                    r.keys.retain(|k| k != name);
                }
            }
            RootChange::Threshold { role, threshold } => {
                let keys = project.role(*role)?.keys.len() as u64;
                if *threshold == 0 || *threshold > keys {
                    return Err(Error::ThresholdImpossible {
                        role: role.to_string(),
                        threshold: *threshold,
                        keys,
                    });
                }
                if let Some(r) = project.roles.get_mut(role) {
                    r.threshold = *threshold;
                }
                if let Some(rk) = root.roles.get_mut(&role.role_type()) {
                    rk.threshold =
                        std::num::NonZeroU64::new(*threshold).unwrap_or(std::num::NonZeroU64::MIN);
                }
            }
        }
        for (role, cfg) in &project.roles {
            if cfg.threshold > cfg.keys.len() as u64 {
                return Err(Error::ThresholdImpossible {
                    role: role.to_string(),
                    threshold: cfg.threshold,
                    keys: cfg.keys.len() as u64,
                });
            }
        }
        project.validate()?;
        // Keys no role uses any more leave the root.
        let used: BTreeSet<String> = root
            .roles
            .values()
            .flat_map(|r| r.keyids.iter().map(hex::encode))
            .collect();
        root.keys.retain(|id, _| used.contains(&hex::encode(id)));

        let mut key_names: BTreeMap<String, String> = BTreeMap::new();
        for (name, cfg) in self.project.keys.iter().chain(project.keys.iter()) {
            key_names.insert(cfg.keyid.clone(), name.clone());
        }
        let mut request = SigningRequest {
            format: super::ceremony::FORMAT.into(),
            app: project.app_name.clone(),
            base_version: old.signed.version.get(),
            base_sha256: super::ceremony::root_hash(&old)?,
            old_root: old,
            new_root: Signed {
                signed: root,
                signatures: Vec::new(),
            },
            key_names,
            project_keys: project.keys.clone(),
            project_roles: project.roles.clone(),
        };
        // Sign with every root key (old or new) that is at hand here.
        if signing == RequestSigning::WithKeysHere {
            for signer in self.root_signers_at_hand(&[&self.project, &project]) {
                request.sign(&signer)?;
            }
        }
        let path = self.dir.join(format!(
            "root-request-v{}.json",
            request.new_root.signed.version
        ));
        request.save(&path)?;
        Ok((path, request))
    }

    /// This project's own request for the next root version, if there is
    /// one still based on the current root `old` (one based on an older
    /// root was published or abandoned).
    fn pending_root_request(&self, old: &Signed<Root>) -> Result<Option<SigningRequest>> {
        Ok(self.pending_root_request_at(old)?.map(|(_, r)| r))
    }

    /// [`pending_root_request`](Self::pending_root_request) with its file.
    pub(super) fn pending_root_request_at(
        &self,
        old: &Signed<Root>,
    ) -> Result<Option<(PathBuf, SigningRequest)>> {
        let path = self.dir.join(format!(
            "root-request-v{}.json",
            old.signed.version.get().saturating_add(1)
        ));
        if !path.exists() {
            return Ok(None);
        }
        let base = super::ceremony::root_hash(old)?;
        Ok(SigningRequest::load(&path)
            .ok()
            .filter(|r| r.base_sha256 == base)
            .map(|r| (path, r)))
    }

    /// The root keys of `projects` that can be loaded here, once per key
    /// id (a replaced key keeps its name but not its id).
    fn root_signers_at_hand(&self, projects: &[&super::project::Project]) -> Vec<keys::Signer> {
        let mut root_keys: BTreeMap<String, (String, KeyConfig)> = BTreeMap::new();
        for p in projects {
            if let Ok(cfg) = p.role(TopRole::Root) {
                for name in &cfg.keys {
                    if let Some(k) = p.keys.get(name) {
                        root_keys.insert(k.keyid.clone(), (name.clone(), k.clone()));
                    }
                }
            }
        }
        root_keys
            .values()
            .filter_map(|(name, cfg)| {
                keys::load_signer(name, cfg, &self.dir, "root", self.keys()).ok()
            })
            .collect()
    }

    /// Signs `request` with every root key of this project that is at hand
    /// here (the CLI's `root sign` inside a project, the app's "Sign with
    /// this project's keys"). Returns how many signatures were added.
    pub fn sign_request(&self, request: &mut SigningRequest) -> Result<usize> {
        let signers = self.root_signers_at_hand(&[&self.project]);
        if signers.is_empty() {
            return Err(Error::NoRootKeyAtHand);
        }
        let mut added = 0;
        for signer in &signers {
            // A key of this project that the request does not use is no error.
            if let Ok(true) = request.sign(signer) {
                added += 1;
            }
        }
        Ok(added)
    }

    fn add_key_to_root(
        &self,
        root: &mut Root,
        name: &str,
        cfg: &KeyConfig,
        roles: &[TopRole],
    ) -> Result<()> {
        let signer = keys::load_signer(name, cfg, &self.dir, "new", self.keys())?;
        insert_key(root, signer.sign.tuf_key(), &cfg.keyid, roles)
    }

    /// Publishes a complete signing request (signatures of all `copies`
    /// merged): the new root, and the roles it requires to re-sign.
    pub fn root_publish(&self, copies: &[SigningRequest]) -> Result<PublishOutcome> {
        let (first, rest) = copies.split_first().ok_or(Error::NoSigningRequest)?;
        let mut request = first.clone();
        for other in rest {
            request.merge(other)?;
        }
        let session = self.session()?;
        let current = session.meta.root().signed.version.get();
        if request.base_version != current {
            return Err(Error::RequestNotForThisRoot {
                reason: format!(
                    "it changes root version {}, but the repository's root is now version {current}",
                    request.base_version
                ),
            });
        }
        // The request's own checks (on load) prove its old root is some
        // validly signed root; only this proves it is *ours*, so that the
        // summary custodians read is the change clients will see.
        if canonical_json(&request.old_root)? != canonical_json(session.meta.root())? {
            return Err(Error::RequestNotForThisRoot {
                reason: format!(
                    "the version {current} root inside it is not the repository's version {current} root"
                ),
            });
        }
        request
            .check()
            .map_err(|reason| Error::InvalidSigningRequest {
                file: "the signing request".into(),
                reason,
            })?;
        let status = request.status();
        if !status.complete {
            return Err(Error::RequestNotReady {
                status: status.to_string(),
            });
        }
        // Only the change this project proposed is published: the new root
        // must be the one in the project's own request file, and the
        // project settings (where keys live, expiry periods) come from that
        // file, never from copies that travelled. A copy whose old root
        // was swapped to mislead custodians, or whose settings were edited,
        // then changes nothing here.
        let own_path = self.dir.join(format!(
            "root-request-v{}.json",
            request.new_root.signed.version
        ));
        let own = SigningRequest::load(&own_path).map_err(|_| Error::RequestNotForThisRoot {
            reason: format!(
                "this project has no request of its own for root version {} ({} is missing or unreadable)",
                request.new_root.signed.version,
                own_path.display()
            ),
        })?;
        if canonical_json(&own.new_root.signed)? != canonical_json(&request.new_root.signed)? {
            return Err(Error::RequestNotForThisRoot {
                reason: format!(
                    "its proposed root differs from the one this project proposed in {}",
                    own_path.display()
                ),
            });
        }
        let mut next = self.clone();
        let mut keys = own.project_keys.clone();
        for cfg in keys.values_mut() {
            if let Some(local) = self.project.keys.values().find(|k| k.keyid == cfg.keyid) {
                *cfg = local.clone();
            }
        }
        next.project.keys = keys;
        let mut roles = own.project_roles.clone();
        for (role, cfg) in roles.iter_mut() {
            if let Some(local) = self.project.roles.get(role) {
                cfg.expires_days = local.expires_days;
            }
        }
        next.project.roles = roles;
        next.project.validate()?;
        next.write_staged_role(TopRole::Root, &request.new_root)?;
        // A role whose keys changed must be re-signed by its new keys.
        let old = &request.old_root.signed;
        let new = &request.new_root.signed;
        let keys_of = |r: &Root, role: TopRole| {
            r.roles
                .get(&role.role_type())
                .map(|k| (k.keyids.clone(), k.threshold))
        };
        if keys_of(old, TopRole::Targets) != keys_of(new, TopRole::Targets) {
            let mut targets = session.meta.targets.signed.clone();
            targets.version = super::staging::next(targets.version)?;
            targets.expires = next.expiry(TopRole::Targets, None)?;
            let signers = super::signing::signers_for(
                &next.project,
                &next.dir,
                next.keys(),
                TopRole::Targets,
            )?;
            next.write_staged_role(
                TopRole::Targets,
                &super::signing::sign_fresh(targets, &signers.available)?,
            )?;
        }
        let outcome = next.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
        if outcome.published {
            next.project.save(&next.dir)?;
        }
        Ok(outcome)
    }

    /// Moves key `name` to another store (encrypted with `passphrase` when
    /// moved to a file and one is given), then forgets the old copy.
    pub fn move_key(
        &mut self,
        name: &str,
        to: KeyStore,
        passphrase: Option<&Secret>,
    ) -> Result<KeyLocation> {
        let cfg = self
            .project
            .keys
            .get(name)
            .cloned()
            .ok_or_else(|| Error::NoSuchKey {
                name: name.to_string(),
            })?;
        let der = keys::load_der(name, &cfg.location, &self.dir, self.keys()).map_err(|e| {
            Error::BadKey {
                name: name.into(),
                reason: e.to_string(),
            }
        })?;
        // File to file (e.g. encrypting a key in place): write beside it,
        // check, then rename over the old file.
        if let (KeyStore::File, KeyLocation::File(rel)) = (to, &cfg.location) {
            let path = self.dir.join(rel);
            let tmp_rel = rel.with_extension("pem.new");
            let tmp = KeyLocation::File(tmp_rel.clone());
            let _ = std::fs::remove_file(self.dir.join(&tmp_rel));
            store_and_check(name, &tmp, &self.dir, &der, passphrase)?;
            std::fs::rename(self.dir.join(&tmp_rel), &path)
                .context(|| format!("replacing {}", path.display()))?;
            return Ok(cfg.location.clone());
        }
        let location = match to {
            KeyStore::Keyring => KeyLocation::Keyring {
                service: keys::KEYRING_SERVICE.into(),
                user: keys::keyring_entry_name(&self.project.app_name, name, &cfg.keyid),
            },
            KeyStore::File => KeyLocation::File(free_key_path(
                &self.project.keys_dir,
                &self.dir,
                name,
                &cfg.keyid,
            )),
        };
        if location == cfg.location {
            return Ok(location);
        }
        store_and_check(name, &location, &self.dir, &der, passphrase)?;
        let mut moved = cfg.clone();
        moved.location = location.clone();
        self.project.keys.insert(name.to_string(), moved);
        self.project.save(&self.dir)?;
        match &cfg.location {
            KeyLocation::File(p) => {
                let path = self.dir.join(p);
                std::fs::remove_file(&path).context(|| format!("removing {}", path.display()))?;
            }
            KeyLocation::Keyring { service, user } => {
                keys::keyring_delete(service, user).map_err(|e| Error::BadKey {
                    name: name.into(),
                    reason: e.to_string(),
                })?;
            }
            KeyLocation::Env(_) | KeyLocation::Tufup(_) | KeyLocation::Custodian => {}
        }
        Ok(location)
    }

    /// Writes key `name` to `dest` as PEM, encrypted with `passphrase` (a
    /// backup, or a key file for a custodian), then reads the copy back
    /// (with the passphrase) and checks it is the same key: a backup that
    /// does not open is found now, not on the day it is needed.
    /// Returns where the copy was written.
    pub fn export_key(
        &self,
        name: &str,
        dest: &Path,
        passphrase: Option<&Secret>,
    ) -> Result<PathBuf> {
        let cfg = self
            .project
            .keys
            .get(name)
            .ok_or_else(|| Error::NoSuchKey {
                name: name.to_string(),
            })?;
        let der = keys::load_der(name, &cfg.location, &self.dir, self.keys()).map_err(|e| {
            Error::BadKey {
                name: name.into(),
                reason: e.to_string(),
            }
        })?;
        let dest = if dest.is_absolute() {
            dest.to_path_buf()
        } else {
            self.dir.join(dest)
        };
        // A folder (the USB stick itself): the copy goes in as NAME.pem.
        let dest = if dest.is_dir() {
            dest.join(format!("{name}.pem"))
        } else {
            dest
        };
        store_and_check(
            name,
            &KeyLocation::File(dest.clone()),
            &self.dir,
            &der,
            passphrase,
        )?;
        Ok(dest)
    }
}

/// Stores `der` at `location` (relative files below `project_dir`) and
/// reads it back (with the passphrase) before anything relies on the copy.
fn store_and_check(
    name: &str,
    location: &KeyLocation,
    project_dir: &Path,
    der: &Secret,
    passphrase: Option<&Secret>,
) -> Result<()> {
    let bad = |reason: String| Error::BadKey {
        name: name.into(),
        reason,
    };
    keys::store_der(
        location,
        project_dir,
        der.as_bytes(),
        passphrase.map(|p| p.as_bytes()),
    )
    .map_err(|e| bad(e.to_string()))?;
    // Read back what was stored, never a replacement the caller's key
    // provider might give for this name.
    let back = match passphrase {
        Some(p) => keys::load_der(
            name,
            location,
            project_dir,
            &keys::KnownPassphrase(p.clone()),
        ),
        None => keys::load_der(name, location, project_dir, &keys::NoSecrets),
    }
    .map_err(|e| bad(e.to_string()))?;
    if back.as_bytes() != der.as_bytes() {
        return Err(bad(format!(
            "the copy in {location} does not read back as the same key"
        )));
    }
    Ok(())
}

/// Lists public `key` (id `keyid`) in root for `roles`.
fn insert_key(
    root: &mut Root,
    key: tough::schema::key::Key,
    keyid: &str,
    roles: &[TopRole],
) -> Result<()> {
    let id = keyid_bytes(keyid)?;
    root.keys.insert(id.clone(), key);
    for role in roles {
        let rk = root
            .roles
            .get_mut(&role.role_type())
            .ok_or_else(|| Error::InvalidMetadata {
                file: "root.json".into(),
                reason: format!("root has no {role} role"),
            })?;
        rk.keyids.push(id.clone());
    }
    Ok(())
}

/// The largest public key file read (a key is a few hundred bytes).
const MAX_PUBLIC_KEY_BYTES: u64 = 64 * 1024;

/// Reads a custodian's public key file (TUF key JSON, as
/// [`new_custodian_key`] writes it). A private key given by mistake is
/// refused without being read further: it must never travel.
pub fn read_public_key(path: &Path) -> Result<tough::schema::key::Key> {
    use std::io::Read;
    let bad = |reason: String| Error::InvalidSetting {
        field: format!("public key {}", path.display()),
        reason,
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .context(|| format!("opening {}", path.display()))?
        .take(MAX_PUBLIC_KEY_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| bad(format!("not a text file ({e})")))?;
    if text.contains("PRIVATE KEY") || text.contains("\"private\"") {
        return Err(bad(
            "this is a private key: ask the custodian for the public key file (NAME.pub.json) and keep the private key with them".into(),
        ));
    }
    serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "not a public key file (TUF key JSON, as \"I hold a key → Create my key\" writes it): {e}"
        ))
    })
}

/// What [`new_custodian_key`] wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustodianKey {
    /// The encrypted private key (stays with the custodian).
    pub private_key: PathBuf,
    /// The public key to send to the publisher.
    pub public_key: PathBuf,
    /// Its TUF key id.
    pub keyid: String,
}

/// A custodian's new key, made on their own computer: the private key
/// encrypted with `passphrase` at `path` (never overwritten), and its
/// public key beside it as `<stem>.pub.json` for the publisher, who adds
/// it with [`RootChange::AddKey`]'s `public_key`. The private file is read
/// back before the public one is written.
pub fn new_custodian_key(path: &Path, passphrase: &Secret) -> Result<CustodianKey> {
    if passphrase.as_bytes().is_empty() {
        return Err(Error::InvalidSetting {
            field: "passphrase".into(),
            reason: "it is empty: the key file is encrypted with it".into(),
        });
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".into());
    let der = keys::generate_ed25519()?;
    let signer = keys::signer_from_der(&name, &der)?;
    store_and_check(
        &name,
        &KeyLocation::File(path.to_path_buf()),
        Path::new(""),
        &der,
        Some(passphrase),
    )?;
    let public = path.with_file_name(format!("{name}.pub.json"));
    let json = serde_json::to_vec_pretty(&signer.sign.tuf_key())
        .map_err(|e| Error::encoding("the public key", e))?;
    crate::fsutil::write_atomic(&public, &json)?;
    Ok(CustodianKey {
        private_key: path.to_path_buf(),
        public_key: public,
        keyid: signer.keyid,
    })
}

/// A key file path that does not exist yet: `<name>.pem`, else
/// `<name>-<key id prefix>.pem`.
pub(crate) fn free_key_path(
    keys_rel: &Path,
    project_dir: &Path,
    name: &str,
    keyid: &str,
) -> PathBuf {
    let plain = keys_rel.join(format!("{name}.pem"));
    if !project_dir.join(&plain).exists() {
        return plain;
    }
    keys_rel.join(format!("{name}-{}.pem", &keyid[..keyid.len().min(8)]))
}

fn remove_keyid(root: &mut Root, keyid: &str, roles: &[TopRole]) -> Result<()> {
    let id = keyid_bytes(keyid)?;
    for role in roles {
        if let Some(rk) = root.roles.get_mut(&role.role_type()) {
            rk.keyids.retain(|k| k != &id);
            if rk.keyids.is_empty() {
                return Err(Error::LastKey {
                    role: role.to_string(),
                });
            }
        }
    }
    Ok(())
}
