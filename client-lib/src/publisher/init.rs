//! Creating a project: its keys and version 1 of every role.

use super::*;

impl Publisher {
    /// Creates a project in `dir`: `tufa.toml`, keys, and version 1 of
    /// every role, signed and written.
    pub fn init(dir: &Path, opts: &InitOptions) -> Result<(Self, PublishOutcome)> {
        validate_app_name(&opts.app_name)?;
        if opts
            .root_passphrase
            .as_ref()
            .is_some_and(|p| p.as_bytes().is_empty())
        {
            return Err(Error::InvalidSetting {
                field: "root passphrase".into(),
                reason: "it is empty: choose one (the root key file is encrypted with it)".into(),
            });
        }
        for (role, &t) in &opts.thresholds {
            if t == 0 || t > 16 {
                return Err(Error::InvalidSetting {
                    field: format!("threshold.{role}"),
                    reason: "must be between 1 and 16".into(),
                });
            }
        }
        for (role, &d) in &opts.expires_days {
            // The same bounds as a later change of the period.
            crate::policy::check_expiry_days(*role, d).map_err(|reason| Error::InvalidSetting {
                field: format!("expires.{role}"),
                reason,
            })?;
        }
        ensure_dir(dir)?;
        if dir.join(PROJECT_FILE).exists() {
            return Err(Error::ProjectExists {
                path: dir.join(PROJECT_FILE),
            });
        }
        let repo_rel = opts.repo_dir.clone().unwrap_or_else(|| "repository".into());
        let keys_rel = opts.keys_dir.clone().unwrap_or_else(|| "keys".into());
        let repo = dir.join(&repo_rel);
        if repo.join("metadata").exists() {
            return Err(Error::RepositoryExists { path: repo });
        }
        let keys_dir = dir.join(&keys_rel);
        // Checked before any key is generated: keys inside the repository
        // would be uploaded with it.
        bundle_guard::check_layout(
            dir,
            &Project {
                app_name: opts.app_name.clone(),
                repo_dir: repo_rel.clone(),
                keys_dir: keys_rel.clone(),
                roles: BTreeMap::new(),
                keys: BTreeMap::new(),
                trust_from_root: 1,
                publish: None,
                delegations: BTreeMap::new(),
            },
        )?;
        if opts.key_store == KeyStore::File || opts.root_passphrase.is_some() {
            ensure_dir(&keys_dir)?;
        }
        let mut project = Project {
            app_name: opts.app_name.clone(),
            repo_dir: repo_rel,
            keys_dir: keys_rel.clone(),
            roles: BTreeMap::new(),
            keys: BTreeMap::new(),
            trust_from_root: 1,
            publish: None,
            delegations: BTreeMap::new(),
        };
        for role in TopRole::ALL {
            let threshold = opts.thresholds.get(&role).copied().unwrap_or(1);
            let mut names = Vec::new();
            for i in 1..=threshold {
                let name = if i == 1 {
                    role.to_string()
                } else {
                    format!("{role}-{i}")
                };
                let location = match (&opts.root_passphrase, role) {
                    (Some(pass), TopRole::Root) => new_key_encrypted(
                        &opts.app_name,
                        &name,
                        KeyStore::File,
                        Some(pass.as_bytes()),
                        &keys_rel,
                        dir,
                    )?,
                    _ => new_key(&opts.app_name, &name, opts.key_store, &keys_rel, dir)?,
                };
                project.keys.insert(name.clone(), location);
                names.push(name);
            }
            project.roles.insert(
                role,
                RoleConfig {
                    threshold,
                    expires_days: opts
                        .expires_days
                        .get(&role)
                        .copied()
                        .unwrap_or_else(|| project::default_expiry_days(role)),
                    keys: names,
                },
            );
        }
        project.validate()?;
        let publisher = Publisher {
            dir: dir.to_path_buf(),
            project,
            keys: match &opts.root_passphrase {
                // Signing the first root opens the encrypted root keys.
                Some(pass) => std::sync::Arc::new(keys::KnownPassphrase(pass.clone()))
                    as std::sync::Arc<dyn keys::KeyProvider>,
                None => std::sync::Arc::new(keys::NoSecrets),
            },
        };
        let outcome = publisher.write_initial_metadata()?;
        publisher.project.save(dir)?;
        Ok((publisher, outcome))
    }

    pub(super) fn write_initial_metadata(&self) -> Result<PublishOutcome> {
        let repo = self.repo();
        let _lock = RepoLock::acquire(&repo)?;
        ensure_dir(&repo.join("targets"))?;
        let mut root = Root {
            spec_version: SPEC_VERSION.into(),
            consistent_snapshot: false,
            version: NonZeroU64::MIN,
            expires: self.expiry(TopRole::Root, None)?,
            keys: HashMap::new(),
            roles: HashMap::new(),
            _extra: HashMap::new(),
        };
        let mut all = Vec::new();
        for role in TopRole::ALL {
            let signers = signers_for(&self.project, &self.dir, self.keys.as_ref(), role)?;
            if let Some(e) = signers.missing.into_iter().next() {
                return Err(e);
            }
            let cfg = self.project.role(role)?;
            let mut keyids = Vec::new();
            for s in &signers.available {
                let key = s.sign.tuf_key();
                let id = key.key_id().map_err(|e| Error::Encoding {
                    what: "a key id".into(),
                    reason: e.to_string(),
                })?;
                root.keys.insert(id.clone(), key);
                keyids.push(id);
            }
            root.roles.insert(
                role.role_type(),
                RoleKeys {
                    keyids,
                    threshold: NonZeroU64::new(cfg.threshold).unwrap_or(NonZeroU64::MIN),
                    _extra: HashMap::new(),
                },
            );
            all.push((role, signers.available));
        }
        let signers_of = |role: TopRole| {
            all.iter()
                .find(|(r, _)| *r == role)
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default()
        };
        let root = sign_fresh(root, signers_of(TopRole::Root))?;
        let targets = sign_fresh(
            Targets::new(
                SPEC_VERSION.into(),
                NonZeroU64::MIN,
                self.expiry(TopRole::Targets, None)?,
            ),
            signers_of(TopRole::Targets),
        )?;
        let targets_bytes = file_bytes(&targets)?;
        let snapshot = sign_fresh(
            snapshot_for(
                &targets_bytes,
                targets.signed.version,
                NonZeroU64::MIN,
                self.expiry(TopRole::Snapshot, None)?,
            ),
            signers_of(TopRole::Snapshot),
        )?;
        let snapshot_bytes = file_bytes(&snapshot)?;
        let timestamp = sign_fresh(
            timestamp_for(
                &snapshot_bytes,
                snapshot.signed.version,
                NonZeroU64::MIN,
                self.expiry(TopRole::Timestamp, None)?,
            ),
            signers_of(TopRole::Timestamp),
        )?;
        let root_bytes = file_bytes(&root)?;
        let mut tx = Transaction::begin(&repo)?;
        tx.put_bytes("metadata/1.root.json", &root_bytes)?;
        tx.put_bytes("metadata/root.json", &root_bytes)?;
        tx.put_bytes("metadata/targets.json", &targets_bytes)?;
        tx.put_bytes("metadata/snapshot.json", &snapshot_bytes)?;
        tx.put_bytes("metadata/timestamp.json", &file_bytes(&timestamp)?)?;
        let written = tx.commit()?;
        RepoMetadata::load(&repo.join("metadata"))?;
        Ok(PublishOutcome {
            published: true,
            written,
            removed: Vec::new(),
            versions: TopRole::ALL
                .into_iter()
                .map(|role| VersionChange {
                    role,
                    from: 0,
                    to: 1,
                })
                .collect(),
            waiting: Vec::new(),
        })
    }
}

/// Generates a key named `name` for app `app` in `store`; returns its
/// configuration (key id and location).
pub fn new_key(
    app: &str,
    name: &str,
    store: KeyStore,
    keys_rel: &Path,
    project_dir: &Path,
) -> Result<KeyConfig> {
    new_key_encrypted(app, name, store, None, keys_rel, project_dir)
}

/// [`new_key`], a key file encrypted with `passphrase` when given.
pub fn new_key_encrypted(
    app: &str,
    name: &str,
    store: KeyStore,
    passphrase: Option<&[u8]>,
    keys_rel: &Path,
    project_dir: &Path,
) -> Result<KeyConfig> {
    let der = keys::generate_ed25519()?;
    let keyid = keys::signer_from_der(name, &der)?.keyid;
    let location = match store {
        KeyStore::File => {
            KeyLocation::File(keyops::free_key_path(keys_rel, project_dir, name, &keyid))
        }
        KeyStore::Keyring => KeyLocation::Keyring {
            service: keys::KEYRING_SERVICE.into(),
            user: keys::keyring_entry_name(app, name, &keyid),
        },
    };
    keys::store_der(&location, project_dir, der.as_bytes(), passphrase).map_err(|e| match e {
        keys::KeyError::KeyringUnavailable(reason) => Error::KeyringUnavailable { reason },
        other => Error::BadKey {
            name: name.to_string(),
            reason: other.to_string(),
        },
    })?;
    Ok(KeyConfig {
        keyid,
        location,
        owner: None,
    })
}
