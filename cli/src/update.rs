//! `tufa update`: the client library driven from the command line.

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
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
    /// Follow this platform's releases, <os>-<arch> (default: the running
    /// one when the repository has it, else the platform-less releases).
    #[arg(long, value_name = "OS-ARCH")]
    platform: Option<String>,
    /// Take releases in staged rollout or paused whatever this install's
    /// bucket (testers). Pulled releases are never taken.
    #[arg(long)]
    ignore_rollout: bool,
    #[command(flatten)]
    http: HttpArgs,
}

/// Environment variable with extra HTTP headers, one `Name: value` per
/// line: secrets there stay out of `ps`, unlike `--header`.
pub const HEADERS_ENV: &str = "TUFA_HTTP_HEADERS";

/// HTTP settings shared by `tufa update` and `tufa verify`.
#[derive(Args, Clone, Debug, Default)]
pub struct HttpArgs {
    /// Extra HTTP header for every request, NAME:VALUE (repeatable). Other
    /// users can read it in `ps`: put secrets in --header-file or
    /// TUFA_HTTP_HEADERS (one 'Name: value' per line) instead.
    #[arg(long, value_name = "NAME:VALUE")]
    header: Vec<String>,
    /// File of extra HTTP headers, one 'Name: value' per line (blank lines
    /// and lines starting with # are skipped). Overrides TUFA_HTTP_HEADERS;
    /// --header overrides both.
    #[arg(long, value_name = "FILE")]
    header_file: Option<PathBuf>,
    /// Seconds one metadata file may take, from request to last byte
    /// [default: 60].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    metadata_timeout: Option<Duration>,
    /// Minimum average speed of a download, in bytes per second, over
    /// --speed-window; slower fails as slow_retrieval (0: no minimum)
    /// [default: 1024].
    #[arg(long, value_name = "BYTES_PER_SEC")]
    min_speed: Option<u64>,
    /// Seconds over which --min-speed is measured [default: 60].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    speed_window: Option<Duration>,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    // NaN is neither: refuse it as well.
    if secs.is_nan() || secs <= 0.0 {
        return Err("must be more than 0 seconds".into());
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("'{s}': {e}"))
}

/// `Name: value` lines of `text` (from `source`, for messages). A bad
/// line is named by number only: it may hold a secret.
fn header_lines(text: &str, source: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .filter(|(name, _)| !name.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("{source} line {}: expected 'Name: value'", i + 1))?;
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(out)
}

impl HttpArgs {
    /// The library's options: defaults, then headers from the
    /// environment, the file and the command line, in that order (a later
    /// header of the same name replaces an earlier one).
    pub fn to_options(&self) -> anyhow::Result<tufa::client::HttpOptions> {
        let mut http = tufa::client::HttpOptions::default();
        if let Some(text) = std::env::var_os(HEADERS_ENV) {
            let text = text
                .into_string()
                .map_err(|_| anyhow::anyhow!("{HEADERS_ENV} is not valid UTF-8"))?;
            http.headers.extend(header_lines(&text, HEADERS_ENV)?);
        }
        if let Some(path) = &self.header_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --header-file {}", path.display()))?;
            http.headers
                .extend(header_lines(&text, &path.display().to_string())?);
        }
        for h in &self.header {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--header must be NAME:VALUE"))?;
            http.headers
                .push((k.trim().to_string(), v.trim().to_string()));
        }
        if let Some(t) = self.metadata_timeout {
            http.metadata_timeout = t;
        }
        if let Some(s) = self.min_speed {
            http.min_speed = s;
        }
        if let Some(w) = self.speed_window {
            http.speed_window = w;
        }
        Ok(http)
    }
}

pub fn run(args: UpdateArgs, json: bool) -> anyhow::Result<ExitCode> {
    let channel = match args.pre.as_deref() {
        Some(p) => p.parse()?,
        None => Channel::Stable,
    };
    let http = args.http.to_options()?;
    let mut builder = Updater::builder(&args.app, &args.current_version);
    if let Some(p) = &args.platform {
        builder = builder.platform(p);
    }
    let updater = builder
        .ignore_rollout(args.ignore_rollout)
        .install_dir(&args.install_dir)
        .metadata_dir(&args.metadata_dir)
        .cache_dir(&args.cache_dir)
        .metadata_url(&args.metadata_url)
        .targets_url(&args.targets_url)
        .channel(channel)
        .ignore_required(args.ignore_required)
        .patches(!args.no_patch)
        .http(http)
        .cancel_flag(crate::interrupt::cancel_on_ctrl_c())
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
            if plan.rollback {
                println!(
                    "{} {} was pulled by its publisher: going back to {}",
                    args.app, args.current_version, plan.version
                );
            }
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
    // One bar for every phase: downloading (over all files), then
    // applying patches or unpacking.
    let show = |p: tufa::client::UpdateProgress| {
        bar.set_length(p.total);
        bar.set_message(match p.phase {
            tufa::client::UpdatePhase::Downloading => p.file,
            phase => phase.label().to_string(),
        });
        bar.set_position(p.done);
    };
    let mut show_download = show;
    let downloaded = updater.download(&plan, &mut show_download)?;
    lap("download", &mut since);
    let mut show_apply = show;
    let applied = updater.apply_with_progress(downloaded, &mut show_apply)?;
    bar.finish_and_clear();
    lap("patch_and_verify", &mut since);
    let options = InstallOptions {
        purge: args.purge,
        exclude: args.exclude.clone(),
        installer: None,
    };
    let report = updater.install(&applied, &options)?;
    lap("extract_and_install", &mut since);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "update": plan,
                "fetched": applied.fetched,
                "fell_back": applied.fell_back,
                "installed_version": applied.version.to_string(),
                "install": report,
                "timings": timings,
            }))?
        );
    } else {
        if let Some(why) = &applied.fell_back {
            println!("patch failed ({why}); used the full archive");
        }
        if plan.rollback {
            println!(
                "{} {} was pulled by its publisher; went back to {}",
                args.app, args.current_version, applied.version
            );
        }
        println!(
            "installed {} {}: {} files written, {} unchanged files kept",
            args.app, applied.version, report.files_written, report.files_reused
        );
    }
    Ok(ExitCode::SUCCESS)
}
