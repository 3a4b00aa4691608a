//! What taking releases back would do, before it is done: which releases
//! and files go, and what clients download afterwards, so a front end can
//! show the consequence ("clients on 1.0 will download the full 27 MiB")
//! before the person confirms.

use super::*;

/// Clients on a release that is removed: they no longer find their own
/// release, so they download the full archive of the newest on their
/// channel (see [`Publisher::prune`]).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StrandedClients {
    /// Their version.
    pub version: String,
    /// The release they update to.
    pub to_version: String,
    /// What they download (the full archive).
    pub bytes: u64,
}

/// The consequence of a removal, computed without changing anything.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemovalPreview {
    /// Releases removed, oldest first.
    pub removed: Vec<String>,
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
    /// Clients on removed releases other than `ahead`.
    pub stranded: Vec<StrandedClients>,
    /// What clients on the releases that stay download afterwards.
    pub clients_after: Vec<ClientDownload>,
}

impl Publisher {
    /// What [`Publisher::remove_latest`] would do.
    pub fn preview_remove_latest(&self) -> Result<RemovalPreview> {
        let all = self.current_releases()?;
        if all.is_empty() {
            return Err(Error::NoReleases {
                app: self.project.app_name.clone(),
            });
        }
        Ok(removal_preview(&all, all.len() - 1..all.len(), true))
    }

    /// What [`Publisher::prune`] with `keep` would do.
    pub fn preview_prune(&self, keep: usize) -> Result<RemovalPreview> {
        if keep == 0 {
            return Err(Error::InvalidSetting {
                field: "keep".into(),
                reason: "keep at least one release".into(),
            });
        }
        let all = self.current_releases()?;
        if all.len() <= keep {
            return Err(Error::NothingToRemove {
                releases: all.len(),
                keep,
            });
        }
        Ok(removal_preview(&all, 0..all.len() - keep, false))
    }

    fn current_releases(&self) -> Result<Vec<Release>> {
        let meta = self.metadata()?;
        releases(&meta.targets.signed, &self.project.app_name)
    }
}

fn removal_preview(
    all: &[Release],
    removed: std::ops::Range<usize>,
    latest: bool,
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
    let stranded = if latest {
        Vec::new()
    } else {
        gone.iter()
            .filter_map(|r| {
                // The newest kept release the removed one's channel offers.
                let channel = crate::policy::channel_of(&r.version);
                kept.iter()
                    .rev()
                    .find(|k| crate::policy::offered_on(&k.version, channel))
                    .map(|to| StrandedClients {
                        version: r.version.to_string(),
                        to_version: to.version.to_string(),
                        bytes: to.archive_size,
                    })
            })
            .collect()
    };
    RemovalPreview {
        removed: gone.iter().map(|r| r.version.to_string()).collect(),
        files,
        freed_bytes,
        latest_after: newest.map(|r| r.version.to_string()),
        ahead,
        stranded,
        clients_after: client_downloads(&kept),
    }
}
