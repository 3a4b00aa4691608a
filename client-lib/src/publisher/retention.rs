//! Taking releases back: the latest one, or all but the newest N. A
//! delegated platform's releases are removed from its own role, signed by
//! its own keys ([`super::streams`]).

use super::streams::{RoleEdits, Stream};
use super::*;

impl Publisher {
    /// Removes the newest release (archive and patch) from the metadata and
    /// the repository.
    pub fn remove_latest(&self) -> Result<(AppVersion, PublishOutcome)> {
        self.remove_latest_of(None)
    }

    /// Removes the newest release of `platform` (none: the platform-less
    /// stream), archive and patch, from the role that lists it.
    pub fn remove_latest_of(&self, platform: Option<&str>) -> Result<(AppVersion, PublishOutcome)> {
        if let Some(p) = platform {
            crate::target::validate_platform(p)?;
        }
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let roles = self.target_roles_for_change(&session.meta, platform)?;
        let stream = roles.stream(platform)?;
        let latest = stream.releases.last().ok_or_else(|| Error::NoReleases {
            app: stream.name.clone(),
        })?;
        let mut edits = RoleEdits::default();
        for name in release_files(latest) {
            edits.remove(&roles, &stream.role, &name)?;
        }
        tracing::info!(version = %latest.version, stream = %stream.name, role = ?stream.role, "removing the latest release");
        self.stage_edits(edits)?;
        let outcome = self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
        Ok((latest.version.clone(), outcome))
    }

    /// Keeps the newest `keep` releases and removes the archives and patches
    /// of all older ones from metadata and repository. The kept releases'
    /// patches stay, so clients on every kept release still update by
    /// patch; clients on a removed release download the full archive.
    /// With platforms, each platform keeps its newest `keep`, each in the
    /// role that signs it.
    pub fn prune(&self, keep: usize) -> Result<(Vec<AppVersion>, PublishOutcome)> {
        check_keep(keep)?;
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let roles = self.target_roles(&session.meta)?;
        let streams = roles.streams(None)?;
        let removed = pruned(&streams, keep)?;
        let mut edits = RoleEdits::default();
        for (stream, gone) in &removed {
            for r in *gone {
                for name in release_files(r) {
                    edits.remove(&roles, &stream.role, &name)?;
                }
            }
        }
        self.stage_edits(edits)?;
        let outcome = self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
        let mut versions: Vec<AppVersion> = removed
            .iter()
            .flat_map(|(_, gone)| gone.iter().map(|r| r.version.clone()))
            .collect();
        versions.sort();
        versions.dedup();
        Ok((versions, outcome))
    }
}

/// `keep` must leave at least one release.
pub(super) fn check_keep(keep: usize) -> Result<()> {
    if keep == 0 {
        return Err(Error::InvalidSetting {
            field: "keep".into(),
            reason: "keep at least one release".into(),
        });
    }
    Ok(())
}

/// What keeping the newest `keep` of each stream removes, per stream that
/// loses any; an error when no stream does.
///
/// A release that a kept pulled release sends its clients back to (its
/// signed `rollback_to`) is never removed, nor anything newer: removing it
/// would leave clients on the pulled release with a rollback target that
/// is gone, so they would stay on the release that was withdrawn.
pub(super) fn pruned(streams: &[Stream], keep: usize) -> Result<Vec<(&Stream, &[Release])>> {
    let out: Vec<(&Stream, &[Release])> = streams
        .iter()
        .map(|s| (s, removable(&s.releases, keep)))
        .filter(|(_, gone)| !gone.is_empty())
        .collect();
    if out.is_empty() && streams.iter().any(|s| s.releases.len() > keep) {
        return Err(Error::InvalidSetting {
            field: "keep".into(),
            reason: "nothing to remove: the older releases stay because clients of a pulled \
                     release go back to them (its rollback target and every release after it \
                     are kept)"
                .into(),
        });
    }
    if out.is_empty() {
        return Err(Error::NothingToRemove {
            releases: streams.iter().map(|s| s.releases.len()).max().unwrap_or(0),
            keep,
        });
    }
    Ok(out)
}

/// The oldest releases of one stream that pruning to `keep` removes: at
/// most all but the newest `keep`, stopping before the oldest rollback
/// target of a pulled release that stays.
pub(super) fn removable(releases: &[Release], keep: usize) -> &[Release] {
    let mut cut = releases.len().saturating_sub(keep);
    // Until nothing moves: a release kept because a pull points at it may
    // itself be pulled and point further back (1.2 → 1.1 → 1.0).
    loop {
        let before = cut;
        for kept in &releases[before..] {
            let pulled = crate::policy::is_pulled(kept);
            let Some(back) = kept.rollback_to.as_ref().filter(|_| pulled) else {
                continue;
            };
            if let Some(i) = releases[..cut].iter().position(|r| &r.version == back) {
                cut = i;
            }
        }
        if cut == before {
            return &releases[..cut];
        }
    }
}

/// The target files of a release: its archive and its patch.
pub(super) fn release_files(r: &Release) -> Vec<String> {
    std::iter::once(r.archive.clone())
        .chain(r.patch.as_ref().map(|p| p.name.clone()))
        .collect()
}
