//! Delegated signing per platform: a platform's releases live in a
//! delegated targets role named after the platform (`linux-x86_64.json`),
//! trusted by top-level targets for the paths `<app>-<platform>-*` and
//! signed by keys of its own (a CI runner's). A release of that platform
//! changes only that role (plus snapshot and timestamp): top-level targets
//! is signed once, when the delegation is made.
//!
//! Only Tufa clients walk delegations; a Python tufup client reads
//! top-level targets only and does not see a delegated platform.

use super::keys::{load_signer, KeyProvider};
use super::project::DelegationConfig;
use super::signing::RoleSigners;
use super::*;
use tough::schema::{DelegatedRole, Delegations, PathPattern, PathSet};

/// What [`Publisher::delegate_platform`] did.
#[derive(Debug, Clone, Serialize)]
pub struct DelegateOutcome {
    /// The delegated role (named after the platform).
    pub role: String,
    /// The paths the role is trusted for.
    pub paths: Vec<String>,
    /// Name of the new key in `[keys]`.
    pub key_name: String,
    /// Its TUF key id.
    pub keyid: String,
    /// Where the new key is.
    pub location: String,
    /// Targets moved from top-level targets into the role.
    pub moved: Vec<String>,
    /// The publication of top-level targets and the new role.
    pub outcome: PublishOutcome,
}

/// The path pattern a platform's role is trusted for.
pub(super) fn platform_pattern(app: &str, platform: &str) -> String {
    format!("{}-*", crate::target::stream_name(app, Some(platform)))
}

impl Publisher {
    /// The delegation of `platform`, when the project delegates it.
    pub fn delegation(&self, platform: Option<&str>) -> Option<&DelegationConfig> {
        platform.and_then(|p| self.project.delegations.get(p))
    }

    /// Delegates `platform`'s releases to a new targets role named after
    /// it, with a new key in `store`: top-level targets (signed by the
    /// targets keys) gains the delegation for `<app>-<platform>-*`, the
    /// platform's releases already published move into the role, and
    /// `tufa.toml` records it. From then on `add` with this platform signs
    /// only the delegated role.
    pub fn delegate_platform(&self, platform: &str, store: KeyStore) -> Result<DelegateOutcome> {
        crate::target::validate_platform(platform)?;
        if self.project.delegations.contains_key(platform) {
            return Err(Error::InvalidSetting {
                field: format!("delegations.{platform}"),
                reason: "this platform is delegated already".into(),
            });
        }
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let meta = &session.meta;
        let role_name = platform.to_string();
        if meta
            .targets
            .signed
            .delegations
            .as_ref()
            .is_some_and(|d| d.roles.iter().any(|r| r.name == role_name))
        {
            return Err(Error::InvalidSetting {
                field: format!("delegations.{platform}"),
                reason: "targets.json delegates a role of this name already".into(),
            });
        }
        // Top-level targets must be signable now: the delegation is the one
        // change it gets.
        let top_signers = signers_for(
            &self.project,
            &self.dir,
            self.keys.as_ref(),
            TopRole::Targets,
        )?
        .require_one()?;

        let key_name = self.free_key_name(&format!("{platform}-ci"));
        let keys_rel = self.project.keys_dir.clone();
        let key = init::new_key(
            &self.project.app_name,
            &key_name,
            store,
            &keys_rel,
            &self.dir,
        )?;
        let signer = load_signer(&key_name, &key, &self.dir, &role_name, self.keys.as_ref())?;
        let keyid_hex: tough::schema::decoded::Decoded<tough::schema::decoded::Hex> =
            hex::decode(&key.keyid)
                .map_err(|e| Error::encoding("a key id", e))?
                .into();
        let pattern = platform_pattern(&self.project.app_name, platform);
        let expires_days = self.project.role(TopRole::Targets)?.expires_days;

        // The platform's releases so far move into the role, so its patch
        // chain continues there.
        let mut top = meta.targets.signed.clone();
        top.version = next(top.version)?;
        top.expires = self.expiry(TopRole::Targets, None)?;
        let mut role = Targets::new(
            SPEC_VERSION.into(),
            NonZeroU64::MIN,
            expiry_after_days(expires_days),
        );
        role.delegations = None;
        let prefix = format!(
            "{}-",
            crate::target::stream_name(&self.project.app_name, Some(platform))
        );
        let mut moved = Vec::new();
        for name in top.targets.keys().cloned().collect::<Vec<_>>() {
            if name.raw().starts_with(&prefix) {
                if let Some(t) = top.targets.remove(&name) {
                    moved.push(name.raw().to_string());
                    role.targets.insert(name, t);
                }
            }
        }
        moved.sort();
        let delegations = top.delegations.get_or_insert_with(Delegations::new);
        delegations
            .keys
            .insert(keyid_hex.clone(), signer.sign.tuf_key());
        delegations.roles.push(DelegatedRole {
            name: role_name.clone(),
            keyids: vec![keyid_hex],
            threshold: NonZeroU64::MIN,
            paths: PathSet::Paths(vec![PathPattern::new(pattern.clone()).map_err(|e| {
                Error::InvalidSetting {
                    field: format!("delegations.{platform}"),
                    reason: e.to_string(),
                }
            })?]),
            terminating: true,
            targets: None,
        });

        // tufa.toml first: a change left staged (targets short of
        // signatures) must find the role's configuration when it is
        // published later. Undone if nothing can be staged.
        let mut project = self.project.clone();
        project.keys.insert(key_name.clone(), key.clone());
        project.delegations.insert(
            platform.to_string(),
            DelegationConfig {
                threshold: 1,
                expires_days,
                keys: vec![key_name.clone()],
            },
        );
        project.save(&self.dir)?;
        let staging = self.staging();
        let result = (|| {
            ensure_dir(&staging.join("metadata"))?;
            self.write_staged_role(TopRole::Targets, &sign_fresh(top, &top_signers.available)?)?;
            commit::write_atomic(
                &staging.join("metadata").join(format!("{role_name}.json")),
                &file_bytes(&sign_fresh(role, std::slice::from_ref(&signer))?)?,
            )?;
            self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())
        })();
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                let _ = self.project.save(&self.dir);
                return Err(e);
            }
        };
        Ok(DelegateOutcome {
            role: role_name,
            paths: vec![pattern],
            key_name,
            keyid: key.keyid.clone(),
            location: key.location.to_string(),
            moved,
            outcome,
        })
    }

    fn free_key_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.project.keys.contains_key(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    /// The delegated role `name` as published, verified against the
    /// delegation in top-level targets and the pin in snapshot.json; None
    /// when snapshot.json does not list it (not published yet).
    pub(super) fn load_delegated(
        &self,
        meta: &RepoMetadata,
        name: &str,
    ) -> Result<Option<Signed<Targets>>> {
        let file = format!("{name}.json");
        let Some(pin) = meta.snapshot.signed.meta.get(&file) else {
            return Ok(None);
        };
        let (role, bytes) = read_signed::<Targets>(&self.repo().join("metadata").join(&file))?;
        crate::metadata::check_pin(
            &meta.snapshot.signed.meta,
            "snapshot.json",
            &file,
            role.signed.version,
            &bytes,
        )?;
        debug_assert_eq!(pin.version, role.signed.version);
        verify_delegated(&meta.targets.signed, &role, name)?;
        Ok(Some(role))
    }
}

/// Checks that `role` meets the threshold of the keys `top` delegates
/// `name` to.
pub(super) fn verify_delegated(top: &Targets, role: &Signed<Targets>, name: &str) -> Result<()> {
    let fail = |reason: String| Error::VerificationFailed {
        file: format!("{name}.json"),
        reason,
    };
    let delegations = top
        .delegations
        .as_ref()
        .ok_or_else(|| fail("targets.json delegates no role".into()))?;
    delegations.verify_role(role, name).map_err(|e| {
        fail(format!(
            "not signed by the keys targets.json trusts for it: {e}"
        ))
    })
}

/// Loads the configured keys of the delegated role of `platform`.
pub(super) fn delegated_signers(
    project: &Project,
    dir: &Path,
    keys: &dyn KeyProvider,
    platform: &str,
) -> Result<RoleSigners> {
    let cfg = project
        .delegations
        .get(platform)
        .ok_or_else(|| Error::InvalidSetting {
            field: format!("delegations.{platform}"),
            reason: format!("missing from {PROJECT_FILE}"),
        })?;
    let mut out = RoleSigners::default();
    for name in &cfg.keys {
        let key = project
            .keys
            .get(name)
            .ok_or_else(|| Error::NoSuchKey { name: name.clone() })?;
        match load_signer(name, key, dir, platform, keys) {
            Ok(s) => out.available.push(s),
            Err(e @ (Error::MissingKey { .. } | Error::NeedPassphrase { .. })) => {
                out.missing.push(e)
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The expiry of a delegated platform's role: like top-level targets, it
/// must be re-signed before it expires, release or not, or the platform's
/// clients stop updating.
#[derive(Debug, Clone, Serialize)]
pub struct DelegatedExpiry {
    /// The platform (the role's name).
    pub platform: String,
    /// Published version of the role.
    pub version: u64,
    /// Expiry (RFC 3339, whole seconds).
    pub expires: String,
    /// Seconds until expiry (negative once expired).
    pub expires_in_secs: i64,
    /// How urgent, by the role's period in tufa.toml.
    pub severity: crate::policy::Severity,
}

impl Publisher {
    /// The expiry of each published delegated platform role.
    pub fn delegated_expiry(&self) -> Result<Vec<DelegatedExpiry>> {
        let meta = self.metadata()?;
        let roles = self.target_roles(&meta)?;
        let now = jiff::Timestamp::now().as_second();
        Ok(roles
            .delegated_names()
            .map(|name| {
                let role = roles.targets(&super::streams::SigningRole::Delegated(name.into()));
                let left = role.expires.as_second() - now;
                let period = self.project.delegations.get(name).map(|c| c.expires_days);
                DelegatedExpiry {
                    platform: name.to_string(),
                    version: role.version.get(),
                    expires: role.expires.to_string(),
                    expires_in_secs: left,
                    severity: crate::policy::expiry_severity(left, period),
                }
            })
            .collect())
    }

    /// Re-signs `platform`'s delegated role, its releases unchanged, as a
    /// new version with fresh expiry (with the platform's keys only), and
    /// publishes it.
    pub fn resign_delegated(&self, platform: &str) -> Result<PublishOutcome> {
        crate::target::validate_platform(platform)?;
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let roles = self.target_roles(&session.meta)?;
        let role = roles.role_of(Some(platform));
        if role == super::streams::SigningRole::Top {
            return Err(Error::InvalidSetting {
                field: format!("delegations.{platform}"),
                reason: "targets.json delegates no role for this platform".into(),
            });
        }
        let mut edits = super::streams::RoleEdits::default();
        edits.targets_mut(&roles, &role);
        tracing::info!(platform, "re-signing a delegated role");
        self.stage_edits(edits)?;
        self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())
    }
}
