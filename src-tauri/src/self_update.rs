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
    /// The bundle's version, or why there is none.
    version: Result<String, String>,
    root: Option<(Vec<u8>, &'static str)>,
}

/// Longest `VERSION` and `update-root.json` read: a FIFO, `/dev/zero` or
/// a huge file put there must not stall or fill the app at start.
const MAX_VERSION_BYTES: u64 = 256;
const MAX_ROOT_BYTES: u64 = 1 << 20;

/// A regular file of at most `max` bytes; `Ok(None)` when there is none.
fn read_small(path: &Path, max: u64) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{} cannot be read ({e})", path.display())),
    };
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if meta.len() > max {
        return Err(format!("{} is larger than {max} bytes", path.display()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max).read_to_end(&mut bytes))
        .map_err(|e| format!("{} cannot be read ({e})", path.display()))?;
    Ok(Some(bytes))
}

fn install() -> Option<Install> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.to_path_buf();
    let file = dir.join(VERSION_FILE);
    let version = match read_small(&file, MAX_VERSION_BYTES) {
        Ok(None) => Err(format!(
            "this copy was not installed from a Tufa update bundle (there is no {VERSION_FILE} file in {}): it is updated the way it was installed, such as by your package manager",
            dir.display()
        )),
        Ok(Some(bytes)) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            match text.parse::<tufa::AppVersion>() {
                Ok(_) => Ok(text),
                Err(_) => Err(format!(
                    "{} does not hold a version number",
                    file.display()
                )),
            }
        }
        Err(why) => Err(why),
    };
    let root = match read_small(&dir.join(ROOT_FILE), MAX_ROOT_BYTES) {
        Ok(Some(bytes)) => Some((bytes, "bundle")),
        _ if !BUILT_IN_ROOT.is_empty() => Some((BUILT_IN_ROOT.to_vec(), "built_in")),
        _ => None,
    };
    Some(Install { dir, version, root })
}

/// The running version: the bundle's `VERSION`, else the build's.
pub fn running_version() -> String {
    install()
        .and_then(|i| i.version.ok())
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

/// Why the folder around `dir` cannot hold an update, if it cannot:
/// staging, the hand-over plan and the swap put files next to the install
/// folder, so the user must be able to write there and nobody else.
fn unfit_parent(dir: &Path) -> Option<String> {
    let parent = dir.parent()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(parent).ok()?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me || meta.mode() & 0o022 != 0 {
            return Some(format!(
                "the folder {} is shared with other users, who could change an update while it is installed: move Tufa's folder into a folder of your own",
                parent.display()
            ));
        }
    }
    let writable = tempfile::Builder::new()
        .prefix(".tufa-write-test")
        .tempfile_in(parent)
        .is_ok();
    (!writable).then(|| {
        format!(
            "the folder {} is not writable for your user: updates are installed by whoever installed it",
            parent.display()
        )
    })
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
        Some(Install {
            version: Err(why), ..
        }) => Some(why.clone()),
        Some(i) if i.root.is_none() => Some(format!(
            "this copy has no trusted root for updates: neither {ROOT_FILE} in {} nor one built in",
            i.dir.display()
        )),
        Some(i) => unfit_parent(&i.dir),
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
                    current_version: i.version.ok(),
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

/// Gives the plugin the settings this copy can update with, if any (at
/// start, and when the user saves another repository). A root the plugin
/// refuses (damaged update-root.json) blocks updates and says why; a
/// download or install under way is not interrupted (code `busy`).
pub fn configure<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) -> AppResult<SelfUpdateInfo> {
    let (info, config) = info(data_dir);
    if let Some((root, config)) = config {
        if let Err(e) = app.tufa().configure(&root, config) {
            if matches!(e, tauri_plugin_tufa::Error::Busy) {
                return Err(AppError::new(e.code(), e.to_string()));
            }
            tracing::warn!(code = e.code(), "updates of the app are off: {e}");
            return Ok(refused_root(info, &e.to_string()));
        }
    }
    Ok(info)
}

/// `info` with updates blocked by a trusted root the plugin refused.
fn refused_root(mut info: SelfUpdateInfo, why: &str) -> SelfUpdateInfo {
    info.blocked = Some(format!(
        "the trusted root this copy shipped with cannot be used ({why}): install Tufa again from a good copy"
    ));
    info.ready = false;
    info
}

/// Where updates of the app stand. Only reads: setting the plugin up
/// again here would forget an update found or downloaded meanwhile.
#[tauri::command]
pub fn self_update_info<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> SelfUpdateInfo {
    let (info, _) = info(&state.data_dir);
    if info.ready && !app.tufa().is_configured() {
        // configure() refused the root at start (and logged why).
        return refused_root(info, "see the log");
    }
    info
}

/// The longest repository address accepted.
const MAX_URL_CHARS: usize = 2048;

/// A repository address the app can save: http(s), a host, no
/// credentials (they would sit in the settings file and the log), no
/// query or fragment (metadata/ and targets/ are appended), no control or
/// direction-changing characters (what the field shows is what is used).
fn checked_url(url: &str) -> AppResult<String> {
    let bad = |why: &str| {
        AppError::new(
            "invalid_url",
            format!("{why}: enter an address like https://updates.example.com/tufa"),
        )
    };
    if url.chars().count() > MAX_URL_CHARS {
        return Err(bad(&format!(
            "the address is longer than {MAX_URL_CHARS} characters"
        )));
    }
    if url
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(bad("the address holds invisible or control characters"));
    }
    let parsed =
        url::Url::parse(url).map_err(|e| bad(&format!("this is not a web address ({e})")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(bad("only http and https addresses can be used"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("an address with a user name or password is not supported (it would be stored in plain text)"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("the address may not have a ?query or #fragment"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
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
        Saved {
            url: Some(checked_url(url)?),
        }
    };
    std::fs::create_dir_all(&state.data_dir)
        .map_err(|e| AppError::new("io", format!("creating {}: {e}", state.data_dir.display())))?;
    let bytes = serde_json::to_vec_pretty(&saved)
        .map_err(|e| AppError::new("app", format!("saving the update settings: {e}")))?;
    let path = saved_path(&state.data_dir);
    let before = std::fs::read(&path).ok();
    tufa::publisher::commit::write_atomic(&path, &bytes)?;
    match configure(&app, &state.data_dir) {
        Ok(info) => {
            tracing::info!(url = ?saved.url, "update repository saved");
            Ok(info)
        }
        // Busy: the settings stay the ones the running update uses.
        Err(e) => {
            // Best effort: the settings file goes back to what it was.
            match before {
                Some(b) => {
                    let _ = tufa::publisher::commit::write_atomic(&path, &b);
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::checked_url;

    #[test]
    fn repository_addresses_are_checked_and_normalised() {
        assert_eq!(
            checked_url("https://Updates.Example.com/tufa/")
                .ok()
                .as_deref(),
            Some("https://updates.example.com/tufa")
        );
        for (bad, why) in [
            ("file:///etc", "only http and https"),
            ("javascript:alert(1)", "only http and https"),
            (
                "https://alice:secret@example.com/tufa",
                "user name or password",
            ),
            ("https://example.com/tufa?a=1", "?query"),
            ("https://example.com/tufa#x", "?query"),
            (
                "https://example.com/\u{202e}gpj.exe",
                "invisible or control",
            ),
            ("https://example.com/a\tb", "invisible or control"),
            ("not an address", "not a web address"),
        ] {
            let err = checked_url(bad).expect_err(bad);
            assert_eq!(err.code, "invalid_url");
            assert!(err.message.contains(why), "{bad}: {}", err.message);
            assert!(!err.message.contains("secret"), "{}", err.message);
        }
        let long = format!("https://example.com/{}", "a".repeat(3000));
        assert!(checked_url(&long)
            .expect_err("long")
            .message
            .contains("longer than"));
    }
}
