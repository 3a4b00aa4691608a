//! Tauri 2 plugin for signed updates with [Tufa](https://github.com/): the
//! repository's metadata is TUF-signed (not only the artifact), keys rotate
//! through new roots, and clients download binary patches when smaller.
//!
//! ```ignore
//! fn main() {
//!     // In helper mode (an update applied on exit) this swaps and exits.
//!     tufa::client::helper::run_if_helper();
//!     tauri::Builder::default()
//!         .plugin(tauri_plugin_tufa::init(include_bytes!("../root.json")))
//!         .run(tauri::generate_context!())
//!         .expect("running the app");
//! }
//! ```
//!
//! Settings come from `plugins.tufa` in tauri.conf.json ([`Config`]); the
//! trusted root is compiled into the app and given to [`init`] or
//! [`Builder::new`]. The front end calls the commands through the
//! TypeScript API in `guest-js/` after granting `tufa:default` in a
//! capability. See docs/embedding.md.

mod commands;
mod config;
mod error;

pub use config::Config;
pub use error::{Error, Result};

use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, RunEvent, Runtime};
use tufa::client::{
    Applied, Cancel, InstallOptions, Method, UpdatePhase, UpdatePlan, UpdateProgress, Updater,
};

/// An available update, as `check` returns it to the front end.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInfo {
    /// The version that would be installed.
    pub version: String,
    /// The version running now.
    pub current_version: String,
    /// Release notes (`notes` in the release's custom data).
    pub notes: Option<String>,
    /// The release's whole custom data (`tufa add --meta`), if any.
    pub custom: Option<serde_json::Value>,
    /// The publisher marked the release required.
    pub required: bool,
    /// Bytes to download.
    pub download_size: u64,
    /// `"patch"` (a chain of binary patches) or `"full"` (the archive).
    pub method: &'static str,
    /// A signed downgrade: the running release was pulled.
    pub rollback: bool,
}

impl UpdateInfo {
    fn new(plan: &UpdatePlan, current: &str) -> Self {
        UpdateInfo {
            version: plan.version.to_string(),
            current_version: current.to_string(),
            notes: plan.notes.clone(),
            custom: plan.user.clone(),
            required: plan.required,
            download_size: plan.total_bytes,
            method: match plan.method {
                Method::Patch => "patch",
                Method::Full => "full",
            },
            rollback: plan.rollback,
        }
    }
}

/// One progress event of `download`, sent through its Tauri `Channel`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadEvent {
    /// `downloading`, `patching` or `unpacking` (the archive).
    pub phase: UpdatePhase,
    /// The file being worked on.
    pub file: String,
    /// Bytes done in this phase.
    pub done: u64,
    /// Bytes of this phase in all.
    pub total: u64,
    /// Recent speed in bytes per second (0 until measurable).
    pub bytes_per_sec: u64,
    /// Seconds left in this phase at that speed.
    pub eta_secs: Option<f64>,
}

impl From<UpdateProgress> for DownloadEvent {
    fn from(p: UpdateProgress) -> Self {
        DownloadEvent {
            phase: p.phase,
            file: p.file,
            done: p.done,
            total: p.total,
            bytes_per_sec: p.bytes_per_sec,
            eta_secs: p.eta.map(|d| d.as_secs_f64()),
        }
    }
}

/// What `download` got ready to install.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Downloaded {
    /// The version downloaded, verified and rebuilt.
    pub version: String,
    /// Bytes fetched (including a fallback to the full archive).
    pub downloaded_bytes: u64,
    /// Why the patches were abandoned for the full archive, if they were.
    pub fell_back: Option<String>,
}

/// When `install` puts the new version in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InstallMode {
    /// Swap the install folder now, in-process (Linux, macOS: the running
    /// app keeps its open files; the new version runs after a restart).
    Now,
    /// Prepare the new version beside the install folder; a helper swaps
    /// it in once the app has exited (needed on Windows, where running
    /// files are locked). `restart` then relaunches through the helper.
    OnExit,
}

/// What `install` did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// The version installed or staged.
    pub version: String,
    /// How.
    pub mode: InstallMode,
}

/// Where an update stands between commands.
#[derive(Default)]
struct Flow {
    plan: Option<UpdatePlan>,
    applied: Option<Applied>,
    /// Installed in-process (`now`): restart to run it.
    installed: Option<String>,
    /// Staged for the helper (`onExit`); the helper is started on exit or
    /// restart, once.
    staged: Option<String>,
}

/// The plugin's state: the updater built from the configuration and the
/// update in progress. Reach it with [`TufaExt::tufa`] to drive updates
/// from Rust; the commands call the same methods.
pub struct Tufa<R: Runtime> {
    app: AppHandle<R>,
    /// `None` until configured (a plugin built with
    /// [`Builder::configure_later`] and not yet given its settings).
    setup: std::sync::RwLock<Option<Arc<Setup>>>,
    cancel: Cancel,
    busy: AtomicBool,
    flow: std::sync::Mutex<Flow>,
}

/// What a configuration builds: the updater and what installs need.
struct Setup {
    updater: Arc<Updater>,
    current: String,
    install_options: InstallOptions,
}

/// Clears the busy flag when a download or install ends, however it ends.
struct BusyGuard<'a>(&'a AtomicBool);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl<R: Runtime> Tufa<R> {
    fn flow(&self) -> std::sync::MutexGuard<'_, Flow> {
        // A panic while holding the lock leaves plain data behind: keep going.
        self.flow.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn claim(&self) -> Result<BusyGuard<'_>> {
        if self.busy.swap(true, Ordering::SeqCst) {
            return Err(Error::Busy);
        }
        Ok(BusyGuard(&self.busy))
    }

    fn setup(&self) -> Result<Arc<Setup>> {
        self.setup
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(Error::NotConfigured)
    }

    /// The underlying updater, for anything the plugin does not expose;
    /// `None` until the plugin is configured.
    pub fn updater(&self) -> Option<Arc<Updater>> {
        self.setup().ok().map(|s| s.updater.clone())
    }

    /// Whether the plugin has its settings (always, unless built with
    /// [`Builder::configure_later`] and not yet [`configure`](Self::configure)d).
    pub fn is_configured(&self) -> bool {
        self.setup().is_ok()
    }

    /// Gives the plugin its trusted root and settings at run time, or
    /// replaces them (a repository URL the user changed): an update found
    /// or downloaded with the old settings is forgotten. Refused with
    /// [`Error::Busy`] while a download or install runs. A bad setting is
    /// an [`Error::Config`] and keeps the previous settings.
    ///
    /// ```no_run
    /// # fn run<R: tauri::Runtime>(app: &tauri::AppHandle<R>, root: Vec<u8>) -> tauri_plugin_tufa::Result<()> {
    /// use tauri_plugin_tufa::{Config, TufaExt};
    /// app.tufa().configure(&root, Config {
    ///     metadata_url: "https://updates.example.com/metadata/".into(),
    ///     targets_url: "https://updates.example.com/targets/".into(),
    ///     ..Config::default()
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn configure(&self, trusted_root: &[u8], config: Config) -> Result<()> {
        let _busy = self.claim()?;
        let setup = new_setup(&self.app, trusted_root, config, &self.cancel)?;
        *self.setup.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(setup));
        let mut flow = self.flow();
        flow.plan = None;
        flow.applied = None;
        Ok(())
    }

    /// Refreshes the signed metadata and says whether a newer release is
    /// offered (`None`: up to date). Nothing is downloaded.
    pub async fn check(&self) -> Result<Option<UpdateInfo>> {
        if let Some(v) = self.flow().installed.clone() {
            return Err(Error::RestartPending(v));
        }
        let setup = self.setup()?;
        let plan = setup.updater.check().await?;
        let info = plan.as_ref().map(|p| UpdateInfo::new(p, &setup.current));
        // Reconfigured meanwhile (another repository): this answer is
        // about the old one and must not become the update to download.
        if self.setup().is_ok_and(|now| Arc::ptr_eq(&now, &setup)) {
            let mut flow = self.flow();
            flow.plan = plan;
            flow.applied = None;
        }
        Ok(info)
    }

    /// Downloads the update found by the last [`check`](Self::check) (or
    /// checks first), verifies it and rebuilds the new version's tar from
    /// the patches or the archive, reporting progress. [`cancel`](Self::cancel)
    /// stops it, leaving nothing half-written.
    pub async fn download(
        &self,
        progress: &mut (dyn FnMut(DownloadEvent) + Send),
    ) -> Result<Downloaded> {
        let _busy = self.claim()?;
        let setup = self.setup()?;
        // A cancel meant for an earlier download must not stop this one.
        self.cancel.reset();
        let plan = self.flow().plan.clone();
        let plan = match plan {
            Some(p) => p,
            None => {
                self.check().await?;
                self.flow().plan.clone().ok_or(Error::NoUpdate)?
            }
        };
        let mut relay = |p: UpdateProgress| progress(p.into());
        let downloaded = setup.updater.download(&plan, &mut relay).await?;
        let applied = setup
            .updater
            .apply_with_progress(downloaded, &mut relay)
            .await?;
        let out = Downloaded {
            version: applied.version.to_string(),
            downloaded_bytes: applied.fetched.iter().map(|f| f.size).sum(),
            fell_back: applied.fell_back.clone(),
        };
        self.flow().applied = Some(applied);
        Ok(out)
    }

    /// Stops a running download (and its patching) soon; it then fails
    /// with code `cancelled`. Does nothing when none runs.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Installs the downloaded update: [`InstallMode::Now`] swaps the
    /// install folder in-process; [`InstallMode::OnExit`] stages it and
    /// hands it to the helper when the app exits (or on
    /// [`restart`](Self::restart)).
    pub async fn install(&self, mode: InstallMode) -> Result<Installed> {
        let _busy = self.claim()?;
        let setup = self.setup()?;
        let applied = self.flow().applied.clone().ok_or(Error::NotDownloaded)?;
        let version = applied.version.to_string();
        let updater = setup.updater.clone();
        let options = InstallOptions {
            purge: setup.install_options.purge,
            exclude: setup.install_options.exclude.clone(),
            installer: None,
        };
        let work = tokio::task::spawn_blocking(move || match mode {
            InstallMode::Now => updater.install(&applied, &options).map(|_| ()),
            InstallMode::OnExit => updater.stage(&applied).map(|_| ()),
        });
        let done = work.await.map_err(|e| {
            Error::Update(tufa::client::UpdateError::InstallFailed(format!(
                "the install task stopped: {e}"
            )))
        })?;
        done?;
        let mut flow = self.flow();
        flow.applied = None;
        flow.plan = None;
        match mode {
            InstallMode::Now => flow.installed = Some(version.clone()),
            InstallMode::OnExit => flow.staged = Some(version.clone()),
        }
        tracing::info!(target: "tufa", %version, ?mode, "update installed by the Tauri plugin");
        Ok(Installed { version, mode })
    }

    /// Starts the helper for a staged update (once), restarting the app
    /// with its current arguments when `restart`.
    fn hand_over(&self, restart: bool) -> Result<bool> {
        let Some(version) = self.flow().staged.clone() else {
            return Ok(false);
        };
        let relaunch = if restart {
            let exe = std::env::current_exe().map_err(|e| {
                Error::Update(tufa::client::UpdateError::InstallFailed(format!(
                    "finding the app's executable to restart it: {e}"
                )))
            })?;
            Some((exe, std::env::args().skip(1).collect()))
        } else {
            None
        };
        self.setup()?
            .updater
            .apply_on_exit(std::process::id(), relaunch)
            .inspect_err(|e| tracing::error!(target: "tufa", %version, "starting the update helper failed: {e}"))?;
        // Started once: a failed start keeps it staged for the exit.
        self.flow().staged = None;
        Ok(true)
    }

    /// Restarts the app into the new version. After an `onExit` install
    /// the helper swaps it in once this process has exited, then starts
    /// the app again; otherwise Tauri restarts the app directly.
    pub fn restart(&self) -> Result<()> {
        if self.hand_over(true)? {
            self.app.exit(0);
            return Ok(());
        }
        self.app.restart()
    }
}

/// Access to the plugin's state from Rust: `app.tufa().check().await`.
pub trait TufaExt<R: Runtime> {
    /// The plugin's [`Tufa`] state.
    fn tufa(&self) -> &Tufa<R>;
}

impl<R: Runtime, T: Manager<R>> TufaExt<R> for T {
    fn tufa(&self) -> &Tufa<R> {
        self.state::<Tufa<R>>().inner()
    }
}

/// The plugin with the trusted root compiled into the app
/// (`include_bytes!("../root.json")`) and settings from tauri.conf.json.
pub fn init<R: Runtime>(trusted_root: &'static [u8]) -> TauriPlugin<R, Option<Config>> {
    Builder::new(trusted_root).build()
}

/// Builds the plugin: the trusted root, and optionally settings that
/// replace `plugins.tufa` of tauri.conf.json.
pub struct Builder {
    /// `None`: configured at run time with [`Tufa::configure`].
    root: Option<&'static [u8]>,
    config: Option<Config>,
}

impl Builder {
    /// `trusted_root`: the repository's `root.json` (its first, or any
    /// later one), compiled into the app with `include_bytes!`. Embedded
    /// by the app rather than named in tauri.conf.json because only the
    /// app's crate can read its own files at build time; the library
    /// keeps newer roots (key rotations) in the cache folder.
    pub fn new(trusted_root: &'static [u8]) -> Self {
        Builder {
            root: Some(trusted_root),
            config: None,
        }
    }

    /// A plugin that gets its trusted root and settings at run time, from
    /// the app's own settings, through [`Tufa::configure`]; until then
    /// the commands fail with code `not_configured`. `plugins.tufa` in
    /// tauri.conf.json is not read.
    ///
    /// ```no_run
    /// let plugin = tauri_plugin_tufa::Builder::configure_later().build::<tauri::Wry>();
    /// ```
    pub fn configure_later() -> Self {
        Builder {
            root: None,
            config: None,
        }
    }

    /// Settings given in Rust, used instead of `plugins.tufa` (e.g. a
    /// repository URL chosen at run time).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin, to pass to `tauri::Builder::plugin`.
    pub fn build<R: Runtime>(self) -> TauriPlugin<R, Option<Config>> {
        let Builder { root, config } = self;
        tauri::plugin::Builder::<R, Option<Config>>::new("tufa")
            .invoke_handler(tauri::generate_handler![
                commands::check,
                commands::download,
                commands::cancel,
                commands::install,
                commands::restart
            ])
            .setup(move |app, api| {
                let cancel = Cancel::new();
                let setup = match root {
                    None => None,
                    Some(root) => {
                        let config = config.or_else(|| api.config().clone()).ok_or_else(|| {
                            Error::Config(
                                "no `plugins.tufa` section in tauri.conf.json (metadataUrl and targetsUrl are required)"
                                    .into(),
                            )
                        })?;
                        Some(Arc::new(new_setup(app, root, config, &cancel)?))
                    }
                };
                app.manage(Tufa {
                    app: app.clone(),
                    setup: std::sync::RwLock::new(setup),
                    cancel,
                    busy: AtomicBool::new(false),
                    flow: std::sync::Mutex::new(Flow::default()),
                });
                Ok(())
            })
            .on_event(|app, event| {
                if let RunEvent::Exit = event {
                    if let Some(tufa) = app.try_state::<Tufa<R>>() {
                        // Errors are logged by hand_over; the app is exiting.
                        let _ = tufa.hand_over(false);
                    }
                }
            })
            .build()
    }
}

fn new_setup<R: Runtime>(
    app: &AppHandle<R>,
    root: &[u8],
    config: Config,
    cancel: &Cancel,
) -> Result<Setup> {
    if config.metadata_url.is_empty() || config.targets_url.is_empty() {
        return Err(Error::Config(
            "plugins.tufa needs metadataUrl and targetsUrl".into(),
        ));
    }
    let info = app.package_info();
    let name = config.app_name.clone().unwrap_or_else(|| info.name.clone());
    let current = config
        .current_version
        .clone()
        .unwrap_or_else(|| info.version.to_string());
    let install_dir = match config.install_dir.clone() {
        Some(d) => d,
        None => own_folder()?,
    };
    let cache_dir = match config.cache_dir.clone() {
        Some(d) => d,
        None => app
            .path()
            .app_cache_dir()
            .map_err(|e| Error::Config(format!("no cache folder for the app ({e}): set cacheDir")))?
            .join("tufa"),
    };
    let install_options = InstallOptions {
        purge: config.purge,
        exclude: config.exclude.clone(),
        installer: None,
    };
    let mut builder = Updater::builder(&name, &current)
        .trusted_root(root)
        .install_dir(&install_dir)
        .cache_dir(&cache_dir)
        .metadata_url(&config.metadata_url)
        .targets_url(&config.targets_url)
        .cancel(cancel.clone())
        .install_options(InstallOptions {
            purge: config.purge,
            exclude: config.exclude.clone(),
            installer: None,
        });
    if let Some(c) = config.channel {
        builder = builder.channel(c);
    }
    if let Some(p) = config.patches {
        builder = builder.patches(p);
    }
    if let Some(p) = &config.platform {
        builder = builder.platform(p);
    }
    let updater = builder.build()?;
    tracing::debug!(target: "tufa", app = %name, %current, install = %install_dir.display(), "tauri-plugin-tufa ready");
    Ok(Setup {
        updater: Arc::new(updater),
        current,
        install_options,
    })
}

/// The folder of the running executable: what a bundle installed as one
/// folder replaces.
fn own_folder() -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| {
        Error::Config(format!(
            "cannot find the running executable ({e}): set installDir"
        ))
    })?;
    exe.parent()
        .map(|p| p.to_path_buf())
        .ok_or_else(|| Error::Config("the executable has no parent folder: set installDir".into()))
}
