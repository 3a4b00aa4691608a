//! Native file and folder dialogs that never block the event loop.
//!
//! rfd's GTK backend runs its dialog to completion on a GTK thread of its
//! own and waits for it there; reached from Tauri's main thread (which owns
//! GTK) that wait froze the whole window. On Linux the dialog is therefore
//! a plain GTK dialog created on the main thread and *shown*, not run: its
//! answer arrives through a response callback while the event loop keeps
//! going. Elsewhere rfd's asynchronous dialog does the same natively.

use crate::error::{AppError, AppResult};
use tauri::{AppHandle, Manager};

/// Title of the dialog, also what tests look for to close it.
fn title(folder: bool) -> &'static str {
    if folder {
        "Tufa: choose a folder"
    } else {
        "Tufa: choose a file"
    }
}

/// Asks for a folder (or a file); `None` when the user cancels.
#[cfg(target_os = "linux")]
pub async fn pick(app: &AppHandle, folder: bool) -> AppResult<Option<String>> {
    use gtk::prelude::*;
    let window = app
        .get_webview_window("main")
        .ok_or_else(|| AppError::new("app", "no main window"))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<Option<String>>();
    let parent = window.clone();
    window.run_on_main_thread(move || {
        let action = if folder {
            gtk::FileChooserAction::SelectFolder
        } else {
            gtk::FileChooserAction::Open
        };
        let owner = parent.gtk_window().ok();
        let dialog = gtk::FileChooserDialog::with_buttons(
            Some(title(folder)),
            owner.as_ref(),
            action,
            &[
                ("_Cancel", gtk::ResponseType::Cancel),
                ("_Choose", gtk::ResponseType::Accept),
            ],
        );
        dialog.set_modal(true);
        // The callback runs once per answer; the sender is used once.
        let tx = std::cell::RefCell::new(Some(tx));
        dialog.connect_response(move |d, response| {
            let picked = (response == gtk::ResponseType::Accept)
                .then(|| d.filename())
                .flatten()
                .map(|p| p.display().to_string());
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(picked);
            }
            d.close();
        });
        dialog.show();
    })?;
    // A dialog destroyed without an answer (the window closing) is a cancel.
    Ok(rx.await.unwrap_or(None))
}

/// Asks for a folder (or a file); `None` when the user cancels.
#[cfg(not(target_os = "linux"))]
pub async fn pick(_app: &AppHandle, folder: bool) -> AppResult<Option<String>> {
    let dialog = rfd::AsyncFileDialog::new().set_title(title(folder));
    let picked = if folder {
        dialog.pick_folder().await
    } else {
        dialog.pick_file().await
    };
    Ok(picked.map(|h| h.path().display().to_string()))
}
