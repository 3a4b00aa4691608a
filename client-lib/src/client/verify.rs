//! Checking a published repository the way a client sees it: every
//! signature, threshold, version pin, expiry, and every target file's
//! length and hash, with problems reported in plain words instead of
//! stopping at the first.

use super::transport::{redact_urls, HttpOptions, HttpTransport, SlowRetrieval};
use super::{error_chain, find_in_chain, from_tough, UpdateError};
use futures_util::StreamExt;
use serde::Serialize;
use tough::{ExpirationEnforcement, RepositoryLoader, Transport};
use url::Url;

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
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
    /// Things that will, soon (expiry within a day or a fifth of a week).
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

/// Verifies the repository at `base_url` (with `metadata/` and `targets/`
/// below it). `trusted_root` is the root.json clients ship; without it
/// the repository's own `1.root.json` is trusted on first use.
pub async fn verify_repository(
    base_url: &str,
    trusted_root: Option<Vec<u8>>,
    http: HttpOptions,
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
    let repo = match RepositoryLoader::new(&root, md, tg)
        .transport(transport)
        .datastore(store.path())
        .expiration_enforcement(ExpirationEnforcement::Unsafe)
        .load()
        .await
    {
        Ok(r) => r,
        Err(e) => match from_tough(e) {
            // Not a finding about the repository but about the server:
            // the same distinct error a client gets.
            slow @ UpdateError::SlowRetrieval(_) => return Err(slow),
            other => {
                report
                    .problems
                    .push(format!("metadata does not verify: {other}"));
                return Ok(report);
            }
        },
    };
    report.root_version = Some(repo.root().signed.version.get());
    let now = jiff::Timestamp::now().as_second();
    for (role, version, expires) in super::role_expiries(&repo) {
        if role != "root" {
            report.versions.push((role.to_string(), version));
        }
        let left = expires.as_second() - now;
        if left <= 0 {
            report.problems.push(format!(
                "{role} expired {} ago ({expires}): clients refuse to update until it is re-signed",
                crate::metadata::human_duration(left)
            ));
        } else if left < 86_400 {
            report.warnings.push(format!(
                "{role} expires in {} ({expires})",
                crate::metadata::human_duration(left)
            ));
        }
    }
    let names: Vec<tough::TargetName> = repo.targets().signed.targets.keys().cloned().collect();
    for name in names {
        let listed = repo
            .targets()
            .signed
            .targets
            .get(&name)
            .map(|t| t.length)
            .unwrap_or(0);
        let result: Result<u64, String> = async {
            let mut stream = match repo.read_target(&name).await {
                Ok(Some(s)) => s,
                Ok(None) => return Err("listed but not found in targets.json".to_string()),
                Err(e) => return Err(plain_target_error(&e)),
            };
            let mut n = 0u64;
            while let Some(chunk) = stream.next().await {
                n += chunk.map_err(|e| plain_target_error(&e))?.len() as u64;
            }
            Ok(n)
        }
        .await;
        report.targets_checked += 1;
        match result {
            Ok(n) if n == listed => report.bytes_checked += n,
            Ok(n) => report.problems.push(format!(
                "targets/{}: {n} bytes on the server, targets.json lists {listed}",
                name.raw()
            )),
            Err(why) => report
                .problems
                .push(format!("targets/{}: {why}", name.raw())),
        }
    }
    Ok(report)
}

fn plain_target_error(e: &tough::error::Error) -> String {
    if let Some(slow) = find_in_chain::<SlowRetrieval>(e) {
        return format!("slow retrieval: {slow}");
    }
    let text = redact_urls(&error_chain(e));
    if let tough::error::Error::Transport { source, .. } = e {
        if source.kind() == tough::TransportErrorKind::FileNotFound {
            return "missing on the server".into();
        }
    }
    if text.contains("Hash mismatch") {
        "content differs from targets.json (sha256 mismatch)".into()
    } else if text.contains("Maximum size") {
        "larger than targets.json lists".into()
    } else {
        text
    }
}
