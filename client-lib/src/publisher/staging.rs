//! Staged changes and the one way they are published: a session on
//! the repository (lock, recovery, verified metadata), signing what is
//! staged, publishing it in one transaction, throwing it away.

use super::*;

/// An exclusive session on the repository: lock held, interrupted changes
/// recovered, metadata verified.
pub(super) struct Session {
    pub(super) _lock: RepoLock,
    pub(super) meta: RepoMetadata,
}

/// Changes staged for signing.
#[derive(Default)]
pub(super) struct Staged {
    pub(super) root: Option<Signed<Root>>,
    pub(super) targets: Option<Signed<Targets>>,
    /// Delegated targets roles (a delegated platform's), by role name.
    pub(super) delegated: BTreeMap<String, Signed<Targets>>,
    pub(super) files: Vec<PathBuf>,
}

impl Publisher {
    pub(super) fn session(&self) -> Result<Session> {
        let repo = self.repo();
        if !repo.join("metadata").exists() {
            return Err(Error::NoRepository {
                path: repo,
                missing: "metadata/".into(),
            });
        }
        let lock = RepoLock::acquire(&repo)?;
        self.recover()?;
        let meta =
            RepoMetadata::load_from_root(&repo.join("metadata"), self.project.trust_from_root)?;
        Ok(Session { _lock: lock, meta })
    }

    /// Finishes or discards a change interrupted by a crash (call under the
    /// lock). A finished change was the staged one: its staging goes too. A
    /// discarded one is still staged and can be published again.
    pub(super) fn recover(&self) -> Result<Recovery> {
        let outcome = recover(&self.repo())?;
        let staging = self.staging();
        if outcome == Recovery::RolledForward && staging.exists() {
            std::fs::remove_dir_all(&staging)
                .context(|| format!("removing {}", staging.display()))?;
        }
        Ok(outcome)
    }

    pub(super) fn load_staged(&self, meta: &RepoMetadata) -> Result<Staged> {
        let dir = self.staging();
        let mut staged = Staged::default();
        let root_path = dir.join("metadata/root.json");
        if root_path.exists() {
            let (root, _) = read_signed::<Root>(&root_path)?;
            if root.signed.version.get() != meta.root().signed.version.get() + 1 {
                return Err(self.stale_staging("root"));
            }
            staged.root = Some(root);
        }
        let targets_path = dir.join("metadata/targets.json");
        if targets_path.exists() {
            let (targets, _) = read_signed::<Targets>(&targets_path)?;
            if targets.signed.version.get() != meta.targets.signed.version.get() + 1 {
                return Err(self.stale_staging("targets"));
            }
            staged.targets = Some(targets);
        }
        // Any other role file is a delegated role (platform names never
        // clash with the top-level ones: they hold a '-').
        let meta_dir = dir.join("metadata");
        if meta_dir.exists() {
            for entry in std::fs::read_dir(&meta_dir)
                .context(|| format!("reading {}", meta_dir.display()))?
            {
                let entry = entry.context(|| format!("reading {}", meta_dir.display()))?;
                let file = entry.file_name().to_string_lossy().into_owned();
                let Some(name) = file.strip_suffix(".json") else {
                    continue;
                };
                if name == "root" || name == "targets" {
                    continue;
                }
                let (role, _) = read_signed::<Targets>(&entry.path())?;
                staged.delegated.insert(name.to_string(), role);
            }
        }
        let files_dir = dir.join("targets");
        if files_dir.exists() {
            for entry in std::fs::read_dir(&files_dir)
                .context(|| format!("reading {}", files_dir.display()))?
            {
                let entry = entry.context(|| format!("reading {}", files_dir.display()))?;
                staged.files.push(entry.path());
            }
            staged.files.sort();
        }
        Ok(staged)
    }

    pub(super) fn stale_staging(&self, role: &str) -> Error {
        Error::StaleStaging {
            role: role.to_string(),
            dir: self.staging(),
        }
    }

    /// Throws away staged, unpublished changes.
    pub fn discard(&self) -> Result<bool> {
        let _lock = RepoLock::acquire(&self.repo())?;
        let dir = self.staging();
        if dir.exists() {
            std::fs::remove_dir_all(&dir).context(|| format!("removing {}", dir.display()))?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(super) fn ensure_nothing_staged(&self) -> Result<()> {
        let dir = self.staging();
        if dir.exists() {
            return Err(Error::StagedChangePending { dir });
        }
        Ok(())
    }

    /// Signs `role`: adds signatures to a staged change of it, or, with
    /// nothing staged, re-signs it with a new version and fresh expiry
    /// (`expires_days` overrides the project's setting once). Then
    /// publishes what can be published.
    pub fn sign(&self, role: TopRole, expires_days: Option<u32>) -> Result<PublishOutcome> {
        tracing::info!(role = ?role, expires_days, "signing");
        let session = self.session()?;
        let staged = self.load_staged(&session.meta)?;
        let mut signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
        if matches!(role, TopRole::Root | TopRole::Targets) {
            signers = signers.require_one()?;
        }
        let mut overrides = BTreeMap::new();
        let mut refresh = BTreeSet::new();
        match role {
            TopRole::Root => {
                let mut fresh = session.meta.root().signed.clone();
                fresh.version = next(fresh.version)?;
                fresh.expires = self.expiry(TopRole::Root, expires_days)?;
                let signed =
                    sign_staged(staged.root, fresh, expires_days, &signers.available, role)?;
                self.write_staged_role(role, &signed)?;
            }
            TopRole::Targets => {
                let mut fresh = session.meta.targets.signed.clone();
                fresh.version = next(fresh.version)?;
                fresh.expires = self.expiry(TopRole::Targets, expires_days)?;
                let signed = sign_staged(
                    staged.targets,
                    fresh,
                    expires_days,
                    &signers.available,
                    role,
                )?;
                self.write_staged_role(role, &signed)?;
            }
            TopRole::Snapshot | TopRole::Timestamp => {
                if let Some(d) = expires_days {
                    overrides.insert(role, d);
                }
                refresh.insert(role);
            }
        }
        self.publish_staged(&session, &overrides, &refresh)
    }

    pub(super) fn write_staged_role<T: Serialize>(
        &self,
        role: TopRole,
        signed: &Signed<T>,
    ) -> Result<()> {
        let dir = self.staging().join("metadata");
        ensure_dir(&dir)?;
        commit::write_atomic(&dir.join(role.file_name()), &file_bytes(signed)?)
    }

    /// Publishes staged changes if every changed role has enough signatures.
    pub fn publish(&self) -> Result<PublishOutcome> {
        let session = self.session()?;
        self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())
    }

    /// The core of every change: check thresholds of staged roles, re-sign
    /// snapshot and timestamp as needed, and commit one transaction.
    pub(super) fn publish_staged(
        &self,
        session: &Session,
        expiry_overrides: &BTreeMap<TopRole, u32>,
        refresh: &BTreeSet<TopRole>,
    ) -> Result<PublishOutcome> {
        let meta = &session.meta;
        let staged = self.load_staged(meta)?;
        let old_root = &meta.root().signed;
        let new_root = staged.root.as_ref().map(|r| &r.signed).unwrap_or(old_root);
        let mut waiting = Vec::new();
        let mut changed: Vec<TopRole> = Vec::new();

        if let Some(root) = &staged.root {
            changed.push(TopRole::Root);
            let by_old = valid_signers(old_root, root).len() as u64;
            let by_new = valid_signers(&root.signed, root).len() as u64;
            let (need_old, need_new) =
                (threshold::<Root>(old_root), threshold::<Root>(&root.signed));
            if by_old < need_old || by_new < need_new {
                waiting.push(Waiting {
                    role: TopRole::Root,
                    signatures: by_new.min(by_old),
                    threshold: need_new.max(need_old),
                    missing: self.missing_reasons(TopRole::Root)?,
                });
            }
        }
        if let Some(t) = &staged.targets {
            changed.push(TopRole::Targets);
            let have = valid_signers(new_root, t).len() as u64;
            let need = threshold::<Targets>(new_root);
            if have < need {
                waiting.push(Waiting {
                    role: TopRole::Targets,
                    signatures: have,
                    threshold: need,
                    missing: self.missing_reasons(TopRole::Targets)?,
                });
            }
        }
        // A delegated role is checked against the delegation it will be
        // published under; its keys are online (a CI runner's), so a
        // missing signature is an error, not a wait.
        let top_after = staged
            .targets
            .as_ref()
            .map(|t| &t.signed)
            .unwrap_or(&meta.targets.signed);
        let mut delegated_before = BTreeMap::new();
        for (name, role) in &staged.delegated {
            delegate::verify_delegated(top_after, role, name)?;
            let old = self.load_delegated(meta, name)?;
            let expected = match &old {
                Some(old) => next(old.signed.version)?.get(),
                None => 1,
            };
            if role.signed.version.get() != expected {
                return Err(self.stale_staging(name));
            }
            if let Some(old) = old {
                delegated_before.insert(name.clone(), old.signed);
            }
        }
        if !waiting.is_empty() {
            tracing::info!(
                roles = ?waiting.iter().map(|w| w.role).collect::<Vec<_>>(),
                "change staged, waiting for signatures"
            );
            return Ok(PublishOutcome {
                published: false,
                written: Vec::new(),
                removed: Vec::new(),
                versions: Vec::new(),
                waiting,
            });
        }
        let snapshot_needed = !changed.is_empty()
            || !staged.delegated.is_empty()
            || refresh.contains(&TopRole::Snapshot);
        if !snapshot_needed && !refresh.contains(&TopRole::Timestamp) {
            return Err(Error::NothingStaged);
        }

        let targets_signed = staged.targets.as_ref().unwrap_or(&meta.targets);
        let targets_bytes = match &staged.targets {
            Some(t) => file_bytes(t)?,
            None => meta.targets_bytes.clone(),
        };
        let mut versions = Vec::new();
        let mut tx = Transaction::begin(&self.repo())?;
        for file in &staged.files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::DamagedStaging { path: file.clone() })?;
            tx.put_file(&format!("targets/{name}"), file)?;
        }
        if let Some(root) = &staged.root {
            let bytes = file_bytes(root)?;
            tx.put_bytes(
                &format!("metadata/{}.root.json", root.signed.version),
                &bytes,
            )?;
            tx.put_bytes("metadata/root.json", &bytes)?;
            versions.push(change(TopRole::Root, old_root.version, root.signed.version));
        }
        if let Some(t) = &staged.targets {
            tx.put_bytes("metadata/targets.json", &targets_bytes)?;
            versions.push(change(
                TopRole::Targets,
                meta.targets.signed.version,
                t.signed.version,
            ));
        }
        let mut delegated_pins = Vec::new();
        for (name, role) in &staged.delegated {
            let bytes = file_bytes(role)?;
            tx.put_bytes(&format!("metadata/{name}.json"), &bytes)?;
            delegated_pins.push((
                format!("{name}.json"),
                builders::metafile(&bytes, role.signed.version),
            ));
        }
        let mut snapshot_bytes = None;
        if snapshot_needed {
            let version = next(meta.snapshot.signed.version)?;
            let mut role = snapshot_for(
                &targets_bytes,
                targets_signed.signed.version,
                version,
                self.expiry(
                    TopRole::Snapshot,
                    expiry_overrides.get(&TopRole::Snapshot).copied(),
                )?,
            );
            // Delegated roles stay listed (clients look them up here),
            // with the new pins of those that changed.
            for (file, pin) in &meta.snapshot.signed.meta {
                if file != "targets.json" {
                    role.meta.insert(file.clone(), pin.clone());
                }
            }
            role.meta.extend(delegated_pins);
            let signed = self.sign_online(TopRole::Snapshot, new_root, role)?;
            let bytes = file_bytes(&signed)?;
            tx.put_bytes("metadata/snapshot.json", &bytes)?;
            versions.push(change(
                TopRole::Snapshot,
                meta.snapshot.signed.version,
                version,
            ));
            snapshot_bytes = Some((bytes, version));
        }
        let (snap_bytes, snap_version) = match snapshot_bytes {
            Some(s) => s,
            None => (meta.snapshot_bytes.clone(), meta.snapshot.signed.version),
        };
        let ts_version = next(meta.timestamp.signed.version)?;
        let ts = timestamp_for(
            &snap_bytes,
            snap_version,
            ts_version,
            self.expiry(
                TopRole::Timestamp,
                expiry_overrides.get(&TopRole::Timestamp).copied(),
            )?,
        );
        let ts_signed = self.sign_online(TopRole::Timestamp, new_root, ts)?;
        tx.put_bytes("metadata/timestamp.json", &file_bytes(&ts_signed)?)?;
        versions.push(change(
            TopRole::Timestamp,
            meta.timestamp.signed.version,
            ts_version,
        ));

        // A file of this app that a changed role stops listing goes, unless
        // another changed role lists it now (moved into a delegated role).
        let mut removed = Vec::new();
        let mut changed_roles: Vec<(&Targets, &Targets)> = Vec::new();
        if let Some(t) = &staged.targets {
            changed_roles.push((&meta.targets.signed, &t.signed));
        }
        for (name, role) in &staged.delegated {
            if let Some(old) = delegated_before.get(name) {
                changed_roles.push((old, &role.signed));
            }
        }
        let listed_after = |name: &tough::TargetName| {
            staged
                .targets
                .iter()
                .chain(staged.delegated.values())
                .any(|after| after.signed.targets.contains_key(name))
        };
        let app = &self.project.app_name;
        let mut gone = BTreeSet::new();
        for (before, _) in &changed_roles {
            for name in before.targets.keys() {
                if streams::is_app_target(name.raw(), app) && !listed_after(name) {
                    gone.insert(name.raw().to_string());
                }
            }
        }
        for raw in gone {
            let rel = format!("targets/{raw}");
            tx.delete(&rel);
            removed.push(rel);
        }
        let written = tx.commit()?;
        let staging = self.staging();
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .context(|| format!("removing {}", staging.display()))?;
        }
        // What we wrote must be what a client accepts.
        RepoMetadata::load_from_root(&self.repo().join("metadata"), self.project.trust_from_root)?;
        Ok(PublishOutcome {
            published: true,
            written,
            removed,
            versions,
            waiting: Vec::new(),
        })
    }

    pub(super) fn missing_reasons(&self, role: TopRole) -> Result<Vec<String>> {
        let signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
        Ok(signers.missing.iter().map(ToString::to_string).collect())
    }

    /// Signs an online role; all of its threshold must be at hand.
    pub(super) fn sign_online<T: Role + Serialize + Clone>(
        &self,
        role: TopRole,
        root: &Root,
        content: T,
    ) -> Result<Signed<T>> {
        let signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
        let signed = sign_fresh(content, &signers.available)?;
        let have = valid_signers(root, &signed).len() as u64;
        let need = threshold::<T>(root);
        if have < need {
            return Err(signers.missing.into_iter().next().unwrap_or_else(|| {
                Error::KeysNotTrusted {
                    role: role.to_string(),
                    need,
                }
            }));
        }
        Ok(signed)
    }
}

/// Adds signatures to the staged version of a role, or signs `fresh`
/// (a new version with new expiry) when nothing is staged.
pub(super) fn sign_staged<T: Role + Serialize>(
    staged: Option<Signed<T>>,
    fresh: T,
    expires_days: Option<u32>,
    signers: &[keys::Signer],
    role: TopRole,
) -> Result<Signed<T>> {
    match staged {
        Some(_) if expires_days.is_some() => Err(Error::ExpiryOnStagedChange {
            role: role.to_string(),
        }),
        Some(mut signed) => {
            add_signatures(&mut signed, signers)?;
            Ok(signed)
        }
        None => sign_fresh(fresh, signers),
    }
}

/// The version after `v`. A version at the largest number cannot be
/// followed (only a repository edited by hand gets there): an error, never
/// the same number again, which clients would refuse as a replay.
pub(crate) fn next(v: NonZeroU64) -> Result<NonZeroU64> {
    v.checked_add(1)
        .ok_or(Error::VersionOverflow { version: v.get() })
}

pub(super) fn change(role: TopRole, from: NonZeroU64, to: NonZeroU64) -> VersionChange {
    VersionChange {
        role,
        from: from.get(),
        to: to.get(),
    }
}

pub(super) fn cascade_versions(
    meta: &RepoMetadata,
    roles: &[TopRole],
) -> Result<Vec<VersionChange>> {
    let mut out = Vec::new();
    for role in roles
        .iter()
        .copied()
        .chain([TopRole::Snapshot, TopRole::Timestamp])
    {
        let v = match role {
            TopRole::Root => meta.root().signed.version,
            TopRole::Targets => meta.targets.signed.version,
            TopRole::Snapshot => meta.snapshot.signed.version,
            TopRole::Timestamp => meta.timestamp.signed.version,
        };
        out.push(change(role, v, next(v)?));
    }
    Ok(out)
}
