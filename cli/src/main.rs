//! `tufa`: publish and inspect Tufa update repositories from a terminal or
//! a CI pipeline. Every command is non-interactive; `--json` prints
//! machine-readable results on stdout.

mod automate;
mod destination;
mod expiry;
mod interrupt;
mod keycmd;
mod output;
mod progress;
mod refresh;
mod secrets;
mod update;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use tufa::metadata::TopRole;
use tufa::publisher::{AddRequest, InitOptions, KeyStoreChoice, Publisher};

/// Exit status when a change was staged but still lacks signatures.
const EXIT_STAGED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "tufa",
    version,
    about = "Secure updates for desktop apps, on TUF (tufup-compatible repositories)"
)]
struct Cli {
    /// Project directory holding tufa.toml.
    #[arg(long, global = true, default_value = ".", env = "TUFA_PROJECT")]
    project: PathBuf,
    /// Print results as JSON on stdout (errors too).
    #[arg(long, global = true)]
    json: bool,
    /// Log what the engine does on stderr: -v the steps (downloads, patch or
    /// full archive, publishing), -vv every detail (metadata refresh), -vvv all.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum PlatformCommand {
    /// Sign a platform's releases with a delegated targets role of its own
    /// (a CI runner's key): creates the key, adds the delegation to
    /// targets.json and moves the platform's releases into the role. Only
    /// Tufa clients read delegated roles (tufup clients read top-level targets).
    Delegate {
        /// The platform, <os>-<arch> (the role is named after it).
        platform: String,
        /// Where the new key goes.
        #[arg(long, value_enum, default_value_t = KeyStoreChoice::File)]
        key_store: KeyStoreChoice,
    },
    /// Re-sign a delegated platform's role (new version, fresh expiry, same
    /// releases) with its own key: needed before it expires when no release
    /// comes (`tufa refresh` does it when the role is due).
    Resign {
        /// The platform, <os>-<arch>.
        platform: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Create a project (tufa.toml), its keys and a signed, empty repository.
    Init {
        /// Application name ([A-Za-z0-9_-]).
        #[arg(long)]
        app: String,
        /// Repository directory, relative to the project.
        #[arg(long, default_value = "repository")]
        repo: PathBuf,
        /// Directory for the generated private keys, relative to the project.
        #[arg(long, default_value = "keys")]
        keys_dir: PathBuf,
        /// Expiry of a role in days, e.g. --expires timestamp=2 (defaults: root 365, targets 30, snapshot 7, timestamp 1).
        #[arg(long, value_name = "ROLE=DAYS", value_parser = parse_role_value::<u32>)]
        expires: Vec<(TopRole, u32)>,
        /// Signatures a role needs, e.g. --threshold root=2 (that many keys are generated).
        #[arg(long, value_name = "ROLE=N", value_parser = parse_role_value::<u64>)]
        threshold: Vec<(TopRole, u64)>,
        /// Where new keys go: the OS keyring, PEM files in --keys-dir, or auto (the keyring when one answers, else files).
        #[arg(long, value_enum, default_value_t = KeyStoreChoice::Auto)]
        key_store: KeyStoreChoice,
        /// Root keys as encrypted key files in --keys-dir (to back up and
        /// move offline), whatever --key-store says; the passphrase comes
        /// from TUFA_NEW_PASSPHRASE or is asked twice at the terminal.
        #[arg(long)]
        encrypt_root: bool,
    },
    /// Add a bundle directory as a new release and publish it.
    Add {
        /// Directory holding the application bundle.
        bundle: PathBuf,
        /// Version of the release (PEP 440, above the latest).
        #[arg(long)]
        version: String,
        /// Clients must install this release before any later one.
        #[arg(long)]
        required: bool,
        /// User metadata as a JSON object, e.g. '{"notes": "Fixes #12"}'.
        #[arg(long, value_name = "JSON")]
        meta: Option<String>,
        /// Publish the full archive only, no patch.
        #[arg(long)]
        skip_patch: bool,
        /// Compute and report everything without changing the repository.
        #[arg(long)]
        plan: bool,
        /// Only estimate, in under a second: files changed since the latest
        /// release and bounds on archive and patch sizes.
        #[arg(long, conflicts_with = "plan")]
        estimate: bool,
        /// Platform of the bundle, <os>-<arch> (e.g. linux-x86_64): targets
        /// <app>-<platform>-<version>…, patched from that platform's previous release.
        #[arg(long, value_name = "OS-ARCH")]
        platform: Option<String>,
        /// Start a staged rollout: offer the release to this percentage of installs (e.g. 5 or 5%).
        #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
        rollout: Option<u8>,
    },
    /// Change a release's staged rollout: a percentage (100: every install) or pause (no new installs).
    Rollout {
        /// The release's version.
        version: String,
        /// 0 to 100 (with or without %), or pause.
        change: tufa::publisher::rollout::RolloutChange,
        /// Only this platform's release (default: every platform that has it).
        #[arg(long, value_name = "OS-ARCH")]
        platform: Option<String>,
    },
    /// Withdraw a release: never offered again; clients on it are offered the last good release before it (a signed downgrade).
    Pull {
        /// The release's version.
        version: String,
        /// Only this platform's release (default: every platform that has it).
        #[arg(long, value_name = "OS-ARCH")]
        platform: Option<String>,
    },
    /// Platform settings of the project.
    #[command(subcommand)]
    Platform(PlatformCommand),
    /// Show roles, expiry, releases, keys and staged changes.
    Status,
    /// Remove the newest release from the repository.
    RemoveLatest {
        /// The newest release of this platform (default: the platform-less releases).
        #[arg(long, value_name = "OS-ARCH")]
        platform: Option<String>,
    },
    /// Keep the newest N releases; remove older archives and patches (clients on removed releases get the full archive).
    Prune {
        /// Releases to keep.
        #[arg(long)]
        keep: usize,
    },
    /// Re-sign a role (new version, fresh expiry), or add signatures to a staged change of it.
    Sign {
        /// root, targets, snapshot or timestamp.
        role: TopRole,
        /// Expiry in days for this signing (default: the project's setting).
        #[arg(long)]
        expires: Option<u32>,
    },
    /// Publish staged changes once they have enough signatures, then upload the repository (--to, or [publish] in tufa.toml).
    Publish {
        /// Upload to s3://BUCKET/PREFIX or a directory (targets first, timestamp.json last).
        #[arg(long)]
        to: Option<String>,
        /// Endpoint of an S3-compatible server (MinIO, R2, GCS, …).
        #[arg(long)]
        endpoint: Option<String>,
        /// S3 region.
        #[arg(long)]
        region: Option<String>,
    },
    /// Throw away staged, unpublished changes.
    Discard,
    /// Where uploads go: save it, save or forget S3 credentials (OS keyring), test the connection.
    #[command(subcommand)]
    Destination(destination::DestinationCmd),
    /// Re-sign every role inside its warning window (snapshot and timestamp with their online keys, targets when its keys are at hand), then upload to --to or [publish] in tufa.toml.
    Refresh {
        /// Upload to s3://BUCKET/PREFIX or a directory (default: [publish] in tufa.toml).
        #[arg(long)]
        to: Option<String>,
        /// Endpoint of an S3-compatible server.
        #[arg(long)]
        endpoint: Option<String>,
        /// S3 region.
        #[arg(long)]
        region: Option<String>,
        /// Re-sign only, upload nothing.
        #[arg(long)]
        no_upload: bool,
    },
    /// Write a schedule that runs `tufa refresh` for this project: a GitHub Actions workflow (keys from repository secrets) or a systemd service and timer; prints it, or saves it with --out.
    Automate {
        /// github or systemd.
        #[arg(value_parser = ["github", "systemd"])]
        kind: String,
        /// Save the files into this folder instead of printing them.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Update an installed app from a repository (the client side, for scripts and tests).
    Update(update::UpdateArgs),
    /// Keys: list, add, replace, revoke, move between the keyring and files, export.
    #[command(subcommand)]
    Key(keycmd::KeyCmd),
    /// Change the number of signatures ROLE needs (root signing request).
    Threshold { role: TopRole, threshold: u64 },
    /// Change how long a freshly signed version of ROLE stays valid (days; saved in tufa.toml, applies from the role's next signing).
    Expiry {
        role: TopRole,
        days: u32,
        /// Re-sign ROLE now so that the new period applies at once (not root: that is a root request).
        #[arg(long)]
        sign: bool,
    },
    /// The offline root ceremony: request, sign, status, publish.
    #[command(subcommand)]
    Root(keycmd::RootCmd),
    /// Check a published repository as a client would: signatures, thresholds, expiry, every file's size and hash.
    Verify {
        /// Base URL (with metadata/ and targets/ below it).
        url: String,
        /// The trusted root.json clients ship (default: trust the repository's 1.root.json on first use).
        #[arg(long)]
        root: Option<PathBuf>,
        #[command(flatten)]
        http: update::HttpArgs,
    },
    /// Take over a tufup project: import its keys, publish a root with standard key ids, write tufa.toml into DIR.
    AdoptTufup {
        /// The tufup project (holding .tufup-repo-config).
        dir: PathBuf,
        /// Put the keys into PEM files in this directory (relative to DIR); without it, into the OS keyring.
        #[arg(long)]
        keys_dir: Option<PathBuf>,
    },
}

fn parse_percent(s: &str) -> Result<u8, String> {
    match s.trim().trim_end_matches('%').parse::<u8>() {
        Ok(p) if p <= 100 => Ok(p),
        _ => Err(format!("'{s}' is not a percentage from 0 to 100")),
    }
}

fn parse_role_value<T: std::str::FromStr>(s: &str) -> Result<(TopRole, T), String> {
    let (role, value) = s.split_once('=').ok_or("expected ROLE=VALUE")?;
    let role: TopRole = role.parse().map_err(|e: tufa::Error| e.to_string())?;
    let value = value
        .parse()
        .map_err(|_| format!("'{value}' is not a valid number"))?;
    Ok((role, value))
}

/// Sends the engine's log to stderr at the level `-v` asks for, so that
/// `--json` output on stdout stays clean. Below `-vvv` the libraries under
/// the engine (HTTP, TLS) only report warnings: their connection chatter
/// would bury the engine's steps.
fn init_log(verbose: u8) {
    use tracing::Level;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    let filter = match verbose {
        0 => return,
        1 => Targets::new()
            .with_target("tufa", Level::INFO)
            .with_default(Level::WARN),
        2 => Targets::new()
            .with_target("tufa", Level::DEBUG)
            .with_default(Level::WARN),
        _ => Targets::new().with_default(Level::TRACE),
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
}

fn main() -> ExitCode {
    // `tufa … | head`: a closed pipe ends the process quietly, as with
    // other Unix tools, instead of a panic in println!.
    #[cfg(unix)]
    // SAFETY: restoring the default action of a signal, before any thread
    // starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    init_log(cli.verbose);
    let json = cli.json;
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            output::error(&err, json);
            if output::code_of(&err) == "cancelled" {
                ExitCode::from(interrupt::EXIT_INTERRUPTED)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.project;
    let json = cli.json;
    match cli.command {
        Command::Init {
            app,
            repo,
            keys_dir,
            expires,
            threshold,
            key_store,
            encrypt_root,
        } => {
            let root_passphrase = if encrypt_root {
                Some(crate::keycmd::new_passphrase()?)
            } else {
                None
            };
            let resolved = key_store.resolve();
            if let (Some(why), false) = (&resolved.fallback, json) {
                eprintln!(
                    "note: keeping keys in files under {} ({why})",
                    keys_dir.display()
                );
            }
            let key_store = resolved.store;
            let opts = InitOptions {
                app_name: app,
                repo_dir: Some(repo),
                keys_dir: Some(keys_dir),
                expires_days: expires.into_iter().collect::<BTreeMap<_, _>>(),
                thresholds: threshold.into_iter().collect::<BTreeMap<_, _>>(),
                key_store,
                root_passphrase,
            };
            let (publisher, outcome) = Publisher::init(&dir, &opts)?;
            output::init(&publisher, &outcome, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Add {
            bundle,
            version,
            required,
            meta,
            skip_patch,
            plan,
            estimate,
            platform,
            rollout,
        } => {
            let publisher = crate::secrets::open(&dir)?;
            if estimate {
                output::estimate(
                    &publisher.estimate_add_for(&bundle, platform.as_deref())?,
                    json,
                );
                return Ok(ExitCode::SUCCESS);
            }
            let user = meta
                .map(|m| serde_json::from_str::<serde_json::Value>(&m))
                .transpose()
                .context("--meta is not valid JSON")?;
            let req = AddRequest {
                bundle,
                version,
                required,
                user,
                skip_patch,
                platform,
                rollout,
            };
            let mut bar = progress::Bars::new(json);
            if plan {
                let plan = publisher.plan_add(&req, &mut bar)?;
                drop(bar);
                output::plan(&plan, json);
                return Ok(ExitCode::SUCCESS);
            }
            let (plan, outcome) = publisher.add(&req, &mut bar)?;
            drop(bar);
            output::added(&plan, &outcome, json);
            Ok(exit_for(&outcome))
        }
        Command::Status => {
            let publisher = crate::secrets::open(&dir)?;
            let status = publisher.status()?;
            output::status(&status, &publisher.delegated_expiry()?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Prune { keep } => {
            let publisher = crate::secrets::open(&dir)?;
            // What clients left on a removed release do, as the engine's
            // policy decides it (rollouts split them), before it changes.
            let preview = publisher.preview_prune(keep)?;
            let (removed, outcome) = publisher.prune(keep)?;
            let removed: Vec<String> = removed.iter().map(ToString::to_string).collect();
            if json {
                output::json(&serde_json::json!({
                    "removed_versions": removed,
                    "stranded": preview.stranded,
                    "outcome": outcome,
                }));
            } else {
                println!("Removed releases {}.", removed.join(", "));
                output::stranded(&preview.stranded);
                println!("Clients on kept releases update as before.");
                output::outcome(&outcome, false);
            }
            Ok(exit_for(&outcome))
        }
        Command::Rollout {
            version,
            change,
            platform,
        } => {
            let publisher = crate::secrets::open(&dir)?;
            let (changed, outcome) =
                publisher.set_rollout(&version, platform.as_deref(), change)?;
            output::rollout(&version, &changed, &outcome, json);
            Ok(exit_for(&outcome))
        }
        Command::Platform(PlatformCommand::Delegate {
            platform,
            key_store,
        }) => {
            let resolved = key_store.resolve();
            if let (Some(why), false) = (&resolved.fallback, json) {
                eprintln!("note: keeping the key in a file ({why})");
            }
            let done = crate::secrets::open(&dir)?.delegate_platform(&platform, resolved.store)?;
            if json {
                output::json(&done);
            } else {
                println!(
                    "Platform {platform} is delegated to role {} (paths {}), key {} ({}).",
                    done.role,
                    done.paths.join(", "),
                    done.key_name,
                    done.location
                );
                if !done.moved.is_empty() {
                    println!("Moved into the role: {}.", done.moved.join(", "));
                }
                println!("Releases of {platform} are now signed with that key only; tufup clients do not see them.");
                output::outcome(&done.outcome, false);
            }
            Ok(exit_for(&done.outcome))
        }
        Command::Platform(PlatformCommand::Resign { platform }) => {
            let outcome = crate::secrets::open(&dir)?.resign_delegated(&platform)?;
            output::outcome(&outcome, json);
            Ok(exit_for(&outcome))
        }
        Command::Pull { version, platform } => {
            let publisher = crate::secrets::open(&dir)?;
            // Where its installs go, as the engine's policy decides it
            // (forward where a rollout offers a newer release, else back).
            let previews = publisher.preview_pull(&version, platform.as_deref())?;
            let (changed, outcome) = publisher.set_rollout(
                &version,
                platform.as_deref(),
                tufa::publisher::rollout::RolloutChange::Pull,
            )?;
            output::pulled(&version, &previews, &changed, &outcome, json);
            Ok(exit_for(&outcome))
        }
        Command::RemoveLatest { platform } => {
            let publisher = crate::secrets::open(&dir)?;
            // What it does to clients, as the engine decides it, taken
            // before the change.
            let preview = publisher.preview_remove_latest_of(platform.as_deref())?;
            let (version, outcome) = publisher.remove_latest_of(platform.as_deref())?;
            output::removed(&version, &preview, &outcome, json);
            Ok(exit_for(&outcome))
        }
        Command::Sign { role, expires } => {
            if expires == Some(0) {
                anyhow::bail!("--expires must be at least 1 day");
            }
            let outcome = crate::secrets::open(&dir)?.sign(role, expires)?;
            output::outcome(&outcome, json);
            Ok(exit_for(&outcome))
        }
        Command::Publish {
            to,
            endpoint,
            region,
        } => {
            let publisher = crate::secrets::open(&dir)?;
            // A folder typed on the command line counts from here; the
            // engine resolves the rest (project settings, relative to the
            // project folder).
            let to = to.map(|t| match std::path::Path::new(&t) {
                p if !t.contains("://") && p.is_relative() => std::env::current_dir()
                    .map(|d| d.join(p).display().to_string())
                    .unwrap_or(t),
                _ => t,
            });
            let target = match publisher.destination(
                to.as_deref(),
                endpoint.as_deref(),
                region.as_deref(),
            ) {
                Ok(t) => Some(t),
                Err(tufa::Error::NoDestination) => None,
                Err(e) => return Err(e.into()),
            };
            let to = target.as_ref().map(|t| t.shown.clone());
            let staged = match publisher.publish() {
                Ok(outcome) => Some(outcome),
                // Nothing staged is fine when the point is the upload.
                Err(tufa::Error::NothingStaged) if to.is_some() => None,
                Err(e) => return Err(e.into()),
            };
            if let Some(outcome) = &staged {
                if !outcome.published {
                    output::outcome(outcome, json);
                    return Ok(exit_for(outcome));
                }
            }
            let (Some(to), Some(target)) = (to, target) else {
                if let Some(outcome) = &staged {
                    output::outcome(outcome, json);
                }
                return Ok(ExitCode::SUCCESS);
            };
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let report = rt.block_on(publisher.upload_with_progress(
                &target.destination,
                &target.s3,
                &mut progress::Bars::new(json),
            ))?;
            if json {
                output::json(&serde_json::json!({ "staged": staged, "upload": report, "to": to }));
            } else {
                if let Some(outcome) = &staged {
                    output::outcome(outcome, false);
                }
                println!(
                    "Uploaded to {to}: {} file(s), {} bytes; {} already there; {} removed.",
                    report.uploaded.len(),
                    report.bytes,
                    report.skipped.len(),
                    report.deleted.len()
                );
                if !report.not_listed.is_empty() {
                    println!(
                        "Skipped (not listed by the metadata, never uploaded): {}",
                        report.not_listed.join(", ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Update(args) => update::run(args, json),
        // A custodian's own key needs no project.
        Command::Key(keycmd::KeyCmd::New { file }) => keycmd::new_held_key(&file, json),
        Command::Key(cmd) => keycmd::run_key(&dir, cmd, json),
        Command::Expiry { role, days, sign } => expiry::run(&dir, role, days, sign, json),
        Command::Threshold { role, threshold } => {
            keycmd::run_threshold(&dir, role, threshold, json)
        }
        Command::Root(cmd) => keycmd::run_root(&dir, cmd, json),
        Command::Verify { url, root, http } => {
            let trusted = root
                .map(|p| std::fs::read(&p).with_context(|| format!("reading {}", p.display())))
                .transpose()?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            // Inside a project its periods judge expiry, as `tufa status`
            // does; elsewhere as a client would.
            let options = tufa::client::verify::VerifyOptions {
                periods: Publisher::open(&dir)
                    .map(|p| p.expiry_periods())
                    .unwrap_or_default(),
            };
            let report = rt.block_on(tufa::client::verify::verify_repository_with(
                &url,
                trusted,
                http.to_options()?,
                &options,
                &mut progress::Bars::new(json),
            ))?;
            output::verify(&report, json);
            Ok(if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::AdoptTufup {
            dir: tufup_dir,
            keys_dir,
        } => {
            let keys_to = match keys_dir {
                Some(k) => tufa::publisher::adopt::AdoptKeys::Files(k),
                None => tufa::publisher::adopt::AdoptKeys::Keyring,
            };
            let (publisher, outcome) =
                Publisher::adopt_tufup(&tufup_dir, &keys_to, secrets::provider())?;
            if json {
                output::json(
                    &serde_json::json!({ "project": publisher.dir().join(tufa::publisher::project::PROJECT_FILE), "outcome": outcome }),
                );
            } else {
                println!(
                    "Adopted '{}': Tufa now manages {}.",
                    publisher.project().app_name,
                    publisher.repo().display()
                );
                output::outcome(&outcome, false);
                println!(
                    "Run further commands with --project {}.",
                    publisher.dir().display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Refresh {
            to,
            endpoint,
            region,
            no_upload,
        } => refresh::run(
            &dir,
            refresh::RefreshArgs {
                to,
                endpoint,
                region,
                no_upload,
            },
            json,
        ),
        Command::Automate { kind, out } => {
            let kind = if kind == "github" {
                tufa::publisher::automate::AutomationKind::Github
            } else {
                tufa::publisher::automate::AutomationKind::Systemd
            };
            automate::run(&dir, kind, out, json)
        }
        Command::Destination(cmd) => destination::run(&dir, cmd, json),
        Command::Discard => {
            let discarded = crate::secrets::open(&dir)?.discard()?;
            output::discarded(discarded, json);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn exit_for(outcome: &tufa::publisher::PublishOutcome) -> ExitCode {
    if outcome.published {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_STAGED)
    }
}
