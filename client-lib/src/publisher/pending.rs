//! The staged change as a front end shows it (which roles wait for which
//! signatures), and signing it with a key that is not where the project
//! keeps it: a key file or an OS keyring entry a custodian brings.

use super::keys::Signer;
use super::*;

/// A staged role: its signatures so far and the keys that could add more.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StagedRole {
    /// Role.
    pub role: TopRole,
    /// Staged version.
    pub version: u64,
    /// Valid signatures on the staged version.
    pub signatures: u64,
    /// Signatures needed (the threshold of the trusted root, or of the
    /// staged root for a staged root).
    pub threshold: u64,
    /// Names of the role's keys that have not signed yet.
    pub unsigned_keys: Vec<String>,
}

/// Everything staged and waiting, or nothing.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StagedChange {
    /// Staged roles (root before targets).
    pub roles: Vec<StagedRole>,
    /// Staged target files (names).
    pub files: Vec<String>,
}

impl StagedChange {
    /// True when nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.files.is_empty()
    }
}

fn staged_role<T: Role + Serialize + Clone>(
    p: &Publisher,
    role: TopRole,
    root: &Root,
    signed: &Signed<T>,
) -> StagedRole {
    let signers = valid_signers(root, signed);
    let unsigned_keys = p
        .project
        .role(role)
        .map(|c| {
            c.keys
                .iter()
                .filter(|name| {
                    p.project
                        .keys
                        .get(*name)
                        .is_some_and(|k| !signers.iter().any(|s| hex::encode(s) == k.keyid))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    StagedRole {
        role,
        version: signed.signed.version().get(),
        signatures: signers.len() as u64,
        threshold: threshold::<T>(root),
        unsigned_keys,
    }
}

impl Publisher {
    /// What is staged: roles with their signatures, and new files.
    pub fn staged_change(&self) -> Result<StagedChange> {
        let meta = self.metadata()?;
        let staged = self.load_staged(&meta)?;
        let mut out = StagedChange::default();
        if let Some(root) = &staged.root {
            // A new root counts signatures by its own keys and threshold.
            out.roles
                .push(staged_role(self, TopRole::Root, &root.signed, root));
        }
        if let Some(targets) = &staged.targets {
            let root = staged.root.as_ref().unwrap_or(meta.root());
            out.roles
                .push(staged_role(self, TopRole::Targets, &root.signed, targets));
        }
        out.files = staged
            .files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        Ok(out)
    }

    /// Signs every staged role with the project's keys at hand and, when
    /// given, with `extra` (a key file or keyring entry brought for the
    /// occasion; it must be one of a staged role's keys), then publishes
    /// what has enough signatures.
    pub fn sign_staged(&self, extra: Option<&Signer>) -> Result<PublishOutcome> {
        tracing::info!(extra = ?extra.map(|s| &s.keyid), "signing the staged change");
        let session = self.session()?;
        let staged = self.load_staged(&session.meta)?;
        if staged.root.is_none() && staged.targets.is_none() {
            return Err(Error::NothingStaged);
        }
        let mut used_extra = false;
        let extra_for = |role: TopRole| -> Result<Option<&Signer>> {
            let Some(signer) = extra else {
                return Ok(None);
            };
            let of_role = self.project.role(role)?.keys.iter().any(|name| {
                self.project
                    .keys
                    .get(name)
                    .is_some_and(|k| k.keyid == signer.keyid)
            });
            Ok(of_role.then_some(signer))
        };
        if let Some(mut root) = staged.root {
            let at_hand = signers_for(&self.project, &self.dir, self.keys.as_ref(), TopRole::Root)?;
            add_signatures(&mut root, &at_hand.available)?;
            if let Some(s) = extra_for(TopRole::Root)? {
                add_signatures(&mut root, std::slice::from_ref(s))?;
                used_extra = true;
            }
            self.write_staged_role(TopRole::Root, &root)?;
        }
        if let Some(mut targets) = staged.targets {
            let at_hand = signers_for(
                &self.project,
                &self.dir,
                self.keys.as_ref(),
                TopRole::Targets,
            )?;
            add_signatures(&mut targets, &at_hand.available)?;
            if let Some(s) = extra_for(TopRole::Targets)? {
                add_signatures(&mut targets, std::slice::from_ref(s))?;
                used_extra = true;
            }
            self.write_staged_role(TopRole::Targets, &targets)?;
        }
        if let (Some(signer), false) = (extra, used_extra) {
            // A key that signs none of the staged roles adds nothing: say
            // so rather than publish (or wait) as if it had signed.
            return Err(Error::BadKey {
                name: signer.name.clone(),
                reason: format!(
                    "key {}… is not a key of a staged role",
                    crate::display::short_id(&signer.keyid)
                ),
            });
        }
        self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())
    }
}
