//! `tufa-conformance`: the client-under-test protocol of the TUF
//! conformance suite (theupdateframework/tuf-conformance, CLIENT-CLI.md),
//! on Tufa's refresh and download code.
//!
//! ```text
//! tufa-conformance --metadata-dir D init ROOT_FILE
//! tufa-conformance --metadata-url U --metadata-dir D refresh
//! tufa-conformance --metadata-url U --metadata-dir D --target-name N [--target-name N2]... \
//!                  --target-dir T --target-base-url B download
//! ```
//!
//! Exit status 0 on success, 1 on any failure (panics included). `D` holds
//! only the trusted metadata, byte for byte as served (`root.json`,
//! `timestamp.json`, `snapshot.json`, `targets.json`, one
//! `<percent-encoded role>.json` per delegated role); the clock policy's
//! latest known time lives beside it in `D.tufa/`.

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tufa::client::clock;
use tufa::client::refresh::{matches_target, Expiry, Limits, Options, TrustedSet};
use tufa::client::transport::{HttpOptions, HttpTransport};
use url::Url;

#[derive(Default)]
struct Args {
    metadata_dir: Option<PathBuf>,
    metadata_url: Option<String>,
    target_names: Vec<String>,
    target_dir: Option<PathBuf>,
    target_base_url: Option<String>,
    days_in_future: i64,
    command: Option<String>,
    positional: Vec<String>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args> {
    let mut a = Args::default();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--metadata-dir" => a.metadata_dir = Some(value("--metadata-dir")?.into()),
            "--metadata-url" => a.metadata_url = Some(value("--metadata-url")?),
            "--target-name" => a.target_names.push(value("--target-name")?),
            "--target-dir" => a.target_dir = Some(value("--target-dir")?.into()),
            "--target-base-url" => a.target_base_url = Some(value("--target-base-url")?),
            "--trusted-root" => a.positional.push(value("--trusted-root")?),
            "--days-in-future" => a.days_in_future = value("--days-in-future")?.parse()?,
            s if s.starts_with("--") => bail!("unknown option {s}"),
            s if a.command.is_none() => a.command = Some(s.to_string()),
            s => a.positional.push(s.to_string()),
        }
    }
    Ok(a)
}

fn dir_url(s: &str) -> Result<Url> {
    let s = if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    };
    Url::parse(&s).with_context(|| format!("bad URL {s}"))
}

/// Tufa's clock policy keeps its latest known time beside the metadata
/// dir: the suite counts every `.json` file inside it as trusted metadata.
fn state_dir_for(md: &Path) -> PathBuf {
    let mut name = md.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tufa");
    md.with_file_name(name)
}

/// A flat, safe file name for a target path: every byte outside
/// `[A-Za-z0-9._-]` percent-encoded, so `a/b` becomes `a%2Fb` and no name
/// can climb out of the target dir.
fn file_name_for(target: &str) -> String {
    let mut out = String::new();
    for b in target.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.starts_with('.') {
        out.replace_range(0..1, "%2E");
    }
    out
}

/// Written beside its place (under a name the suite ignores), synced, then
/// renamed over it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().context("no file name")?.to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.part"));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The refresh every command starts with: Tufa's one TUF workflow, with
/// the trusted metadata (byte for byte as served) in `md`.
async fn refresh(a: &Args, md: &Path) -> Result<TrustedSet> {
    let url = dir_url(
        a.metadata_url
            .as_deref()
            .context("--metadata-url is required")?,
    )?;
    let state = state_dir_for(md);
    std::fs::create_dir_all(&state)?;
    let now = clock::now(&state);
    let shift = jiff::SignedDuration::from_hours(24 * a.days_in_future);
    let opts = Options {
        metadata_url: url.clone(),
        root_path: md.join("root.json"),
        dir: md.to_path_buf(),
        expiry: Expiry::Enforce(now.effective + shift),
        limits: Limits::default(),
    };
    let targets_url = dir_url(a.target_base_url.as_deref().unwrap_or(url.as_str()))?;
    // Metadata gets its deadline, targets the minimum speed.
    let transport = HttpTransport::new(HttpOptions::default())
        .map_err(anyhow::Error::msg)?
        .for_repository(&url, &targets_url);
    let mut trusted = TrustedSet::open(opts, transport, None)?;
    trusted.refresh().await?;
    clock::record_success(&state, now)?;
    Ok(trusted)
}

async fn run(a: Args) -> Result<()> {
    let md = a
        .metadata_dir
        .clone()
        .context("--metadata-dir is required")?;
    match a.command.as_deref() {
        Some("init") => {
            let root = a
                .positional
                .first()
                .context("init needs the trusted root file")?;
            std::fs::create_dir_all(&md)?;
            let bytes = std::fs::read(root).with_context(|| format!("reading {root}"))?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .context("the trusted root is not JSON")?;
            write_atomic(&md.join("root.json"), &bytes)
        }
        Some("refresh") => refresh(&a, &md).await.map(|_| ()),
        Some("download") => {
            let mut trusted = refresh(&a, &md).await?;
            let base = dir_url(
                a.target_base_url
                    .as_deref()
                    .context("--target-base-url is required")?,
            )?;
            let dir = a.target_dir.clone().context("--target-dir is required")?;
            std::fs::create_dir_all(&dir)?;
            for name in &a.target_names {
                let info = trusted
                    .target(name)
                    .await?
                    .with_context(|| format!("{name} is not a target"))?;
                let path = dir.join(file_name_for(name));
                // Already here with the right length and hashes: nothing to fetch.
                if let Ok(existing) = std::fs::read(&path) {
                    if matches_target(&existing, &info) {
                        continue;
                    }
                }
                let mut stream = trusted.download(&base, name, &info).await?;
                let mut bytes = Vec::new();
                while let Some(chunk) = stream.next().await {
                    bytes.extend_from_slice(&chunk?);
                }
                write_atomic(&path, &bytes)?;
            }
            Ok(())
        }
        other => bail!("unknown command {other:?}: use init, refresh or download"),
    }
}

fn main() -> ExitCode {
    let outcome = std::panic::catch_unwind(|| -> Result<()> {
        let args = parse(std::env::args().skip(1))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(run(args))
    });
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("tufa-conformance: {e:#}");
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(1),
    }
}
