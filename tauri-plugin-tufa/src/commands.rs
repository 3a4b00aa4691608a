//! The commands the front end invokes (`plugin:tufa|<name>`): thin
//! wrappers over [`Tufa`]'s methods, which Rust code can call too. Each
//! takes the `AppHandle` only to pin the runtime type for
//! `generate_handler!`.

use crate::{DownloadEvent, Downloaded, InstallMode, Installed, Result, Tufa, UpdateInfo};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

#[tauri::command]
pub(crate) async fn check<R: Runtime>(
    _app: AppHandle<R>,
    tufa: State<'_, Tufa<R>>,
) -> Result<Option<UpdateInfo>> {
    tufa.check().await
}

#[tauri::command]
pub(crate) async fn download<R: Runtime>(
    _app: AppHandle<R>,
    tufa: State<'_, Tufa<R>>,
    on_event: Channel<DownloadEvent>,
) -> Result<Downloaded> {
    tufa.download(&mut |event| {
        // A closed channel (the page went away) must not stop the update.
        let _ = on_event.send(event);
    })
    .await
}

#[tauri::command]
pub(crate) fn cancel<R: Runtime>(_app: AppHandle<R>, tufa: State<'_, Tufa<R>>) {
    tufa.cancel();
}

#[tauri::command]
pub(crate) async fn install<R: Runtime>(
    _app: AppHandle<R>,
    tufa: State<'_, Tufa<R>>,
    mode: InstallMode,
) -> Result<Installed> {
    tufa.install(mode).await
}

#[tauri::command]
pub(crate) fn restart<R: Runtime>(_app: AppHandle<R>, tufa: State<'_, Tufa<R>>) -> Result<()> {
    tufa.restart()
}
