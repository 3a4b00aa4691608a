//! [`UpdaterBuilder`]: the settings of an [`Updater`], checked once when
//! it is built.

use super::{
    refresh, transport, Cancel, HttpOptions, HttpTransport, InstallOptions, UpdateError, Updater,
};
use crate::{AppVersion, Channel};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

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
    platform: Option<String>,
    ignore_rollout: bool,
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
    /// The platform whose releases to follow, `<os>-<arch>` (checked at
    /// build). By default the running one ([`crate::target::current_platform`])
    /// when the repository has releases for it, otherwise the app's
    /// platform-less releases (the tufup single-platform layout).
    pub fn platform(mut self, platform: &str) -> Self {
        self.platform = Some(platform.into());
        self
    }
    /// Take releases in staged rollout (and paused ones) whatever this
    /// install's bucket: for testers. Pulled releases are never taken.
    pub fn ignore_rollout(mut self, yes: bool) -> Self {
        self.ignore_rollout = yes;
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
    /// extraction (before the swap), with [`crate::Error::Cancelled`], without
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

    /// Checks the settings and builds the updater. Nothing is read from
    /// the network or written to disk yet; a missing folder or URL, a bad
    /// URL, proxy or header, or a trusted root that is not a self-signed
    /// root is an [`UpdateError::Config`].
    ///
    /// ```
    /// let err = tufa::client::Updater::builder("my-app", "1.0")
    ///     .install_dir("/opt/my-app")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.code(), "config");
    /// ```
    pub fn build(self) -> Result<Updater, UpdateError> {
        crate::target::validate_app_name(&self.app)?;
        if let Some(p) = &self.platform {
            crate::target::validate_platform(p)
                .map_err(|e| UpdateError::Config(format!("the platform: {e}")))?;
        }
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
            platform: self.platform,
            ignore_rollout: self.ignore_rollout,
            cancel: self.cancel,
            trusted_root: self.trusted_root,
            install_options: self.install_options,
        })
    }
}

impl Updater {
    /// Starts building an updater for `app` currently at `current_version`
    /// (a PEP 440 version, as published).
    ///
    /// ```no_run
    /// # fn run() -> Result<(), tufa::client::UpdateError> {
    /// let updater = tufa::client::Updater::builder("my-app", "1.0")
    ///     .install_dir("/opt/my-app")
    ///     .metadata_dir("/var/lib/my-app/metadata") // holds root.json
    ///     .cache_dir("/var/cache/my-app")
    ///     .metadata_url("https://updates.example.com/metadata/")
    ///     .targets_url("https://updates.example.com/targets/")
    ///     .channel(tufa::Channel::Beta)
    ///     .build()?;
    /// assert_eq!(updater.current_version().to_string(), "1.0");
    /// # Ok(()) }
    /// ```
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
            platform: None,
            ignore_rollout: false,
            cancel: Cancel::new(),
            trusted_root: None,
            install_options: Arc::default(),
        }
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
