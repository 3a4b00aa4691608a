use std::path::PathBuf;

fn main() {
    // A trusted root for the app's own updates, compiled in when the
    // build is given one (`TUFA_APP_UPDATE_ROOT=path/to/root.json`);
    // otherwise an empty file: the app then trusts only the
    // update-root.json of the bundle it was installed from.
    println!("cargo:rerun-if-env-changed=TUFA_APP_UPDATE_ROOT");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let root = match std::env::var_os("TUFA_APP_UPDATE_ROOT") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            std::fs::read(&path).unwrap_or_else(|e| {
                panic!(
                    "TUFA_APP_UPDATE_ROOT={}: {e}",
                    PathBuf::from(&path).display()
                )
            })
        }
        None => Vec::new(),
    };
    std::fs::write(out.join("update-root.json"), root).expect("writing OUT_DIR/update-root.json");
    tauri_build::build()
}
