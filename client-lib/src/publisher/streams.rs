//! Where each release stream lives: the platform-less releases and those
//! of each platform, in top-level targets or, for a delegated platform, in
//! the platform's own targets role. Every reader (status, previews,
//! estimates, uploads) and every change (remove, prune, rollout, pull)
//! asks here, so a delegated platform is seen, and changed, in the role
//! that signs it rather than in top-level targets, which no longer lists
//! its releases.

use super::*;

/// The targets role that signs a stream's releases.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SigningRole {
    /// Top-level targets.json.
    Top,
    /// The delegated role of this name (a platform's, named after it).
    Delegated(String),
}

/// The releases of one stream and the role that signs them.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    /// The platform; none for the platform-less (tufup) stream.
    pub(super) platform: Option<String>,
    /// `<app>` or `<app>-<platform>`: the prefix of its target names.
    pub(super) name: String,
    /// Where its releases are listed and signed.
    pub(super) role: SigningRole,
    /// Its releases, oldest first.
    pub(super) releases: Vec<Release>,
}

/// The published targets roles of a repository: top-level targets and the
/// delegated role of each delegated platform, each verified against its
/// delegation and its pin in snapshot.json.
pub(super) struct TargetRoles {
    app: String,
    top: Targets,
    delegated: BTreeMap<String, Targets>,
}

impl TargetRoles {
    /// The content of `role`.
    pub(super) fn targets(&self, role: &SigningRole) -> &Targets {
        match role {
            SigningRole::Top => &self.top,
            // Only ever built from this set's own roles.
            SigningRole::Delegated(name) => self.delegated.get(name).unwrap_or(&self.top),
        }
    }

    /// The role that signs `platform`'s releases.
    pub(super) fn role_of(&self, platform: Option<&str>) -> SigningRole {
        match platform {
            Some(p) if self.delegated.contains_key(p) => SigningRole::Delegated(p.to_string()),
            _ => SigningRole::Top,
        }
    }

    /// The platforms with releases, wherever they are signed, sorted.
    pub(super) fn platforms(&self) -> Vec<String> {
        let app = &self.app;
        let mut out: Vec<String> =
            crate::target::platforms_in(self.top.targets.keys().map(|k| k.raw()), app)
                .into_iter()
                // A delegated platform's releases are the role's, even
                // should top-level targets still list some by hand.
                .filter(|p| !self.delegated.contains_key(p))
                .collect();
        for (name, role) in &self.delegated {
            if crate::target::platforms_in(role.targets.keys().map(|k| k.raw()), app).contains(name)
            {
                out.push(name.clone());
            }
        }
        out.sort();
        out
    }

    /// The stream of `platform` (none: the platform-less one).
    pub(super) fn stream(&self, platform: Option<&str>) -> Result<Stream> {
        let role = self.role_of(platform);
        let name = crate::target::stream_name(&self.app, platform);
        let releases = releases(self.targets(&role), &name)?;
        Ok(Stream {
            platform: platform.map(str::to_string),
            name,
            role,
            releases,
        })
    }

    /// `platform`'s stream, or, when none is given, the platform-less
    /// stream followed by every platform's.
    pub(super) fn streams(&self, platform: Option<&str>) -> Result<Vec<Stream>> {
        match platform {
            Some(p) => Ok(vec![self.stream(Some(p))?]),
            None => std::iter::once(None)
                .chain(self.platforms().into_iter().map(Some))
                .map(|p| self.stream(p.as_deref()))
                .collect(),
        }
    }

    /// The names of the delegated roles (files `<name>.json`).
    pub(super) fn delegated_names(&self) -> impl Iterator<Item = &str> {
        self.delegated.keys().map(String::as_str)
    }

    /// Every target file a role lists, by name: what the repository
    /// serves and an upload sends.
    pub(super) fn listed(&self) -> BTreeMap<String, &Target> {
        let mut out = BTreeMap::new();
        for role in std::iter::once(&self.top).chain(self.delegated.values()) {
            for (name, t) in &role.targets {
                out.insert(name.raw().to_string(), t);
            }
        }
        out
    }
}

/// Changed copies of targets roles, made from a [`TargetRoles`] and staged
/// together by [`Publisher::stage_edits`]: one change (a prune over every
/// platform, a rollout of a version on each) may touch several roles.
#[derive(Default)]
pub(super) struct RoleEdits {
    roles: BTreeMap<SigningRole, Targets>,
}

impl RoleEdits {
    /// The copy of `role` to change, taken from `from` on first use.
    pub(super) fn targets_mut(&mut self, from: &TargetRoles, role: &SigningRole) -> &mut Targets {
        self.roles
            .entry(role.clone())
            .or_insert_with(|| from.targets(role).clone())
    }

    /// Removes target `name` from `role`.
    pub(super) fn remove(
        &mut self,
        from: &TargetRoles,
        role: &SigningRole,
        name: &str,
    ) -> Result<()> {
        let key = TargetName::new(name).map_err(|e| Error::InvalidTargetName {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        self.targets_mut(from, role).targets.remove(&key);
        Ok(())
    }
}

impl Publisher {
    /// The published targets roles of `meta`, delegated ones loaded and
    /// verified.
    pub(super) fn target_roles(&self, meta: &RepoMetadata) -> Result<TargetRoles> {
        let mut delegated = BTreeMap::new();
        let names: Vec<String> = meta
            .targets
            .signed
            .delegations
            .iter()
            .flat_map(|d| d.roles.iter().map(|r| r.name.clone()))
            .collect();
        for name in names {
            // Tufa delegates platforms only; a role of another name is
            // some other tool's, and none of this app's streams.
            if crate::target::validate_platform(&name).is_err() {
                continue;
            }
            // A client refuses a delegated role missing from the snapshot:
            // so does the publisher, rather than show no releases.
            let role =
                self.load_delegated(meta, &name)?
                    .ok_or_else(|| Error::VerificationFailed {
                        file: format!("{name}.json"),
                        reason: "targets.json delegates to it but snapshot.json does not list it"
                            .into(),
                    })?;
            delegated.insert(name, role.signed);
        }
        Ok(TargetRoles {
            app: self.project.app_name.clone(),
            top: meta.targets.signed.clone(),
            delegated,
        })
    }

    /// [`Publisher::target_roles`] for a change of `platform`'s releases:
    /// refused when tufa.toml delegates the platform but the role is not
    /// published (the change would land in top-level targets).
    pub(super) fn target_roles_for_change(
        &self,
        meta: &RepoMetadata,
        platform: Option<&str>,
    ) -> Result<TargetRoles> {
        let roles = self.target_roles(meta)?;
        if let (Some(p), Some(_)) = (platform, self.delegation(platform)) {
            if roles.role_of(Some(p)) == SigningRole::Top {
                return Err(unpublished_role(p));
            }
        }
        Ok(roles)
    }

    /// Signs every edited role with its keys (top-level targets: the
    /// targets keys; a delegated role: its platform's) as a new version
    /// with fresh expiry, and stages it. Every role's keys are loaded
    /// before anything is written, so a missing key stages nothing.
    pub(super) fn stage_edits(&self, edits: RoleEdits) -> Result<()> {
        let mut signed = Vec::new();
        let now = jiff::Timestamp::now();
        for (role, mut targets) in edits.roles {
            targets.version = next(targets.version)?;
            match role {
                SigningRole::Top => {
                    targets.expires = self.expiry_at(now, TopRole::Targets, None)?;
                    let signers = signers_for(
                        &self.project,
                        &self.dir,
                        self.keys.as_ref(),
                        TopRole::Targets,
                    )?
                    .require_one()?;
                    signed.push((
                        "targets".to_string(),
                        sign_fresh(targets, &signers.available)?,
                    ));
                }
                SigningRole::Delegated(name) => {
                    let signers = delegate::delegated_signers(
                        &self.project,
                        &self.dir,
                        self.keys.as_ref(),
                        &name,
                    )?
                    .require_one()?;
                    // delegated_signers found the platform in tufa.toml.
                    let days = self
                        .project
                        .delegations
                        .get(&name)
                        .map_or(self.project.role(TopRole::Targets)?.expires_days, |c| {
                            c.expires_days
                        });
                    targets.expires = expiry_after_days_from(now, days);
                    signed.push((name, sign_fresh(targets, &signers.available)?));
                }
            }
        }
        let dir = self.staging().join("metadata");
        ensure_dir(&dir)?;
        for (name, role) in signed {
            commit::write_atomic(&dir.join(format!("{name}.json")), &file_bytes(&role)?)?;
        }
        Ok(())
    }
}

/// The error for a platform that tufa.toml delegates to a role that is not
/// published.
fn unpublished_role(platform: &str) -> Error {
    Error::InvalidSetting {
        field: format!("delegations.{platform}"),
        reason: format!("the role {platform} is not published yet: sign and publish targets first"),
    }
}

/// Whether `name` is a target file of `app`: of its platform-less stream
/// or of one of its platforms' (other apps sharing the repository keep
/// their files).
pub(super) fn is_app_target(name: &str, app: &str) -> bool {
    if TargetFile::parse_for_app(name, app).is_some() {
        return true;
    }
    let Some(rest) = name.strip_prefix(app).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let mut parts = rest.splitn(3, '-');
    let (Some(os), Some(arch)) = (parts.next(), parts.next()) else {
        return false;
    };
    let platform = format!("{os}-{arch}");
    crate::target::validate_platform(&platform).is_ok()
        && TargetFile::parse_for_app(name, &crate::target::stream_name(app, Some(&platform)))
            .is_some()
}
