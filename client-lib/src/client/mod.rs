//! The client that applications embed: check for an update, download the
//! patch chain or the full archive, verify, rebuild the new tar, install.
//!
//! ```no_run
//! # async fn run() -> Result<(), tufa::client::UpdateError> {
//! use tufa::client::{Updater, InstallOptions};
//!
//! let updater = Updater::builder("my-app", "1.0")
//!     .install_dir("/opt/my-app")
//!     .metadata_dir("/opt/my-app-data/metadata") // holds the root.json you ship
//!     .cache_dir("/opt/my-app-data/cache")
//!     .metadata_url("https://updates.example.com/metadata/")
//!     .targets_url("https://updates.example.com/targets/")
//!     .build()?;
//! if let Some(plan) = updater.check().await? {
//!     println!("{} → {} ({} bytes)", "1.0", plan.version, plan.total_bytes);
//!     let downloaded = updater.download(&plan, &mut |p| println!("{}/{}", p.done, p.total)).await?;
//!     let applied = updater.apply(downloaded).await?;
//!     updater.install(&applied, &InstallOptions { purge: true, ..Default::default() })?;
//! }
//! # Ok(()) }
//! ```

mod blocking;
mod cancel;
pub mod clock;
pub mod delegation;
mod progress;
pub mod refresh;
pub mod select;
pub mod transport;
pub mod verify;

pub use crate::install::InstallOptions;
pub use blocking::BlockingUpdater;
pub use cancel::Cancel;
pub use progress::{DownloadProgress, UpdatePhase, UpdateProgress};
pub use transport::{HttpOptions, HttpTransport};

use crate::error::IoContext;
use crate::releases::{releases, Release};
use crate::{AppVersion, Channel, Error};
use futures_util::StreamExt;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tough::TargetName;
use url::Url;

/// What went wrong during an update, in terms an app can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The update server could not be reached (retry later).
    #[error("update server unreachable: {0}")]
    Offline(String),
    /// The server sent too slowly: a metadata file took longer than
    /// `HttpOptions::metadata_timeout`, or a download fell below
    /// `HttpOptions::min_speed`. A stalling server (TUF's slow-retrieval
    /// attack) or a link too poor to finish; nothing was installed.
    #[error("slow retrieval: {0}; nothing was installed")]
    SlowRetrieval(String),
    /// Signed metadata has expired: the publisher must re-sign, or an
    /// attacker is replaying old metadata. Nothing was installed.
    #[error("update metadata has expired ({role} expired {expired}); nothing was installed")]
    MetadataExpired { role: String, expired: String },
    /// Metadata or a file did not verify (signatures, versions, hashes,
    /// lengths). Nothing was installed.
    #[error("verification failed: {0}; nothing was installed")]
    Verification(String),
    /// A patch failed and so did the full archive it fell back to.
    #[error("patch failed ({patch}) and the fallback to the full archive failed too: {full}")]
    PatchFailed { patch: String, full: String },
    /// Installing failed; the previous version is in place.
    #[error("install failed, the previous version is still installed: {0}")]
    InstallFailed(String),
    /// The updater is set up wrongly (paths, URLs, trusted root).
    #[error("updater configuration: {0}")]
    Config(String),
    /// Anything else from the engine.
    #[error(transparent)]
    Engine(#[from] Error),
}

impl UpdateError {
    /// What the user can do about it, when known (see [`crate::Remedy`]).
    pub fn remedy(&self) -> Option<crate::Remedy> {
        match self {
            UpdateError::Offline(_) | UpdateError::SlowRetrieval(_) => Some(crate::Remedy::Retry),
            UpdateError::Engine(e) => e.remedy(),
            _ => None,
        }
    }

    /// Whether the update stopped because the app cancelled it (see
    /// [`Cancel`]); nothing half-written was left behind.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, UpdateError::Engine(Error::Cancelled))
    }

    /// Stable code for scripts and front ends.
    pub fn code(&self) -> &'static str {
        match self {
            UpdateError::Offline(_) => "offline",
            UpdateError::SlowRetrieval(_) => "slow_retrieval",
            UpdateError::MetadataExpired { .. } => "metadata_expired",
            UpdateError::Verification(_) => "verification_failed",
            UpdateError::PatchFailed { .. } => "patch_failed",
            UpdateError::InstallFailed(_) => "install_failed",
            UpdateError::Config(_) => "config",
            UpdateError::Engine(e) => e.code(),
        }
    }
}

/// The first error of type `E` in `e`'s chain of sources.
fn find_in_chain<'a, E: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<E>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Whether a plan downloads patches or the full archive (policy, shared
/// with the publisher's preview).
pub use crate::policy::Method;

/// A file the plan downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    /// Target name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// An available update, computed from verified metadata before anything
/// is downloaded.
#[derive(Debug, Clone, Serialize)]
pub struct UpdatePlan {
    /// The version to install.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub version: AppVersion,
    /// The release is required (clients stop here before later ones).
    pub required: bool,
    /// Publisher's metadata: release notes and such.
    pub user: Option<serde_json::Value>,
    /// The release notes in `user` (`{"notes": …}`), to show before
    /// installing.
    pub notes: Option<String>,
    /// Patch chain or full archive.
    pub method: Method,
    /// Files to fetch, in order.
    pub files: Vec<PlannedFile>,
    /// Their total size.
    pub total_bytes: u64,
    /// The full archive (the fallback when a patch fails).
    pub full_archive: PlannedFile,
    #[serde(skip)]
    release: Release,
    #[serde(skip)]
    chain: Vec<Release>,
    #[serde(skip)]
    repo: Arc<refresh::TargetSource>,
}

/// Verified downloads of a plan.
#[derive(Debug)]
pub struct Downloaded {
    plan: UpdatePlan,
    files: Vec<PathBuf>,
    /// The names and sizes actually fetched.
    pub fetched: Vec<PlannedFile>,
    /// Why the patch chain was abandoned, if it was.
    pub fell_back: Option<String>,
}

/// A verified tar of the new version, ready to install.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Version.
    pub version: AppVersion,
    /// The tar in the cache.
    pub tar_path: PathBuf,
    /// Files fetched (including any fallback).
    pub fetched: Vec<PlannedFile>,
    /// Why the patch chain was abandoned, if it was.
    pub fell_back: Option<String>,
}

/// Builds an [`Updater`].
#[derive(Clone)]
pub struct UpdaterBuilder {
    app: String,
    current: String,
    install_dir: Option<PathBuf>,
    metadata_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    metadata_url: Option<String>,
    targets_url: Option<String>,
    http: HttpOptions,
    channel: Channel,
    ignore_required: bool,
    patches: bool,
    cancel: Cancel,
    trusted_root: Option<Arc<[u8]>>,
    install_options: Arc<InstallOptions>,
}

impl UpdaterBuilder {
    /// Directory the app is installed in (replaced on install).
    pub fn install_dir(mut self, p: impl Into<PathBuf>) -> Self {
        self.install_dir = Some(p.into());
        self
    }
    /// Directory holding the trusted `root.json`; newer roots are stored
    /// there after each refresh. With [`trusted_root`](Self::trusted_root)
    /// the library creates it and writes the root there itself; it is then
    /// optional (default: `metadata` in the cache dir).
    pub fn metadata_dir(mut self, p: impl Into<PathBuf>) -> Self {
        self.metadata_dir = Some(p.into());
        self
    }
    /// Directory for downloads, the current tar and TUF state.
    pub fn cache_dir(mut self, p: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(p.into());
        self
    }
    /// Base URL of the repository's `metadata/`.
    pub fn metadata_url(mut self, u: &str) -> Self {
        self.metadata_url = Some(u.into());
        self
    }
    /// Base URL of the repository's `targets/`.
    pub fn targets_url(mut self, u: &str) -> Self {
        self.targets_url = Some(u.into());
        self
    }
    /// HTTP settings (timeouts, proxy, headers).
    pub fn http(mut self, h: HttpOptions) -> Self {
        self.http = h;
        self
    }
    /// Update channel (default stable).
    pub fn channel(mut self, c: Channel) -> Self {
        self.channel = c;
        self
    }
    /// Jump past required releases to the newest.
    pub fn ignore_required(mut self, yes: bool) -> Self {
        self.ignore_required = yes;
        self
    }
    /// Allow patch chains (default true).
    pub fn patches(mut self, yes: bool) -> Self {
        self.patches = yes;
        self
    }
    /// The trusted root the app ships, as bytes (typically
    /// `include_bytes!("root.json")`): checked here (a root signed by its
    /// own threshold, else [`UpdateError::Config`]), written into the
    /// metadata dir at the first check, and from then on replaced there
    /// by each newer root the repository rotates to. A root already in the
    /// metadata dir that is at least as new is kept (the app never goes
    /// back to an older root); a newer one shipped with the app replaces
    /// an older or damaged one.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), tufa::client::UpdateError> {
    /// # let root: &[u8] = b"";
    /// // let root = include_bytes!("../root.json");
    /// let updater = tufa::client::Updater::builder("my-app", "1.0")
    ///     .trusted_root(root)
    ///     .install_dir("/opt/my-app")
    ///     .cache_dir("/var/cache/my-app")
    ///     .metadata_url("https://updates.example.com/metadata/")
    ///     .targets_url("https://updates.example.com/targets/")
    ///     .build()?;
    /// # let _ = updater; Ok(()) }
    /// ```
    pub fn trusted_root(mut self, root_json: impl AsRef<[u8]>) -> Self {
        self.trusted_root = Some(Arc::from(root_json.as_ref()));
        self
    }
    /// How [`Updater::update`] installs (purge, kept paths, a custom
    /// installer); [`Updater::install`] takes its own.
    pub fn install_options(mut self, options: InstallOptions) -> Self {
        self.install_options = Arc::new(options);
        self
    }
    /// A cancellation token the app keeps a clone of: cancelling stops the
    /// download, the patch application, the decompression or the
    /// extraction (before the swap), with [`Error::Cancelled`], without
    /// falling back to the full archive, leaving no partial file behind.
    pub fn cancel(mut self, token: Cancel) -> Self {
        self.cancel = token;
        self
    }
    /// A flag the app sets (from any thread) to cancel: the same as
    /// [`cancel`](Self::cancel) with [`Cancel::from_flag`].
    pub fn cancel_flag(self, flag: Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.cancel(Cancel::from_flag(flag))
    }

    /// Checks the settings and builds the updater.
    pub fn build(self) -> Result<Updater, UpdateError> {
        crate::target::validate_app_name(&self.app)?;
        let current: AppVersion = self.current.parse()?;
        let need = |v: Option<PathBuf>, what: &str| {
            v.ok_or_else(|| UpdateError::Config(format!("{what} is not set")))
        };
        let url = |v: Option<String>, what: &str| -> Result<Url, UpdateError> {
            let mut s = v.ok_or_else(|| UpdateError::Config(format!("{what} is not set")))?;
            if !s.ends_with('/') {
                s.push('/');
            }
            Url::parse(&s).map_err(|e| {
                UpdateError::Config(transport::redact_urls(&format!("{what} '{s}': {e}")))
            })
        };
        let metadata_url = url(self.metadata_url, "metadata URL")?;
        let targets_url = url(self.targets_url, "targets URL")?;
        if let Some(root) = &self.trusted_root {
            refresh::check_root(root).map_err(|e| {
                UpdateError::Config(format!("the trusted root given as bytes: {e}"))
            })?;
        }
        let cache_dir = need(self.cache_dir, "cache dir")?;
        let metadata_dir = match (self.metadata_dir, &self.trusted_root) {
            (Some(dir), _) => dir,
            (None, Some(_)) => cache_dir.join("metadata"),
            (None, None) => need(None, "metadata dir (or a trusted root)")?,
        };
        // The transport tells metadata from targets by these bases, for
        // their different limits (see `HttpOptions`).
        let transport = HttpTransport::new(self.http)
            .map_err(UpdateError::Config)?
            .for_repository(&metadata_url, &targets_url);
        Ok(Updater {
            app: self.app,
            current,
            install_dir: need(self.install_dir, "install dir")?,
            metadata_dir,
            cache_dir,
            metadata_url,
            targets_url,
            transport,
            channel: self.channel,
            ignore_required: self.ignore_required,
            patches: self.patches,
            cancel: self.cancel,
            trusted_root: self.trusted_root,
            install_options: self.install_options,
        })
    }
}

/// Checks for, downloads and installs updates of one app.
#[derive(Clone)]
pub struct Updater {
    app: String,
    current: AppVersion,
    install_dir: PathBuf,
    metadata_dir: PathBuf,
    cache_dir: PathBuf,
    metadata_url: Url,
    targets_url: Url,
    transport: HttpTransport,
    channel: Channel,
    ignore_required: bool,
    patches: bool,
    cancel: Cancel,
    trusted_root: Option<Arc<[u8]>>,
    install_options: Arc<InstallOptions>,
}

const FAILED_PATCHES: &str = "failed-patches.json";

impl Updater {
    /// Starts building an updater for `app` currently at `current_version`.
    pub fn builder(app: &str, current_version: &str) -> UpdaterBuilder {
        UpdaterBuilder {
            app: app.into(),
            current: current_version.into(),
            install_dir: None,
            metadata_dir: None,
            cache_dir: None,
            metadata_url: None,
            targets_url: None,
            http: HttpOptions::default(),
            channel: Channel::Stable,
            ignore_required: false,
            patches: true,
            cancel: Cancel::new(),
            trusted_root: None,
            install_options: Arc::default(),
        }
    }

    /// The version this updater updates from.
    pub fn current_version(&self) -> &AppVersion {
        &self.current
    }

    fn tuf_dir(&self) -> PathBuf {
        self.cache_dir.join("tuf")
    }

    fn downloads_dir(&self) -> PathBuf {
        self.cache_dir.join("downloads")
    }

    /// Path of the cached tar of `version`.
    pub fn cached_tar(&self, version: &AppVersion) -> PathBuf {
        self.cache_dir.join(format!("{}-{version}.tar", self.app))
    }

    fn failed_patches(&self) -> Vec<String> {
        std::fs::read(self.cache_dir.join(FAILED_PATCHES))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn mark_failed(&self, names: &[String]) -> Result<(), UpdateError> {
        let mut all = self.failed_patches();
        for n in names {
            if !all.contains(n) {
                all.push(n.clone());
            }
        }
        let bytes =
            serde_json::to_vec(&all).map_err(|e| Error::encoding("the failed-patch list", e))?;
        crate::fsutil::write_atomic(&self.cache_dir.join(FAILED_PATCHES), &bytes)?;
        Ok(())
    }

    /// Writes the root given to [`UpdaterBuilder::trusted_root`] into the
    /// metadata dir, unless a root at least as new is there already.
    fn seed_trusted_root(&self) -> Result<(), UpdateError> {
        let Some(shipped) = &self.trusted_root else {
            return Ok(());
        };
        let dir = &self.metadata_dir;
        std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("root.json");
        // Checked when the updater was built; a failure here is a bug.
        let shipped_version = refresh::check_root(shipped)
            .map_err(|e| UpdateError::Config(format!("the trusted root given as bytes: {e}")))?;
        // Only the version is read here: the refresh verifies the stored
        // root as it always does.
        let stored_version = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.pointer("/signed/version").and_then(|n| n.as_u64()));
        if stored_version.is_none_or(|v| v < shipped_version) {
            tracing::info!(
                version = shipped_version,
                replaces = ?stored_version,
                path = %path.display(),
                "writing the trusted root shipped with the app"
            );
            crate::fsutil::write_atomic(&path, shipped)?;
        }
        Ok(())
    }

    /// Refreshes the metadata (root → timestamp → snapshot → targets,
    /// verified by tough) and returns the update to install, if any.
    pub async fn check(&self) -> Result<Option<UpdatePlan>, UpdateError> {
        tracing::info!(
            app = %self.app,
            current = %self.current,
            channel = ?self.channel,
            "checking for an update"
        );
        self.cancel.check()?;
        for d in [&self.cache_dir, &self.tuf_dir(), &self.downloads_dir()] {
            std::fs::create_dir_all(d).context(|| format!("creating {}", d.display()))?;
        }
        self.seed_trusted_root()?;
        // Leftovers of an install interrupted by a crash.
        crate::install::recover_interrupted(&self.install_dir)?;
        let staging = crate::install::staging_dir(&self.install_dir)?;
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .context(|| format!("removing {}", staging.display()))?;
        }
        // The one TUF refresh (see `refresh`): the trusted root is the one
        // in the metadata dir, replaced there by each newer root verified;
        // the other roles live in the cache's `tuf/`. Expiry is judged by
        // the clock policy (see `clock`).
        let now = clock::now(&self.cache_dir);
        let mut trusted = refresh::TrustedSet::open(
            refresh::Options {
                metadata_url: self.metadata_url.clone(),
                root_path: self.metadata_dir.join("root.json"),
                dir: self.tuf_dir(),
                expiry: refresh::Expiry::Enforce(now.effective),
                limits: refresh::Limits::default(),
            },
            self.transport.clone(),
            self.trusted_root.as_deref(),
        )?;
        // Each verified role is persisted atomically before the next is
        // fetched, so stopping between two awaits leaves a consistent set.
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(Error::Cancelled.into()),
            refreshed = trusted.refresh() => refreshed?,
        }
        clock::record_success(&self.cache_dir, now)?;
        // This app's releases, wherever the delegations put them.
        let prefix = format!("{}-", self.app);
        let found = trusted.targets_matching(|p| p.starts_with(&prefix)).await?;
        let all = releases(&refresh::to_tough_targets(&found), &self.app)?;
        let source = refresh::TargetSource::new(trusted, self.targets_url.clone(), &found);
        let cached = self.cached_tar(&self.current).exists();
        let failed = self.failed_patches();
        // What the patch-or-full choice rests on, for a log reader asking
        // why a client downloaded the full archive.
        tracing::debug!(
            releases = all.len(),
            patches_enabled = self.patches,
            current_tar_cached = cached,
            failed_patches = failed.len(),
            ignore_required = self.ignore_required,
            "selecting an update"
        );
        let Some(sel) = select::select(
            &all,
            &self.current,
            self.channel,
            self.ignore_required,
            self.patches && cached,
            &failed,
        ) else {
            tracing::info!(current = %self.current, "up to date");
            return Ok(None);
        };
        let release = all[sel.target].clone();
        let full_archive = PlannedFile {
            name: release.archive.clone(),
            size: release.archive_size,
        };
        let chain: Vec<Release> = sel.chain.iter().map(|&i| all[i].clone()).collect();
        let (method, files) = if chain.is_empty() {
            (Method::Full, vec![full_archive.clone()])
        } else {
            let files = chain
                .iter()
                .filter_map(|r| r.patch.as_ref())
                .map(|p| PlannedFile {
                    name: p.name.clone(),
                    size: p.size,
                })
                .collect();
            (Method::Patch, files)
        };
        let total_bytes = files.iter().map(|f: &PlannedFile| f.size).sum();
        tracing::info!(
            version = %release.version,
            required = release.required,
            method = ?method,
            files = ?files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            total_bytes,
            full_archive_bytes = full_archive.size,
            "update found"
        );
        Ok(Some(UpdatePlan {
            version: release.version.clone(),
            required: release.required,
            user: release.user.clone(),
            notes: release.notes.clone(),
            method,
            files,
            total_bytes,
            full_archive,
            release,
            chain,
            repo: Arc::new(source),
        }))
    }

    /// Downloads the plan's files into the cache, each verified (length
    /// and hashes) while streaming. If a patch fails to download or
    /// verify, the full archive is fetched instead.
    pub async fn download(
        &self,
        plan: &UpdatePlan,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<Downloaded, UpdateError> {
        let mut fetched = Vec::new();
        let mut paths = Vec::new();
        let mut done = 0;
        let mut fell_back = None;
        let mut meter = progress::Meter::new(UpdatePhase::Downloading, plan.total_bytes);
        for f in &plan.files {
            match self.fetch(plan, f, &mut done, &mut meter, progress).await {
                Ok(p) => {
                    paths.push(p);
                    fetched.push(f.clone());
                }
                // Stopping is not a reason to download something else.
                Err(e) if e.is_cancelled() => return Err(e),
                Err(e) if plan.method == Method::Patch => {
                    let why = format!("{}: {e}", f.name);
                    // Only a patch that did not verify is the chain's
                    // fault; an outage, a slow server or a full disk is
                    // not, and the next update tries the chain again.
                    let blame = matches!(e, UpdateError::Verification(_));
                    tracing::warn!(
                        file = %f.name,
                        patch_at_fault = blame,
                        "patch download failed, falling back to the full archive: {}",
                        transport::redact_urls(&e.to_string())
                    );
                    let archive = self
                        .fall_back_to_archive(plan, &why, blame, progress)
                        .await?;
                    fetched.push(plan.full_archive.clone());
                    paths = vec![archive];
                    fell_back = Some(why);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Downloaded {
            plan: plan.clone(),
            files: paths,
            fetched,
            fell_back,
        })
    }

    /// A patch of the chain could not be used (`why`): fetch the full
    /// archive instead. When the patch itself is to `blame` (it did not
    /// verify or apply), the chain is never tried again; otherwise the
    /// archive's own error is returned as is (e.g. `Offline`: the patch
    /// did not fail, the network did).
    async fn fall_back_to_archive(
        &self,
        plan: &UpdatePlan,
        why: &str,
        blame: bool,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<PathBuf, UpdateError> {
        if blame {
            let names: Vec<String> = plan.files.iter().map(|f| f.name.clone()).collect();
            self.mark_failed(&names)?;
        }
        let mut done = 0;
        let mut meter = progress::Meter::new(UpdatePhase::Downloading, plan.full_archive.size);
        self.fetch(plan, &plan.full_archive, &mut done, &mut meter, progress)
            .await
            .map_err(|full| {
                if full.is_cancelled() {
                    full
                } else if blame {
                    UpdateError::PatchFailed {
                        patch: why.to_string(),
                        full: full.to_string(),
                    }
                } else {
                    full
                }
            })
    }

    async fn fetch(
        &self,
        plan: &UpdatePlan,
        file: &PlannedFile,
        done: &mut u64,
        meter: &mut progress::Meter,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<PathBuf, UpdateError> {
        self.cancel.check()?;
        let name = TargetName::new(file.name.as_str())
            .map_err(|e| UpdateError::Verification(e.to_string()))?;
        let mut stream = plan.repo.read_target(name.raw()).await?.ok_or_else(|| {
            UpdateError::Verification(format!("{} is not in targets.json", file.name))
        })?;
        let final_path = self.downloads_dir().join(&file.name);
        let part = self.downloads_dir().join(format!("{}.part", file.name));
        tracing::info!(file = %file.name, size = file.size, "downloading");
        let mut out =
            std::fs::File::create(&part).context(|| format!("creating {}", part.display()))?;
        // Bytes reach the disk only as a .part file; the stream checks the
        // length as they come and the hashes at the end, and only then is
        // the file renamed to its name.
        let stop = self.cancel.cancelled();
        tokio::pin!(stop);
        let result: Result<(), UpdateError> = async {
            loop {
                let next = tokio::select! {
                    biased;
                    _ = &mut stop => return Err(Error::Cancelled.into()),
                    next = stream.next() => next,
                };
                let Some(chunk) = next else { break };
                let chunk = chunk?;
                out.write_all(&chunk)
                    .context(|| format!("writing {}", part.display()))?;
                *done += chunk.len() as u64;
                progress(meter.event(&file.name, *done));
            }
            out.sync_all()
                .context(|| format!("writing {}", part.display()))?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = std::fs::remove_file(&part);
            tracing::warn!(
                file = %file.name,
                "download failed: {}",
                transport::redact_urls(&e.to_string())
            );
            return Err(e);
        }
        std::fs::rename(&part, &final_path)
            .context(|| format!("moving {}", final_path.display()))?;
        tracing::debug!(file = %file.name, "downloaded and verified");
        Ok(final_path)
    }

    /// Rebuilds the new version's tar: applies the patches to the cached
    /// tar (checking each result against its `tar_hash`) or decompresses
    /// the archive. A failing patch falls back to the full archive. The
    /// work runs on tokio's blocking threads, never on a runtime worker.
    ///
    /// ```no_run
    /// # async fn run(updater: tufa::client::Updater) -> Result<(), tufa::client::UpdateError> {
    /// if let Some(plan) = updater.check().await? {
    ///     let downloaded = updater.download(&plan, &mut |_| {}).await?;
    ///     let applied = updater.apply(downloaded).await?;
    ///     println!("{} is ready in {}", applied.version, applied.tar_path.display());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn apply(&self, downloaded: Downloaded) -> Result<Applied, UpdateError> {
        self.apply_with_progress(downloaded, &mut |_| {}).await
    }

    /// [`apply`](Self::apply) reporting [`UpdatePhase::Patching`] or
    /// [`UpdatePhase::Unpacking`] events (and [`UpdatePhase::Downloading`]
    /// ones if a failing patch makes it fetch the full archive).
    pub async fn apply_with_progress(
        &self,
        downloaded: Downloaded,
        progress: &mut (dyn FnMut(UpdateProgress) + Send),
    ) -> Result<Applied, UpdateError> {
        let Downloaded {
            plan,
            files,
            mut fetched,
            mut fell_back,
        } = downloaded;
        self.cancel.check()?;
        let mut archive = None;
        if fell_back.is_none() && plan.method == Method::Patch {
            tracing::info!(
                from = %self.current,
                to = %plan.version,
                patches = plan.chain.len(),
                "applying patches"
            );
            let total = plan
                .chain
                .iter()
                .filter_map(|r| r.patch.as_ref())
                .map(|p| p.tar_size)
                .sum();
            let (this, chain_plan, chain_files) = (self.clone(), plan.clone(), files.clone());
            let file = plan
                .files
                .last()
                .map(|f| f.name.clone())
                .unwrap_or_default();
            let applied = progress::on_blocking_thread(
                UpdatePhase::Patching,
                &file,
                total,
                &self.cancel,
                progress,
                move |watch| this.apply_chain(&chain_plan, &chain_files, watch),
            )
            .await;
            match applied {
                Ok(()) => {
                    tracing::info!(version = %plan.version, "patches applied, tar verified");
                    return self.finish(&plan, fetched, fell_back);
                }
                // The app asked to stop: not a reason to download more.
                Err(Error::Cancelled) => {
                    tracing::info!("applying patches cancelled");
                    return Err(Error::Cancelled.into());
                }
                Err(e) => {
                    let why = e.to_string();
                    // A local failure (disk) is not the patch's.
                    let blame = !matches!(e, Error::Io { .. });
                    tracing::warn!(
                        patch_at_fault = blame,
                        "applying patches failed, falling back to the full archive: {why}"
                    );
                    archive = Some(
                        self.fall_back_to_archive(&plan, &why, blame, progress)
                            .await?,
                    );
                    fetched.push(plan.full_archive.clone());
                    fell_back = Some(why);
                }
            }
        }
        let archive = match archive {
            Some(a) => a,
            None => files
                .into_iter()
                .next()
                .ok_or_else(|| UpdateError::Verification("nothing was downloaded".into()))?,
        };
        tracing::info!(version = %plan.version, "unpacking the full archive");
        let (this, unpack_plan) = (self.clone(), plan.clone());
        let unpacked = progress::on_blocking_thread(
            UpdatePhase::Unpacking,
            &plan.full_archive.name,
            plan.full_archive.size,
            &self.cancel,
            progress,
            move |watch| this.unpack_archive(&unpack_plan, &archive, watch),
        )
        .await;
        unpacked.map_err(|e| match e {
            Error::VerificationFailed { file, reason } => {
                UpdateError::Verification(format!("the tar in {file} {reason}"))
            }
            other => other.into(),
        })?;
        self.finish(&plan, fetched, fell_back)
    }

    /// Applies the patch chain file to file, streaming: each step is
    /// checked against its `tar_hash` before the next one reads it, and
    /// only the last lands in the cache (atomically). `watch` sees the
    /// bytes written over the whole chain.
    fn apply_chain(
        &self,
        plan: &UpdatePlan,
        files: &[PathBuf],
        watch: crate::fsutil::Watch<'_>,
    ) -> Result<(), Error> {
        let mut source = self.cached_tar(&self.current);
        let steps = plan.chain.len();
        if files.len() != steps {
            return Err(Error::corrupt_patch(format!(
                "{} patch files for a chain of {steps}",
                files.len()
            )));
        }
        let mut intermediate: Option<PathBuf> = None;
        let mut before = 0u64;
        for (i, (release, patch_path)) in plan.chain.iter().zip(files).enumerate() {
            let patch = release.patch.as_ref().ok_or_else(|| {
                Error::corrupt_patch(format!("release {} has no patch", release.version))
            })?;
            let target = if i + 1 == steps {
                self.cached_tar(&plan.version)
            } else {
                self.downloads_dir().join(format!("step-{i}.tar"))
            };
            let result = crate::patch::apply_file_watched(
                &source,
                patch_path,
                &target,
                patch.tar_size,
                &patch.tar_hash,
                self.cancel.flag(),
                &mut |n| watch(before + n),
            );
            if let Some(done) = intermediate.take() {
                let _ = std::fs::remove_file(done);
            }
            result?;
            before += patch.tar_size;
            if i + 1 != steps {
                intermediate = Some(target.clone());
            }
            source = target;
        }
        Ok(())
    }

    /// Decompresses the archive into the cache as a stream, hashing while
    /// writing; the tar takes its place only once it matches `tar_hash`.
    fn unpack_archive(
        &self,
        plan: &UpdatePlan,
        archive: &Path,
        watch: crate::fsutil::Watch<'_>,
    ) -> Result<(), Error> {
        // The tar cannot be larger than its declared size, or than gzip's
        // maximum expansion of the (verified) archive.
        let limit = plan
            .release
            .patch
            .as_ref()
            .map(|p| p.tar_size)
            .unwrap_or_else(|| crate::archive::gunzip_bound(plan.full_archive.size));
        let tar_path = self.cached_tar(&plan.version);
        crate::archive::gunzip_file_watched(
            archive,
            &tar_path,
            limit,
            |hash| match &plan.release.patch {
                Some(p) if p.tar_hash != hash => Err(Error::VerificationFailed {
                    file: plan.full_archive.name.clone(),
                    reason: format!("does not match tar_hash {}", p.tar_hash),
                }),
                _ => Ok(()),
            },
            watch,
        )
    }

    fn finish(
        &self,
        plan: &UpdatePlan,
        fetched: Vec<PlannedFile>,
        fell_back: Option<String>,
    ) -> Result<Applied, UpdateError> {
        let tar_path = self.cached_tar(&plan.version);
        let downloads = self.downloads_dir();
        if let Ok(rd) = std::fs::read_dir(&downloads) {
            for e in rd.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(Applied {
            version: plan.version.clone(),
            tar_path,
            fetched,
            fell_back,
        })
    }

    /// Installs an applied update into the install dir (atomically where
    /// the OS allows), then keeps only the newest tar in the cache. This
    /// is blocking work (extraction): async code calls it through
    /// `tokio::task::spawn_blocking`, or uses [`update`](Self::update). The
    /// cancellation token stops it before the swap, leaving the install
    /// dir as it was.
    ///
    /// ```no_run
    /// # fn run(updater: &tufa::client::Updater, applied: &tufa::client::Applied) -> Result<(), tufa::client::UpdateError> {
    /// use tufa::client::InstallOptions;
    /// let options = InstallOptions { purge: true, exclude: vec!["settings".into()], ..Default::default() };
    /// updater.install(applied, &options)?;
    /// # Ok(()) }
    /// ```
    pub fn install(&self, applied: &Applied, options: &InstallOptions) -> Result<(), UpdateError> {
        let cancel = self.cancel.clone();
        self.install_watched(applied, options, &mut |_| {
            if cancel.is_cancelled() {
                Err(std::io::Error::other("cancelled"))
            } else {
                Ok(())
            }
        })
    }

    fn install_watched(
        &self,
        applied: &Applied,
        options: &InstallOptions,
        watch: crate::fsutil::Watch<'_>,
    ) -> Result<(), UpdateError> {
        self.cancel.check()?;
        tracing::info!(
            version = %applied.version,
            install_dir = %self.install_dir.display(),
            purge = options.purge,
            "installing"
        );
        let installed = crate::install::install_tar_watched(
            &applied.tar_path,
            &self.install_dir,
            options,
            watch,
        );
        if let Err(e) = installed {
            if self.cancel.is_cancelled() {
                tracing::info!("install cancelled, the previous version stays");
                return Err(Error::Cancelled.into());
            }
            tracing::warn!("install failed, the previous version stays: {e}");
            return Err(UpdateError::InstallFailed(e.to_string()));
        }
        tracing::info!(version = %applied.version, "installed");
        let keep = applied.tar_path.file_name().map(|n| n.to_os_string());
        if let Ok(rd) = std::fs::read_dir(&self.cache_dir) {
            for e in rd.flatten() {
                let name = e.file_name();
                let is_tar = name
                    .to_string_lossy()
                    .starts_with(&format!("{}-", self.app))
                    && name.to_string_lossy().ends_with(".tar");
                if is_tar && Some(&name) != keep.as_ref() {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }

    /// Check, download, apply and install in one call, with the install
    /// options given to the builder: returns what was installed, or `None`
    /// when up to date. Progress events carry the phase, bytes, speed and
    /// time left; the heavy work runs on blocking threads; the builder's
    /// [`Cancel`] token stops any phase (up to the swap), leaving the
    /// cache and the install dir as they were.
    ///
    /// ```no_run
    /// # async fn run(updater: tufa::client::Updater) -> Result<(), tufa::client::UpdateError> {
    /// match updater.update(&mut |p| eprintln!("{}: {}/{}", p.phase.label(), p.done, p.total)).await? {
    ///     Some(applied) => println!("updated to {}; restart to use it", applied.version),
    ///     None => println!("up to date"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        progress: &mut (dyn FnMut(UpdateProgress) + Send),
    ) -> Result<Option<Applied>, UpdateError> {
        progress(progress::Meter::new(UpdatePhase::Checking, 0).event("", 0));
        let Some(plan) = self.check().await? else {
            return Ok(None);
        };
        let downloaded = self.download(&plan, progress).await?;
        let applied = self.apply_with_progress(downloaded, progress).await?;
        let size = std::fs::metadata(&applied.tar_path)
            .map(|m| m.len())
            .unwrap_or(0);
        let (this, to_install) = (self.clone(), applied.clone());
        // The typed error crosses the thread aside, so that a failed
        // install does not end with a "done" event.
        let failure = Arc::new(std::sync::Mutex::new(None));
        let failed = failure.clone();
        let installed = progress::on_blocking_thread(
            UpdatePhase::Installing,
            &applied.version.to_string(),
            size,
            &self.cancel,
            progress,
            move |watch| {
                this.install_watched(&to_install, &this.install_options, watch)
                    .map_err(|e| {
                        let text = e.to_string();
                        if let Ok(mut slot) = failed.lock() {
                            *slot = Some(e);
                        }
                        Error::Install(text)
                    })
            },
        )
        .await;
        if let Err(e) = installed {
            let typed = failure.lock().ok().and_then(|mut slot| slot.take());
            return Err(match (e, typed) {
                (Error::Cancelled, _) => Error::Cancelled.into(),
                (_, Some(typed)) => typed,
                (other, None) => other.into(),
            });
        }
        Ok(Some(applied))
    }
}

// By hand, not derived: apps log updaters, and the URLs may carry a
// user:password (shown without it) while the HTTP options hold header
// values (shown by name only, see `HttpOptions`).
impl std::fmt::Debug for UpdaterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |u: &Option<String>| u.as_deref().map(transport::redact_urls);
        f.debug_struct("UpdaterBuilder")
            .field("app", &self.app)
            .field("current", &self.current)
            .field("install_dir", &self.install_dir)
            .field("metadata_url", &shown(&self.metadata_url))
            .field("targets_url", &shown(&self.targets_url))
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Updater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Updater")
            .field("app", &self.app)
            .field("current", &self.current)
            .field("install_dir", &self.install_dir)
            .field(
                "metadata_url",
                &transport::redact_urls(self.metadata_url.as_str()),
            )
            .field(
                "targets_url",
                &transport::redact_urls(self.targets_url.as_str()),
            )
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}
