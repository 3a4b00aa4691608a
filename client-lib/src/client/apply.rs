//! Rebuilding the new version's tar from the downloads: the patch chain
//! applied to the cached tar, or the full archive decompressed, on a
//! blocking thread, checked against `tar_hash` before it lands in the
//! cache.

use super::progress::{self, UpdatePhase};
use super::{
    Applied, Downloaded, Method, PlannedFile, UpdateError, UpdatePlan, UpdateProgress, Updater,
};
use crate::install::SameRanges;
use crate::Error;
use std::path::{Path, PathBuf};

impl Updater {
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
    ///
    /// ```no_run
    /// # async fn run(updater: tufa::client::Updater, downloaded: tufa::client::Downloaded) -> Result<(), tufa::client::UpdateError> {
    /// let applied = updater
    ///     .apply_with_progress(downloaded, &mut |p| eprintln!("{}: {}/{}", p.phase.label(), p.done, p.total))
    ///     .await?;
    /// # let _ = applied; Ok(()) }
    /// ```
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
                Ok(same) => {
                    tracing::info!(
                        version = %plan.version,
                        same_bytes = same.bytes(),
                        "patches applied, tar verified"
                    );
                    let mut applied = self.finish(&plan, fetched, fell_back)?;
                    applied.same = Some(std::sync::Arc::new(same));
                    return Ok(applied);
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
    /// bytes written over the whole chain. Returns where the new tar
    /// copies the installed version's tar verbatim (for the install to
    /// reuse unchanged files).
    pub(super) fn apply_chain(
        &self,
        plan: &UpdatePlan,
        files: &[PathBuf],
        watch: crate::fsutil::Watch<'_>,
    ) -> Result<SameRanges, Error> {
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
        let mut same: Option<SameRanges> = None;
        for (i, (release, patch_path)) in plan.chain.iter().zip(files).enumerate() {
            let patch = release.patch.as_ref().ok_or_else(|| {
                Error::corrupt_patch(format!("release {} has no patch", release.version))
            })?;
            let target = if i + 1 == steps {
                self.cached_tar(&plan.version)
            } else {
                self.downloads_dir().join(format!("step-{i}.tar"))
            };
            let mut step = SameRanges::default();
            let result = crate::patch::apply_file_watched(
                &source,
                patch_path,
                &target,
                crate::patch::Expected {
                    size: patch.tar_size,
                    sha256: &patch.tar_hash,
                },
                self.cancel.flag(),
                Some(&mut step),
                &mut |n| watch(before + n),
            );
            same = Some(match same {
                None => step,
                Some(earlier) => earlier.then(&step),
            });
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
        Ok(same.unwrap_or_default())
    }

    /// Decompresses the archive into the cache as a stream, hashing while
    /// writing; the tar takes its place only once it matches `tar_hash`.
    pub(super) fn unpack_archive(
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

    pub(super) fn finish(
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
            same: None,
            from: self.current.clone(),
            installed: None,
        })
    }
}
