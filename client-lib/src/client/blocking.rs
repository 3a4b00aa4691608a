//! A blocking wrapper for apps without an async runtime.

use super::{
    Applied, DownloadProgress, Downloaded, InstallOptions, UpdateError, UpdatePlan, Updater,
};

/// [`Updater`] with blocking methods (runs a private tokio runtime). Do not
/// call from inside an async runtime: use [`Updater`] there.
#[derive(Debug)]
pub struct BlockingUpdater {
    inner: Updater,
    runtime: tokio::runtime::Runtime,
}

impl BlockingUpdater {
    /// Wraps an updater.
    pub fn new(inner: Updater) -> Result<Self, UpdateError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| UpdateError::Config(format!("cannot start a runtime: {e}")))?;
        Ok(BlockingUpdater { inner, runtime })
    }

    /// See [`Updater::check`].
    pub fn check(&self) -> Result<Option<UpdatePlan>, UpdateError> {
        self.runtime.block_on(self.inner.check())
    }

    /// See [`Updater::download`].
    pub fn download(
        &self,
        plan: &UpdatePlan,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<Downloaded, UpdateError> {
        self.runtime.block_on(self.inner.download(plan, progress))
    }

    /// See [`Updater::apply`].
    pub fn apply(&self, downloaded: Downloaded) -> Result<Applied, UpdateError> {
        self.runtime.block_on(self.inner.apply(downloaded))
    }

    /// See [`Updater::install`].
    pub fn install(&self, applied: &Applied, options: &InstallOptions) -> Result<(), UpdateError> {
        self.inner.install(applied, options)
    }
}
