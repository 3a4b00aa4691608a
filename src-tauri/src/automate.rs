//! Automate: the schedules that keep the metadata fresh (a GitHub Actions
//! workflow, a systemd service and timer), written by the engine for the
//! open project; shown, copied, or saved into a folder.

use crate::commands::{blocking, AppState};
use crate::error::{AppError, AppResult};
use std::path::PathBuf;
use tauri::State;
use tufa::publisher::automate::{Automation, AutomationKind};
use tufa::publisher::Publisher;

/// The command-line program the systemd unit starts: the one on PATH,
/// else the one installed beside the app, else where packages put it.
fn tufa_program() -> PathBuf {
    let name = if cfg!(windows) { "tufa.exe" } else { "tufa" };
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    let beside = || {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join(name)))
            .filter(|p| p.is_file())
    };
    on_path
        .or_else(beside)
        .unwrap_or_else(|| PathBuf::from("/usr/bin").join(name))
}

#[tauri::command]
pub async fn automation(kind: AutomationKind, state: State<'_, AppState>) -> AppResult<Automation> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.automation(kind, &tufa_program())?)).await
}

/// Saves the files of schedule `kind` into folder `dir`; returns their paths.
#[tauri::command]
pub async fn save_automation(
    kind: AutomationKind,
    dir: String,
    state: State<'_, AppState>,
) -> AppResult<Vec<String>> {
    let publisher = state.publisher()?;
    blocking(move || {
        let dir = PathBuf::from(dir.trim());
        if dir.as_os_str().is_empty() {
            return Err(AppError::new(
                "no_path",
                "choose a folder to save the files in",
            ));
        }
        // A relative folder counts from the project, never from wherever
        // the app was started.
        let dir = if dir.is_relative() {
            publisher.dir().join(dir)
        } else {
            dir
        };
        let automation = publisher.automation(kind, &tufa_program())?;
        Ok(Publisher::write_automation(&automation, &dir)?
            .iter()
            .map(|p| p.display().to_string())
            .collect())
    })
    .await
}
