//! Staged rollout, pause and pull: the `tufa` custom metadata of a
//! release's archive target, signed in targets.json (so targets' expiry
//! bounds how long an old rollout state can be replayed). The client's
//! side of the rule is [`crate::policy::select_with`].

use super::streams::RoleEdits;
use super::*;
use crate::policy::last_good_before;
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
}

impl Publisher {
    /// What pulling release `version` of `platform` (every stream that has
    /// it, when none is given) would do, without changing anything.
    pub fn preview_pull(
        &self,
        version: &str,
        platform: Option<&str>,
    ) -> Result<Vec<crate::policy::PullPreview>> {
        if let Some(p) = platform {
            crate::target::validate_platform(p)?;
        }
        let version: AppVersion = version.parse()?;
        let meta = self.metadata()?;
        let mut out = Vec::new();
        for stream in self.target_roles(&meta)?.streams(platform)? {
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
        if let Some(p) = platform {
            crate::target::validate_platform(p)?;
        }
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
        for stream in roles.streams(platform)? {
            let all = &stream.releases;
            let Some(release) = all.iter().find(|r| r.version == version) else {
                continue;
            };
            let (rollout, rollback_to) = match change {
                RolloutChange::Percent(100) => (None, None),
                RolloutChange::Percent(percent) => (
                    Some(Rollout {
                        percent,
                        state: RolloutState::Rolling,
                    }),
                    None,
                ),
                RolloutChange::Pause => (
                    Some(Rollout {
                        percent: release.rollout.map_or(100, |r| r.percent),
                        state: RolloutState::Paused,
                    }),
                    None,
                ),
                RolloutChange::Pull => (
                    Some(Rollout {
                        percent: release.rollout.map_or(100, |r| r.percent),
                        state: RolloutState::Pulled,
                    }),
                    last_good_before(all, &version).map(|r| r.version.clone()),
                ),
            };
            let name = TargetName::new(release.archive.as_str()).map_err(|e| {
                Error::InvalidTargetName {
                    name: release.archive.clone(),
                    reason: e.to_string(),
                }
            })?;
            if let Some(target) = edits
                .targets_mut(&roles, &stream.role)
                .targets
                .get_mut(&name)
            {
                let mut custom = ArchiveCustom::from_custom(&target.custom)?;
                custom.rollout = rollout;
                custom.rollback_to = rollback_to.clone();
                // Only the `tufa` entry changes; anything else another
                // tool wrote stays as it was.
                target.custom.remove("tufa");
                if let Some(tufa) = custom.to_custom().remove("tufa") {
                    target.custom.insert("tufa".into(), tufa);
                }
            }
            changed.push(RolloutChanged {
                archive: release.archive.clone(),
                platform: stream.platform.clone(),
                rollout,
                rollback_to,
            });
        }
        if changed.is_empty() {
            return Err(Error::InvalidSetting {
                field: "version".into(),
                reason: match platform {
                    Some(p) => format!("{app} has no release {version} for {p}"),
                    None => format!("{app} has no release {version}"),
                },
            });
        }
        tracing::info!(%version, ?change, releases = changed.len(), "changing a rollout");
        self.stage_edits(edits)?;
        let outcome = self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
        Ok((changed, outcome))
    }
}
