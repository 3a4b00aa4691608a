//! The TUF client workflow (specification §5), the one refresh behind
//! `Updater::check`, `tufa verify` and `tufa-conformance`.
//!
//! Order: trusted root → root chain (at most [`MAX_ROOT_ROTATIONS`] new
//! versions) → timestamp → snapshot → top-level targets → delegated
//! targets on demand (pre-order depth-first search). Each step verifies
//! what it fetched against what is already trusted, then **persists it,
//! byte for byte as served and atomically, before the next step starts**:
//! a refresh that fails at the snapshot still leaves the new root and
//! timestamp trusted, as the specification requires (tough's
//! `RepositoryLoader` keeps nothing of a refresh that fails later).
//!
//! Parsing is tolerant where the specification is and tough is not: key
//! ids are opaque identifiers (tuf-on-ci and sigstore roots carry ids that
//! are not the sha256 of the key as written), hashes may be any of the
//! sha2 family (tough requires sha256), delegations may be succinct hash
//! bins, and path patterns match per `/` segment. Signatures are checked by
//! tough's `Root::verify_role` (threshold, unique key ids, ed25519, ECDSA
//! P-256, RSA-PSS) over the canonical JSON of the `signed` object exactly
//! as served, on a root assembled from the delegating role's keys.

use super::delegation::{self, SuccinctRoles};
use super::transport::HttpTransport;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::key::Key;
use tough::schema::{RoleKeys, RoleType, Signature, Signed};
use tough::Transport;
use url::Url;

/// How many new root versions one refresh accepts (python-tuf's default):
/// a repository cannot keep a client busy with an endless root chain.
pub const MAX_ROOT_ROTATIONS: u64 = 32;
/// How many delegated roles one target lookup may visit.
pub const MAX_DELEGATIONS: usize = 32;

/// Size limits for metadata whose length the parent does not state (the
/// specification's recommended defaults, as python-tuf uses them).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Each `N.root.json`.
    pub root: u64,
    /// `timestamp.json` (never pinned by a parent).
    pub timestamp: u64,
    /// `snapshot.json` when the timestamp gives no length.
    pub snapshot: u64,
    /// Targets roles when the snapshot gives no length.
    pub targets: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            root: 512_000,
            timestamp: 16_384,
            snapshot: 2_000_000,
            targets: 5_000_000,
        }
    }
}

/// How expiry is judged.
#[derive(Debug, Clone, Copy)]
pub enum Expiry {
    /// Refuse metadata that expired at or before this time (the client's
    /// clock policy decides it; see `clock`).
    Enforce(jiff::Timestamp),
    /// Do not refuse expired metadata: only for `verify`, which reports
    /// each role's expiry itself and installs nothing.
    Report,
}

/// What went wrong in a refresh or a target lookup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The server answered 404 (or 403) for a file that must exist.
    #[error("{url} is missing on the server")]
    NotFound {
        /// The URL asked for.
        url: String,
    },
    /// The server delivered too slowly (slow retrieval attack or a
    /// hopeless link): see `transport::SlowRetrieval`.
    #[error("{url}: {reason}")]
    Slow {
        /// The URL asked for.
        url: String,
        /// The limit that was hit.
        reason: String,
    },
    /// The server could not be reached or failed (network, HTTP status).
    #[error("{url}: {reason}")]
    Offline {
        /// The URL asked for.
        url: String,
        /// What failed.
        reason: String,
    },
    /// A role's metadata has expired (freeze protection).
    #[error("{role} metadata expired at {expires}")]
    Expired {
        /// Role name.
        role: String,
        /// Its `expires`.
        expires: String,
    },
    /// Metadata or a target did not verify: signatures, threshold, type,
    /// version, rollback, length, hashes, format.
    #[error("{role}: {reason}")]
    Verification {
        /// Role (or target) concerned.
        role: String,
        /// What did not hold.
        reason: String,
    },
    /// A downloaded file's hash is not the one its metadata lists.
    #[error("{role}: {alg} mismatch: the content differs")]
    HashMismatch {
        /// Role (or target) concerned.
        role: String,
        /// The hash algorithm that disagreed.
        alg: String,
    },
    /// A downloaded file is longer than its metadata lists.
    #[error("{role}: longer than the {listed} bytes listed")]
    TooLong {
        /// Role (or target) concerned.
        role: String,
        /// The length listed.
        listed: u64,
    },
    /// The trusted root the client starts from is unusable.
    #[error("the trusted root {path}: {reason}")]
    TrustedRoot {
        /// Where it was read.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// Reading or writing the local metadata failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl From<RefreshError> for super::UpdateError {
    fn from(e: RefreshError) -> Self {
        use super::UpdateError as U;
        // URLs in messages lose any user:password (see `redact_urls`).
        let text = super::transport::redact_urls(&e.to_string());
        match e {
            RefreshError::NotFound { .. }
            | RefreshError::Verification { .. }
            | RefreshError::HashMismatch { .. }
            | RefreshError::TooLong { .. } => U::Verification(text),
            RefreshError::Slow { .. } => U::SlowRetrieval(text),
            RefreshError::Offline { .. } => U::Offline(text),
            RefreshError::Expired { role, expires } => U::MetadataExpired {
                role,
                expired: expires,
            },
            RefreshError::TrustedRoot { .. } => U::Config(text),
            RefreshError::Io { context, source } => U::Engine(crate::Error::Io { context, source }),
        }
    }
}

type Result<T, E = RefreshError> = std::result::Result<T, E>;

fn bad(role: &str, reason: impl Into<String>) -> RefreshError {
    RefreshError::Verification {
        role: role.to_string(),
        reason: reason.into(),
    }
}

// --- The metadata model (tolerant parsing, see the module comment) ---------

#[derive(Debug, Clone, Deserialize)]
struct RawSignature {
    keyid: String,
    sig: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Envelope {
    signed: Value,
    signatures: Vec<RawSignature>,
}

#[derive(Debug, Clone, Deserialize)]
struct Common {
    #[serde(rename = "_type")]
    kind: String,
    spec_version: String,
    version: u64,
    expires: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RoleKeysMeta {
    keyids: Vec<String>,
    threshold: u64,
}

#[derive(Debug, Clone, Deserialize)]
struct RootMeta {
    #[serde(default)]
    consistent_snapshot: bool,
    keys: HashMap<String, Value>,
    roles: HashMap<String, RoleKeysMeta>,
}

/// A `METAFILES` entry: the version of a metadata file and, optionally,
/// its length and hashes.
#[derive(Debug, Clone, Deserialize)]
pub struct MetaFile {
    /// Version.
    pub version: u64,
    /// Length in bytes, if stated.
    #[serde(default)]
    pub length: Option<u64>,
    /// Hashes by algorithm name, if stated.
    #[serde(default)]
    pub hashes: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
struct MetaMap {
    meta: HashMap<String, MetaFile>,
}

/// A target as a targets role lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInfo {
    /// Length in bytes.
    pub length: u64,
    /// Hex digests by algorithm (every one is checked).
    pub hashes: BTreeMap<String, String>,
    /// Application data.
    #[serde(default)]
    pub custom: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
struct DelegatedRoleMeta {
    name: String,
    keyids: Vec<String>,
    threshold: u64,
    #[serde(default)]
    terminating: bool,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    path_hash_prefixes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
struct DelegationsMeta {
    #[serde(default)]
    keys: HashMap<String, Value>,
    #[serde(default)]
    roles: Option<Vec<DelegatedRoleMeta>>,
    #[serde(default)]
    succinct_roles: Option<SuccinctRoles>,
}

#[derive(Debug, Clone, Deserialize)]
struct TargetsMeta {
    targets: HashMap<String, TargetInfo>,
    #[serde(default)]
    delegations: Option<DelegationsMeta>,
}

const TOP_LEVEL: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

impl DelegationsMeta {
    fn check(&self, role: &str) -> Result<()> {
        match (&self.roles, &self.succinct_roles) {
            (Some(roles), None) => {
                let mut seen = HashSet::new();
                for r in roles {
                    if r.name.is_empty() || TOP_LEVEL.contains(&r.name.as_str()) {
                        return Err(bad(role, format!("delegates to a role named '{}'", r.name)));
                    }
                    if !seen.insert(r.name.as_str()) {
                        return Err(bad(role, format!("delegates to '{}' twice", r.name)));
                    }
                    if r.paths.is_some() == r.path_hash_prefixes.is_some() {
                        return Err(bad(
                            role,
                            format!(
                                "delegation '{}' needs exactly one of paths and path_hash_prefixes",
                                r.name
                            ),
                        ));
                    }
                }
                Ok(())
            }
            (None, Some(s)) if s.valid() => Ok(()),
            _ => Err(bad(
                role,
                "delegations need exactly one of roles and succinct_roles (bit_length 1 to 32)",
            )),
        }
    }

    /// The roles responsible for `path`, in order, with their terminating
    /// flag (succinct bins are terminating, TAP 15).
    fn roles_for(&self, path: &str) -> Vec<(String, bool)> {
        if let Some(s) = &self.succinct_roles {
            return vec![(s.role_for(path), true)];
        }
        let mut out = Vec::new();
        for r in self.roles.iter().flatten() {
            let matches = match (&r.paths, &r.path_hash_prefixes) {
                (Some(p), _) => p.iter().any(|p| delegation::path_matches(path, p)),
                (None, Some(h)) => delegation::hash_prefix_matches(path, h),
                (None, None) => false,
            };
            if matches {
                out.push((r.name.clone(), r.terminating));
            }
        }
        out
    }

    /// Key ids and threshold this delegator sets for `name`.
    fn keys_for(&self, name: &str) -> Option<(&[String], u64)> {
        if let Some(s) = &self.succinct_roles {
            return s.is_bin(name).then_some((s.keyids.as_slice(), s.threshold));
        }
        self.roles
            .iter()
            .flatten()
            .find(|r| r.name == name)
            .map(|r| (r.keyids.as_slice(), r.threshold))
    }
}

/// Verified metadata with the bytes it came from.
#[derive(Debug, Clone)]
struct Trusted<T> {
    bytes: Vec<u8>,
    envelope: Envelope,
    version: u64,
    expires: jiff::Timestamp,
    meta: T,
}

/// Metadata parsed but not yet verified.
struct Parsed<T> {
    envelope: Envelope,
    version: u64,
    expires: jiff::Timestamp,
    meta: T,
}

fn parse<T: DeserializeOwned>(bytes: &[u8], kind: &str, role: &str) -> Result<Parsed<T>> {
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|e| bad(role, format!("malformed metadata: {e}")))?;
    let common: Common = serde_json::from_value(envelope.signed.clone())
        .map_err(|e| bad(role, format!("malformed metadata: {e}")))?;
    if common.kind != kind {
        return Err(bad(
            role,
            format!("is of type '{}', not '{kind}'", common.kind),
        ));
    }
    // The specification's major version 1; minor and patch may differ.
    let parts: Vec<&str> = common.spec_version.split('.').collect();
    if !(2..=3).contains(&parts.len())
        || parts.iter().any(|p| p.parse::<u64>().is_err())
        || parts[0] != "1"
    {
        return Err(bad(
            role,
            format!("unsupported spec_version '{}'", common.spec_version),
        ));
    }
    if common.version == 0 {
        return Err(bad(role, "version 0"));
    }
    let expires: jiff::Timestamp = common
        .expires
        .parse()
        .map_err(|e| bad(role, format!("bad expires '{}': {e}", common.expires)))?;
    let meta: T = serde_json::from_value(envelope.signed.clone())
        .map_err(|e| bad(role, format!("malformed metadata: {e}")))?;
    Ok(Parsed {
        envelope,
        version: common.version,
        expires,
        meta,
    })
}

impl<T> Parsed<T> {
    fn trust(self, bytes: Vec<u8>) -> Trusted<T> {
        Trusted {
            bytes,
            envelope: self.envelope,
            version: self.version,
            expires: self.expires,
            meta: self.meta,
        }
    }
}

// --- Signatures, through tough ----------------------------------------------

/// The `signed` object exactly as served, for tough's verifier: it
/// serialises it through the canonical JSON formatter, so signatures are
/// checked over the canonical form of what the repository signed,
/// unknown fields included.
struct AsServed<'a>(&'a Value);

impl Serialize for AsServed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl tough::schema::Role for AsServed<'_> {
    // Only used to look the key set up in the assembled root below.
    const TYPE: RoleType = RoleType::Targets;
    fn expires(&self) -> jiff::Timestamp {
        jiff::Timestamp::UNIX_EPOCH
    }
    fn version(&self) -> NonZeroU64 {
        NonZeroU64::MIN
    }
    fn filename(&self, _consistent_snapshot: bool) -> String {
        String::new()
    }
}

/// Key ids are opaque strings in the specification; tough wants bytes. A
/// fixed-length digest of the id keeps distinct ids distinct.
fn synthetic_id(keyid: &str) -> Decoded<Hex> {
    Decoded::from(sha2::Sha256::digest(keyid.as_bytes()).to_vec())
}

/// Checks that `envelope` carries valid signatures from `threshold`
/// distinct keys among `keyids` (looked up in `keys`). Keys of types tough
/// cannot verify simply never count. Duplicate key ids among the
/// signatures are refused (specification §4.2).
fn verify_signatures(
    envelope: &Envelope,
    keys: &HashMap<String, Value>,
    keyids: &[String],
    threshold: u64,
    role: &str,
) -> Result<()> {
    let threshold =
        NonZeroU64::new(threshold).ok_or_else(|| bad(role, "signature threshold is 0"))?;
    let mut tough_keys: HashMap<Decoded<Hex>, Key> = HashMap::new();
    // Key ids are only names here (any string, as the specification
    // allows), so one public key listed under two ids must still count
    // once: otherwise one private key signing twice meets a threshold of 2
    // (go-tuf's threshold bypass). Only a key's first id counts.
    let mut publics: HashSet<String> = HashSet::new();
    let mut counted: Vec<&String> = Vec::new();
    for id in keyids {
        let Some(v) = keys.get(id) else { continue };
        let public = v
            .get("keyval")
            .and_then(|k| k.get("public"))
            .map(|p| p.to_string())
            .unwrap_or_default();
        if !publics.insert(public) {
            continue;
        }
        if let Ok(k) = serde_json::from_value::<Key>(v.clone()) {
            tough_keys.insert(synthetic_id(id), k);
            counted.push(id);
        }
    }
    let root = tough::schema::Root {
        spec_version: "1.0.0".into(),
        consistent_snapshot: false,
        version: NonZeroU64::MIN,
        expires: jiff::Timestamp::UNIX_EPOCH,
        keys: tough_keys,
        roles: HashMap::from([(
            RoleType::Targets,
            RoleKeys {
                keyids: counted.iter().map(|k| synthetic_id(k)).collect(),
                threshold,
                _extra: HashMap::new(),
            },
        )]),
        _extra: HashMap::new(),
    };
    let signatures = envelope
        .signatures
        .iter()
        .map(|s| Signature {
            keyid: synthetic_id(&s.keyid),
            // A signature that is not hex cannot verify; it must not stop
            // the others from counting.
            sig: Decoded::from(hex::decode(&s.sig).unwrap_or_default()),
        })
        .collect();
    root.verify_role(&Signed {
        signed: AsServed(&envelope.signed),
        signatures,
    })
    .map_err(|e| bad(role, format!("signatures: {e}")))
}

fn verify_by_root(envelope: &Envelope, root: &RootMeta, role_type: &str, role: &str) -> Result<()> {
    let rk = root
        .roles
        .get(role_type)
        .ok_or_else(|| bad(role, format!("the root names no keys for {role_type}")))?;
    verify_signatures(envelope, &root.keys, &rk.keyids, rk.threshold, role)
}

// --- Hashes -----------------------------------------------------------------

/// Incremental digests for every algorithm a parent lists; an algorithm
/// this client does not know fails verification rather than being skipped.
struct Hashers(Vec<(String, String, HashState)>);

enum HashState {
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hashers {
    fn new(hashes: &BTreeMap<String, String>, what: &str) -> Result<Self> {
        if hashes.is_empty() {
            return Err(bad(what, "no hashes listed"));
        }
        let mut v = Vec::new();
        for (alg, expected) in hashes {
            let state = match alg.as_str() {
                "sha224" => HashState::Sha224(sha2::Sha224::new()),
                "sha256" => HashState::Sha256(sha2::Sha256::new()),
                "sha384" => HashState::Sha384(sha2::Sha384::new()),
                "sha512" => HashState::Sha512(sha2::Sha512::new()),
                other => return Err(bad(what, format!("unsupported hash algorithm '{other}'"))),
            };
            v.push((alg.clone(), expected.to_ascii_lowercase(), state));
        }
        Ok(Hashers(v))
    }

    fn update(&mut self, data: &[u8]) {
        for (_, _, s) in &mut self.0 {
            match s {
                HashState::Sha224(h) => h.update(data),
                HashState::Sha256(h) => h.update(data),
                HashState::Sha384(h) => h.update(data),
                HashState::Sha512(h) => h.update(data),
            }
        }
    }

    fn check(self, what: &str) -> Result<()> {
        for (alg, expected, s) in self.0 {
            let actual = match s {
                HashState::Sha224(h) => hex::encode(h.finalize()),
                HashState::Sha256(h) => hex::encode(h.finalize()),
                HashState::Sha384(h) => hex::encode(h.finalize()),
                HashState::Sha512(h) => hex::encode(h.finalize()),
            };
            if actual != expected {
                return Err(RefreshError::HashMismatch {
                    role: what.to_string(),
                    alg: alg.to_string(),
                });
            }
        }
        Ok(())
    }
}

fn check_metafile(data: &[u8], mf: &MetaFile, what: &str) -> Result<()> {
    if let Some(len) = mf.length {
        if data.len() as u64 != len {
            return Err(bad(
                what,
                format!("{} bytes, its parent lists {len}", data.len()),
            ));
        }
    }
    if let Some(h) = &mf.hashes {
        let mut hs = Hashers::new(h, what)?;
        hs.update(data);
        hs.check(what)?;
    }
    Ok(())
}

// --- The trusted set and the workflow --------------------------------------

/// Where and how a refresh runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base URL of the repository's metadata (ending in `/`).
    pub metadata_url: Url,
    /// The trusted `root.json`: read at the start, replaced by each newer
    /// root as it is verified.
    pub root_path: PathBuf,
    /// Where the other trusted metadata lives (`timestamp.json`,
    /// `snapshot.json`, `targets.json`, `<quoted role>.json`).
    pub dir: PathBuf,
    /// Expiry policy.
    pub expiry: Expiry,
    /// Size limits.
    pub limits: Limits,
}

/// The client's trusted metadata: the state of the TUF workflow.
#[derive(Debug)]
pub struct TrustedSet {
    opts: Options,
    transport: HttpTransport,
    root: Trusted<RootMeta>,
    timestamp: Option<Trusted<MetaMap>>,
    snapshot: Option<Trusted<MetaMap>>,
    targets: Option<Trusted<TargetsMeta>>,
    /// Delegated roles loaded in this process (hash and version already
    /// checked against the snapshot); signatures are checked again against
    /// the delegator of every lookup that reaches them.
    delegated: HashMap<String, Trusted<TargetsMeta>>,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> RefreshError {
    let context = context.into();
    move |source| RefreshError::Io { context, source }
}

/// Reads a local file if it exists, at most `limit` bytes.
fn read_local(path: &Path, limit: u64) -> Option<Vec<u8>> {
    crate::metadata::read_limited(path, limit).ok()
}

fn persist(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::fsutil::write_atomic(path, bytes).map_err(|e| RefreshError::Io {
        context: format!("writing {}", path.display()),
        source: std::io::Error::other(e.to_string()),
    })
}

/// Checks that `bytes` is a root signed by its own threshold, the way
/// [`TrustedSet::open`] will, and returns its version (a root an app ships
/// is checked when the updater is built, not at the first update).
pub(crate) fn check_root(bytes: &[u8]) -> Result<u64> {
    let parsed: Parsed<RootMeta> = parse(bytes, "root", "root")?;
    verify_by_root(&parsed.envelope, &parsed.meta, "root", "root")?;
    Ok(parsed.version)
}

impl TrustedSet {
    /// Starts from the trusted root at `opts.root_path` (or, when there is
    /// none yet, `bootstrap_root`, the root an app ships), which must be
    /// signed by its own threshold. Nothing is fetched.
    pub fn open(
        opts: Options,
        transport: HttpTransport,
        bootstrap_root: Option<&[u8]>,
    ) -> Result<Self> {
        let path = opts.root_path.display().to_string();
        let bytes = match read_local(&opts.root_path, opts.limits.root.max(1 << 20)) {
            Some(b) => b,
            None => {
                bootstrap_root
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| RefreshError::TrustedRoot {
                        path: path.clone(),
                        reason: "cannot be read".into(),
                    })?
            }
        };
        let parsed: Parsed<RootMeta> =
            parse(&bytes, "root", "root").map_err(|e| RefreshError::TrustedRoot {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        verify_by_root(&parsed.envelope, &parsed.meta, "root", "root").map_err(|e| {
            RefreshError::TrustedRoot {
                path,
                reason: e.to_string(),
            }
        })?;
        std::fs::create_dir_all(&opts.dir)
            .map_err(io(format!("creating {}", opts.dir.display())))?;
        Ok(TrustedSet {
            root: parsed.trust(bytes),
            opts,
            transport,
            timestamp: None,
            snapshot: None,
            targets: None,
            delegated: HashMap::new(),
        })
    }

    /// Runs the top-level workflow: root chain, timestamp, snapshot,
    /// targets. Each verified role is persisted before the next is fetched.
    pub async fn refresh(&mut self) -> Result<()> {
        self.timestamp = None;
        self.snapshot = None;
        self.targets = None;
        self.delegated.clear();
        tracing::debug!(
            metadata_url = %super::transport::redact_urls(self.opts.metadata_url.as_str()),
            trusted_root = self.root.version,
            "refreshing metadata"
        );
        self.update_root().await?;
        tracing::debug!(version = self.root.version, "root trusted");
        self.update_timestamp().await?;
        if let Some(t) = &self.timestamp {
            tracing::debug!(version = t.version, expires = %t.expires, "timestamp trusted");
        }
        self.update_snapshot().await?;
        if let Some(s) = &self.snapshot {
            tracing::debug!(version = s.version, expires = %s.expires, "snapshot trusted");
        }
        self.update_targets().await?;
        if let Some(t) = &self.targets {
            tracing::debug!(version = t.version, expires = %t.expires, "targets trusted");
        }
        Ok(())
    }

    fn expired(&self, role: &str, expires: jiff::Timestamp) -> Result<()> {
        match self.opts.expiry {
            Expiry::Enforce(now) if expires <= now => Err(RefreshError::Expired {
                role: role.to_string(),
                expires: expires.to_string(),
            }),
            _ => Ok(()),
        }
    }

    fn url(&self, file: &str) -> Result<Url> {
        self.opts
            .metadata_url
            .join(file)
            .map_err(|e| bad(file, format!("cannot form a URL: {e}")))
    }

    async fn fetch(&self, url: Url, max: u64, what: &str) -> Result<Vec<u8>> {
        fetch_bounded(&self.transport, url, max, what).await
    }

    /// §5.3: the root chain, each version signed by the previous root and by
    /// itself, numbered one above it; then the final root must not be
    /// expired. Each new root is persisted as soon as it is verified.
    async fn update_root(&mut self) -> Result<()> {
        let first = self.root.version + 1;
        for next in first..first + MAX_ROOT_ROTATIONS {
            let url = self.url(&format!("{next}.root.json"))?;
            let bytes = match self.fetch(url, self.opts.limits.root, "root").await {
                Ok(b) => b,
                Err(RefreshError::NotFound { .. }) => break,
                Err(e) => return Err(e),
            };
            let parsed: Parsed<RootMeta> = parse(&bytes, "root", "root")?;
            verify_by_root(&parsed.envelope, &self.root.meta, "root", "root").map_err(|e| {
                bad(
                    "root",
                    format!("version {next} not signed by the trusted root: {e}"),
                )
            })?;
            if parsed.version != next {
                return Err(bad(
                    "root",
                    format!("{next}.root.json holds version {}", parsed.version),
                ));
            }
            verify_by_root(&parsed.envelope, &parsed.meta, "root", "root")
                .map_err(|e| bad("root", format!("version {next} not signed by itself: {e}")))?;
            persist(&self.opts.root_path, &bytes)?;
            tracing::info!(version = next, "new root version verified and trusted");
            self.root = parsed.trust(bytes);
        }
        // §5.3.10: checked after persisting, so the newest root is kept.
        self.expired("root", self.root.expires)
    }

    fn load_local_timestamp(&self) -> Option<Trusted<MetaMap>> {
        let bytes = read_local(
            &self.opts.dir.join("timestamp.json"),
            self.opts.limits.timestamp,
        )?;
        let parsed: Parsed<MetaMap> = parse(&bytes, "timestamp", "timestamp").ok()?;
        // Verified against the current root: after a timestamp key rotation
        // the old timestamp no longer verifies and no longer blocks the new
        // one (fast-forward recovery, §5.3.11).
        verify_by_root(&parsed.envelope, &self.root.meta, "timestamp", "timestamp").ok()?;
        parsed.meta.meta.get("snapshot.json")?;
        Some(parsed.trust(bytes))
    }

    /// §5.4: timestamp, never older than the trusted one, an equal version
    /// keeps the trusted one, the snapshot version it names never goes back.
    async fn update_timestamp(&mut self) -> Result<()> {
        let local = self.load_local_timestamp();
        let url = self.url("timestamp.json")?;
        let bytes = self
            .fetch(url, self.opts.limits.timestamp, "timestamp")
            .await?;
        let parsed: Parsed<MetaMap> = parse(&bytes, "timestamp", "timestamp")?;
        verify_by_root(&parsed.envelope, &self.root.meta, "timestamp", "timestamp")?;
        let new_snap = parsed
            .meta
            .meta
            .get("snapshot.json")
            .ok_or_else(|| bad("timestamp", "does not list snapshot.json"))?
            .version;
        if let Some(local) = local {
            if parsed.version < local.version {
                return Err(bad(
                    "timestamp",
                    format!(
                        "version {} is older than the trusted {} (rollback)",
                        parsed.version, local.version
                    ),
                ));
            }
            if parsed.version == local.version {
                // The same version again (perhaps re-serialised): keep the
                // trusted copy, as the specification says.
                self.expired("timestamp", local.expires)?;
                self.timestamp = Some(local);
                return Ok(());
            }
            let old_snap = local
                .meta
                .meta
                .get("snapshot.json")
                .map_or(0, |m| m.version);
            if new_snap < old_snap {
                return Err(bad(
                    "timestamp",
                    format!("names snapshot version {new_snap}, older than the trusted {old_snap} (rollback)"),
                ));
            }
        }
        self.expired("timestamp", parsed.expires)?;
        persist(&self.opts.dir.join("timestamp.json"), &bytes)?;
        self.timestamp = Some(parsed.trust(bytes));
        Ok(())
    }

    fn snapshot_meta(&self) -> Result<MetaFile> {
        self.timestamp
            .as_ref()
            .and_then(|t| t.meta.meta.get("snapshot.json").cloned())
            .ok_or_else(|| bad("snapshot", "no trusted timestamp"))
    }

    /// §5.5: the snapshot the timestamp names (length, hashes, version),
    /// signed by the snapshot keys, listing every targets role the trusted
    /// snapshot lists at no lower version.
    async fn update_snapshot(&mut self) -> Result<()> {
        let meta = self.snapshot_meta()?;
        let path = self.opts.dir.join("snapshot.json");
        let local = read_local(
            &path,
            self.opts.limits.snapshot.max(meta.length.unwrap_or(0)),
        )
        .and_then(|bytes| {
            let p: Parsed<MetaMap> = parse(&bytes, "snapshot", "snapshot").ok()?;
            verify_by_root(&p.envelope, &self.root.meta, "snapshot", "snapshot").ok()?;
            Some(p.trust(bytes))
        });
        if let Some(l) = &local {
            let expired = matches!(self.opts.expiry, Expiry::Enforce(now) if l.expires <= now);
            if l.version == meta.version && !expired && self.root.meta.consistent_snapshot {
                // What the timestamp names is already here: no request.
                // Only with consistent snapshots, whose versioned file
                // names never change content; a plain `snapshot.json` is
                // fetched again and must match the timestamp's pins, so a
                // repository served half old, half new is noticed.
                self.snapshot = local;
                return Ok(());
            }
        }
        let file = if self.root.meta.consistent_snapshot {
            format!("{}.snapshot.json", meta.version)
        } else {
            "snapshot.json".to_string()
        };
        let url = self.url(&file)?;
        let max = meta.length.unwrap_or(self.opts.limits.snapshot);
        let bytes = self.fetch(url, max, "snapshot").await?;
        check_metafile(&bytes, &meta, "snapshot")?;
        let parsed: Parsed<MetaMap> = parse(&bytes, "snapshot", "snapshot")?;
        verify_by_root(&parsed.envelope, &self.root.meta, "snapshot", "snapshot")?;
        if let Some(l) = &local {
            for (name, old) in &l.meta.meta {
                match parsed.meta.meta.get(name) {
                    None => return Err(bad("snapshot", format!("no longer lists {name}"))),
                    Some(new) if new.version < old.version => {
                        return Err(bad(
                            "snapshot",
                            format!(
                                "lists {name} version {}, older than the trusted {} (rollback)",
                                new.version, old.version
                            ),
                        ))
                    }
                    _ => {}
                }
            }
        }
        if parsed.version != meta.version {
            return Err(bad(
                "snapshot",
                format!(
                    "version {} where the timestamp names {}",
                    parsed.version, meta.version
                ),
            ));
        }
        self.expired("snapshot", parsed.expires)?;
        persist(&path, &bytes)?;
        self.snapshot = Some(parsed.trust(bytes));
        Ok(())
    }

    async fn update_targets(&mut self) -> Result<()> {
        let root = self.root.meta.clone();
        let rk = root
            .roles
            .get("targets")
            .ok_or_else(|| bad("targets", "the root names no keys for targets"))?;
        let t = self
            .load_targets("targets", &root.keys, &rk.keyids, rk.threshold)
            .await?;
        self.targets = Some(t);
        Ok(())
    }

    /// §5.6: a targets role as the snapshot pins it (version, length,
    /// hashes), signed by `threshold` of `keyids`. A valid local copy of
    /// the pinned version is used without a request.
    async fn load_targets(
        &mut self,
        role: &str,
        keys: &HashMap<String, Value>,
        keyids: &[String],
        threshold: u64,
    ) -> Result<Trusted<TargetsMeta>> {
        let meta = self
            .snapshot
            .as_ref()
            .ok_or_else(|| bad(role, "no trusted snapshot"))?
            .meta
            .meta
            .get(&format!("{role}.json"))
            .cloned()
            .ok_or_else(|| bad(role, "is delegated but not listed in the snapshot"))?;
        if let Some(cached) = self.delegated.get(role) {
            // Loaded earlier in this process, perhaps through another
            // delegator: it must verify against this one.
            self.verify_targets(cached, &meta, keys, keyids, threshold, role)?;
            return Ok(cached.clone());
        }
        let quoted = delegation::quote(role);
        let path = self.opts.dir.join(format!("{quoted}.json"));
        let max = meta.length.unwrap_or(self.opts.limits.targets);
        // A verified local copy stands for an immutable versioned file
        // (consistent snapshots) only; see `update_snapshot`.
        let local = if self.root.meta.consistent_snapshot {
            read_local(&path, max)
        } else {
            None
        };
        if let Some(bytes) = local {
            if check_metafile(&bytes, &meta, role).is_ok() {
                if let Ok(p) = parse::<TargetsMeta>(&bytes, "targets", role) {
                    let t = p.trust(bytes);
                    if self
                        .verify_targets(&t, &meta, keys, keyids, threshold, role)
                        .is_ok()
                    {
                        if role != "targets" {
                            self.delegated.insert(role.to_string(), t.clone());
                        }
                        return Ok(t);
                    }
                }
            }
        }
        let file = if self.root.meta.consistent_snapshot {
            format!("{}.{quoted}.json", meta.version)
        } else {
            format!("{quoted}.json")
        };
        let url = self.url(&file)?;
        let bytes = self.fetch(url, max, role).await?;
        check_metafile(&bytes, &meta, role)?;
        let t = parse::<TargetsMeta>(&bytes, "targets", role)?.trust(bytes);
        self.verify_targets(&t, &meta, keys, keyids, threshold, role)?;
        persist(&path, &t.bytes)?;
        if role != "targets" {
            self.delegated.insert(role.to_string(), t.clone());
        }
        Ok(t)
    }

    fn verify_targets(
        &self,
        t: &Trusted<TargetsMeta>,
        meta: &MetaFile,
        keys: &HashMap<String, Value>,
        keyids: &[String],
        threshold: u64,
        role: &str,
    ) -> Result<()> {
        verify_signatures(&t.envelope, keys, keyids, threshold, role)?;
        if t.version != meta.version {
            return Err(bad(
                role,
                format!(
                    "version {} where the snapshot names {}",
                    t.version, meta.version
                ),
            ));
        }
        if let Some(d) = &t.meta.delegations {
            d.check(role)?;
        }
        self.expired(role, t.expires)
    }

    /// §5.6.7: finds `path` by pre-order depth-first search from the
    /// top-level targets, loading delegated roles as they are reached.
    /// `None`: no role responsible for the path lists it.
    pub async fn target(&mut self, path: &str) -> Result<Option<TargetInfo>> {
        let top = self
            .targets
            .clone()
            .ok_or_else(|| bad("targets", "refresh first"))?;
        let mut stack: Vec<(
            String,
            Option<Trusted<TargetsMeta>>,
            Option<DelegationsMeta>,
        )> = vec![("targets".into(), Some(top), None)];
        let mut visited: HashSet<String> = HashSet::new();
        while let Some((name, loaded, delegator)) = stack.pop() {
            if visited.len() > MAX_DELEGATIONS {
                break;
            }
            if visited.contains(&name) {
                continue;
            }
            let role = match loaded {
                Some(r) => r,
                None => {
                    let d = delegator.ok_or_else(|| bad(&name, "no delegator"))?;
                    let (keyids, threshold) = d
                        .keys_for(&name)
                        .ok_or_else(|| bad(&name, "not delegated"))?;
                    let keyids = keyids.to_vec();
                    self.load_targets(&name, &d.keys, &keyids, threshold)
                        .await?
                }
            };
            if let Some(t) = role.meta.targets.get(path) {
                return Ok(Some(t.clone()));
            }
            visited.insert(name.clone());
            if let Some(d) = &role.meta.delegations {
                let mut children = Vec::new();
                for (child, terminating) in d.roles_for(path) {
                    children.push((child, None, Some(d.clone())));
                    if terminating {
                        // Nothing after a terminating delegation is asked.
                        stack.clear();
                        break;
                    }
                }
                children.reverse();
                stack.extend(children);
            }
        }
        Ok(None)
    }

    /// Every target whose path satisfies `filter`, as the delegation walk
    /// resolves it: all reachable roles are loaded (breadth bounded), then
    /// each candidate path is looked up, so a role that lists a path it is
    /// not trusted for cannot supply it.
    pub async fn targets_matching(
        &mut self,
        filter: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, TargetInfo)>> {
        let top = self
            .targets
            .clone()
            .ok_or_else(|| bad("targets", "refresh first"))?;
        let mut candidates: Vec<String> = top
            .meta
            .targets
            .keys()
            .filter(|p| filter(p))
            .cloned()
            .collect();
        let mut queue: Vec<DelegationsMeta> = top.meta.delegations.iter().cloned().collect();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(d) = queue.pop() {
            // Succinct bins are many by design; their paths are found by
            // lookup, not enumeration.
            for r in d.roles.iter().flatten() {
                if seen.len() >= 4 * MAX_DELEGATIONS || !seen.insert(r.name.clone()) {
                    continue;
                }
                // A delegated role that does not verify fails the whole
                // enumeration: skipping it would let an attacker hide
                // releases (freeze a client) without a trace.
                let t = self
                    .load_targets(&r.name, &d.keys, &r.keyids, r.threshold)
                    .await?;
                candidates.extend(t.meta.targets.keys().filter(|p| filter(p)).cloned());
                if let Some(sub) = &t.meta.delegations {
                    queue.push(sub.clone());
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        let mut out = Vec::new();
        for p in candidates {
            if let Some(info) = self.target(&p).await? {
                out.push((p, info));
            }
        }
        Ok(out)
    }

    /// Version of the trusted root.
    pub fn root_version(&self) -> u64 {
        self.root.version
    }

    /// Version and expiry of each top-level role trusted so far: root,
    /// targets, snapshot, timestamp.
    pub fn role_expiries(&self) -> Vec<(&'static str, u64, jiff::Timestamp)> {
        let mut v = vec![("root", self.root.version, self.root.expires)];
        if let Some(t) = &self.targets {
            v.push(("targets", t.version, t.expires));
        }
        if let Some(s) = &self.snapshot {
            v.push(("snapshot", s.version, s.expires));
        }
        if let Some(t) = &self.timestamp {
            v.push(("timestamp", t.version, t.expires));
        }
        v
    }

    /// The URL of a target: with consistent snapshots, the file name is
    /// prefixed with one of its hashes. Each path segment is
    /// percent-encoded; empty, `.` and `..` segments are refused, so a
    /// target path cannot leave the targets URL.
    pub fn target_url(&self, base: &Url, path: &str, info: &TargetInfo) -> Result<Url> {
        let mut segments: Vec<String> = Vec::new();
        for s in path.split('/') {
            if s.is_empty() || s == "." || s == ".." {
                return Err(bad(path, "target path with an empty, '.' or '..' segment"));
            }
            segments.push(delegation::quote(s));
        }
        if self.root.meta.consistent_snapshot {
            let hash = info
                .hashes
                .get("sha256")
                .or_else(|| info.hashes.values().next())
                .ok_or_else(|| bad(path, "no hashes listed"))?;
            if let Some(last) = segments.last_mut() {
                *last = format!("{}.{last}", delegation::quote(hash));
            }
        }
        base.join(&segments.join("/"))
            .map_err(|e| bad(path, format!("cannot form a URL: {e}")))
    }

    /// Streams a target, checking its length as bytes arrive and every
    /// listed hash at the end: the stream ends with an error, not with
    /// the last chunk, when the content differs.
    pub async fn download(
        &self,
        base: &Url,
        path: &str,
        info: &TargetInfo,
    ) -> Result<TargetStream> {
        let url = self.target_url(base, path, info)?;
        let hashers = Hashers::new(&info.hashes, path)?;
        let inner = self
            .transport
            .fetch(url.clone())
            .await
            .map_err(|e| transport_error(&url, e))?;
        let state = Download {
            inner,
            url,
            what: path.to_string(),
            length: info.length,
            received: 0,
            hashers: Some(hashers),
        };
        Ok(Box::pin(futures_util::stream::unfold(
            state,
            |mut st| async move {
                let hashers = st.hashers.as_mut()?;
                match st.inner.next().await {
                    Some(Ok(chunk)) => {
                        st.received += chunk.len() as u64;
                        if st.received > st.length {
                            st.hashers = None;
                            let e = RefreshError::TooLong {
                                role: st.what.clone(),
                                listed: st.length,
                            };
                            return Some((Err(e), st));
                        }
                        hashers.update(&chunk);
                        Some((Ok(chunk), st))
                    }
                    Some(Err(e)) => {
                        st.hashers = None;
                        let e = transport_error(&st.url, e);
                        Some((Err(e), st))
                    }
                    None => {
                        let hs = st.hashers.take()?;
                        // Hashes first: a short file is a content mismatch too.
                        let result = hs.check(&st.what).and_then(|()| {
                            if st.received == st.length {
                                Ok(())
                            } else {
                                Err(bad(
                                    &st.what,
                                    format!("{} bytes, {} listed", st.received, st.length),
                                ))
                            }
                        });
                        match result {
                            Ok(()) => None,
                            Err(e) => Some((Err(e), st)),
                        }
                    }
                }
            },
        )))
    }
}

/// Whether `data` is the target as listed (length and every hash).
pub fn matches_target(data: &[u8], info: &TargetInfo) -> bool {
    if data.len() as u64 != info.length {
        return false;
    }
    let Ok(mut h) = Hashers::new(&info.hashes, "target") else {
        return false;
    };
    h.update(data);
    h.check("target").is_ok()
}

/// A verified target's bytes.
pub type TargetStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes>> + Send>>;

struct Download {
    inner: tough::TransportStream,
    url: Url,
    what: String,
    length: u64,
    received: u64,
    hashers: Option<Hashers>,
}

fn transport_error(url: &Url, e: tough::TransportError) -> RefreshError {
    let url = url.to_string();
    if let Some(slow) = super::find_in_chain::<super::transport::SlowRetrieval>(&e) {
        RefreshError::Slow {
            url,
            reason: slow.to_string(),
        }
    } else if e.kind() == tough::TransportErrorKind::FileNotFound {
        RefreshError::NotFound { url }
    } else {
        RefreshError::Offline {
            url,
            reason: super::error_chain(&e),
        }
    }
}

/// Fetches at most `max` bytes from `url`; more is an attack (endless
/// data), not an outage.
pub(crate) async fn fetch_bounded(
    transport: &HttpTransport,
    url: Url,
    max: u64,
    what: &str,
) -> Result<Vec<u8>> {
    let mut stream = transport
        .fetch(url.clone())
        .await
        .map_err(|e| transport_error(&url, e))?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| transport_error(&url, e))?;
        if out.len() as u64 + chunk.len() as u64 > max {
            return Err(bad(what, format!("{url} is longer than {max} bytes")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The targets an update may download, as one refresh verified them.
#[derive(Debug)]
pub struct TargetSource {
    trusted: TrustedSet,
    base: Url,
    found: HashMap<String, TargetInfo>,
}

impl TargetSource {
    /// Targets found through `trusted`'s delegation walk, fetched from
    /// `base` (the repository's `targets/`).
    pub fn new(trusted: TrustedSet, base: Url, found: &[(String, TargetInfo)]) -> Self {
        TargetSource {
            trusted,
            base,
            found: found.iter().cloned().collect(),
        }
    }

    /// The verified stream of `name` (length and hashes checked), or
    /// `None` if the refresh did not find it.
    pub async fn read_target(&self, name: &str) -> Result<Option<TargetStream>> {
        match self.found.get(name) {
            Some(info) => Ok(Some(self.trusted.download(&self.base, name, info).await?)),
            None => Ok(None),
        }
    }
}

/// The found targets as a tough `Targets` (what release selection reads).
/// Entries without a sha256 are left out: Tufa's release format records
/// archives by their sha256.
pub fn to_tough_targets(found: &[(String, TargetInfo)]) -> tough::schema::Targets {
    let mut t =
        tough::schema::Targets::new("1.0.0".into(), NonZeroU64::MIN, jiff::Timestamp::UNIX_EPOCH);
    t.delegations = None;
    for (name, info) in found {
        let (Some(sha256), Ok(target_name)) = (
            info.hashes.get("sha256").and_then(|h| hex::decode(h).ok()),
            tough::TargetName::new(name.as_str()),
        ) else {
            continue;
        };
        let custom = match &info.custom {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => HashMap::new(),
        };
        t.targets.insert(
            target_name,
            tough::schema::Target {
                length: info.length,
                hashes: tough::schema::Hashes {
                    sha256: Decoded::from(sha256),
                    _extra: HashMap::new(),
                },
                custom,
                _extra: HashMap::new(),
            },
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

    fn canonical(v: &Value) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut buf, olpc_cjson::CanonicalFormatter::new());
        v.serialize(&mut ser).unwrap();
        buf
    }

    /// One private key listed under two key ids must not meet a
    /// threshold of two by signing twice.
    #[test]
    fn one_key_under_two_ids_counts_once() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let key = serde_json::json!({
            "keytype": "ed25519",
            "scheme": "ed25519",
            "keyval": { "public": hex::encode(pair.public_key().as_ref()) }
        });
        let signed = serde_json::json!({ "_type": "targets", "version": 1 });
        let sig = hex::encode(pair.sign(&canonical(&signed)).as_ref());
        let envelope = Envelope {
            signed,
            signatures: ["a", "b"]
                .iter()
                .map(|id| RawSignature {
                    keyid: id.to_string(),
                    sig: sig.clone(),
                })
                .collect(),
        };
        let keys: HashMap<String, Value> =
            [("a".to_string(), key.clone()), ("b".to_string(), key)].into();
        let ids = ["a".to_string(), "b".to_string()];
        assert!(verify_signatures(&envelope, &keys, &ids, 1, "targets").is_ok());
        let err = verify_signatures(&envelope, &keys, &ids, 2, "targets").unwrap_err();
        assert!(err.to_string().contains("signatures"), "{err}");
    }
}
