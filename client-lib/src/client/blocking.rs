//! A blocking wrapper for apps without an async runtime.

use super::{
    Applied, DownloadProgress, Downloaded, InstallOptions, UpdateError, UpdatePlan, UpdateProgress,
    Updater,
};

/// [`Updater`] with blocking methods (runs a private tokio runtime, whose
/// blocking threads do the patching and extraction). Do not call from
/// inside an async runtime: use [`Updater`] there.
///
/// ```no_run
/// # fn run() -> Result<(), tufa::client::UpdateError> {
/// use tufa::client::{BlockingUpdater, Updater};
/// # let root: &[u8] = b"";
/// let updater = BlockingUpdater::new(
///     Updater::builder("my-app", "1.0")
///         .trusted_root(root) // include_bytes!("root.json")
///         .install_dir("/opt/my-app")
///         .cache_dir("/var/cache/my-app")
///         .metadata_url("https://updates.example.com/metadata/")
///         .targets_url("https://updates.example.com/targets/")
///         .build()?,
/// )?;
/// if let Some(applied) = updater.update(&mut |p| eprintln!("{}: {}/{}", p.phase.label(), p.done, p.total))? {
///     println!("updated to {}", applied.version);
/// }
/// # Ok(()) }
/// ```
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

    /// The async updater inside.
    pub fn updater(&self) -> &Updater {
        &self.inner
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

    /// See [`Updater::apply_with_progress`].
    pub fn apply_with_progress(
        &self,
        downloaded: Downloaded,
        progress: &mut (dyn FnMut(UpdateProgress) + Send),
    ) -> Result<Applied, UpdateError> {
        self.runtime
            .block_on(self.inner.apply_with_progress(downloaded, progress))
    }

    /// See [`Updater::install`].
    pub fn install(
        &self,
        applied: &Applied,
        options: &InstallOptions,
    ) -> Result<crate::install::InstallReport, UpdateError> {
        self.inner.install(applied, options)
    }

    /// See [`Updater::update`]: check, download, apply and install in one
    /// call.
    pub fn update(
        &self,
        progress: &mut (dyn FnMut(UpdateProgress) + Send),
    ) -> Result<Option<Applied>, UpdateError> {
        self.runtime.block_on(self.inner.update(progress))
    }
}
