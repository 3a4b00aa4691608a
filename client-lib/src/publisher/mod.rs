//! The repository side: create a repository, add releases, sign, publish.
//!
//! Every change goes through the same path: new target files and changed
//! roles are *staged* in `<project>/.tufa/staged/`, signed with the keys at
//! hand, and published in one transaction once every changed role meets its
//! threshold (snapshot and timestamp are re-signed in cascade). A role that
//! lacks signatures stays staged until `sign` adds them.
//!
//! ```no_run
//! use tufa::publisher::{AddRequest, InitOptions, Publisher};
//! use tufa::progress::NoProgress;
//!
//! let dir = std::path::Path::new("my-project");
//! let (publisher, _) = Publisher::init(dir, &InitOptions::new("my-app"))?;
//! let request = AddRequest::new("build/1.0", "1.0");
//! let (plan, outcome) = publisher.add(&request, &mut NoProgress)?;
//! println!("{} bytes, published: {}", plan.archive.size, outcome.published);
//! # Ok::<(), tufa::Error>(())
//! ```

pub mod adopt;
mod builders;
mod bundle_guard;
pub mod ceremony;
pub mod commit;
pub mod delegate;
pub mod destinations;
mod key_store;
pub use key_store::{Custody, KeyStore, KeyStoreChoice, ResolvedKeyStore};
pub mod estimate;
mod init;
mod keyops;
pub mod keys;
mod manifests;
pub mod project;
mod release;
mod retention;
pub mod rollout;
mod signing;
mod staging;
mod streams;
mod suggest;
pub mod upload;
// The app's workspace: staged change, removal previews, local vs.
// published, refresh.
pub mod automate;
pub mod pending;
pub mod periods;
pub mod published;
pub mod refresh;
pub mod removal;

// The imports below serve this file and its submodules (init, staging,
// release, manifests, retention, builders), which start with `use super::*`.
use crate::archive::{
    tar_bundle, unpack_with_members, write_archive, ArchiveStats, BundleListing, Manifest, Reusable,
};
use crate::error::IoContext;
use crate::fsutil::HashingWriter;
use crate::metadata::{
    expiry_after_days, expiry_after_days_from, file_bytes, read_signed, threshold, valid_signers,
    RepoMetadata, TopRole, SPEC_VERSION,
};
use crate::patch::sha256_hex;
use crate::patch::DiffStats;
use crate::progress::Progress;
use crate::releases::{client_downloads, releases, ClientDownload, Release};
use crate::target::{validate_app_name, ArchiveCustom, PatchCustom, TargetFile};
use crate::{AppVersion, Error, Phase, Result};
pub(crate) use builders::{snapshot_for, timestamp_for};
use commit::{recover, Recovery, RepoLock, Transaction};
pub use estimate::AddEstimate;
pub use init::new_key;
pub use keyops::{new_custodian_key, read_public_key, CustodianKey, RequestSigning, RootChange};
use project::{ensure_dir, KeyConfig, KeyLocation, Project, RoleConfig, PROJECT_FILE};
use release::is_archive;
use serde::Serialize;
use signing::{add_signatures, sign_fresh, signers_for};
use staging::{cascade_versions, next, Staged};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use tough::schema::{
    Hashes, Metafile, Role, RoleKeys, Root, Signed, Snapshot, Target, Targets, Timestamp,
};
use tough::TargetName;

const STAGING_DIR: &str = ".tufa/staged";

/// Settings for a new repository.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Application name.
    pub app_name: String,
    /// Repository directory (default `repository`).
    pub repo_dir: Option<PathBuf>,
    /// Key directory (default `keys`).
    pub keys_dir: Option<PathBuf>,
    /// Expiry in days per role; defaults for the rest.
    pub expires_days: BTreeMap<TopRole, u32>,
    /// Threshold per role (that many keys are generated); default 1.
    pub thresholds: BTreeMap<TopRole, u64>,
    /// Where the generated keys go.
    pub key_store: KeyStore,
    /// Root keys as key files encrypted with this passphrase (in the keys
    /// directory, whatever `key_store` says), to move offline after a
    /// backup; `None`: root keys go where the others do.
    pub root_passphrase: Option<keys::Secret>,
}

impl InitOptions {
    /// Defaults for app `name`.
    pub fn new(name: &str) -> Self {
        InitOptions {
            app_name: name.into(),
            repo_dir: None,
            keys_dir: None,
            expires_days: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            key_store: KeyStore::File,
            root_passphrase: None,
        }
    }
}

/// A new release to add.
#[derive(Debug, Clone)]
pub struct AddRequest {
    /// Bundle directory.
    pub bundle: PathBuf,
    /// Version text (PEP 440).
    pub version: String,
    /// Clients must install this release before later ones.
    pub required: bool,
    /// User metadata (release notes…), stored in `custom.user`.
    pub user: Option<serde_json::Value>,
    /// Publish the archive only, without a patch.
    pub skip_patch: bool,
    /// Platform `<os>-<arch>` of the bundle: targets are named
    /// `<app>-<platform>-<version>…` and patched from the previous release
    /// of that platform. None: the single-platform (tufup) layout.
    pub platform: Option<String>,
    /// Start a staged rollout at this percentage (0 to 100) instead of
    /// offering the release to every install.
    pub rollout: Option<u8>,
}

impl AddRequest {
    /// A release of `bundle` at `version`, not required, no metadata.
    pub fn new(bundle: impl Into<PathBuf>, version: &str) -> Self {
        AddRequest {
            bundle: bundle.into(),
            version: version.into(),
            required: false,
            user: None,
            skip_patch: false,
            platform: None,
            rollout: None,
        }
    }
}

/// A file of the new release.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileInfo {
    /// Target name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// sha256, hex.
    pub sha256: String,
}

/// Metadata version change of one role.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionChange {
    /// Role.
    pub role: TopRole,
    /// Version before.
    pub from: u64,
    /// Version after.
    pub to: u64,
}

/// Everything `add` will do, computed without changing the repository.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddPlan {
    /// App name.
    pub app: String,
    /// Platform of the release, when it has one (the previous release and
    /// the clients are those of that platform).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub platform: Option<String>,
    /// New version.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub version: AppVersion,
    /// The latest release before this one.
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub previous: Option<AppVersion>,
    /// Size of the bundle's files.
    pub bundle_bytes: u64,
    /// The uncompressed tar.
    pub tar_size: u64,
    /// sha256 of the uncompressed tar.
    pub tar_hash: String,
    /// The archive.
    pub archive: FileInfo,
    /// The patch from the previous release.
    pub patch: Option<FileInfo>,
    /// Patch size / archive size.
    pub patch_ratio: Option<f64>,
    /// Gzip members written and copied from the previous archive.
    pub archive_stats: ArchiveStats,
    /// What the tar-aware diff did (when a patch was made).
    pub diff: Option<DiffStats>,
    /// Required release.
    pub required: bool,
    /// What clients on each earlier release would download.
    pub clients: Vec<ClientDownload>,
    /// Metadata versions before → after.
    pub metadata: Vec<VersionChange>,
    /// What is worth a second look before publishing
    /// ([`crate::policy::plan_warnings`]).
    pub warnings: Vec<crate::policy::PlanWarning>,
}

/// A role that cannot be published yet.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Waiting {
    /// Role.
    pub role: TopRole,
    /// Valid signatures so far.
    pub signatures: u64,
    /// Signatures needed.
    pub threshold: u64,
    /// Why the other keys did not sign.
    pub missing: Vec<String>,
}

/// Result of a change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublishOutcome {
    /// The change reached the repository.
    pub published: bool,
    /// Files written, relative to the repository.
    pub written: Vec<String>,
    /// Files removed, relative to the repository.
    pub removed: Vec<String>,
    /// Metadata versions before → after.
    pub versions: Vec<VersionChange>,
    /// Roles still short of signatures (then nothing was published).
    pub waiting: Vec<Waiting>,
}

/// An opened project.
#[derive(Debug, Clone)]
pub struct Publisher {
    dir: PathBuf,
    project: Project,
    /// Passphrases and replacement keys, from the caller.
    keys: std::sync::Arc<dyn keys::KeyProvider>,
}

impl Publisher {
    /// Opens the project in `dir` (reads `tufa.toml`).
    pub fn open(dir: &Path) -> Result<Self> {
        let project = Project::load(dir)?;
        bundle_guard::check_layout(dir, &project)?;
        Ok(Publisher {
            dir: dir.to_path_buf(),
            project,
            keys: std::sync::Arc::new(keys::NoSecrets),
        })
    }

    /// Takes passphrases, and keys that replace configured ones, from
    /// `keys` (the CLI: environment and prompts; the app: its dialogs).
    /// Without it, encrypted keys cannot be opened.
    pub fn with_keys(mut self, keys: std::sync::Arc<dyn keys::KeyProvider>) -> Self {
        self.keys = keys;
        self
    }

    /// Where passphrases and replacement keys come from.
    pub fn keys(&self) -> &dyn keys::KeyProvider {
        self.keys.as_ref()
    }

    /// The project settings.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The project directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The repository directory.
    pub fn repo(&self) -> PathBuf {
        self.project.repo_path(&self.dir)
    }

    fn staging(&self) -> PathBuf {
        self.dir.join(STAGING_DIR)
    }

    fn expiry(&self, role: TopRole, days: Option<u32>) -> Result<jiff::Timestamp> {
        self.expiry_at(jiff::Timestamp::now(), role, days)
    }

    /// [`expiry`](Self::expiry) counted from `now`: roles signed together
    /// read the clock once.
    fn expiry_at(
        &self,
        now: jiff::Timestamp,
        role: TopRole,
        days: Option<u32>,
    ) -> Result<jiff::Timestamp> {
        let days = match days {
            Some(d) => d,
            None => self.project.role(role)?.expires_days,
        };
        Ok(expiry_after_days_from(now, days))
    }

    /// Loaded metadata of the repository (verified), without a lock.
    pub fn metadata(&self) -> Result<RepoMetadata> {
        RepoMetadata::load_from_root(&self.repo().join("metadata"), self.project.trust_from_root)
    }

    /// Roles, releases, keys and staged changes of the project.
    pub fn status(&self) -> Result<status::Status> {
        // Finish a crashed change first when nobody else is working on the
        // repository; otherwise just read.
        if let Ok(_lock) = RepoLock::acquire(&self.repo()) {
            self.recover()?;
        }
        let meta = self.metadata()?;
        let staged = self.load_staged(&meta)?;
        status::build(self, &meta, &staged)
    }
}

pub mod status;
