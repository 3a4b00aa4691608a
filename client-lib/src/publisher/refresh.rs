//! Keeping metadata fresh without daily clicks: re-sign every role inside
//! its warning window (snapshot and timestamp with their online keys,
//! targets when enough of its keys are at hand). Root is signed offline
//! through a signing request, so it is only reported. Uploading the result
//! is the caller's next step (it is async and needs a destination).

use super::*;
use crate::policy::Severity;

/// A role that needed re-signing but was left alone, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefreshSkipped {
    /// Role.
    pub role: TopRole,
    /// Why it was not re-signed.
    pub reason: String,
    /// What would let it be re-signed.
    pub remedy: Option<crate::Remedy>,
}

/// What [`Publisher::refresh`] did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefreshReport {
    /// Roles re-signed, in order.
    pub signed: Vec<TopRole>,
    /// Roles due but not re-signed.
    pub skipped: Vec<RefreshSkipped>,
    /// Metadata versions before → after, over all signings.
    pub versions: Vec<VersionChange>,
}

impl RefreshReport {
    /// True when something was re-signed (and so there is something new
    /// to upload): a top-level role, or a delegated platform's role (whose
    /// new snapshot and timestamp show in `versions`).
    pub fn changed(&self) -> bool {
        !self.signed.is_empty() || !self.versions.is_empty()
    }
}

impl Publisher {
    /// Re-signs every role whose expiry is inside its warning window
    /// ([`crate::policy::expiry_severity`]): targets first (when enough of
    /// its keys are at hand), then snapshot, then timestamp; a role that an
    /// earlier signing already renewed (targets renews snapshot and
    /// timestamp) is not signed twice. Refuses while a change is staged.
    pub fn refresh(&self) -> Result<RefreshReport> {
        self.ensure_nothing_staged()?;
        let mut report = RefreshReport::default();
        let status = self.status()?;
        let due = |s: &status::Status, role: TopRole| {
            s.roles
                .iter()
                .any(|r| r.role == role && r.severity != Severity::Ok)
        };
        if due(&status, TopRole::Root) {
            report.skipped.push(RefreshSkipped {
                role: TopRole::Root,
                reason: "root is signed offline by its custodians, through a signing request"
                    .into(),
                remedy: Some(crate::Remedy::NewSigningRequest),
            });
        }
        // Delegated platforms' roles expire like targets, release or not;
        // their keys are online (a CI runner's), so a key not at hand is
        // reported against targets with the role named. Re-signing one
        // renews snapshot and timestamp too.
        let mut status = status;
        for due in self.delegated_expiry()? {
            if due.severity == Severity::Ok {
                continue;
            }
            match self.resign_delegated(&due.platform) {
                Ok(outcome) => {
                    report.versions.extend(outcome.versions);
                    status = self.status()?;
                }
                Err(e @ (Error::MissingKey { .. } | Error::NeedPassphrase { .. })) => {
                    report.skipped.push(RefreshSkipped {
                        role: TopRole::Targets,
                        reason: format!("the delegated role {} is due: {e}", due.platform),
                        remedy: self.project.delegations.get(&due.platform).and_then(|c| {
                            c.keys
                                .first()
                                .map(|name| crate::Remedy::ProvideKey { name: name.clone() })
                        }),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        for role in [TopRole::Targets, TopRole::Snapshot, TopRole::Timestamp] {
            if !due(&status, role) {
                continue;
            }
            if role == TopRole::Targets {
                let need = status
                    .roles
                    .iter()
                    .find(|r| r.role == role)
                    .map_or(1, |r| r.threshold);
                let at_hand: Vec<&status::KeyStatus> = status
                    .keys
                    .iter()
                    .filter(|k| k.roles.contains(&role))
                    .collect();
                let available = at_hand.iter().filter(|k| k.available).count() as u64;
                if available < need {
                    // Signing now would only stage a change that waits for
                    // other people: leave that to a person.
                    let missing = at_hand.iter().find(|k| !k.available);
                    report.skipped.push(RefreshSkipped {
                        role,
                        reason: format!(
                            "{available} of the {need} targets keys it needs are at hand"
                        ),
                        remedy: missing.map(|k| crate::Remedy::ProvideKey {
                            name: k.name.clone(),
                        }),
                    });
                    continue;
                }
            }
            let outcome = self.sign(role, None)?;
            report.signed.push(role);
            report.versions.extend(outcome.versions);
            status = self.status()?;
        }
        tracing::info!(signed = ?report.signed, skipped = report.skipped.len(), "refreshed");
        Ok(report)
    }
}
