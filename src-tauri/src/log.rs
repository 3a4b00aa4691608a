//! The app's log trail: the engine's `tracing` events (and the app's own)
//! go to a file per day in the app's log folder, the last few kept, so a
//! failure on a user's machine leaves something to read. "Open log" in the
//! top bar shows the folder.

use crate::error::{AppError, AppResult};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::State;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// Days of log files kept; older ones are deleted when the day turns.
const KEEP_FILES: usize = 7;
const PREFIX: &str = "tufa-app";
const SUFFIX: &str = "log";

/// Where the log files are.
pub struct LogDir(pub PathBuf);

/// Starts writing the log into `dir`, at the level named by `TUFA_LOG`
/// (`debug`, `trace`; `info` otherwise). A log that cannot be opened
/// (read-only folder) is reported on stderr and the app runs without one:
/// the log helps diagnose, it must not stop the app.
pub fn init(dir: &Path) {
    let level = match std::env::var("TUFA_LOG").as_deref() {
        Ok("trace") => tracing::Level::TRACE,
        Ok("debug") => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    };
    let appender = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix(PREFIX)
                .filename_suffix(SUFFIX)
                .max_log_files(KEEP_FILES)
                .build(dir)
                .map_err(|e| e.to_string())
        });
    match appender {
        Ok(appender) => {
            // The engine's and the app's events; of the libraries below
            // (HTTP, TLS, the webview) only warnings.
            let filter = Targets::new()
                .with_target("tufa", level)
                .with_target("tufa_app", level)
                .with_default(tracing::Level::WARN);
            let installed = tracing_subscriber::registry()
                .with(tracing_subscriber::fmt::layer().with_writer(appender))
                .with(filter)
                .try_init();
            if installed.is_ok() {
                // Which copy runs: after an update and restart, the
                // version and executable say whether it took.
                tracing::info!(
                    version = %crate::self_update::running_version(),
                    pid = std::process::id(),
                    exe = ?std::env::current_exe().ok(),
                    "tufa-app started"
                );
            }
        }
        Err(e) => eprintln!("tufa-app: no log file in {}: {e}", dir.display()),
    }
}

/// The newest log file in `dir` (file names carry the date, so the
/// greatest name is today's).
fn newest(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .max()
}

/// Where the log is.
#[derive(Debug, Serialize)]
pub struct LogLocation {
    /// The log folder.
    pub dir: String,
    /// Today's (or the newest) log file, if one was written.
    pub file: Option<String>,
}

fn existing(dir: &Path) -> AppResult<&Path> {
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(AppError::new(
            "no_log",
            format!("no log folder at {}", dir.display()),
        ))
    }
}

/// "Open log": where the log is, for the UI to show with the path to copy.
#[tauri::command]
pub fn log_location(dir: State<'_, LogDir>) -> AppResult<LogLocation> {
    let dir = existing(&dir.0)?;
    Ok(LogLocation {
        dir: dir.display().to_string(),
        file: newest(dir).map(|p| p.display().to_string()),
    })
}

/// "Show folder": opens the log folder in the system's file manager;
/// false when no opener could be started (the UI then keeps the path).
#[tauri::command]
pub fn reveal_log(dir: State<'_, LogDir>) -> AppResult<bool> {
    let dir = existing(&dir.0)?;
    tracing::info!(dir = %dir.display(), "showing the log folder");
    Ok(reveal(dir))
}

/// Asks the platform's opener to show `dir`; false when there is none
/// (a bare X session, the tests' Xvfb).
fn reveal(dir: &Path) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    // Spawned, not waited for: the file manager outlives the request. Its
    // output is dropped so that it never mixes into the app's stderr.
    std::process::Command::new(opener)
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|mut child| {
            // Reaped in the background, so no zombie is left behind.
            std::thread::spawn(move || child.wait());
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_picks_the_latest_dated_file() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "tufa-app.2026-01-02.log",
            "tufa-app.2026-01-10.log",
            "other.log",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(
            newest(dir.path()).unwrap(),
            dir.path().join("tufa-app.2026-01-10.log")
        );
    }
}
