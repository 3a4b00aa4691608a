//! Installing a rebuilt tar into the install dir (see [`crate::install`]:
//! staged beside it, swapped in atomically where the OS allows) and
//! keeping only the newest tar in the cache.

use super::{Applied, InstallOptions, UpdateError, Updater};
use crate::Error;

impl Updater {
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

    pub(super) fn install_watched(
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
        Ok(())
    }
}
