//! What taking releases back would do, before it is done: which releases
//! and files go, and what clients download afterwards, so a front end can
//! show the consequence ("clients on 1.0 will download the full 27 MiB")
//! before the person confirms.

use super::*;

/// Clients on a release that is removed: they no longer find their own
/// release, so they download the full archive of what the client's policy
/// gives them (see [`Publisher::prune`]). A staged rollout splits them:
/// one entry per release they go to, with the share of installs.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StrandedClients {
    /// Their version.
    pub version: String,
    /// The release they update to (none: no update for them until a
    /// rollout reaches them).
    pub to_version: Option<String>,
    /// What they download (the full archive; 0 without an update).
    pub bytes: u64,
    /// Percent of those installs (rollout buckets out of 100).
    pub share: u8,
    /// `to_version` is the signed way back of a pulled release of the same
    /// version they fall back to: a downgrade.
    pub rollback: bool,
    /// The platform of those clients (none: the platform-less releases).
    pub platform: Option<String>,
}

/// Where the installs of a platform left without releases turn.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlatformFallback {
    /// The platform left without releases.
    pub platform: String,
    /// What installs on the removed release that set no platform then do
    /// with the platform-less releases, bucket by bucket as the client
    /// decides it (`to_version` none: nothing yet; they take the next
    /// platform-less release offered to them). Their current tar is of
    /// another build, so whatever they take, they take by full archive
    /// (`bytes`).
    pub shares: Vec<StrandedClients>,
}

/// The releases one stream loses.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StreamRemoval {
    /// The stream's platform (none: the platform-less releases).
    pub platform: Option<String>,
    /// Its releases removed, oldest first.
    pub removed: Vec<String>,
}

/// The consequence of a removal, computed without changing anything.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemovalPreview {
    /// Releases removed, oldest first (of every stream, merged).
    pub removed: Vec<String>,
    /// The same, stream by stream, platform-less first: a prune keeps
    /// each platform's newest, so each may lose different versions.
    pub by_stream: Vec<StreamRemoval>,
    /// Target files removed.
    pub files: Vec<String>,
    /// Bytes those files take.
    pub freed_bytes: u64,
    /// The newest release afterwards (none when nothing is left).
    pub latest_after: Option<String>,
    /// Clients that installed a removed release newer than every release
    /// left (after remove-latest): they keep it and get nothing until a
    /// newer release is published.
    pub ahead: Option<String>,
    /// When the removed latest release is pulled: the version its clients
    /// were being sent back to. Removing it cancels that signed downgrade:
    /// they keep the withdrawn release until a newer one is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rollback_lost: Option<String>,
    /// Removing a platform's only release: from then on, installs of that
    /// platform that do not set one follow the releases without a platform
    /// (as the client does when its platform has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub platform_fallback: Option<PlatformFallback>,
    /// Clients on removed releases other than `ahead`.
    pub stranded: Vec<StrandedClients>,
    /// What clients on the releases that stay download afterwards (for
    /// one stream; a prune over several platforms leaves it empty, since
    /// their clients' paths do not change).
    pub clients_after: Vec<ClientDownload>,
}

impl Publisher {
    /// What [`Publisher::remove_latest`] would do.
    pub fn preview_remove_latest(&self) -> Result<RemovalPreview> {
        self.preview_remove_latest_of(None)
    }

    /// What [`Publisher::remove_latest_of`] `platform` would do, whichever
    /// role lists the platform's releases.
    pub fn preview_remove_latest_of(&self, platform: Option<&str>) -> Result<RemovalPreview> {
        if let Some(p) = platform {
            crate::target::validate_platform(p)?;
        }
        let meta = self.metadata()?;
        let roles = self.target_roles(&meta)?;
        let stream = roles.stream(platform)?;
        let all = &stream.releases;
        if all.is_empty() {
            return Err(Error::NoReleases { app: stream.name });
        }
        let mut preview = removal_preview(
            all,
            all.len() - 1..all.len(),
            true,
            stream.platform.as_deref(),
        );
        if let (Some(platform), [only]) = (&stream.platform, all.as_slice()) {
            preview.platform_fallback = Some(PlatformFallback {
                platform: platform.clone(),
                shares: stranded_on(&roles.stream(None)?.releases, only, None),
            });
        }
        Ok(preview)
    }

    /// What [`Publisher::prune`] with `keep` would do. Like the prune, it
    /// covers every stream (each platform keeps its newest `keep`): files
    /// and bytes are summed, removed versions merged, and stranded clients
    /// and downloads afterwards listed stream by stream, platform-less
    /// first, for the streams that lose releases.
    pub fn preview_prune(&self, keep: usize) -> Result<RemovalPreview> {
        retention::check_keep(keep)?;
        let meta = self.metadata()?;
        let streams = self.target_roles(&meta)?.streams(None)?;
        let mut merged: Option<RemovalPreview> = None;
        for (stream, gone) in retention::pruned(&streams, keep)? {
            let one = removal_preview(
                &stream.releases,
                0..gone.len(),
                false,
                stream.platform.as_deref(),
            );
            merged = Some(match merged {
                None => one,
                Some(mut m) => {
                    m.removed.extend(one.removed);
                    m.by_stream.extend(one.by_stream);
                    m.files.extend(one.files);
                    m.freed_bytes += one.freed_bytes;
                    m.stranded.extend(one.stranded);
                    // Several streams: "clients on 1.0 download …" would
                    // not say whose 1.0; the paths of kept releases do
                    // not change in a prune anyway.
                    m.clients_after.clear();
                    m
                }
            });
        }
        // pruned() fails when no stream loses a release.
        let mut m = merged.ok_or(Error::NothingToRemove { releases: 0, keep })?;
        let mut versions: Vec<AppVersion> =
            m.removed.iter().filter_map(|v| v.parse().ok()).collect();
        versions.sort();
        versions.dedup();
        m.removed = versions.iter().map(ToString::to_string).collect();
        Ok(m)
    }
}

fn removal_preview(
    all: &[Release],
    removed: std::ops::Range<usize>,
    latest: bool,
    platform: Option<&str>,
) -> RemovalPreview {
    let gone = &all[removed.clone()];
    let kept: Vec<Release> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
        .map(|(_, r)| r.clone())
        .collect();
    let files: Vec<String> = gone
        .iter()
        .flat_map(|r| {
            std::iter::once(r.archive.clone()).chain(r.patch.as_ref().map(|p| p.name.clone()))
        })
        .collect();
    let freed_bytes = gone
        .iter()
        .map(|r| r.archive_size + r.patch.as_ref().map_or(0, |p| p.size))
        .sum();
    let newest = kept.last();
    let ahead = if latest {
        gone.last().map(|r| r.version.to_string())
    } else {
        None
    };
    // Exactly what the client does from a version the repository no
    // longer lists, bucket by bucket: rollouts, pauses, pulls and required
    // releases included.
    let stranded = if latest {
        Vec::new()
    } else {
        gone.iter()
            .flat_map(|r| stranded_on(&kept, r, platform))
            .collect()
    };
    let removed: Vec<String> = gone.iter().map(|r| r.version.to_string()).collect();
    RemovalPreview {
        by_stream: vec![StreamRemoval {
            platform: platform.map(String::from),
            removed: removed.clone(),
        }],
        removed,
        files,
        freed_bytes,
        latest_after: newest.map(|r| r.version.to_string()),
        ahead,
        // Only a downgrade that was really on offer: its target is still
        // there and not itself withdrawn (the client refuses those).
        rollback_lost: if latest {
            use crate::policy::is_pulled;
            gone.last()
                .filter(|r| is_pulled(r))
                .and_then(|r| r.rollback_to.as_ref())
                .filter(|back| kept.iter().any(|k| &k.version == *back && !is_pulled(k)))
                .map(ToString::to_string)
        } else {
            None
        },
        platform_fallback: None,
        stranded,
        clients_after: client_downloads(&kept),
    }
}

/// What installs on `from`, a release `releases` does not list (of the
/// stream of `platform`), do: split bucket by bucket as the client decides
/// it; by full archive, since no patch starts from their tar.
fn stranded_on(
    releases: &[Release],
    from: &Release,
    platform: Option<&str>,
) -> Vec<StrandedClients> {
    let channel = crate::policy::channel_of(&from.version);
    crate::policy::split_by_bucket(releases, &from.version, channel, 0..100)
        .into_iter()
        .map(|s| {
            let to = s.target.map(|t| &releases[t]);
            StrandedClients {
                version: from.version.to_string(),
                to_version: to.map(|k| k.version.to_string()),
                bytes: to.map_or(0, |k| k.archive_size),
                share: s.buckets,
                rollback: s.rollback,
                platform: platform.map(String::from),
            }
        })
        .collect()
}
