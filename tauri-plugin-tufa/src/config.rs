//! `plugins.tufa` in tauri.conf.json.

use serde::Deserialize;
use std::path::PathBuf;
use tufa::Channel;

/// The plugin's settings, read from `plugins.tufa` in `tauri.conf.json`
/// (camelCase keys). Only the two URLs are required; the trusted root is
/// not here but compiled into the app (see [`crate::Builder::new`]).
///
/// ```json
/// "plugins": {
///   "tufa": {
///     "metadataUrl": "https://updates.example.com/metadata/",
///     "targetsUrl": "https://updates.example.com/targets/",
///     "channel": "stable"
///   }
/// }
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Where the repository's signed metadata is served (`…/metadata/`).
    pub metadata_url: String,
    /// Where its archives and patches are served (`…/targets/`).
    pub targets_url: String,
    /// Update channel: `stable` (default), `rc`, `beta` or `alpha`.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The app's name in the repository (what `tufa init --app` was
    /// given). Default: the Tauri package name.
    #[serde(default)]
    pub app_name: Option<String>,
    /// The installed version (PEP 440 or semver like `1.2.0`). Default:
    /// the Tauri package version.
    #[serde(default)]
    pub current_version: Option<String>,
    /// The folder the app's bundle is installed in, replaced by each
    /// update. Default: the folder of the running executable.
    #[serde(default)]
    pub install_dir: Option<PathBuf>,
    /// Trusted metadata, downloads and the installed version's tar
    /// (what patches apply to); must be outside the install folder.
    /// Default: `<app cache dir>/tufa`.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Remove files the new version no longer has (tufup's
    /// `purge_dst_dir`). Default: false.
    #[serde(default)]
    pub purge: bool,
    /// Relative paths kept from the old version when purging.
    #[serde(default)]
    pub exclude: Vec<PathBuf>,
    /// Use binary patches when they are smaller (default true).
    #[serde(default)]
    pub patches: Option<bool>,
    /// The platform stream to follow, for repositories that publish one
    /// per platform (e.g. `linux-x86_64`). Default: none.
    #[serde(default)]
    pub platform: Option<String>,
}
