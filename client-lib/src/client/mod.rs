//! The client that applications embed: check for an update, download the
//! patch chain or the full archive, verify, rebuild the new tar, install.
//!
//! One file per concept: [`UpdateError`] and its mapping (`error`), the
//! plan and its results (`types`), [`UpdaterBuilder`] (`builder`), the
//! cache layout (`cache`), the TUF check (`check`, over `refresh`), the
//! downloads (`download`), patching and unpacking (`apply`), the install
//! (`installing`), progress events (`progress`) and cancellation
//! (`cancel`). [`Updater::update`] runs them all in one call.
//!
//! ```no_run
//! # async fn run() -> Result<(), tufa::client::UpdateError> {
//! use tufa::client::{Cancel, InstallOptions, Updater};
//!
//! # let shipped_root: &[u8] = b"";
//! let cancel = Cancel::new(); // cancel.cancel() from a button
//! let updater = Updater::builder("my-app", "1.0")
//!     .trusted_root(shipped_root) // include_bytes!("root.json")
//!     .install_dir("/opt/my-app")
//!     .cache_dir("/opt/my-app-data/cache")
//!     .metadata_url("https://updates.example.com/metadata/")
//!     .targets_url("https://updates.example.com/targets/")
//!     .install_options(InstallOptions { purge: true, ..Default::default() })
//!     .cancel(cancel.clone())
//!     .build()?;
//! // Step by step: the plan says what an update costs before anything is
//! // downloaded.
//! if let Some(plan) = updater.check().await? {
//!     println!("1.0 → {} ({} bytes)", plan.version, plan.total_bytes);
//!     let downloaded = updater.download(&plan, &mut |p| println!("{}/{}", p.done, p.total)).await?;
//!     let applied = updater.apply(downloaded).await?;
//!     updater.install(&applied, &InstallOptions { purge: true, ..Default::default() })?;
//! }
//! // Or all in one call.
//! updater.update(&mut |p| println!("{}: {}/{}", p.phase.label(), p.done, p.total)).await?;
//! # Ok(()) }
//! ```

mod apply;
mod blocking;
mod builder;
mod cache;
mod cancel;
mod check;
pub mod clock;
mod delegation;
mod download;
mod error;
pub mod helper;
mod installing;
mod progress;
pub mod refresh;
mod select;
pub mod transport;
mod types;
pub mod verify;

pub use crate::install::{InstallOptions, InstallReport};
pub use blocking::BlockingUpdater;
pub use builder::UpdaterBuilder;
pub use cancel::Cancel;
pub use error::UpdateError;
pub(crate) use error::{error_chain, find_in_chain};
pub use progress::{DownloadProgress, UpdatePhase, UpdateProgress};
pub use transport::{HttpOptions, HttpTransport};
pub use types::{Applied, Downloaded, Method, PlannedFile, UpdatePlan};

use crate::{AppVersion, Channel, Error};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

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
    /// Set platform, or none: the running one when the repository has it.
    platform: Option<String>,
    ignore_rollout: bool,
    cancel: Cancel,
    trusted_root: Option<Arc<[u8]>>,
    install_options: Arc<InstallOptions>,
}

impl Updater {
    /// The version this updater updates from.
    pub fn current_version(&self) -> &AppVersion {
        &self.current
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
        match installed {
            Ok(report) => Ok(Some(Applied {
                installed: Some(report),
                ..applied
            })),
            Err(e) => {
                let typed = failure.lock().ok().and_then(|mut slot| slot.take());
                Err(match (e, typed) {
                    (Error::Cancelled, _) => Error::Cancelled.into(),
                    (_, Some(typed)) => typed,
                    (other, None) => other.into(),
                })
            }
        }
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
