fn main() {
    // Resolves capabilities/default.json against the plugin's permissions.
    tauri_build::build()
}
