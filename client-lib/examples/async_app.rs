//! An async Rust app (tokio) that updates itself with Tufa: it shows what
//! the update costs before downloading, draws a progress bar with speed
//! and time left, and lets the user cancel (Enter) at any moment; the
//! patching and extraction run on tokio's blocking threads, so the app's
//! own tasks keep running. See docs/embedding.md.
//!
//! ```text
//! async_app --app NAME --version VERSION --install DIR --data DIR \
//!           --root ROOT_JSON --url REPOSITORY_URL [--yes]
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tufa::client::{Cancel, InstallOptions, UpdatePhase, UpdateProgress, Updater};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nupdate failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn arg(name: &str) -> Result<String, String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .ok_or_else(|| format!("{name} is missing"))
}

/// `[=====     ] 52% downloading 1.2 MB/s, 4 s left`
fn bar(p: &UpdateProgress) -> String {
    const WIDTH: u64 = 30;
    let filled = (p.done * WIDTH).checked_div(p.total).unwrap_or(0);
    let percent = (p.done * 100).checked_div(p.total).unwrap_or(0);
    let speed = format!("{:.1} MB/s", p.bytes_per_sec as f64 / 1e6);
    let left = p
        .eta
        .map(|t| format!(", {} s left", t.as_secs()))
        .unwrap_or_default();
    format!(
        "[{}{}] {percent:>3}% {:<16} {speed}{left}   ",
        "=".repeat(filled as usize),
        " ".repeat((WIDTH - filled.min(WIDTH)) as usize),
        p.phase.label()
    )
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (app, version, url) = (arg("--app")?, arg("--version")?, arg("--url")?);
    let data = PathBuf::from(arg("--data")?);
    let root = std::fs::read(arg("--root")?)?; // include_bytes! in a real app
    let yes = std::env::args().any(|a| a == "--yes");

    let cancel = Cancel::new();
    let updater = Updater::builder(&app, &version)
        .trusted_root(&root)
        .install_dir(arg("--install")?)
        .cache_dir(data.join("cache"))
        .metadata_url(&format!("{url}/metadata/"))
        .targets_url(&format!("{url}/targets/"))
        .cancel(cancel.clone())
        .install_options(InstallOptions {
            purge: true,
            ..Default::default()
        })
        .build()?;

    // What the update costs, before anything is downloaded.
    let Some(plan) = updater.check().await? else {
        println!("{app} {version} is up to date");
        return Ok(());
    };
    println!(
        "{app} {version} → {}: {} bytes ({:?}){}",
        plan.version,
        plan.total_bytes,
        plan.method,
        if plan.required { ", required" } else { "" }
    );
    if let Some(notes) = &plan.notes {
        println!("  {notes}");
    }
    if !yes {
        println!("install it? [y/N]");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            return Ok(());
        }
    }

    // Enter cancels. A GUI app calls `cancel.cancel()` from its button;
    // the token is cheap to clone into any thread or task.
    println!("updating; press Enter to cancel");
    let stopper = cancel.clone();
    std::thread::spawn(move || {
        let mut line = String::new();
        // End of input (no terminal) is not a request to stop.
        if std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
            stopper.cancel();
        }
    });

    // The app's own work goes on while the update runs: the heavy parts
    // are on blocking threads, not on this runtime's workers.
    let heartbeat = tokio::spawn(async {
        let mut ticks = 0u64;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            ticks += 1;
            if ticks.is_multiple_of(600) {
                eprintln!("\n(the app is still responsive)");
            }
        }
    });

    let mut out = std::io::stderr();
    let result = updater
        .update(&mut |p: UpdateProgress| {
            if p.phase != UpdatePhase::Checking {
                let _ = write!(out, "\r{}", bar(&p));
                let _ = out.flush();
            }
        })
        .await;
    heartbeat.abort();
    eprintln!();
    match result {
        Ok(Some(applied)) => println!("updated to {}; restart to use it", applied.version),
        Ok(None) => println!("{app} {version} is up to date"),
        Err(e) if e.is_cancelled() => {
            // Nothing half-written is left: the next update starts clean
            // (with the token reset).
            println!("cancelled; {app} {version} is unchanged");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
