//! A plain Rust app (no async runtime) that updates itself with Tufa's
//! blocking API: one `update()` call does check, download, apply and
//! install. See docs/embedding.md.
//!
//! ```text
//! blocking_app --app NAME --version VERSION --install DIR --data DIR \
//!              --root ROOT_JSON --url REPOSITORY_URL
//! ```
//!
//! A real app knows all of these itself: its name and version are
//! constants, the install dir is where its executable lives, and the
//! trusted root is compiled in with `include_bytes!("root.json")`.

use std::path::PathBuf;
use std::process::ExitCode;
use tufa::client::{BlockingUpdater, InstallOptions, UpdateProgress, Updater};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("update failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The value after `--name` on the command line.
fn arg(name: &str) -> Result<String, String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .ok_or_else(|| format!("{name} is missing"))
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (app, version, url) = (arg("--app")?, arg("--version")?, arg("--url")?);
    let install_dir = PathBuf::from(arg("--install")?);
    let data = PathBuf::from(arg("--data")?);
    // In a real app: `include_bytes!("../root.json")`.
    let root = std::fs::read(arg("--root")?)?;

    let updater = Updater::builder(&app, &version)
        // The library writes it into `<data>/cache/metadata/` and keeps it
        // up to date when the repository rotates its keys.
        .trusted_root(&root)
        .install_dir(&install_dir)
        .cache_dir(data.join("cache"))
        .metadata_url(&format!("{url}/metadata/"))
        .targets_url(&format!("{url}/targets/"))
        .install_options(InstallOptions {
            // Files of the old version the new one dropped go; the user's
            // settings stay.
            purge: true,
            exclude: vec!["settings.toml".into()],
            ..Default::default()
        })
        .build()?;
    let updater = BlockingUpdater::new(updater)?;

    let mut shown = None;
    let outcome = updater.update(&mut |p: UpdateProgress| {
        // One line per phase, then the numbers in place.
        if shown != Some(p.phase) {
            if shown.is_some() {
                eprintln!();
            }
            shown = Some(p.phase);
        }
        eprint!(
            "\r{:<17} {:>10} / {:>10} bytes",
            p.phase.label(),
            p.done,
            p.total
        );
    })?;
    eprintln!();
    match outcome {
        Some(applied) => {
            println!("{app} updated to {}; restart to use it", applied.version);
            if let Some(why) = applied.fell_back {
                println!("(the patch could not be used: {why}; downloaded the full archive)");
            }
        }
        None => println!("{app} {version} is up to date"),
    }
    Ok(())
}
