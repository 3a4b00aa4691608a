//! Checking a published repository the way a client sees it: every
//! signature, threshold, version pin, expiry, and every target file's
//! length and hash, with problems reported in plain words instead of
//! stopping at the first.

use super::refresh::{Expiry, Limits, Options, RefreshError, TrustedSet};
use super::transport::{redact_urls, HttpOptions, HttpTransport, SlowRetrieval};
use super::{error_chain, find_in_chain, UpdateError};
use crate::policy::Severity;
use futures_util::StreamExt;
use serde::Serialize;
use tough::Transport;
use url::Url;

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    /// Repository base URL.
    pub url: String,
    /// Root version reached.
    pub root_version: Option<u64>,
    /// Versions of targets, snapshot, timestamp.
    pub versions: Vec<(String, u64)>,
    /// Target files checked.
    pub targets_checked: usize,
    /// Bytes downloaded and hashed.
    pub bytes_checked: u64,
    /// Things that break clients now.
    pub problems: Vec<String>,
    /// Things that will, soon (expiry inside the policy's warning window
    /// of the role's period: [`crate::policy::expiry_severity`]).
    pub warnings: Vec<String>,
    /// How the root was trusted.
    pub trust: String,
}

impl VerifyReport {
    /// No problems.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What a check knows beyond the repository itself.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Each role's re-signing period in days, by role name (`timestamp`,
    /// a delegated `linux-x86_64`, …): the publisher's project settings.
    /// A role missing here is judged with an unknown period (the
    /// policy's one-day window), as a client would.
    pub periods: std::collections::BTreeMap<String, u32>,
}

/// Verifies the repository at `base_url` (with `metadata/` and `targets/`
/// below it). `trusted_root` is the root.json clients ship; without it
/// the repository's own `1.root.json` is trusted on first use.
pub async fn verify_repository(
    base_url: &str,
    trusted_root: Option<Vec<u8>>,
    http: HttpOptions,
) -> Result<VerifyReport, UpdateError> {
    verify_repository_with(
        base_url,
        trusted_root,
        http,
        &VerifyOptions::default(),
        &mut crate::progress::NoProgress,
    )
    .await
}

/// [`verify_repository`], judging expiry against the known `options.periods`
/// (the same warning window as the publisher's status) and reporting
/// [`Phase::Check`](crate::progress::Phase::Check) to `progress`: the
/// total is the bytes of every target, each target is announced as its
/// download starts, and the phase finishes with the bytes checked.
/// Cancelling stops between chunks (`UpdateError::is_cancelled`).
pub async fn verify_repository_with(
    base_url: &str,
    trusted_root: Option<Vec<u8>>,
    http: HttpOptions,
    options: &VerifyOptions,
    progress: &mut (dyn crate::progress::Progress + Send),
) -> Result<VerifyReport, UpdateError> {
    let base = if base_url.ends_with('/') {
        base_url.to_string()
    } else {
        format!("{base_url}/")
    };
    let base = Url::parse(&base).map_err(|e| {
        UpdateError::Config(redact_urls(&format!("'{base_url}' is not a URL: {e}")))
    })?;
    let md = base
        .join("metadata/")
        .map_err(|e| UpdateError::Config(e.to_string()))?;
    let tg = base
        .join("targets/")
        .map_err(|e| UpdateError::Config(e.to_string()))?;
    // The same limits as a client's: a stalling server must not hold a
    // check forever either.
    let transport = HttpTransport::new(http)
        .map_err(UpdateError::Config)?
        .for_repository(&md, &tg);
    let mut report = VerifyReport {
        url: redact_urls(base.as_str()),
        root_version: None,
        versions: Vec::new(),
        targets_checked: 0,
        bytes_checked: 0,
        problems: Vec::new(),
        warnings: Vec::new(),
        trust: String::new(),
    };
    let root = match trusted_root {
        Some(r) => {
            report.trust = "the given trusted root".into();
            r
        }
        None => {
            report.trust = "the repository's own 1.root.json (trusted on first use)".into();
            let url = md
                .join("1.root.json")
                .map_err(|e| UpdateError::Config(e.to_string()))?;
            let failed = |e: tough::TransportError| {
                let text = redact_urls(&format!("{url}: {}", error_chain(&e)));
                if find_in_chain::<SlowRetrieval>(&e).is_some() {
                    UpdateError::SlowRetrieval(text)
                } else {
                    UpdateError::Offline(text)
                }
            };
            let mut stream = transport.fetch(url.clone()).await.map_err(failed)?;
            let mut bytes = Vec::new();
            while let Some(chunk) = stream.next().await {
                bytes.extend_from_slice(&chunk.map_err(failed)?);
                if bytes.len() as u64 > crate::metadata::MAX_METADATA_BYTES {
                    return Err(UpdateError::Verification(
                        "1.root.json is absurdly large".into(),
                    ));
                }
            }
            bytes
        }
    };
    let store =
        tempfile::tempdir().map_err(|e| crate::Error::io("creating a temporary directory", e))?;
    let root_path = store.path().join("root.json");
    std::fs::write(&root_path, &root)
        .map_err(|e| crate::Error::io("writing a temporary root.json", e))?;
    // The client's own refresh, except that expiry is reported below
    // instead of stopping the check.
    let opened = TrustedSet::open(
        Options {
            metadata_url: md,
            root_path,
            dir: store.path().to_path_buf(),
            expiry: Expiry::Report,
            limits: Limits::default(),
        },
        transport,
        None,
    );
    let mut repo = match opened {
        Ok(r) => r,
        Err(e) => {
            report.problems.push(format!(
                "metadata does not verify: {}",
                UpdateError::from(e)
            ));
            return Ok(report);
        }
    };
    if let Err(e) = repo.refresh().await {
        match UpdateError::from(e) {
            // Not a finding about the repository but about the server:
            // the same distinct error a client gets.
            slow @ UpdateError::SlowRetrieval(_) => return Err(slow),
            other => {
                report
                    .problems
                    .push(format!("metadata does not verify: {other}"));
                return Ok(report);
            }
        }
    }
    report.root_version = Some(repo.root_version());
    let now = jiff::Timestamp::now().as_second();
    for (role, version, expires) in repo.role_expiries() {
        if role != "root" {
            report.versions.push((role.to_string(), version));
        }
        let left = expires.as_second() - now;
        // The project's period when the caller knows it (a timestamp
        // signed a minute ago is fresh), else the window for an unknown
        // period, as a client judges it: one policy decides both.
        let period = options.periods.get(role).copied();
        match crate::policy::expiry_severity(left, period) {
            Severity::Expired => report.problems.push(format!(
                "{role} expired {} ago ({expires}): clients refuse to update until it is re-signed",
                crate::metadata::human_duration(left)
            )),
            Severity::Warn => report.warnings.push(format!(
                "{role} expires in {} ({expires})",
                crate::metadata::human_duration(left)
            )),
            Severity::Ok => {}
        }
    }
    // Every target, delegated ones included, as the delegation walk
    // resolves it.
    let all = match repo.targets_matching(|_| true).await {
        Ok(all) => all,
        Err(e) => {
            report.problems.push(format!(
                "delegated metadata does not verify: {}",
                UpdateError::from(e)
            ));
            return Ok(report);
        }
    };
    let total: u64 = all.iter().map(|(_, info)| info.length).sum();
    let count = all.len();
    progress.start(crate::progress::Phase::Check, Some(total));
    // Bytes of the phase so far: every finished target counts whole (a
    // short or failed one too), so the bar ends at the total.
    let mut done = 0u64;
    for (index, (name, info)) in all.into_iter().enumerate() {
        let listed = info.length;
        progress.file(&format!("targets/{name}"), index, count);
        let result: Result<u64, String> = async {
            let mut stream = repo
                .download(&tg, &name, &info)
                .await
                .map_err(|e| plain_target_error(&e))?;
            let mut n = 0u64;
            while let Some(chunk) = stream.next().await {
                if progress.cancelled() {
                    return Err(CANCELLED.to_string());
                }
                n += chunk.map_err(|e| plain_target_error(&e))?.len() as u64;
                progress.advance(done + n.min(listed));
            }
            Ok(n)
        }
        .await;
        if progress.cancelled() {
            return Err(crate::Error::Cancelled.into());
        }
        done += listed;
        progress.advance(done);
        report.targets_checked += 1;
        match result {
            Ok(n) if n == listed => report.bytes_checked += n,
            Ok(n) => report.problems.push(format!(
                "targets/{name}: {n} bytes on the server, targets.json lists {listed}"
            )),
            Err(why) => report.problems.push(format!("targets/{name}: {why}")),
        }
    }
    progress.file("", count, count);
    progress.finish(crate::progress::Phase::Check);
    Ok(report)
}

/// Marks a download stopped by the user (turned into `Cancelled` above).
const CANCELLED: &str = "cancelled";

fn plain_target_error(e: &RefreshError) -> String {
    match e {
        RefreshError::Slow { reason, .. } => format!("slow retrieval: {reason}"),
        RefreshError::NotFound { .. } => "missing on the server".into(),
        RefreshError::HashMismatch { alg, .. } => {
            format!("content differs from targets.json ({alg} mismatch)")
        }
        RefreshError::TooLong { .. } => "larger than targets.json lists".into(),
        other => redact_urls(&other.to_string()),
    }
}
