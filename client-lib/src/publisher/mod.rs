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
mod bundle_guard;
pub mod ceremony;
pub mod commit;
mod key_store;
pub use key_store::{KeyStore, KeyStoreChoice, ResolvedKeyStore};
pub mod estimate;
mod keyops;
pub mod keys;
pub mod project;
mod signing;
pub mod upload;

use crate::archive::{
    tar_bundle, unpack_with_members, write_archive, ArchiveStats, BundleListing, Manifest, Reusable,
};
use crate::error::IoContext;
use crate::fsutil::HashingWriter;
use crate::metadata::{
    expiry_after_days, file_bytes, read_signed, threshold, valid_signers, RepoMetadata, TopRole,
    SPEC_VERSION,
};
use crate::patch::sha256_hex;
use crate::patch::DiffStats;
use crate::progress::Progress;
use crate::releases::{client_downloads, releases, ClientDownload, Release};
use crate::target::{validate_app_name, ArchiveCustom, PatchCustom, TargetFile};
use crate::{AppVersion, Error, Phase, Result};
use commit::{recover, Recovery, RepoLock, Transaction};
pub use estimate::AddEstimate;
pub use keyops::RootChange;
use project::{ensure_dir, KeyConfig, KeyLocation, Project, RoleConfig, PROJECT_FILE};
use serde::Serialize;
use signing::{add_signatures, sign_fresh, signers_for};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use tough::schema::{
    Hashes, Metafile, Role, RoleKeys, Root, Signed, Snapshot, Target, Targets, Timestamp,
};
use tough::TargetName;

const STAGING_DIR: &str = ".tufa/staged";

/// Generates a key named `name` for app `app` in `store`; returns its
/// configuration (key id and location).
pub fn new_key(
    app: &str,
    name: &str,
    store: KeyStore,
    keys_rel: &Path,
    project_dir: &Path,
) -> Result<KeyConfig> {
    let der = keys::generate_ed25519()?;
    let keyid = keys::signer_from_der(name, &der)?.keyid;
    let location = match store {
        KeyStore::File => {
            KeyLocation::File(keyops::free_key_path(keys_rel, project_dir, name, &keyid))
        }
        KeyStore::Keyring => KeyLocation::Keyring {
            service: keys::KEYRING_SERVICE.into(),
            user: keys::keyring_entry_name(app, name, &keyid),
        },
    };
    keys::store_der(&location, project_dir, der.as_bytes(), None).map_err(|e| match e {
        keys::KeyError::KeyringUnavailable(reason) => Error::KeyringUnavailable { reason },
        other => Error::BadKey {
            name: name.to_string(),
            reason: other.to_string(),
        },
    })?;
    Ok(KeyConfig {
        keyid,
        location,
        owner: None,
    })
}

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

/// An exclusive session on the repository: lock held, interrupted changes
/// recovered, metadata verified.
struct Session {
    _lock: RepoLock,
    meta: RepoMetadata,
}

/// Changes staged for signing.
#[derive(Default)]
struct Staged {
    root: Option<Signed<Root>>,
    targets: Option<Signed<Targets>>,
    files: Vec<PathBuf>,
}

impl Publisher {
    /// Creates a project in `dir`: `tufa.toml`, keys, and version 1 of
    /// every role, signed and written.
    pub fn init(dir: &Path, opts: &InitOptions) -> Result<(Self, PublishOutcome)> {
        validate_app_name(&opts.app_name)?;
        for (role, &t) in &opts.thresholds {
            if t == 0 || t > 16 {
                return Err(Error::InvalidSetting {
                    field: format!("threshold.{role}"),
                    reason: "must be between 1 and 16".into(),
                });
            }
        }
        for (role, &d) in &opts.expires_days {
            if d == 0 || d > 36_500 {
                return Err(Error::InvalidSetting {
                    field: format!("expires.{role}"),
                    reason: "must be between 1 and 36500 days".into(),
                });
            }
        }
        ensure_dir(dir)?;
        if dir.join(PROJECT_FILE).exists() {
            return Err(Error::ProjectExists {
                path: dir.join(PROJECT_FILE),
            });
        }
        let repo_rel = opts.repo_dir.clone().unwrap_or_else(|| "repository".into());
        let keys_rel = opts.keys_dir.clone().unwrap_or_else(|| "keys".into());
        let repo = dir.join(&repo_rel);
        if repo.join("metadata").exists() {
            return Err(Error::RepositoryExists { path: repo });
        }
        let keys_dir = dir.join(&keys_rel);
        // Checked before any key is generated: keys inside the repository
        // would be uploaded with it.
        bundle_guard::check_layout(
            dir,
            &Project {
                app_name: opts.app_name.clone(),
                repo_dir: repo_rel.clone(),
                keys_dir: keys_rel.clone(),
                roles: BTreeMap::new(),
                keys: BTreeMap::new(),
                trust_from_root: 1,
                publish: None,
            },
        )?;
        if opts.key_store == KeyStore::File {
            ensure_dir(&keys_dir)?;
        }
        let mut project = Project {
            app_name: opts.app_name.clone(),
            repo_dir: repo_rel,
            keys_dir: keys_rel.clone(),
            roles: BTreeMap::new(),
            keys: BTreeMap::new(),
            trust_from_root: 1,
            publish: None,
        };
        for role in TopRole::ALL {
            let threshold = opts.thresholds.get(&role).copied().unwrap_or(1);
            let mut names = Vec::new();
            for i in 1..=threshold {
                let name = if i == 1 {
                    role.to_string()
                } else {
                    format!("{role}-{i}")
                };
                let location = new_key(&opts.app_name, &name, opts.key_store, &keys_rel, dir)?;
                project.keys.insert(name.clone(), location);
                names.push(name);
            }
            project.roles.insert(
                role,
                RoleConfig {
                    threshold,
                    expires_days: opts
                        .expires_days
                        .get(&role)
                        .copied()
                        .unwrap_or_else(|| project::default_expiry_days(role)),
                    keys: names,
                },
            );
        }
        project.validate()?;
        let publisher = Publisher {
            dir: dir.to_path_buf(),
            project,
            keys: std::sync::Arc::new(keys::NoSecrets),
        };
        let outcome = publisher.write_initial_metadata()?;
        publisher.project.save(dir)?;
        Ok((publisher, outcome))
    }

    fn write_initial_metadata(&self) -> Result<PublishOutcome> {
        let repo = self.repo();
        let _lock = RepoLock::acquire(&repo)?;
        ensure_dir(&repo.join("targets"))?;
        let mut root = Root {
            spec_version: SPEC_VERSION.into(),
            consistent_snapshot: false,
            version: NonZeroU64::MIN,
            expires: self.expiry(TopRole::Root, None)?,
            keys: HashMap::new(),
            roles: HashMap::new(),
            _extra: HashMap::new(),
        };
        let mut all = Vec::new();
        for role in TopRole::ALL {
            let signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
            if let Some(e) = signers.missing.into_iter().next() {
                return Err(e);
            }
            let cfg = self.project.role(role)?;
            let mut keyids = Vec::new();
            for s in &signers.available {
                let key = s.sign.tuf_key();
                let id = key.key_id().map_err(|e| Error::Encoding {
                    what: "a key id".into(),
                    reason: e.to_string(),
                })?;
                root.keys.insert(id.clone(), key);
                keyids.push(id);
            }
            root.roles.insert(
                role.role_type(),
                RoleKeys {
                    keyids,
                    threshold: NonZeroU64::new(cfg.threshold).unwrap_or(NonZeroU64::MIN),
                    _extra: HashMap::new(),
                },
            );
            all.push((role, signers.available));
        }
        let signers_of = |role: TopRole| {
            all.iter()
                .find(|(r, _)| *r == role)
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default()
        };
        let root = sign_fresh(root, signers_of(TopRole::Root))?;
        let targets = sign_fresh(
            Targets::new(
                SPEC_VERSION.into(),
                NonZeroU64::MIN,
                self.expiry(TopRole::Targets, None)?,
            ),
            signers_of(TopRole::Targets),
        )?;
        let targets_bytes = file_bytes(&targets)?;
        let snapshot = sign_fresh(
            snapshot_for(
                &targets_bytes,
                targets.signed.version,
                NonZeroU64::MIN,
                self.expiry(TopRole::Snapshot, None)?,
            ),
            signers_of(TopRole::Snapshot),
        )?;
        let snapshot_bytes = file_bytes(&snapshot)?;
        let timestamp = sign_fresh(
            timestamp_for(
                &snapshot_bytes,
                snapshot.signed.version,
                NonZeroU64::MIN,
                self.expiry(TopRole::Timestamp, None)?,
            ),
            signers_of(TopRole::Timestamp),
        )?;
        let root_bytes = file_bytes(&root)?;
        let mut tx = Transaction::begin(&repo)?;
        tx.put_bytes("metadata/1.root.json", &root_bytes)?;
        tx.put_bytes("metadata/root.json", &root_bytes)?;
        tx.put_bytes("metadata/targets.json", &targets_bytes)?;
        tx.put_bytes("metadata/snapshot.json", &snapshot_bytes)?;
        tx.put_bytes("metadata/timestamp.json", &file_bytes(&timestamp)?)?;
        let written = tx.commit()?;
        RepoMetadata::load(&repo.join("metadata"))?;
        Ok(PublishOutcome {
            published: true,
            written,
            removed: Vec::new(),
            versions: TopRole::ALL
                .into_iter()
                .map(|role| VersionChange {
                    role,
                    from: 0,
                    to: 1,
                })
                .collect(),
            waiting: Vec::new(),
        })
    }

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
        let days = match days {
            Some(d) => d,
            None => self.project.role(role)?.expires_days,
        };
        Ok(expiry_after_days(days))
    }

    fn session(&self) -> Result<Session> {
        let repo = self.repo();
        if !repo.join("metadata").exists() {
            return Err(Error::NoRepository {
                path: repo,
                missing: "metadata/".into(),
            });
        }
        let lock = RepoLock::acquire(&repo)?;
        self.recover()?;
        let meta =
            RepoMetadata::load_from_root(&repo.join("metadata"), self.project.trust_from_root)?;
        Ok(Session { _lock: lock, meta })
    }

    /// Finishes or discards a change interrupted by a crash (call under the
    /// lock). A finished change was the staged one: its staging goes too. A
    /// discarded one is still staged and can be published again.
    fn recover(&self) -> Result<Recovery> {
        let outcome = recover(&self.repo())?;
        let staging = self.staging();
        if outcome == Recovery::RolledForward && staging.exists() {
            std::fs::remove_dir_all(&staging)
                .context(|| format!("removing {}", staging.display()))?;
        }
        Ok(outcome)
    }

    /// Loaded metadata of the repository (verified), without a lock.
    pub fn metadata(&self) -> Result<RepoMetadata> {
        RepoMetadata::load_from_root(&self.repo().join("metadata"), self.project.trust_from_root)
    }

    fn load_staged(&self, meta: &RepoMetadata) -> Result<Staged> {
        let dir = self.staging();
        let mut staged = Staged::default();
        let root_path = dir.join("metadata/root.json");
        if root_path.exists() {
            let (root, _) = read_signed::<Root>(&root_path)?;
            if root.signed.version.get() != meta.root().signed.version.get() + 1 {
                return Err(self.stale_staging("root"));
            }
            staged.root = Some(root);
        }
        let targets_path = dir.join("metadata/targets.json");
        if targets_path.exists() {
            let (targets, _) = read_signed::<Targets>(&targets_path)?;
            if targets.signed.version.get() != meta.targets.signed.version.get() + 1 {
                return Err(self.stale_staging("targets"));
            }
            staged.targets = Some(targets);
        }
        let files_dir = dir.join("targets");
        if files_dir.exists() {
            for entry in std::fs::read_dir(&files_dir)
                .context(|| format!("reading {}", files_dir.display()))?
            {
                let entry = entry.context(|| format!("reading {}", files_dir.display()))?;
                staged.files.push(entry.path());
            }
            staged.files.sort();
        }
        Ok(staged)
    }

    fn stale_staging(&self, role: &str) -> Error {
        Error::StaleStaging {
            role: role.to_string(),
            dir: self.staging(),
        }
    }

    /// Throws away staged, unpublished changes.
    pub fn discard(&self) -> Result<bool> {
        let _lock = RepoLock::acquire(&self.repo())?;
        let dir = self.staging();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).context(|| format!("removing {}", dir.display()))?;
            return Ok(true);
        }
        Ok(false)
    }

    fn ensure_nothing_staged(&self) -> Result<()> {
        let dir = self.staging();
        if dir.exists() {
            return Err(Error::StagedChangePending { dir });
        }
        Ok(())
    }

    /// Computes what adding `req` would do, without touching the repository.
    pub fn plan_add(&self, req: &AddRequest, progress: &mut dyn Progress) -> Result<AddPlan> {
        let meta = self.metadata()?;
        let scratch = tempfile::tempdir().context(|| "creating a temporary directory".into())?;
        self.build_release(&meta, req, scratch.path(), progress)
            .map(|(plan, _, _)| plan)
    }

    /// Adds a release and publishes it (or stages it when signatures are
    /// missing). Returns the plan it carried out and the outcome.
    pub fn add(
        &self,
        req: &AddRequest,
        progress: &mut dyn Progress,
    ) -> Result<(AddPlan, PublishOutcome)> {
        tracing::info!(
            version = %req.version,
            bundle = %req.bundle.display(),
            "adding a release"
        );
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let staging = self.staging();
        let result = (|| {
            ensure_dir(&staging.join("targets"))?;
            ensure_dir(&staging.join("metadata"))?;
            let (plan, targets, manifest) =
                self.build_release(&session.meta, req, &staging.join("targets"), progress)?;
            tracing::info!(
                archive = %plan.archive.name,
                archive_bytes = plan.archive.size,
                patch = ?plan.patch.as_ref().map(|p| (&p.name, p.size)),
                "release built"
            );
            progress.start(Phase::Sign, None);
            let signers = signers_for(
                &self.project,
                &self.dir,
                self.keys.as_ref(),
                TopRole::Targets,
            )?
            .require_one()?;
            let signed = sign_fresh(targets, &signers.available)?;
            commit::write_atomic(
                &staging.join("metadata/targets.json"),
                &file_bytes(&signed)?,
            )?;
            let outcome = self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
            progress.finish(Phase::Sign);
            // Only a cache for estimates: failing to keep it is no failure.
            let _ = self.keep_manifest(&plan.archive.sha256, &manifest);
            Ok((plan, outcome))
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    /// Builds archive and patch into `out_dir` and the new targets role.
    fn build_release(
        &self,
        meta: &RepoMetadata,
        req: &AddRequest,
        out_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<(AddPlan, Targets, Manifest)> {
        let app = &self.project.app_name;
        let version: AppVersion = req.version.parse()?;
        let existing = releases(&meta.targets.signed, app)?;
        let previous = existing.last().cloned();
        if let Some(prev) = &previous {
            if version <= prev.version {
                return Err(Error::VersionNotNewer {
                    new: version.to_string(),
                    latest: prev.version.to_string(),
                });
            }
        }
        if let Some(user) = &req.user {
            if !user.is_object() {
                return Err(Error::InvalidReleaseMetadata {
                    reason: "it must be a JSON object".into(),
                });
            }
        }
        // A bundle may also come as a .tar.gz (as CI pipelines produce):
        // unpacked, with the client's hostile-archive checks, into a
        // scratch directory first.
        let unpacked;
        let bundle_dir = if is_archive(&req.bundle) {
            unpacked = tempfile::tempdir().context(|| "creating a temporary directory".into())?;
            let file = std::fs::File::open(&req.bundle)
                .context(|| format!("opening {}", req.bundle.display()))?;
            let compressed = file
                .metadata()
                .context(|| format!("reading {}", req.bundle.display()))?
                .len();
            let limit = crate::archive::gunzip_bound(compressed);
            let tar = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
            let dir = unpacked.path().join("bundle");
            crate::install::extract_tar(tar, &dir, limit).map_err(|e| Error::BadBundle {
                path: req.bundle.clone(),
                reason: e.to_string(),
            })?;
            dir
        } else {
            req.bundle.clone()
        };
        let listing = BundleListing::scan(&bundle_dir)?;
        bundle_guard::check_bundle(&self.dir, &self.project, &bundle_dir, &listing)?;
        // Both tars live in files next to the project, not in memory:
        // memory stays bounded by the largest changed file.
        let work = self.work_dir()?;
        let tar_path = work.path().join("new.tar");
        let (mut manifest, tar_size, tar_hash) =
            write_hashed(&tar_path, |w| tar_bundle(&listing, w, progress))?;
        let layout = crate::tar_layout::TarLayout::read(&tar_path)?;

        let old = match &previous {
            Some(prev) => Some(self.previous_tar(prev, work.path())?),
            None => None,
        };
        let archive_target = TargetFile::archive(app, &version);
        let archive_path = out_dir.join(archive_target.name());
        let (archive_stats, archive_size, archive_sha256) = write_hashed(&archive_path, |w| {
            write_archive(&tar_path, &layout, old.as_ref(), w, progress)
        })?;
        let archive = FileInfo {
            name: archive_target.name(),
            size: archive_size,
            sha256: archive_sha256,
        };
        manifest.tar_size = tar_size;
        manifest.archive_size = archive.size;

        let (patch, diff) = match (&old, req.skip_patch) {
            (Some(old), false) => {
                if progress.cancelled() {
                    return Err(Error::Cancelled);
                }
                let target = TargetFile::patch(app, &version);
                let path = out_dir.join(target.name());
                let ((_, stats), size, sha256) = write_hashed(&path, |w| {
                    crate::patch::create_files(&old.tar, &tar_path, w, progress)
                })?;
                // Never publish a patch that does not rebuild this tar:
                // apply it as a client will (streaming, a second or two
                // for 500 MB) before it is signed.
                let rebuilt =
                    crate::patch::apply_streaming(&old.tar, &path, &mut std::io::sink(), tar_size)?;
                if rebuilt != tar_hash {
                    return Err(Error::PatchDoesNotRebuild {
                        rebuilt,
                        expected: tar_hash,
                    });
                }
                let info = FileInfo {
                    name: target.name(),
                    size,
                    sha256,
                };
                (Some(info), Some(stats))
            }
            _ => (None, None),
        };
        drop(work);

        let mut targets = meta.targets.signed.clone();
        targets.version = next(targets.version);
        targets.expires = self.expiry(TopRole::Targets, None)?;
        let archive_custom = ArchiveCustom {
            required: req.required,
            user: req.user.clone(),
        };
        insert_target(&mut targets, &archive, archive_custom.to_custom())?;
        if let Some(p) = &patch {
            let custom = PatchCustom {
                tar_size,
                tar_hash: tar_hash.clone(),
            };
            insert_target(&mut targets, p, custom.to_custom())?;
        }

        let after = releases(&targets, app)?;
        let patch_ratio = patch
            .as_ref()
            .map(|p| p.size as f64 / archive.size.max(1) as f64);
        let plan = AddPlan {
            app: app.clone(),
            version,
            previous: previous.map(|p| p.version),
            bundle_bytes: listing.content_bytes,
            tar_size,
            tar_hash,
            archive_stats,
            diff,
            archive,
            patch,
            patch_ratio,
            required: req.required,
            clients: client_downloads(&after),
            metadata: cascade_versions(meta, &[TopRole::Targets]),
        };
        Ok((plan, targets, manifest))
    }

    fn manifests_dir(&self) -> PathBuf {
        self.dir.join(".tufa/manifests")
    }

    /// Keeps the manifest of the latest release only.
    fn keep_manifest(&self, archive_sha256: &str, manifest: &Manifest) -> Result<()> {
        let dir = self.manifests_dir();
        let path = dir.join(format!("{archive_sha256}.json"));
        manifest.save(&path)?;
        for e in std::fs::read_dir(&dir).context(|| format!("reading {}", dir.display()))? {
            let e = e.context(|| format!("reading {}", dir.display()))?;
            if e.path() != path {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }

    /// A quick estimate of adding the bundle directory `bundle`: which
    /// files changed since the latest release and bounds on the archive
    /// and patch sizes, without building anything (see [`estimate`]).
    pub fn estimate_add(&self, bundle: &Path) -> Result<AddEstimate> {
        if is_archive(bundle) {
            return Err(Error::EstimateNeedsFolder {
                path: bundle.to_path_buf(),
            });
        }
        let meta = self.metadata()?;
        let listing = BundleListing::scan(bundle)?;
        bundle_guard::check_bundle(&self.dir, &self.project, bundle, &listing)?;
        let latest = releases(&meta.targets.signed, &self.project.app_name)?
            .last()
            .cloned();
        let Some(prev) = latest else {
            return estimate::estimate(&listing, None);
        };
        let path = self
            .manifests_dir()
            .join(format!("{}.json", prev.archive_sha256));
        let manifest = match Manifest::load(&path)? {
            Some(m) => m,
            None => {
                let archive = self.repo().join("targets").join(&prev.archive);
                let limit = crate::archive::gunzip_bound(prev.archive_size);
                let m = Manifest::of_archive(&archive, limit)?;
                let _ = self.keep_manifest(&prev.archive_sha256, &m);
                m
            }
        };
        let version = prev.version.to_string();
        estimate::estimate(&listing, Some((&version, &manifest)))
    }

    /// A scratch directory beside the project for the tars of a build
    /// (on the same disk, not in a RAM-backed /tmp).
    fn work_dir(&self) -> Result<tempfile::TempDir> {
        let parent = self.dir.join(".tufa");
        ensure_dir(&parent)?;
        // Left by a build that crashed: a day is far longer than any
        // build, so a running one (a preview beside a publish) is spared.
        for e in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            let stale = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600));
            if stale && e.file_name().to_string_lossy().starts_with("work-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        tempfile::Builder::new()
            .prefix("work-")
            .tempdir_in(&parent)
            .context(|| format!("creating a directory in {}", parent.display()))
    }

    /// The uncompressed tar of release `prev`, decompressed into `work`
    /// from the repository's archive, which must match targets.json (that
    /// is the file clients hold), with the layout of its gzip members.
    fn previous_tar(&self, prev: &Release, work: &Path) -> Result<Reusable> {
        let archive = self.repo().join("targets").join(&prev.archive);
        let tar = work.join("old.tar");
        let limit = crate::archive::gunzip_bound(prev.archive_size);
        let differs = || Error::VerificationFailed {
            file: format!("targets/{}", prev.archive),
            reason: "its size or sha256 differs from targets.json".into(),
        };
        let unpacked = match unpack_with_members(&archive, &tar, limit) {
            Ok(u) => u,
            // A damaged archive is reported as what it is: not the file
            // targets.json describes.
            Err(e) => {
                let info = file_info(&archive, prev.archive.clone())?;
                if info.size != prev.archive_size || info.sha256 != prev.archive_sha256 {
                    return Err(differs());
                }
                return Err(e);
            }
        };
        if unpacked.archive_len != prev.archive_size
            || unpacked.archive_sha256 != prev.archive_sha256
        {
            return Err(differs());
        }
        if let Some(p) = &prev.patch {
            if unpacked.tar_sha256 != p.tar_hash {
                return Err(Error::VerificationFailed {
                    file: format!("targets/{}", prev.archive),
                    reason: "its tar differs from the tar_hash of its patch".into(),
                });
            }
        }
        Ok(Reusable {
            archive,
            tar,
            members: unpacked.members,
        })
    }

    /// Signs `role`: adds signatures to a staged change of it, or, with
    /// nothing staged, re-signs it with a new version and fresh expiry
    /// (`expires_days` overrides the project's setting once). Then
    /// publishes what can be published.
    pub fn sign(&self, role: TopRole, expires_days: Option<u32>) -> Result<PublishOutcome> {
        tracing::info!(role = ?role, expires_days, "signing");
        let session = self.session()?;
        let staged = self.load_staged(&session.meta)?;
        let mut signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
        if matches!(role, TopRole::Root | TopRole::Targets) {
            signers = signers.require_one()?;
        }
        let mut overrides = BTreeMap::new();
        let mut refresh = BTreeSet::new();
        match role {
            TopRole::Root => {
                let mut fresh = session.meta.root().signed.clone();
                fresh.version = next(fresh.version);
                fresh.expires = self.expiry(TopRole::Root, expires_days)?;
                let signed =
                    sign_staged(staged.root, fresh, expires_days, &signers.available, role)?;
                self.write_staged_role(role, &signed)?;
            }
            TopRole::Targets => {
                let mut fresh = session.meta.targets.signed.clone();
                fresh.version = next(fresh.version);
                fresh.expires = self.expiry(TopRole::Targets, expires_days)?;
                let signed = sign_staged(
                    staged.targets,
                    fresh,
                    expires_days,
                    &signers.available,
                    role,
                )?;
                self.write_staged_role(role, &signed)?;
            }
            TopRole::Snapshot | TopRole::Timestamp => {
                if let Some(d) = expires_days {
                    overrides.insert(role, d);
                }
                refresh.insert(role);
            }
        }
        self.publish_staged(&session, &overrides, &refresh)
    }

    fn write_staged_role<T: Serialize>(&self, role: TopRole, signed: &Signed<T>) -> Result<()> {
        let dir = self.staging().join("metadata");
        ensure_dir(&dir)?;
        commit::write_atomic(&dir.join(role.file_name()), &file_bytes(signed)?)
    }

    /// Publishes staged changes if every changed role has enough signatures.
    pub fn publish(&self) -> Result<PublishOutcome> {
        let session = self.session()?;
        self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())
    }

    /// Removes the newest release (archive and patch) from the metadata and
    /// the repository.
    pub fn remove_latest(&self) -> Result<(AppVersion, PublishOutcome)> {
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let app = &self.project.app_name;
        let all = releases(&session.meta.targets.signed, app)?;
        let latest = all.last().ok_or_else(|| Error::NoReleases {
            app: app.to_string(),
        })?;
        let names: Vec<String> = std::iter::once(latest.archive.clone())
            .chain(latest.patch.as_ref().map(|p| p.name.clone()))
            .collect();
        let outcome = self.remove_targets(&session, &names)?;
        Ok((latest.version.clone(), outcome))
    }

    /// Keeps the newest `keep` releases and removes the archives and patches
    /// of all older ones from metadata and repository. The kept releases'
    /// patches stay, so clients on every kept release still update by
    /// patch; clients on a removed release download the full archive.
    pub fn prune(&self, keep: usize) -> Result<(Vec<AppVersion>, PublishOutcome)> {
        if keep == 0 {
            return Err(Error::InvalidSetting {
                field: "keep".into(),
                reason: "keep at least one release".into(),
            });
        }
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let all = releases(&session.meta.targets.signed, &self.project.app_name)?;
        if all.len() <= keep {
            return Err(Error::NothingToRemove {
                releases: all.len(),
                keep,
            });
        }
        let removed = &all[..all.len() - keep];
        let names: Vec<String> = removed
            .iter()
            .flat_map(|r| {
                std::iter::once(r.archive.clone()).chain(r.patch.as_ref().map(|p| p.name.clone()))
            })
            .collect();
        let outcome = self.remove_targets(&session, &names)?;
        Ok((removed.iter().map(|r| r.version.clone()).collect(), outcome))
    }

    /// Removes target files from targets.json (new version, signed) and
    /// publishes; the files go after the metadata.
    fn remove_targets(&self, session: &Session, names: &[String]) -> Result<PublishOutcome> {
        let mut targets = session.meta.targets.signed.clone();
        for name in names {
            let key = TargetName::new(name.as_str()).map_err(|e| Error::InvalidTargetName {
                name: name.clone(),
                reason: e.to_string(),
            })?;
            targets.targets.remove(&key);
        }
        targets.version = next(targets.version);
        targets.expires = self.expiry(TopRole::Targets, None)?;
        let signers = signers_for(
            &self.project,
            &self.dir,
            self.keys.as_ref(),
            TopRole::Targets,
        )?
        .require_one()?;
        self.write_staged_role(TopRole::Targets, &sign_fresh(targets, &signers.available)?)?;
        self.publish_staged(session, &BTreeMap::new(), &BTreeSet::new())
    }

    /// The core of every change: check thresholds of staged roles, re-sign
    /// snapshot and timestamp as needed, and commit one transaction.
    fn publish_staged(
        &self,
        session: &Session,
        expiry_overrides: &BTreeMap<TopRole, u32>,
        refresh: &BTreeSet<TopRole>,
    ) -> Result<PublishOutcome> {
        let meta = &session.meta;
        let staged = self.load_staged(meta)?;
        let old_root = &meta.root().signed;
        let new_root = staged.root.as_ref().map(|r| &r.signed).unwrap_or(old_root);
        let mut waiting = Vec::new();
        let mut changed: Vec<TopRole> = Vec::new();

        if let Some(root) = &staged.root {
            changed.push(TopRole::Root);
            let by_old = valid_signers(old_root, root).len() as u64;
            let by_new = valid_signers(&root.signed, root).len() as u64;
            let (need_old, need_new) =
                (threshold::<Root>(old_root), threshold::<Root>(&root.signed));
            if by_old < need_old || by_new < need_new {
                waiting.push(Waiting {
                    role: TopRole::Root,
                    signatures: by_new.min(by_old),
                    threshold: need_new.max(need_old),
                    missing: self.missing_reasons(TopRole::Root)?,
                });
            }
        }
        if let Some(t) = &staged.targets {
            changed.push(TopRole::Targets);
            let have = valid_signers(new_root, t).len() as u64;
            let need = threshold::<Targets>(new_root);
            if have < need {
                waiting.push(Waiting {
                    role: TopRole::Targets,
                    signatures: have,
                    threshold: need,
                    missing: self.missing_reasons(TopRole::Targets)?,
                });
            }
        }
        if !waiting.is_empty() {
            tracing::info!(
                roles = ?waiting.iter().map(|w| w.role).collect::<Vec<_>>(),
                "change staged, waiting for signatures"
            );
            return Ok(PublishOutcome {
                published: false,
                written: Vec::new(),
                removed: Vec::new(),
                versions: Vec::new(),
                waiting,
            });
        }
        let snapshot_needed = !changed.is_empty() || refresh.contains(&TopRole::Snapshot);
        if !snapshot_needed && !refresh.contains(&TopRole::Timestamp) {
            return Err(Error::NothingStaged);
        }

        let targets_signed = staged.targets.as_ref().unwrap_or(&meta.targets);
        let targets_bytes = match &staged.targets {
            Some(t) => file_bytes(t)?,
            None => meta.targets_bytes.clone(),
        };
        let mut versions = Vec::new();
        let mut tx = Transaction::begin(&self.repo())?;
        for file in &staged.files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::DamagedStaging { path: file.clone() })?;
            tx.put_file(&format!("targets/{name}"), file)?;
        }
        if let Some(root) = &staged.root {
            let bytes = file_bytes(root)?;
            tx.put_bytes(
                &format!("metadata/{}.root.json", root.signed.version),
                &bytes,
            )?;
            tx.put_bytes("metadata/root.json", &bytes)?;
            versions.push(change(TopRole::Root, old_root.version, root.signed.version));
        }
        if let Some(t) = &staged.targets {
            tx.put_bytes("metadata/targets.json", &targets_bytes)?;
            versions.push(change(
                TopRole::Targets,
                meta.targets.signed.version,
                t.signed.version,
            ));
        }
        let mut snapshot_bytes = None;
        if snapshot_needed {
            let version = next(meta.snapshot.signed.version);
            let role = snapshot_for(
                &targets_bytes,
                targets_signed.signed.version,
                version,
                self.expiry(
                    TopRole::Snapshot,
                    expiry_overrides.get(&TopRole::Snapshot).copied(),
                )?,
            );
            let signed = self.sign_online(TopRole::Snapshot, new_root, role)?;
            let bytes = file_bytes(&signed)?;
            tx.put_bytes("metadata/snapshot.json", &bytes)?;
            versions.push(change(
                TopRole::Snapshot,
                meta.snapshot.signed.version,
                version,
            ));
            snapshot_bytes = Some((bytes, version));
        }
        let (snap_bytes, snap_version) = match snapshot_bytes {
            Some(s) => s,
            None => (meta.snapshot_bytes.clone(), meta.snapshot.signed.version),
        };
        let ts_version = next(meta.timestamp.signed.version);
        let ts = timestamp_for(
            &snap_bytes,
            snap_version,
            ts_version,
            self.expiry(
                TopRole::Timestamp,
                expiry_overrides.get(&TopRole::Timestamp).copied(),
            )?,
        );
        let ts_signed = self.sign_online(TopRole::Timestamp, new_root, ts)?;
        tx.put_bytes("metadata/timestamp.json", &file_bytes(&ts_signed)?)?;
        versions.push(change(
            TopRole::Timestamp,
            meta.timestamp.signed.version,
            ts_version,
        ));

        let mut removed = Vec::new();
        if staged.targets.is_some() {
            let app = &self.project.app_name;
            for name in meta.targets.signed.targets.keys() {
                let raw = name.raw();
                if TargetFile::parse_for_app(raw, app).is_some()
                    && !targets_signed.signed.targets.contains_key(name)
                {
                    let rel = format!("targets/{raw}");
                    tx.delete(&rel);
                    removed.push(rel);
                }
            }
        }
        let written = tx.commit()?;
        let staging = self.staging();
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .context(|| format!("removing {}", staging.display()))?;
        }
        // What we wrote must be what a client accepts.
        RepoMetadata::load_from_root(&self.repo().join("metadata"), self.project.trust_from_root)?;
        Ok(PublishOutcome {
            published: true,
            written,
            removed,
            versions,
            waiting: Vec::new(),
        })
    }

    fn missing_reasons(&self, role: TopRole) -> Result<Vec<String>> {
        let signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
        Ok(signers.missing.iter().map(ToString::to_string).collect())
    }

    /// Signs an online role; all of its threshold must be at hand.
    fn sign_online<T: Role + Serialize + Clone>(
        &self,
        role: TopRole,
        root: &Root,
        content: T,
    ) -> Result<Signed<T>> {
        let signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
        let signed = sign_fresh(content, &signers.available)?;
        let have = valid_signers(root, &signed).len() as u64;
        let need = threshold::<T>(root);
        if have < need {
            return Err(signers.missing.into_iter().next().unwrap_or_else(|| {
                Error::KeysNotTrusted {
                    role: role.to_string(),
                    need,
                }
            }));
        }
        Ok(signed)
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

/// Adds signatures to the staged version of a role, or signs `fresh`
/// (a new version with new expiry) when nothing is staged.
fn sign_staged<T: Role + Serialize>(
    staged: Option<Signed<T>>,
    fresh: T,
    expires_days: Option<u32>,
    signers: &[keys::Signer],
    role: TopRole,
) -> Result<Signed<T>> {
    match staged {
        Some(_) if expires_days.is_some() => Err(Error::ExpiryOnStagedChange {
            role: role.to_string(),
        }),
        Some(mut signed) => {
            add_signatures(&mut signed, signers)?;
            Ok(signed)
        }
        None => sign_fresh(fresh, signers),
    }
}

fn next(v: NonZeroU64) -> NonZeroU64 {
    v.checked_add(1).unwrap_or(v)
}

fn change(role: TopRole, from: NonZeroU64, to: NonZeroU64) -> VersionChange {
    VersionChange {
        role,
        from: from.get(),
        to: to.get(),
    }
}

fn cascade_versions(meta: &RepoMetadata, roles: &[TopRole]) -> Vec<VersionChange> {
    let mut out = Vec::new();
    for role in roles
        .iter()
        .copied()
        .chain([TopRole::Snapshot, TopRole::Timestamp])
    {
        let v = match role {
            TopRole::Root => meta.root().signed.version,
            TopRole::Targets => meta.targets.signed.version,
            TopRole::Snapshot => meta.snapshot.signed.version,
            TopRole::Timestamp => meta.timestamp.signed.version,
        };
        out.push(change(role, v, next(v)));
    }
    out
}

fn is_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    path.is_file() && (name.ends_with(".tar.gz") || name.ends_with(".tgz"))
}

/// Creates `path` and lets `fill` write it; returns what `fill` returned
/// with the file's size and sha256, hashed as it was written (a file just
/// written is not read back).
fn write_hashed<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> Result<T>,
) -> Result<(T, u64, String)> {
    let file = std::fs::File::create(path).context(|| format!("creating {}", path.display()))?;
    let mut w = HashingWriter::new(std::io::BufWriter::new(file));
    let value = fill(&mut w)?;
    let (size, sha256) = w
        .finish()
        .context(|| format!("writing {}", path.display()))?;
    Ok((value, size, sha256))
}

/// Size and sha256 of a file, read as a stream.
fn file_info(path: &Path, name: String) -> Result<FileInfo> {
    let what = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).context(what)?;
    let mut sink = HashingWriter::new(std::io::sink());
    std::io::copy(&mut file, &mut sink).context(what)?;
    let (size, sha256) = sink.finish().context(what)?;
    Ok(FileInfo { name, size, sha256 })
}

fn insert_target(
    targets: &mut Targets,
    file: &FileInfo,
    custom: HashMap<String, serde_json::Value>,
) -> Result<()> {
    let name = TargetName::new(file.name.as_str()).map_err(|e| Error::InvalidTargetName {
        name: file.name.clone(),
        reason: e.to_string(),
    })?;
    let sha = hex::decode(&file.sha256).map_err(|e| Error::Encoding {
        what: format!("the sha256 of {}", file.name),
        reason: e.to_string(),
    })?;
    targets.targets.insert(
        name,
        Target {
            length: file.size,
            hashes: Hashes {
                sha256: sha.into(),
                _extra: HashMap::new(),
            },
            custom,
            _extra: HashMap::new(),
        },
    );
    Ok(())
}

fn metafile(bytes: &[u8], version: NonZeroU64) -> Metafile {
    Metafile {
        length: Some(bytes.len() as u64),
        hashes: Some(Hashes {
            sha256: hex::decode(sha256_hex(bytes)).unwrap_or_default().into(),
            _extra: HashMap::new(),
        }),
        version,
        _extra: HashMap::new(),
    }
}

pub(crate) fn snapshot_for(
    targets_bytes: &[u8],
    targets_version: NonZeroU64,
    version: NonZeroU64,
    expires: jiff::Timestamp,
) -> Snapshot {
    let mut s = Snapshot::new(SPEC_VERSION.into(), version, expires);
    s.meta.insert(
        "targets.json".into(),
        metafile(targets_bytes, targets_version),
    );
    s
}

pub(crate) fn timestamp_for(
    snapshot_bytes: &[u8],
    snapshot_version: NonZeroU64,
    version: NonZeroU64,
    expires: jiff::Timestamp,
) -> Timestamp {
    let mut t = Timestamp::new(SPEC_VERSION.into(), version, expires);
    t.meta.insert(
        "snapshot.json".into(),
        metafile(snapshot_bytes, snapshot_version),
    );
    t
}
