//! The root ceremony: every root change becomes a *signing request* file
//! that custodians review and sign, offline, in any order and on parallel
//! copies, until the old root's threshold and the new root's are met.
//!
//! A request holds the current ("old") root and the proposed ("new") one
//! with the signatures so far, the key names for display, and the project
//! settings that take effect when it is published.
//!
//! A request travels by mail or shared drive, so nothing in it is trusted
//! as it is: [`SigningRequest::load`] accepts it only if its old root is
//! signed by that root's own threshold and hashes to `base_sha256`, and
//! its project settings match the proposed root. The summary is the
//! complete difference between the two roots, recomputed every time;
//! publishing additionally requires the old root to be the repository's
//! current root. Names and other text from the file are shown with
//! control characters removed ([`crate::display::printable`]).

use super::keys::Signer;
use super::project::{KeyConfig, RoleConfig};
use super::signing::add_signatures;
use crate::display::{printable, short_id};
use crate::metadata::{canonical_json, threshold, valid_signers, TopRole};
use crate::patch::sha256_hex;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tough::schema::{RoleType, Root, Signed};

/// Format tag of request files. Version 2 hashes the canonical old root
/// into `base_sha256`, which is what makes the old root checkable.
pub const FORMAT: &str = "tufa-root-signing-request/2";

/// Most keys (and signatures) a request may carry.
const MAX_KEYS: usize = 256;

/// Longest key name or field value shown from a request.
const SHOWN_CHARS: usize = 80;

/// A root signing request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigningRequest {
    /// Always [`FORMAT`].
    pub format: String,
    /// App of the repository.
    pub app: String,
    /// Version of the root this change is based on.
    pub base_version: u64,
    /// sha256 of the canonical JSON of `old_root` (signatures included).
    pub base_sha256: String,
    /// The current root.
    pub old_root: Signed<Root>,
    /// The proposed root, with the signatures so far.
    pub new_root: Signed<Root>,
    /// Human names of the keys, by key id (claims of the file, for display).
    pub key_names: BTreeMap<String, String>,
    /// Project keys once published (where each lives).
    pub project_keys: BTreeMap<String, KeyConfig>,
    /// Project role settings once published.
    pub project_roles: BTreeMap<TopRole, RoleConfig>,
}

/// Signature count against one root's threshold.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestStatus {
    /// What changes, in plain words: every difference between the roots.
    pub summary: Vec<String>,
    /// Short fingerprint of the proposed change, for custodians to compare
    /// by phone (see [`SigningRequest::fingerprint`]).
    pub fingerprint: String,
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

fn role_keyids(root: &Root, role: RoleType) -> Vec<String> {
    root.roles
        .get(&role)
        .map(|r| r.keyids.iter().map(hex::encode).collect())
        .unwrap_or_default()
}

/// sha256 of the canonical JSON of a signed root: what `base_sha256` holds.
pub fn root_hash(root: &Signed<Root>) -> Result<String> {
    Ok(sha256_hex(&canonical_json(root)?))
}

impl SigningRequest {
    /// Reads a request file and checks that it can be trusted as far as a
    /// file can be (see [`check`](Self::check)).
    pub fn load(path: &Path) -> Result<Self> {
        let file = path.display().to_string();
        let bytes = crate::metadata::read_limited(path, crate::metadata::MAX_METADATA_BYTES)?;
        let format = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v.get("format").and_then(Value::as_str).map(str::to_owned));
        match format.as_deref() {
            Some(FORMAT) => {}
            Some(f) if f.starts_with("tufa-root-signing-request/") => {
                return Err(Error::InvalidSigningRequest {
                    file,
                    reason: format!(
                        "it is in format '{}', made by another Tufa version without the checks this one needs",
                        printable(f, SHOWN_CHARS)
                    ),
                })
            }
            _ => {
                return Err(Error::InvalidSigningRequest {
                    file,
                    reason: "it is not a Tufa root signing request".into(),
                })
            }
        }
        let req: SigningRequest =
            serde_json::from_slice(&bytes).map_err(|source| Error::MalformedJson {
                file: file.clone(),
                source,
            })?;
        req.check()
            .map_err(|reason| Error::InvalidSigningRequest { file, reason })?;
        Ok(req)
    }

    /// Checks what a request file can prove about itself: versions follow
    /// on, the old root is signed by the threshold of its own root keys and
    /// hashes to `base_sha256`, and the project settings it carries match
    /// the proposed root. (Whether the old root is the repository's current
    /// one is checked when publishing.)
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("its format is not {FORMAT}"));
        }
        // Real roots have a handful of keys and signatures; thousands only
        // serve to make status and signing slow.
        let keys = self.old_root.signed.keys.len() + self.new_root.signed.keys.len();
        let sigs = self.old_root.signatures.len() + self.new_root.signatures.len();
        if keys > MAX_KEYS || sigs > MAX_KEYS || self.key_names.len() > 2 * MAX_KEYS {
            return Err(format!(
                "it lists more than {MAX_KEYS} keys, signatures or names"
            ));
        }
        if self.old_root.signed.version.get() != self.base_version
            || self.new_root.signed.version.get() != self.base_version.saturating_add(1)
        {
            return Err(format!(
                "its versions do not follow on (based on {}, current root {}, proposed root {})",
                self.base_version, self.old_root.signed.version, self.new_root.signed.version
            ));
        }
        let old = &self.old_root.signed;
        let signed = valid_signers(old, &self.old_root).len() as u64;
        let needed = threshold::<Root>(old);
        if signed < needed {
            return Err(format!(
                "the current root inside it has {signed} valid signature(s) of its own root keys, \
                 {needed} needed: it is not a root any repository published"
            ));
        }
        let hash = root_hash(&self.old_root).map_err(|e| e.to_string())?;
        if hash != self.base_sha256 {
            return Err(
                "the current root inside it differs from the one the request was made from (base_sha256): it was altered".into(),
            );
        }
        for role in TopRole::ALL {
            let in_root: BTreeSet<String> = role_keyids(&self.new_root.signed, role.role_type())
                .into_iter()
                .collect();
            let cfg = self
                .project_roles
                .get(&role)
                .ok_or_else(|| format!("its project settings have no {role} role"))?;
            let mut in_project = BTreeSet::new();
            for name in &cfg.keys {
                let key = self.project_keys.get(name).ok_or_else(|| {
                    format!(
                        "its project settings name a key '{}' they do not define",
                        printable(name, SHOWN_CHARS)
                    )
                })?;
                in_project.insert(key.keyid.clone());
            }
            let root_threshold = self
                .new_root
                .signed
                .roles
                .get(&role.role_type())
                .map(|r| r.threshold.get());
            if in_root != in_project || root_threshold != Some(cfg.threshold) {
                return Err(format!(
                    "its project settings for {role} do not match the proposed root's keys and threshold"
                ));
            }
        }
        Ok(())
    }

    /// Loads copies of one request (signed in parallel) and merges their
    /// signatures into the first.
    pub fn load_merged(paths: &[impl AsRef<Path>]) -> Result<Self> {
        let (first, rest) = paths.split_first().ok_or(Error::NoSigningRequest)?;
        let mut request = Self::load(first.as_ref())?;
        for p in rest {
            request.merge(&Self::load(p.as_ref())?)?;
        }
        Ok(request)
    }

    /// Writes the request atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::encoding("the signing request", e))?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(path, &bytes)
    }

    /// A short fingerprint of the proposed change (the new root as it will
    /// be signed, and the root it replaces), e.g. `3F2A 9C01 77BE 4D10 A5E2`.
    /// Copies of one request share it whatever signatures they carry;
    /// custodians compare it by phone before signing.
    pub fn fingerprint(&self) -> Result<String> {
        let mut input = self.base_sha256.as_bytes().to_vec();
        input.push(b'\n');
        input.extend(canonical_json(&self.new_root.signed)?);
        let hex = sha256_hex(&input).to_uppercase();
        Ok(hex
            .as_bytes()
            .chunks(4)
            .take(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" "))
    }

    /// Refuses unless `fingerprint` (as shown to and confirmed by the
    /// signer; spaces and case do not matter) is this request's.
    pub fn confirm(&self, fingerprint: &str) -> Result<()> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase()
        };
        let actual = self.fingerprint()?;
        if norm(fingerprint) != norm(&actual) || norm(fingerprint).is_empty() {
            return Err(Error::InvalidSigningRequest {
                file: "the request".into(),
                reason: format!(
                    "its fingerprint is {actual}, not the {} that was confirmed: it changed since it was reviewed",
                    printable(fingerprint, 40)
                ),
            });
        }
        Ok(())
    }

    /// The display name of a key: its name from the request (control
    /// characters removed) and the start of its id.
    fn name_of(&self, keyid: &str) -> String {
        match self.key_names.get(keyid) {
            Some(name) => format!(
                "key '{}' ({}…)",
                printable(name, SHOWN_CHARS),
                short_id(keyid)
            ),
            None => format!("an unnamed key ({}…)", short_id(keyid)),
        }
    }

    /// Just the name (control characters removed), or the start of the id
    /// for a key without one: for lists of who signed and who is missing.
    fn plain_name(&self, keyid: &str) -> String {
        match self.key_names.get(keyid) {
            Some(name) => printable(name, SHOWN_CHARS),
            None => format!("key {}…", short_id(keyid)),
        }
    }

    /// Like [`name_of`](Self::name_of), with a warning when another key of
    /// either root claims the same name (an attacker's key named like a
    /// custodian's).
    fn name_checked(&self, keyid: &str, all_ids: &BTreeSet<String>) -> String {
        let shown = self.name_of(keyid);
        let Some(name) = self.key_names.get(keyid) else {
            return shown;
        };
        // Compared as shown (invisible characters removed, any case):
        // "root" and "Root\u{200B}" look the same to a custodian.
        let shown_name = |n: &String| printable(n, SHOWN_CHARS).to_lowercase();
        let mine = shown_name(name);
        let clash = all_ids.iter().any(|other| {
            other != keyid && self.key_names.get(other).map(shown_name).as_ref() == Some(&mine)
        });
        if clash {
            format!("{shown} — WARNING: another key has the same name")
        } else {
            shown
        }
    }

    /// What the change does, in plain words: every difference between the
    /// current and the proposed root, known fields in words, any other
    /// field by name with its values.
    pub fn summary(&self) -> Vec<String> {
        let (old, new) = (&self.old_root.signed, &self.new_root.signed);
        let all_ids: BTreeSet<String> = old
            .keys
            .keys()
            .chain(new.keys.keys())
            .map(hex::encode)
            .chain(
                old.roles
                    .values()
                    .chain(new.roles.values())
                    .flat_map(|r| r.keyids.iter().map(hex::encode)),
            )
            .collect();
        let mut out = vec![format!("Root version {} → {}.", old.version, new.version)];
        if old.expires == new.expires {
            out.push(format!("Expiry stays {}.", new.expires));
        } else {
            out.push(format!(
                "Expiry changes from {} to {}.",
                old.expires, new.expires
            ));
        }
        let mut changes = Vec::new();
        if old.spec_version != new.spec_version {
            changes.push(format!(
                "TUF specification version changes from {} to {}.",
                printable(&old.spec_version, SHOWN_CHARS),
                printable(&new.spec_version, SHOWN_CHARS)
            ));
        }
        if old.consistent_snapshot != new.consistent_snapshot {
            changes.push(format!(
                "Consistent snapshots are turned {} (consistent_snapshot {} → {}).",
                if new.consistent_snapshot { "on" } else { "off" },
                old.consistent_snapshot,
                new.consistent_snapshot
            ));
        }
        for role in TopRole::ALL {
            let rt = role.role_type();
            let (before, after) = (role_keyids(old, rt), role_keyids(new, rt));
            for k in after.iter().filter(|k| !before.contains(k)) {
                changes.push(format!(
                    "Adds {} to {role}.",
                    self.name_checked(k, &all_ids)
                ));
            }
            for k in before.iter().filter(|k| !after.contains(k)) {
                changes.push(format!(
                    "Removes {} from {role}.",
                    self.name_checked(k, &all_ids)
                ));
            }
            let unique: BTreeSet<&String> = after.iter().collect();
            if unique.len() != after.len() {
                changes.push(format!(
                    "Lists a key more than once for {role}: WARNING, a malformed root."
                ));
            } else if before != after && before.iter().collect::<BTreeSet<_>>() == unique {
                changes.push(format!(
                    "Lists the {role} keys in another order (no effect)."
                ));
            }
            let t = |r: &Root| r.roles.get(&rt).map(|k| k.threshold.get());
            match (t(old), t(new)) {
                (a, b) if a == b => {}
                (Some(a), Some(b)) => changes.push(format!(
                    "Changes the {role} threshold from {a} to {b} of {} key(s).",
                    unique.len()
                )),
                (None, Some(b)) => changes.push(format!("Adds the {role} role, threshold {b}.")),
                (_, None) => changes.push(format!("Removes the {role} role.")),
            }
            let extra = |r: &Root| {
                r.roles
                    .get(&rt)
                    .map(|k| serde_json::to_value(&k._extra).unwrap_or(Value::Null))
                    .unwrap_or(Value::Null)
            };
            diff_values(
                &format!("roles.{role}"),
                &extra(old),
                &extra(new),
                &mut changes,
            );
        }
        // Keys listed in root but (also) outside any role.
        let listed = |r: &Root| -> BTreeMap<String, Value> {
            r.keys
                .iter()
                .map(|(id, k)| {
                    (
                        hex::encode(id),
                        serde_json::to_value(k).unwrap_or(Value::Null),
                    )
                })
                .collect()
        };
        let (lo, ln) = (listed(old), listed(new));
        let in_roles = |r: &Root, id: &str| {
            r.roles
                .values()
                .any(|k| k.keyids.iter().any(|x| hex::encode(x) == id))
        };
        for (id, key) in &ln {
            match lo.get(id) {
                // A key given to a role is described with the role above.
                None if in_roles(new, id) => {}
                None => changes.push(format!(
                    "Adds {} to the root's key list.",
                    self.name_checked(id, &all_ids)
                )),
                Some(k) if k != key => changes.push(format!(
                    "Changes the public key or scheme of {}.",
                    self.name_checked(id, &all_ids)
                )),
                Some(_) => {}
            }
        }
        for id in lo
            .keys()
            .filter(|id| !ln.contains_key(*id) && !in_roles(old, id))
        {
            changes.push(format!(
                "Drops {} from the root's key list.",
                self.name_checked(id, &all_ids)
            ));
        }
        diff_values(
            "root",
            &serde_json::to_value(&old._extra).unwrap_or(Value::Null),
            &serde_json::to_value(&new._extra).unwrap_or(Value::Null),
            &mut changes,
        );
        if changes.is_empty() {
            out.push(
                "No key, threshold or other changes: a re-signing to refresh the expiry.".into(),
            );
        }
        out.extend(changes);
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
            missing: role_keyids(root, RoleType::Root)
                .into_iter()
                .filter(|k| !valid.contains(k))
                .map(|k| self.plain_name(&k))
                .collect(),
        }
    }

    /// Signatures so far against both thresholds.
    pub fn status(&self) -> RequestStatus {
        let old_root = self.threshold_status(&self.old_root.signed);
        let new_root = self.threshold_status(&self.new_root.signed);
        let valid = self.valid_keyids();
        let invalid_signatures = self
            .new_root
            .signatures
            .iter()
            .map(|s| hex::encode(&s.keyid))
            .filter(|k| !valid.contains(k))
            .map(|k| self.plain_name(&k))
            .collect();
        let complete =
            old_root.signatures >= old_root.threshold && new_root.signatures >= new_root.threshold;
        RequestStatus {
            summary: self.summary(),
            fingerprint: self
                .fingerprint()
                .unwrap_or_else(|_| "(cannot be computed)".into()),
            old_root,
            new_root,
            invalid_signatures,
            complete,
        }
    }

    /// Signs with `signer`, which must be a root key of the old or the new
    /// root. Returns whether a signature was added.
    pub fn sign(&mut self, signer: &Signer) -> Result<bool> {
        let mut allowed = role_keyids(&self.old_root.signed, RoleType::Root);
        allowed.extend(role_keyids(&self.new_root.signed, RoleType::Root));
        if !allowed.contains(&signer.keyid) {
            return Err(Error::BadKey {
                name: signer.name.clone(),
                reason: format!(
                    "key {}… is not a root key of version {} or {}: it cannot sign this request",
                    short_id(&signer.keyid),
                    self.base_version,
                    self.base_version.saturating_add(1)
                ),
            });
        }
        self.key_names
            .entry(signer.keyid.clone())
            .or_insert_with(|| signer.name.clone());
        // A signature planted under this key's id that does not verify
        // would otherwise block the real one.
        let valid = self.valid_keyids();
        self.new_root
            .signatures
            .retain(|s| hex::encode(&s.keyid) != signer.keyid || valid.contains(&signer.keyid));
        Ok(add_signatures(&mut self.new_root, std::slice::from_ref(signer))? > 0)
    }

    /// Key ids whose signature on the new root verifies (against the old
    /// or the new root's root keys).
    fn valid_keyids(&self) -> BTreeSet<String> {
        valid_signers(&self.old_root.signed, &self.new_root)
            .iter()
            .chain(valid_signers(&self.new_root.signed, &self.new_root).iter())
            .map(hex::encode)
            .collect()
    }

    /// Takes over the signatures of `other`, a copy of the same request
    /// signed elsewhere. Returns how many were new.
    pub fn merge(&mut self, other: &SigningRequest) -> Result<usize> {
        if canonical_json(&other.new_root.signed)? != canonical_json(&self.new_root.signed)?
            || other.base_sha256 != self.base_sha256
        {
            return Err(Error::RequestsDiffer);
        }
        let mut added = 0;
        let theirs = other.valid_keyids();
        let mut ours = self.valid_keyids();
        for sig in &other.new_root.signatures {
            let id = hex::encode(&sig.keyid);
            if !theirs.contains(&id) || ours.contains(&id) {
                continue;
            }
            // Theirs verifies and ours (if any) does not: theirs replaces it.
            self.new_root.signatures.retain(|s| s.keyid != sig.keyid);
            self.new_root.signatures.push(sig.clone());
            ours.insert(id);
            added += 1;
        }
        for (k, v) in &other.key_names {
            self.key_names.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(added)
    }
}

/// Lines for every difference between two JSON values below `path`:
/// objects field by field, anything else as a whole.
fn diff_values(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    let show = |v: &Value| printable(&v.to_string(), SHOWN_CHARS);
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for name in names {
                let sub = format!("{path}.{}", printable(name, SHOWN_CHARS));
                match (a.get(name), b.get(name)) {
                    (Some(x), Some(y)) => diff_values(&sub, x, y, out),
                    (None, Some(y)) => out.push(format!(
                        "Adds field `{sub}` (not used by Tufa): {}.",
                        show(y)
                    )),
                    (Some(x), None) => {
                        out.push(format!("Removes field `{sub}` (was {}).", show(x)))
                    }
                    (None, None) => {}
                }
            }
        }
        (Value::Null, Value::Object(b)) => diff_values(
            path,
            &Value::Object(Default::default()),
            &Value::Object(b.clone()),
            out,
        ),
        (Value::Object(a), Value::Null) => diff_values(
            path,
            &Value::Object(a.clone()),
            &Value::Object(Default::default()),
            out,
        ),
        (a, b) if a != b => out.push(format!(
            "Changes field `{path}` from {} to {}.",
            show(a),
            show(b)
        )),
        _ => {}
    }
}
