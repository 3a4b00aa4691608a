//! Tufa updating itself with its own Tauri plugin (`tauri-plugin-tufa`):
//! which version runs, which root it trusts, which repository it asks,
//! and whether this copy may replace its own folder. The front end
//! checks, downloads and installs through the plugin's commands.
//!
//! A copy installed from a Tufa update bundle is a folder holding the
//! app's executable, `VERSION` (the version the folder holds) and
//! `update-root.json` (the repository's root it was released under, as
//! tufup apps ship theirs). Only such a folder updates itself: a copy
//! installed by a package manager (`/usr/bin`) or run from a build
//! directory is never replaced.

use crate::commands::AppState;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_tufa::{Config, TufaExt};

/// The version a bundle folder holds, beside the executable.
pub const VERSION_FILE: &str = "VERSION";
/// The trusted root a bundle folder ships, beside the executable.
pub const ROOT_FILE: &str = "update-root.json";
/// The app's name in its update repository (`tufa init --app tufa`).
pub const REPOSITORY_APP: &str = "tufa";

/// A root compiled in at build time (`TUFA_APP_UPDATE_ROOT=path/root.json`
/// when building; empty otherwise, see build.rs).
const BUILT_IN_ROOT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/update-root.json"));
/// A repository URL compiled in at build time (`TUFA_APP_UPDATE_URL`).
const BUILT_IN_URL: Option<&str> = option_env!("TUFA_APP_UPDATE_URL");

/// The user's choice of repository, in the app's data folder.
#[derive(Serialize, Deserialize, Default)]
struct Saved {
    url: Option<String>,
}

/// Where updates of the app stand, for the "Tufa updates" screen.
#[derive(Serialize, Clone)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SelfUpdateInfo {
    /// The version running now.
    pub version: String,
    /// The folder an update replaces.
    pub install_dir: String,
    /// The repository asked (saved in the app, else built in).
    pub url: Option<String>,
    /// The repository built into this copy, used when none is saved.
    pub built_in_url: Option<String>,
    /// Where the trusted root comes from: `bundle` (update-root.json in
    /// the install folder), `built_in`, or none.
    pub trust: Option<String>,
    /// Why this copy cannot update itself; `None`: it can once a
    /// repository is set.
    pub blocked: Option<String>,
    /// Checking is possible now (root, repository and folder all fine).
    pub ready: bool,
}

/// The running executable's folder and what it holds.
struct Install {
    dir: PathBuf,
    version: Option<String>,
    root: Option<(Vec<u8>, &'static str)>,
}

fn install() -> Option<Install> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.to_path_buf();
    let version = std::fs::read_to_string(dir.join(VERSION_FILE))
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| v.parse::<tufa::AppVersion>().is_ok());
    let root = match std::fs::read(dir.join(ROOT_FILE)) {
        Ok(bytes) => Some((bytes, "bundle")),
        Err(_) if !BUILT_IN_ROOT.is_empty() => Some((BUILT_IN_ROOT.to_vec(), "built_in")),
        Err(_) => None,
    };
    Some(Install { dir, version, root })
}

/// The running version: the bundle's `VERSION`, else the build's.
pub fn running_version() -> String {
    install()
        .and_then(|i| i.version)
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string())
}

fn saved_path(data_dir: &Path) -> PathBuf {
    data_dir.join("self-update.json")
}

fn saved(data_dir: &Path) -> Saved {
    std::fs::read(saved_path(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Whether files can be created beside `dir`: staging and the swap put
/// the new version next to the install folder.
fn writable_beside(dir: &Path) -> bool {
    let Some(parent) = dir.parent() else {
        return false;
    };
    tempfile::Builder::new()
        .prefix(".tufa-write-test")
        .tempfile_in(parent)
        .is_ok()
}

fn info(data_dir: &Path) -> (SelfUpdateInfo, Option<(Vec<u8>, Config)>) {
    let install = install();
    let url = saved(data_dir)
        .url
        .or_else(|| BUILT_IN_URL.map(str::to_string))
        .filter(|u| !u.is_empty());
    let dir = install.as_ref().map(|i| i.dir.clone()).unwrap_or_default();
    let blocked = match &install {
        None => Some("the app cannot find its own executable".to_string()),
        Some(i) if i.version.is_none() => Some(format!(
            "this copy was not installed from a Tufa update bundle (there is no {VERSION_FILE} file in {}): it is updated the way it was installed, such as by your package manager",
            i.dir.display()
        )),
        Some(i) if i.root.is_none() => Some(format!(
            "this copy has no trusted root for updates: neither {ROOT_FILE} in {} nor one built in",
            i.dir.display()
        )),
        Some(i) if !writable_beside(&i.dir) => Some(format!(
            "the folder {} is not writable for your user: updates are installed by whoever installed it",
            i.dir.display()
        )),
        Some(_) => None,
    };
    let info = SelfUpdateInfo {
        version: running_version(),
        install_dir: dir.display().to_string(),
        url: url.clone(),
        built_in_url: BUILT_IN_URL.map(str::to_string),
        trust: install
            .as_ref()
            .and_then(|i| i.root.as_ref().map(|r| r.1.to_string())),
        blocked: blocked.clone(),
        ready: blocked.is_none() && url.is_some(),
    };
    let config = match (blocked, install, url) {
        (None, Some(i), Some(url)) => i.root.map(|(root, _)| {
            let base = url.trim_end_matches('/');
            (
                root,
                Config {
                    metadata_url: format!("{base}/metadata/"),
                    targets_url: format!("{base}/targets/"),
                    app_name: Some(REPOSITORY_APP.to_string()),
                    current_version: i.version.clone(),
                    install_dir: Some(i.dir.clone()),
                    cache_dir: Some(data_dir.join("self-update")),
                    ..Config::default()
                },
            )
        }),
        _ => None,
    };
    (info, config)
}

/// Gives the plugin the settings this copy can update with, if any.
pub fn configure<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) -> AppResult<SelfUpdateInfo> {
    let (info, config) = info(data_dir);
    if let Some((root, config)) = config {
        app.tufa()
            .configure(&root, config)
            .map_err(|e| AppError::new(e.code(), e.to_string()))?;
    }
    Ok(info)
}

/// Where updates of the app stand.
#[tauri::command]
pub fn self_update_info(state: State<'_, AppState>) -> SelfUpdateInfo {
    info(&state.data_dir).0
}

/// Saves the repository to update from (empty: the built-in one) and
/// sets the plugin up with it.
#[tauri::command]
pub fn save_update_url<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
) -> AppResult<SelfUpdateInfo> {
    let url = url.trim();
    let saved = if url.is_empty() {
        Saved { url: None }
    } else {
        let parsed = url::Url::parse(url).map_err(|e| {
            AppError::new(
                "invalid_url",
                format!("{url} is not a web address ({e}): enter one like https://updates.example.com/tufa"),
            )
        })?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(AppError::new(
                "invalid_url",
                format!("{url} is not an http(s) address: enter one like https://updates.example.com/tufa"),
            ));
        }
        Saved {
            url: Some(url.trim_end_matches('/').to_string()),
        }
    };
    std::fs::create_dir_all(&state.data_dir)
        .map_err(|e| AppError::new("io", format!("creating {}: {e}", state.data_dir.display())))?;
    let bytes = serde_json::to_vec_pretty(&saved)
        .map_err(|e| AppError::new("app", format!("saving the update settings: {e}")))?;
    tufa::publisher::commit::write_atomic(&saved_path(&state.data_dir), &bytes)?;
    tracing::info!(url = ?saved.url, "update repository saved");
    configure(&app, &state.data_dir)
}
