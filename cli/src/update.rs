//! `tufa update`: the client library driven from the command line.

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use tufa::client::{BlockingUpdater, InstallOptions, Updater};
use tufa::Channel;

#[derive(Args)]
pub struct UpdateArgs {
    /// Application name.
    #[arg(long)]
    app: String,
    /// Version installed now.
    #[arg(long)]
    current_version: String,
    /// Directory the app is installed in.
    #[arg(long)]
    install_dir: PathBuf,
    /// Directory holding the trusted root.json.
    #[arg(long)]
    metadata_dir: PathBuf,
    /// Directory for downloads, the current tar and TUF state.
    #[arg(long)]
    cache_dir: PathBuf,
    /// Base URL of the repository's metadata/.
    #[arg(long)]
    metadata_url: String,
    /// Base URL of the repository's targets/.
    #[arg(long)]
    targets_url: String,
    /// Also offer pre-releases: a (alpha and up), b (beta and up) or rc.
    #[arg(long, value_parser = ["a", "b", "rc"])]
    pre: Option<String>,
    /// Go straight to the newest release, past required ones.
    #[arg(long)]
    ignore_required: bool,
    /// Download the full archive, never patches.
    #[arg(long)]
    no_patch: bool,
    /// Remove files of the old version that the new one lacks.
    #[arg(long)]
    purge: bool,
    /// Relative path kept from the old install when purging (repeatable).
    #[arg(long, value_name = "PATH")]
    exclude: Vec<PathBuf>,
    /// Only report the plan; download and install nothing.
    #[arg(long)]
    check_only: bool,
    /// Extra HTTP header for every request, NAME:VALUE (repeatable).
    #[arg(long, value_name = "NAME:VALUE")]
    header: Vec<String>,
}

pub fn run(args: UpdateArgs, json: bool) -> anyhow::Result<ExitCode> {
    let channel = match args.pre.as_deref() {
        Some(p) => p.parse()?,
        None => Channel::Stable,
    };
    let mut http = tufa::client::HttpOptions::default();
    for h in &args.header {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--header must be NAME:VALUE"))?;
        http.headers
            .push((k.trim().to_string(), v.trim().to_string()));
    }
    let updater = Updater::builder(&args.app, &args.current_version)
        .install_dir(&args.install_dir)
        .metadata_dir(&args.metadata_dir)
        .cache_dir(&args.cache_dir)
        .metadata_url(&args.metadata_url)
        .targets_url(&args.targets_url)
        .channel(channel)
        .ignore_required(args.ignore_required)
        .patches(!args.no_patch)
        .http(http)
        .build()?;
    let updater = BlockingUpdater::new(updater)?;
    let started = std::time::Instant::now();
    let mut timings = serde_json::Map::new();
    let mut lap = |name: &str, since: &mut std::time::Instant| {
        timings.insert(
            format!("{name}_secs"),
            serde_json::json!(since.elapsed().as_secs_f64()),
        );
        *since = std::time::Instant::now();
    };
    let mut since = started;
    let checked = updater.check()?;
    lap("refresh", &mut since);
    let Some(plan) = checked else {
        if json {
            println!(
                "{}",
                serde_json::json!({ "update": null, "current_version": args.current_version })
            );
        } else {
            println!("{} {} is up to date", args.app, args.current_version);
        }
        return Ok(ExitCode::SUCCESS);
    };
    if args.check_only {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "update": plan }))?
            );
        } else {
            println!(
                "update available: {} {} → {} by {:?} ({} bytes: {})",
                args.app,
                args.current_version,
                plan.version,
                plan.method,
                plan.total_bytes,
                plan.files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bar = ProgressBar::new(plan.total_bytes).with_style(
        ProgressStyle::with_template("{msg:>20} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    if json {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let downloaded = updater.download(&plan, &mut |p| {
        bar.set_length(p.total);
        bar.set_message(p.file.clone());
        bar.set_position(p.done);
    })?;
    bar.finish_and_clear();
    lap("download", &mut since);
    let applied = updater.apply(downloaded)?;
    lap("patch_and_verify", &mut since);
    let options = InstallOptions {
        purge: args.purge,
        exclude: args.exclude.clone(),
        installer: None,
    };
    updater.install(&applied, &options)?;
    lap("extract_and_install", &mut since);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "update": plan,
                "fetched": applied.fetched,
                "fell_back": applied.fell_back,
                "installed_version": applied.version.to_string(),
                "timings": timings,
            }))?
        );
    } else {
        if let Some(why) = &applied.fell_back {
            println!("patch failed ({why}); used the full archive");
        }
        println!("installed {} {}", args.app, applied.version);
    }
    Ok(ExitCode::SUCCESS)
}
