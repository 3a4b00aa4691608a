//! Tufa's desktop app: a thin layer of commands over the engine.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod automate;
#[cfg(test)]
mod bindings;
mod commands;
mod demo;
mod destinations;
mod dialog;
mod error;
mod folder_server;
mod log;
mod progress;
mod self_update;
mod workspace;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use tauri::Manager;

fn main() {
    // Started as the update helper (after "Install and restart"): swap
    // the new version in once this app has exited, then exit.
    tufa::client::helper::run_if_helper();
    // `--project DIR` opens a repository at start (scripts and tests).
    let args: Vec<String> = std::env::args().collect();
    let initial = args
        .iter()
        .position(|a| a == "--project")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    // `--demo`: with no repository given, open the demo repository
    // (created on first start), so a newcomer lands in a real workflow.
    let auto_demo = args.iter().any(|a| a == "--demo");
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_tufa::Builder::configure_later().build())
        .setup(move |app| {
            let data_dir = match std::env::var_os("TUFA_APP_DATA") {
                Some(d) => d.into(),
                None => app.path().app_data_dir()?,
            };
            // Beside the data when a test or script moves it, else the
            // platform's log folder.
            let log_dir = match std::env::var_os("TUFA_APP_DATA") {
                Some(_) => data_dir.join("logs"),
                None => app.path().app_log_dir()?,
            };
            log::init(&log_dir);
            // Updates of the app itself, when this copy can have them.
            // Nothing can be downloading yet: only a refused root can stop
            // it, and that is kept in the info the screen shows.
            let _ = self_update::configure(app.handle(), &data_dir);
            app.manage(log::LogDir(log_dir));
            app.manage(commands::AppState {
                project: Mutex::new(initial.clone()),
                cancel: Arc::new(AtomicBool::new(false)),
                data_dir,
                auto_demo,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::open_project,
            commands::create_project,
            commands::create_demo,
            commands::status,
            commands::suggest_version,
            commands::plan_release,
            commands::estimate_release,
            commands::add_release,
            commands::cancel,
            commands::sign_role,
            commands::root_change,
            commands::request_status,
            commands::sign_request_here,
            commands::save_request_copy,
            commands::create_held_key,
            commands::merge_request_copy,
            commands::publish_request,
            commands::custodian_sign,
            commands::adopt_tufup,
            commands::pick_path,
            commands::upload,
            workspace::verify_published,
            workspace::staged_change,
            workspace::sign_staged,
            workspace::discard_staged,
            workspace::export_key,
            workspace::move_key,
            workspace::preview_removal,
            workspace::remove_releases,
            workspace::published_state,
            workspace::save_destination,
            workspace::refresh_metadata,
            workspace::set_rollout,
            workspace::preview_pull,
            workspace::set_expiry_period,
            automate::automation,
            automate::save_automation,
            destinations::destination_credentials,
            destinations::save_credentials,
            destinations::forget_credentials,
            destinations::test_destination,
            self_update::self_update_info,
            self_update::save_update_url,
            log::log_location,
            log::reveal_log,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("tufa-app: {e}");
        std::process::exit(1);
    }
}
