//! The root ceremony: every root change becomes a *signing request* file
//! that custodians review and sign, offline, in any order and on parallel
//! copies, until the old root's threshold and the new root's are met.
//!
//! A request holds the current ("old") root and the proposed ("new") one
//! with the signatures so far, the key names for display, and the project
//! settings that take effect when it is published. The plain-words summary
//! is always recomputed from the two roots, never trusted from the file.

use super::keys::Signer;
use super::project::{KeyConfig, RoleConfig};
use super::signing::add_signatures;
use crate::metadata::{canonical_json, threshold, valid_signers, TopRole};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use tough::schema::{RoleType, Root, Signed};

/// Format tag of request files.
pub const FORMAT: &str = "tufa-root-signing-request/1";

/// A root signing request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigningRequest {
    /// Always [`FORMAT`].
    pub format: String,
    /// App of the repository.
    pub app: String,
    /// Version of the root this change is based on.
    pub base_version: u64,
    /// sha256 of that root file as published.
    pub base_sha256: String,
    /// The current root.
    pub old_root: Signed<Root>,
    /// The proposed root, with the signatures so far.
    pub new_root: Signed<Root>,
    /// Human names of the keys, by key id.
    pub key_names: BTreeMap<String, String>,
    /// Project keys once published (where each lives).
    pub project_keys: BTreeMap<String, KeyConfig>,
    /// Project role settings once published.
    pub project_roles: BTreeMap<TopRole, RoleConfig>,
}

/// Signature count against one root's threshold.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdStatus {
    /// Valid signatures by keys of this root's root role.
    pub signatures: u64,
    /// Needed.
    pub threshold: u64,
    /// Names of the keys that have not signed.
    pub missing: Vec<String>,
}

/// Where a request stands.
#[derive(Debug, Clone, Serialize)]
pub struct RequestStatus {
    /// What changes, in plain words.
    pub summary: Vec<String>,
    /// Against the current root's threshold.
    pub old_root: ThresholdStatus,
    /// Against the proposed root's threshold.
    pub new_root: ThresholdStatus,
    /// Signatures that do not verify (tampering, or signed another change).
    pub invalid_signatures: Vec<String>,
    /// Both thresholds are met.
    pub complete: bool,
}

impl std::fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let missing = |s: &ThresholdStatus| {
            if s.missing.is_empty() || s.signatures >= s.threshold {
                String::new()
            } else {
                format!("; missing: {}", s.missing.join(", "))
            }
        };
        write!(
            f,
            "{} of {} signatures from the new root, {} of {} from the old{}{}",
            self.new_root.signatures,
            self.new_root.threshold,
            self.old_root.signatures,
            self.old_root.threshold,
            missing(&self.new_root),
            missing(&self.old_root)
        )
    }
}

fn root_keyids(root: &Root) -> Vec<String> {
    root.roles
        .get(&RoleType::Root)
        .map(|r| r.keyids.iter().map(hex::encode).collect())
        .unwrap_or_default()
}

impl SigningRequest {
    /// Reads a request file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = crate::metadata::read_limited(path, crate::metadata::MAX_METADATA_BYTES)?;
        let req: SigningRequest =
            serde_json::from_slice(&bytes).map_err(|source| Error::MalformedJson {
                file: path.display().to_string(),
                source,
            })?;
        if req.format != FORMAT {
            return Err(Error::Project(format!(
                "{} is not a Tufa root signing request",
                path.display()
            )));
        }
        if req.new_root.signed.version.get() != req.base_version + 1
            || req.old_root.signed.version.get() != req.base_version
        {
            return Err(Error::Project(format!(
                "{}: inconsistent versions",
                path.display()
            )));
        }
        Ok(req)
    }

    /// Writes the request atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Tuf(e.to_string()))?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(path, &bytes)
    }

    fn name_of(&self, keyid: &str) -> String {
        self.key_names
            .get(keyid)
            .cloned()
            .unwrap_or_else(|| format!("key {}…", &keyid[..keyid.len().min(12)]))
    }

    /// What the change does, in plain words.
    pub fn summary(&self) -> Vec<String> {
        let (old, new) = (&self.old_root.signed, &self.new_root.signed);
        let mut out = vec![format!(
            "Root version {} → {}, expires {} (was {}).",
            old.version, new.version, new.expires, old.expires
        )];
        for role in TopRole::ALL {
            let rt = role.role_type();
            let ids = |r: &Root| -> Vec<String> {
                r.roles
                    .get(&rt)
                    .map(|k| k.keyids.iter().map(hex::encode).collect())
                    .unwrap_or_default()
            };
            let (before, after) = (ids(old), ids(new));
            for k in after.iter().filter(|k| !before.contains(k)) {
                out.push(format!(
                    "Adds key {} ({}…) to {role}.",
                    self.name_of(k),
                    &k[..12]
                ));
            }
            for k in before.iter().filter(|k| !after.contains(k)) {
                out.push(format!(
                    "Removes key {} ({}…) from {role}.",
                    self.name_of(k),
                    &k[..12]
                ));
            }
            let t = |r: &Root| r.roles.get(&rt).map(|k| k.threshold.get()).unwrap_or(0);
            if t(old) != t(new) {
                out.push(format!(
                    "Changes the {role} threshold from {} to {} of {} keys.",
                    t(old),
                    t(new),
                    after.len()
                ));
            }
        }
        if out.len() == 1 {
            out.push("No key or threshold changes: a re-signing to refresh the expiry.".into());
        }
        out
    }

    fn threshold_status(&self, root: &Root) -> ThresholdStatus {
        let valid: Vec<String> = valid_signers(root, &self.new_root)
            .iter()
            .map(hex::encode)
            .collect();
        ThresholdStatus {
            signatures: valid.len() as u64,
            threshold: threshold::<Root>(root),
            missing: root_keyids(root)
                .into_iter()
                .filter(|k| !valid.contains(k))
                .map(|k| self.name_of(&k))
                .collect(),
        }
    }

    /// Signatures so far against both thresholds.
    pub fn status(&self) -> RequestStatus {
        let old_root = self.threshold_status(&self.old_root.signed);
        let new_root = self.threshold_status(&self.new_root.signed);
        let mut valid: Vec<String> = valid_signers(&self.old_root.signed, &self.new_root)
            .iter()
            .chain(valid_signers(&self.new_root.signed, &self.new_root).iter())
            .map(hex::encode)
            .collect();
        valid.sort();
        valid.dedup();
        let invalid_signatures = self
            .new_root
            .signatures
            .iter()
            .map(|s| hex::encode(&s.keyid))
            .filter(|k| !valid.contains(k))
            .map(|k| self.name_of(&k))
            .collect();
        let complete =
            old_root.signatures >= old_root.threshold && new_root.signatures >= new_root.threshold;
        RequestStatus {
            summary: self.summary(),
            old_root,
            new_root,
            invalid_signatures,
            complete,
        }
    }

    /// Signs with `signer`, which must be a root key of the old or the new
    /// root. Returns whether a signature was added.
    pub fn sign(&mut self, signer: &Signer) -> Result<bool> {
        let mut allowed = root_keyids(&self.old_root.signed);
        allowed.extend(root_keyids(&self.new_root.signed));
        if !allowed.contains(&signer.keyid) {
            return Err(Error::BadKey {
                name: signer.name.clone(),
                reason: format!(
                    "key {}… is not a root key of version {} or {}: it cannot sign this request",
                    &signer.keyid[..12],
                    self.base_version,
                    self.base_version + 1
                ),
            });
        }
        self.key_names
            .entry(signer.keyid.clone())
            .or_insert_with(|| signer.name.clone());
        Ok(add_signatures(&mut self.new_root, std::slice::from_ref(signer))? > 0)
    }

    /// Takes over the signatures of `other`, a copy of the same request
    /// signed elsewhere. Returns how many were new.
    pub fn merge(&mut self, other: &SigningRequest) -> Result<usize> {
        if canonical_json(&other.new_root.signed)? != canonical_json(&self.new_root.signed)?
            || other.base_sha256 != self.base_sha256
        {
            return Err(Error::Project(
                "the requests propose different changes (or one was altered): only copies of one request can be merged".into(),
            ));
        }
        let mut added = 0;
        for sig in &other.new_root.signatures {
            if !self
                .new_root
                .signatures
                .iter()
                .any(|s| s.keyid == sig.keyid)
            {
                self.new_root.signatures.push(sig.clone());
                added += 1;
            }
        }
        for (k, v) in &other.key_names {
            self.key_names.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(added)
    }
}
