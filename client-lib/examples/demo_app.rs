//! A tiny app that updates itself with Tufa.
//!
//! Installed layout (what a release bundle holds):
//!
//! ```text
//! <install dir>/demo_app      this program
//! <install dir>/VERSION       its version
//! <install dir>/root.json     the trusted root shipped with the app
//! ```
//!
//! Usage:
//!
//! ```text
//! demo_app                       prints "demo <version>"
//! demo_app --update URL          updates from the repository at URL
//!                                (URL/metadata/, URL/targets/)
//! ```
//!
//! State (trusted metadata, cache) lives in `<install dir>.data/`, beside
//! the install dir, so that installs replace the app but keep it. The
//! shipped `root.json` is handed to the library as bytes; the library
//! writes it into the metadata dir and keeps it up to date there.

use std::path::PathBuf;
use tufa::client::{BlockingUpdater, InstallOptions, Method, UpdateProgress, Updater};

fn main() {
    if let Err(e) = run() {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let install_dir = exe.parent().ok_or("no install dir")?.to_path_buf();
    let version = std::fs::read_to_string(install_dir.join("VERSION"))?
        .trim()
        .to_string();
    let args: Vec<String> = std::env::args().collect();
    let Some(url) = args
        .iter()
        .position(|a| a == "--update")
        .and_then(|i| args.get(i + 1))
    else {
        println!("demo {version}");
        return Ok(());
    };
    let mut data = install_dir.clone().into_os_string();
    data.push(".data");
    let data = PathBuf::from(data);
    let shipped_root = std::fs::read(install_dir.join("root.json"))?;
    let updater = Updater::builder("demo", &version)
        .trusted_root(&shipped_root)
        .install_dir(&install_dir)
        .metadata_dir(data.join("metadata"))
        .cache_dir(data.join("cache"))
        .metadata_url(&format!("{url}/metadata/"))
        .targets_url(&format!("{url}/targets/"))
        .build()?;
    let updater = BlockingUpdater::new(updater)?;
    let Some(plan) = updater.check()? else {
        println!("demo {version} is up to date");
        return Ok(());
    };
    let how = match plan.method {
        Method::Patch => "patches",
        Method::Full => "full archive",
    };
    println!(
        "update {version} -> {} ({} bytes by {how})",
        plan.version, plan.total_bytes
    );
    if let Some(notes) = plan.user.as_ref().and_then(|u| u.get("notes")) {
        println!("release notes: {notes}");
    }
    let mut show = |p: UpdateProgress| {
        let left = p.eta.map(|t| format!(", {} s left", t.as_secs()));
        eprint!(
            "\r{}: {} / {} bytes, {} B/s{}   ",
            p.phase.label(),
            p.done,
            p.total,
            p.bytes_per_sec,
            left.unwrap_or_default()
        );
    };
    let downloaded = updater.download(&plan, &mut show)?;
    let applied = updater.apply_with_progress(downloaded, &mut show)?;
    eprintln!();
    let options = InstallOptions {
        purge: true,
        ..Default::default()
    };
    updater.install(&applied, &options)?;
    println!("updated to {}; restart to run it", applied.version);
    Ok(())
}
