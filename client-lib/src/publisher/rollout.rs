//! Staged rollout, pause and pull: the `tufa` custom metadata of a
//! release's archive target, signed in targets.json (so targets' expiry
//! bounds how long an old rollout state can be replayed). The client's
//! side of the rule is [`crate::policy::select_with`].

use super::streams::RoleEdits;
use super::*;
use crate::policy::{repointed_by, shifts, with_rollout, Repointed, Shift};
use crate::target::{Rollout, RolloutState};

/// A change of a release's rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutChange {
    /// Offer it to this share of installs (100: to every install, the
    /// rollout fields are removed).
    Percent(u8),
    /// No new installs; clients already on it stay.
    Pause,
    /// Withdraw it: never offered again; its clients are offered the last
    /// good release before it as a signed rollback.
    Pull,
}

impl std::str::FromStr for RolloutChange {
    type Err = Error;
    /// `25`, `25%`, `pause`.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("pause") {
            return Ok(RolloutChange::Pause);
        }
        let bad = || Error::InvalidSetting {
            field: "rollout".into(),
            reason: format!("'{s}' is neither a percentage from 0 to 100 nor 'pause'"),
        };
        let percent: u8 = s.trim_end_matches('%').parse().map_err(|_| bad())?;
        if percent > 100 {
            return Err(bad());
        }
        Ok(RolloutChange::Percent(percent))
    }
}

/// One release (of one platform) whose rollout changed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RolloutChanged {
    /// The release's archive target.
    pub archive: String,
    /// Its platform, if it has one.
    pub platform: Option<String>,
    /// The new rollout; none: offered to every install.
    pub rollout: Option<Rollout>,
    /// For a pulled release: the version its clients go back to (none
    /// when no good release precedes it: its clients stay).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub rollback_to: Option<AppVersion>,
    /// Pulled releases of the stream whose way back moved with this change.
    pub repointed: Vec<Repointed>,
    /// Installs on other releases that have no update now because a
    /// required release they may not skip is held back, though a newer
    /// release would be offered to them.
    pub stalled: Vec<Shift>,
}

/// Which releases of a version a rollout change (or a pull preview)
/// applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streams<'a> {
    /// Every stream that has the version: the platform-less one and each
    /// platform's.
    Every,
    /// One stream: a platform's, or (none) the platform-less one.
    Only(Option<&'a str>),
}

impl<'a> Streams<'a> {
    /// `platform`'s stream, or every stream when none is given (the
    /// command line's `--platform`).
    pub fn from_platform(platform: Option<&'a str>) -> Self {
        platform.map_or(Streams::Every, |p| Streams::Only(Some(p)))
    }

    fn platform(self) -> Option<&'a str> {
        match self {
            Streams::Every | Streams::Only(None) => None,
            Streams::Only(Some(p)) => Some(p),
        }
    }

    fn check(self) -> Result<()> {
        match self.platform() {
            Some(p) => crate::target::validate_platform(p),
            None => Ok(()),
        }
    }

    fn of(self, roles: &super::streams::TargetRoles) -> Result<Vec<super::streams::Stream>> {
        match self {
            Streams::Every => roles.streams(None),
            Streams::Only(p) => Ok(vec![roles.stream(p)?]),
        }
    }
}

impl Publisher {
    /// What pulling release `version` of `platform` (every stream that has
    /// it, when none is given) would do, without changing anything.
    pub fn preview_pull(
        &self,
        version: &str,
        platform: Option<&str>,
    ) -> Result<Vec<crate::policy::PullPreview>> {
        self.preview_pull_in(version, Streams::from_platform(platform))
    }

    /// What pulling release `version` of the chosen streams would do.
    pub fn preview_pull_in(
        &self,
        version: &str,
        streams: Streams<'_>,
    ) -> Result<Vec<crate::policy::PullPreview>> {
        streams.check()?;
        let version: AppVersion = version.parse()?;
        let meta = self.metadata()?;
        let mut out = Vec::new();
        for stream in streams.of(&self.target_roles(&meta)?)? {
            out.extend(crate::policy::pull_preview(
                &stream.releases,
                &version,
                stream.platform.as_deref(),
            ));
        }
        Ok(out)
    }

    /// Changes the rollout of release `version` of `platform` (every
    /// platform that has it, and the platform-less stream, when none is
    /// given), signs each role that lists a changed release (top-level
    /// targets, a delegated platform's role) and publishes (or stages the
    /// change when signatures are missing).
    pub fn set_rollout(
        &self,
        version: &str,
        platform: Option<&str>,
        change: RolloutChange,
    ) -> Result<(Vec<RolloutChanged>, PublishOutcome)> {
        self.set_rollout_in(version, Streams::from_platform(platform), change)
    }

    /// Changes the rollout of release `version` in the chosen streams
    /// (the app acts on one stream's row: [`Streams::Only`]).
    pub fn set_rollout_in(
        &self,
        version: &str,
        streams: Streams<'_>,
        change: RolloutChange,
    ) -> Result<(Vec<RolloutChanged>, PublishOutcome)> {
        streams.check()?;
        let platform = streams.platform();
        if let RolloutChange::Percent(p) = change {
            release::check_percent(p)?;
        }
        let version: AppVersion = version.parse()?;
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let app = &self.project.app_name;
        let roles = self.target_roles_for_change(&session.meta, platform)?;
        let mut edits = RoleEdits::default();
        let mut changed = Vec::new();
        for stream in streams.of(&roles)? {
            let all = &stream.releases;
            let Some(release) = all.iter().find(|r| r.version == version) else {
                continue;
            };
            let undo = change == RolloutChange::Percent(100);
            if crate::policy::is_pulled(release) && change != RolloutChange::Pull && !undo {
                // Pausing or partly re-offering it would cancel its
                // installs' way back and offer a release the publisher
                // withdrew; only an explicit undo (100%) may.
                return Err(Error::InvalidSetting {
                    field: "rollout".into(),
                    reason: format!(
                        "{version}{} is pulled: its installs are sent back to {}; pausing it or \
                         offering it to a share of installs would cancel that and offer the \
                         withdrawn release again. Publish a fixed release with a newer version, \
                         or set it to 100% to undo the pull",
                        stream
                            .platform
                            .as_ref()
                            .map(|p| format!(" for {p}"))
                            .unwrap_or_default(),
                        release
                            .rollback_to
                            .as_ref()
                            .map_or("no release".to_string(), ToString::to_string)
                    ),
                });
            }
            let role = edits.targets_mut(&roles, &stream.role);
            let kept = |percent, state| Some(Rollout::changed(release.rollout, percent, state));
            let current = release.rollout.map_or(100, |r| r.percent);
            let rollout = match change {
                RolloutChange::Percent(100) => None,
                RolloutChange::Percent(percent) => kept(percent, RolloutState::Rolling),
                RolloutChange::Pause => kept(current, RolloutState::Paused),
                RolloutChange::Pull => kept(current, RolloutState::Pulled),
            };
            // One rule for the change and its preview: the release's new
            // rollout, and every pulled release pointed at its last good
            // one (pausing or narrowing a way-back target moves the way
            // back off it).
            let after = with_rollout(all, &version, rollout).unwrap_or_default();
            for (before, now) in all.iter().zip(&after) {
                if before.rollout != now.rollout || before.rollback_to != now.rollback_to {
                    edit_tufa(role, &now.archive, |custom| {
                        custom.rollout = now.rollout;
                        custom.rollback_to = now.rollback_to.clone();
                    })?;
                }
            }
            // Installs that lose every update because a required release
            // they may not skip is held back (beyond the change's own
            // effect on those who were getting this release): said, not
            // hidden.
            let stalled = shifts(all, &after, &version)
                .into_iter()
                .filter(|s| s.held_by_required)
                .collect();
            changed.push(RolloutChanged {
                archive: release.archive.clone(),
                platform: stream.platform.clone(),
                rollout,
                rollback_to: after
                    .iter()
                    .find(|r| r.version == version)
                    .and_then(|r| r.rollback_to.clone()),
                repointed: repointed_by(all, &after, &version),
                stalled,
            });
        }
        if changed.is_empty() {
            return Err(Error::InvalidSetting {
                field: "version".into(),
                reason: match streams {
                    Streams::Only(Some(p)) => format!("{app} has no release {version} for {p}"),
                    Streams::Only(None) => {
                        format!("{app} has no release {version} without a platform")
                    }
                    Streams::Every => format!("{app} has no release {version}"),
                },
            });
        }
        tracing::info!(%version, ?change, releases = changed.len(), "changing a rollout");
        self.stage_edits(edits)?;
        let outcome = self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
        Ok((changed, outcome))
    }
}

/// Changes the `tufa` entry of `archive`'s custom metadata in `targets`;
/// anything else another tool wrote there stays as it was.
fn edit_tufa(
    targets: &mut Targets,
    archive: &str,
    f: impl FnOnce(&mut ArchiveCustom),
) -> Result<()> {
    let name = TargetName::new(archive).map_err(|e| Error::InvalidTargetName {
        name: archive.to_string(),
        reason: e.to_string(),
    })?;
    if let Some(target) = targets.targets.get_mut(&name) {
        let mut custom = ArchiveCustom::from_custom(&target.custom)?;
        f(&mut custom);
        target.custom.remove("tufa");
        if let Some(tufa) = custom.to_custom().remove("tufa") {
            target.custom.insert("tufa".into(), tufa);
        }
    }
    Ok(())
}
