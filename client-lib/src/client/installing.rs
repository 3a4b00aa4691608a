//! Installing a rebuilt tar into the install dir (see [`crate::install`]:
//! staged beside it, swapped in atomically where the OS allows) and
//! keeping only the newest tar in the cache.

use super::{Applied, InstallOptions, UpdateError, Updater};
use crate::install::{InstallReport, ReuseContext, ReuseSource};
use crate::Error;

impl Updater {
    /// Installs an applied update into the install dir (atomically where
    /// the OS allows), then keeps only the newest tar in the cache. This
    /// is blocking work (extraction): async code calls it through
    /// `tokio::task::spawn_blocking`, or uses [`update`](Self::update). The
    /// cancellation token stops it before the swap, leaving the install
    /// dir as it was.
    ///
    /// When the tar was rebuilt by patch, files the new version shares
    /// with the installed one are taken from the install dir (hard-linked,
    /// or cloned/copied with a custom installer) instead of being written
    /// again: the report says how many.
    ///
    /// ```no_run
    /// # fn run(updater: &tufa::client::Updater, applied: &tufa::client::Applied) -> Result<(), tufa::client::UpdateError> {
    /// use tufa::client::InstallOptions;
    /// let options = InstallOptions { purge: true, exclude: vec!["settings".into()], ..Default::default() };
    /// let report = updater.install(applied, &options)?;
    /// println!("{} files written, {} unchanged", report.files_written, report.files_reused);
    /// # Ok(()) }
    /// ```
    pub fn install(
        &self,
        applied: &Applied,
        options: &InstallOptions,
    ) -> Result<InstallReport, UpdateError> {
        let cancel = self.cancel.clone();
        self.install_watched(applied, options, &mut |_| {
            if cancel.is_cancelled() {
                Err(std::io::Error::other("cancelled"))
            } else {
                Ok(())
            }
        })
    }

    pub(super) fn install_watched(
        &self,
        applied: &Applied,
        options: &InstallOptions,
        watch: crate::fsutil::Watch<'_>,
    ) -> Result<InstallReport, UpdateError> {
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
            Some(&self.reuse_context(applied)),
            watch,
        );
        let report = match installed {
            Ok(report) => report,
            Err(e) => {
                if self.cancel.is_cancelled() {
                    tracing::info!("install cancelled, the previous version stays");
                    return Err(Error::Cancelled.into());
                }
                tracing::warn!("install failed, the previous version stays: {e}");
                return Err(UpdateError::InstallFailed(e.to_string()));
            }
        };
        tracing::info!(version = %applied.version, "installed");
        // A version staged for a hand-over is now stale: applied on exit
        // it would take the install back.
        if let Err(e) = crate::install::handover::discard_staged(&self.install_dir) {
            tracing::warn!("removing the staged version: {e}");
        }
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
        Ok(report)
    }

    /// What an install of `applied` may reuse from the installed version,
    /// and where it records what it installed.
    pub(super) fn reuse_context(&self, applied: &Applied) -> ReuseContext {
        ReuseContext {
            record: self.cache_dir.join("installed-files.json"),
            version: applied.version.to_string(),
            from: applied.same.as_ref().map(|ranges| ReuseSource {
                ranges: ranges.clone(),
                old_tar: self.cached_tar(&applied.from),
                old_version: applied.from.to_string(),
            }),
        }
    }
}
