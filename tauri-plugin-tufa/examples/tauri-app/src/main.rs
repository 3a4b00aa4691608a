//! A Tauri app that updates itself with tauri-plugin-tufa: the plugin
//! registered with the repository's trusted root, settings in
//! tauri.conf.json (`plugins.tufa`), the commands granted in
//! capabilities/default.json, the update flow in dist/index.html.

fn main() {
    // When the app is started again as the update helper (an update
    // installed with mode `onExit`), this applies it and exits.
    tufa::client::helper::run_if_helper();

    tauri::Builder::default()
        // The repository's root.json (`tufa init` wrote it to
        // repository/metadata/1.root.json), compiled in: the anchor every
        // later metadata file and key rotation is verified from.
        .plugin(tauri_plugin_tufa::init(include_bytes!("../root.json")))
        .run(tauri::generate_context!())
        .expect("running the app");
}
