//! Each role's re-signing period (how long a freshly signed version stays
//! valid): read for checks and the status, changed in `tufa.toml`.
//!
//! A new period never rewrites signed metadata: the version clients hold
//! keeps the expiry it was signed with, and the period applies from the
//! next signing of that role (a release, a refresh, a re-sign; for root
//! the next root version). The change says so, and offers the re-sign
//! that applies it at once where that needs only the role's own key.

use super::Publisher;
use crate::metadata::TopRole;
use crate::{Error, Remedy, Result};
use serde::Serialize;
use std::collections::BTreeMap;

/// What changing a role's period did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PeriodChange {
    /// The role.
    pub role: TopRole,
    /// The period before, in days.
    pub previous_days: u32,
    /// The period now, in days.
    pub days: u32,
    /// When the role's current version expires (unchanged by this).
    pub current_expires: String,
    /// When a version signed now would expire (RFC 3339).
    pub next_expires: String,
    /// What happens, in words.
    pub note: String,
    /// Applies it now: re-sign the role (not offered for root, whose new
    /// version is a ceremony of its own, nor when nothing changed).
    pub remedy: Option<Remedy>,
}

impl Publisher {
    /// Each role's re-signing period in days, by role name: the top-level
    /// roles and every delegated platform role. What a check of the
    /// published copy judges expiry against, like the status does.
    pub fn expiry_periods(&self) -> BTreeMap<String, u32> {
        let mut out: BTreeMap<String, u32> = self
            .project
            .roles
            .iter()
            .map(|(role, cfg)| (role.to_string(), cfg.expires_days))
            .collect();
        for (platform, cfg) in &self.project.delegations {
            out.insert(platform.clone(), cfg.expires_days);
        }
        out
    }

    /// Sets `role`'s re-signing period to `days` (within
    /// [`crate::policy::check_expiry_days`]) in `tufa.toml`. Signed
    /// metadata is not touched: see [`PeriodChange::note`].
    pub fn set_expiry_period(&mut self, role: TopRole, days: u32) -> Result<PeriodChange> {
        crate::policy::check_expiry_days(role, days).map_err(|reason| Error::InvalidSetting {
            field: format!("expiry period of {role}"),
            reason,
        })?;
        let meta = self.metadata()?;
        let current = match role {
            TopRole::Root => meta.root().signed.expires,
            TopRole::Targets => meta.targets.signed.expires,
            TopRole::Snapshot => meta.snapshot.signed.expires,
            TopRole::Timestamp => meta.timestamp.signed.expires,
        };
        let cfg = self
            .project
            .roles
            .get_mut(&role)
            .ok_or_else(|| Error::InvalidSetting {
                field: format!("roles.{role}"),
                reason: "tufa.toml does not configure this role".into(),
            })?;
        let previous_days = cfg.expires_days;
        cfg.expires_days = days;
        self.project.save(&self.dir)?;
        tracing::info!(role = ?role, previous_days, days, "expiry period changed");
        let next = crate::metadata::expiry_after_days(days);
        let unchanged = previous_days == days;
        let note = if unchanged {
            format!(
                "{role} is already signed for {} at a time",
                plural_days(days)
            )
        } else if role == TopRole::Root {
            format!(
                "from the next root version on, root is signed for {}; the current root still expires {current}",
                plural_days(days)
            )
        } else {
            format!(
                "from the next signing on, {role} is signed for {}; the current version still expires {current}: re-sign {role} now to apply it at once",
                plural_days(days)
            )
        };
        Ok(PeriodChange {
            role,
            previous_days,
            days,
            current_expires: current.to_string(),
            next_expires: next.to_string(),
            note,
            remedy: (!unchanged && role != TopRole::Root).then_some(Remedy::RefreshRole { role }),
        })
    }
}

fn plural_days(days: u32) -> String {
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}
