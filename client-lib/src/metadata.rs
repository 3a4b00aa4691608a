//! TUF metadata as Tufa reads and writes it: canonical JSON, whole-second
//! expiry (the Python client rejects fractions), signature accounting, and
//! verification of a repository's metadata directory.

use crate::{Error, Result};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::num::NonZeroU64;
use std::path::Path;
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::{
    Role, RoleKeys, RoleType, Root, Signed, Snapshot, Targets, Timestamp as TimestampRole,
};

/// Largest metadata file Tufa reads (targets.json with thousands of
/// releases stays far below this).
pub const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

/// The spec version Tufa writes (tough's editor only accepts "1.0.0").
pub const SPEC_VERSION: &str = "1.0.0";

/// The four top-level roles, in the order they are signed when publishing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TopRole {
    /// Root of trust; signs the keys of all roles.
    Root,
    /// Lists the target files with their hashes.
    Targets,
    /// Pins the version of targets.json.
    Snapshot,
    /// Pins the version of snapshot.json; expires quickly.
    Timestamp,
}

impl TopRole {
    /// All roles, root first.
    pub const ALL: [TopRole; 4] = [
        TopRole::Root,
        TopRole::Targets,
        TopRole::Snapshot,
        TopRole::Timestamp,
    ];

    /// The role's name in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            TopRole::Root => "root",
            TopRole::Targets => "targets",
            TopRole::Snapshot => "snapshot",
            TopRole::Timestamp => "timestamp",
        }
    }

    /// tough's name for this role.
    pub fn role_type(self) -> RoleType {
        match self {
            TopRole::Root => RoleType::Root,
            TopRole::Targets => RoleType::Targets,
            TopRole::Snapshot => RoleType::Snapshot,
            TopRole::Timestamp => RoleType::Timestamp,
        }
    }

    /// The metadata file name (without version prefix).
    pub fn file_name(self) -> String {
        format!("{}.json", self.as_str())
    }
}

impl std::fmt::Display for TopRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TopRole {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        TopRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Error::UnknownRole {
                input: s.to_string(),
            })
    }
}

/// Canonical JSON (OLPC), the bytes that signatures cover.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, olpc_cjson::CanonicalFormatter::new());
    value
        .serialize(&mut ser)
        .map_err(|e| Error::InvalidMetadata {
            file: "metadata".into(),
            reason: format!("cannot serialise: {e}"),
        })?;
    Ok(buf)
}

/// The bytes of a metadata file as written to disk.
pub fn file_bytes<T: Serialize>(signed: &Signed<T>) -> Result<Vec<u8>> {
    let mut buf = serde_json::to_vec_pretty(signed).map_err(|e| Error::InvalidMetadata {
        file: "metadata".into(),
        reason: format!("cannot serialise: {e}"),
    })?;
    buf.push(b'\n');
    Ok(buf)
}

/// Parses a signed metadata file, naming the file in errors.
pub fn parse_signed<T: DeserializeOwned>(bytes: &[u8], file: &str) -> Result<Signed<T>> {
    serde_json::from_slice(bytes).map_err(|source| Error::MalformedJson {
        file: file.to_string(),
        source,
    })
}

/// Reads and parses a metadata file, refusing absurd sizes.
pub fn read_signed<T: DeserializeOwned>(path: &Path) -> Result<(Signed<T>, Vec<u8>)> {
    let bytes = read_limited(path, MAX_METADATA_BYTES)?;
    let name = path.display().to_string();
    Ok((parse_signed(&bytes, &name)?, bytes))
}

/// Reads a file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge {
            what: path.display().to_string(),
            limit,
        });
    }
    Ok(bytes)
}

/// A span of seconds in words: "3 days", "5 hours", "12 minutes" (sign
/// ignored).
pub fn human_duration(secs: i64) -> String {
    let secs = secs.abs();
    let (n, unit) = if secs >= 2 * 86_400 {
        (secs / 86_400, "days")
    } else if secs >= 2 * 3_600 {
        (secs / 3_600, "hours")
    } else {
        (secs / 60, "minutes")
    };
    format!("{n} {unit}")
}

/// `now + days`, in whole seconds.
pub fn expiry_after_days(days: u32) -> Timestamp {
    expiry_after_days_from(Timestamp::now(), days)
}

/// `from + days`, in whole seconds: roles signed together read the clock
/// once, so equal periods give equal expiries even across a second boundary.
pub fn expiry_after_days_from(from: Timestamp, days: u32) -> Timestamp {
    let secs = from.as_second() + i64::from(days) * 86_400;
    Timestamp::from_second(secs).unwrap_or(Timestamp::MAX)
}

/// Key ids whose signatures on `signed` are valid for role `T` under `root`.
pub fn valid_signers<T: Role + Serialize + Clone>(
    root: &Root,
    signed: &Signed<T>,
) -> Vec<Decoded<Hex>> {
    let Some(role_keys) = root.roles.get(&T::TYPE) else {
        return Vec::new();
    };
    let mut valid = Vec::new();
    for sig in &signed.signatures {
        if !role_keys.keyids.contains(&sig.keyid) || valid.contains(&sig.keyid) {
            continue;
        }
        // Reuse tough's verifier (all key types) on a one-key view of the role.
        let mut single = root.clone();
        single.roles.insert(
            T::TYPE,
            RoleKeys {
                keyids: vec![sig.keyid.clone()],
                threshold: NonZeroU64::MIN,
                _extra: HashMap::new(),
            },
        );
        let one = Signed {
            signed: signed.signed.clone(),
            signatures: vec![sig.clone()],
        };
        if single.verify_role(&one).is_ok() {
            valid.push(sig.keyid.clone());
        }
    }
    valid
}

/// Threshold of role `T` in `root` (0 if the role is missing).
pub fn threshold<T: Role>(root: &Root) -> u64 {
    root.roles
        .get(&T::TYPE)
        .map(|r| r.threshold.get())
        .unwrap_or(0)
}

/// A repository's metadata, loaded from a directory and verified.
#[derive(Debug, Clone)]
pub struct RepoMetadata {
    /// Every root version, oldest first; the last one is trusted now.
    pub roots: Vec<Signed<Root>>,
    /// targets.json.
    pub targets: Signed<Targets>,
    /// snapshot.json.
    pub snapshot: Signed<Snapshot>,
    /// timestamp.json.
    pub timestamp: Signed<TimestampRole>,
    /// targets.json as stored (its hash is pinned by snapshot.json).
    pub targets_bytes: Vec<u8>,
    /// snapshot.json as stored (its hash is pinned by timestamp.json).
    pub snapshot_bytes: Vec<u8>,
}

impl RepoMetadata {
    /// The current root.
    pub fn root(&self) -> &Signed<Root> {
        // `load` refuses a repository without roots.
        &self.roots[self.roots.len() - 1]
    }

    /// Loads `dir` (a repository's `metadata/`) and checks everything a
    /// client would: the root chain (each root signed by the threshold of
    /// its predecessor and of itself), the signatures of every role, and
    /// that timestamp → snapshot → targets pin each other's versions and
    /// hashes. Expiry is not checked: the publisher is how one refreshes it.
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_from_root(dir, 1)
    }

    /// [`load`](Self::load), trusting root version `first` as the start of
    /// the chain: for repositories adopted from tufup, whose older roots
    /// use key ids that tough cannot parse.
    pub fn load_from_root(dir: &Path, first: u64) -> Result<Self> {
        let mut roots: Vec<Signed<Root>> = Vec::new();
        for n in first.max(1).. {
            let path = dir.join(format!("{n}.root.json"));
            if !path.exists() {
                break;
            }
            let file = format!("{n}.root.json");
            let (root, _) = read_signed::<Root>(&path)?;
            if root.signed.version.get() != n {
                return Err(Error::VerificationFailed {
                    file,
                    reason: format!("it holds root version {}", root.signed.version),
                });
            }
            let trusted = roots.last().map(|r| &r.signed).unwrap_or(&root.signed);
            trusted
                .verify_role(&root)
                .map_err(|e| Error::VerificationFailed {
                    file: file.clone(),
                    reason: format!("not signed by the previous root's keys: {e}"),
                })?;
            root.signed
                .verify_role(&root)
                .map_err(|e| Error::VerificationFailed {
                    file: file.clone(),
                    reason: format!("not signed by its own keys: {e}"),
                })?;
            roots.push(root);
        }
        let Some(latest) = roots.last() else {
            return Err(Error::NoRepository {
                path: dir.to_path_buf(),
                missing: "1.root.json".into(),
            });
        };
        let root_json = read_limited(&dir.join("root.json"), MAX_METADATA_BYTES)?;
        let latest_json = read_limited(
            &dir.join(format!("{}.root.json", latest.signed.version)),
            MAX_METADATA_BYTES,
        )?;
        if root_json != latest_json {
            return Err(Error::VerificationFailed {
                file: "root.json".into(),
                reason: format!("it differs from {}.root.json", latest.signed.version),
            });
        }
        let root = &latest.signed;
        let (targets, targets_bytes) = read_signed::<Targets>(&dir.join("targets.json"))?;
        verify_role(root, &targets, "targets.json")?;
        let (snapshot, snapshot_bytes) = read_signed::<Snapshot>(&dir.join("snapshot.json"))?;
        verify_role(root, &snapshot, "snapshot.json")?;
        let (timestamp, _) = read_signed::<TimestampRole>(&dir.join("timestamp.json"))?;
        verify_role(root, &timestamp, "timestamp.json")?;
        check_pin(
            &snapshot.signed.meta,
            "snapshot.json",
            "targets.json",
            targets.signed.version,
            &targets_bytes,
        )?;
        check_pin(
            &timestamp.signed.meta,
            "timestamp.json",
            "snapshot.json",
            snapshot.signed.version,
            &snapshot_bytes,
        )?;
        Ok(RepoMetadata {
            roots,
            targets,
            snapshot,
            timestamp,
            targets_bytes,
            snapshot_bytes,
        })
    }
}

fn verify_role<T: Role + Serialize + Clone>(
    root: &Root,
    signed: &Signed<T>,
    file: &str,
) -> Result<()> {
    let valid = valid_signers(root, signed).len() as u64;
    let needed = threshold::<T>(root);
    if valid < needed || needed == 0 {
        return Err(Error::VerificationFailed {
            file: file.into(),
            reason: format!("{valid} valid signature(s), the root requires {needed}"),
        });
    }
    Ok(())
}

pub(crate) fn check_pin(
    meta: &HashMap<String, tough::schema::Metafile>,
    file: &str,
    pinned: &str,
    version: NonZeroU64,
    bytes: &[u8],
) -> Result<()> {
    let fail = |reason: String| Error::VerificationFailed {
        file: file.into(),
        reason,
    };
    let entry = meta
        .get(pinned)
        .ok_or_else(|| fail(format!("it does not list {pinned}")))?;
    if entry.version != version {
        return Err(fail(format!(
            "it pins {pinned} version {}, but {pinned} is version {version}",
            entry.version
        )));
    }
    if let Some(length) = entry.length {
        if length != bytes.len() as u64 {
            return Err(fail(format!(
                "length of {pinned} differs from the pinned one"
            )));
        }
    }
    if let Some(hashes) = &entry.hashes {
        if crate::patch::sha256_hex(bytes) != hex::encode(&hashes.sha256) {
            return Err(fail(format!(
                "sha256 of {pinned} differs from the pinned one"
            )));
        }
    }
    Ok(())
}
