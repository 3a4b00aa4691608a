//! Checking for an update: the trusted root (shipped as bytes or in the
//! metadata dir), the TUF refresh, and the choice of release and of patch
//! chain or full archive.

use super::{clock, refresh, select, Method, PlannedFile, UpdateError, UpdatePlan, Updater};
use crate::error::IoContext;
use crate::policy::{install_bucket, Audience, SelectOptions};
use crate::releases::{releases, Release};
use crate::target::{current_platform, stream_name};
use crate::Error;
use std::sync::Arc;

impl Updater {
    /// Writes the root given to [`UpdaterBuilder::trusted_root`] into the
    /// metadata dir, unless a root at least as new is there already.
    pub(super) fn seed_trusted_root(&self) -> Result<(), UpdateError> {
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
    /// verified by tough) and returns the update to install, if any:
    /// version, notes, whether it is required, patches or full archive and
    /// the bytes to download. Nothing is downloaded but metadata.
    ///
    /// ```no_run
    /// # async fn run(updater: tufa::client::Updater) -> Result<(), tufa::client::UpdateError> {
    /// match updater.check().await? {
    ///     Some(plan) => println!(
    ///         "{} available ({:?}, {} bytes){}",
    ///         plan.version,
    ///         plan.method,
    ///         plan.total_bytes,
    ///         plan.notes.map(|n| format!(": {n}")).unwrap_or_default()
    ///     ),
    ///     None => println!("up to date"),
    /// }
    /// # Ok(()) }
    /// ```
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
        // Leftovers of an install interrupted by a crash: a hand-over
        // first (its recovery knows which `.tufa-old` is whose).
        crate::install::handover::recover(&self.install_dir)?;
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
        // This app's releases, wherever the delegations put them: those
        // of the set platform, or by default of the running one when the
        // repository has them, else the platform-less (tufup) stream.
        let prefix = format!("{}-", self.app);
        let found = trusted.targets_matching(|p| p.starts_with(&prefix)).await?;
        let listed = refresh::to_tough_targets(&found);
        let all = match &self.platform {
            Some(p) => releases(&listed, &stream_name(&self.app, Some(p)))?,
            None => {
                let own = releases(&listed, &stream_name(&self.app, Some(&current_platform())))?;
                if own.is_empty() {
                    releases(&listed, &self.app)?
                } else {
                    own
                }
            }
        };
        // The install id is only created once a rollout needs it.
        let audience = if self.ignore_rollout || all.iter().all(|r| r.rollout.is_none()) {
            Audience::Everyone
        } else {
            Audience::Bucket(install_bucket(&self.install_id()?))
        };
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
            audience = ?audience,
            "selecting an update"
        );
        let Some(sel) = select::select_with(
            &all,
            &self.current,
            &SelectOptions {
                channel: self.channel,
                ignore_required: self.ignore_required,
                patches_allowed: self.patches && cached,
                failed_patches: &failed,
                audience,
            },
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
            rollback = sel.rollback,
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
            rollback: sel.rollback,
            release,
            chain,
            repo: Arc::new(source),
        }))
    }
}
