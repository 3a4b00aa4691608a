//! A project's state at a glance: roles and their expiry, releases, keys,
//! staged changes.

use super::keys::load_der;
use super::{Publisher, Staged};
use crate::metadata::{threshold, valid_signers, RepoMetadata, TopRole};
use crate::policy::{client_downloads, expiry_severity, ClientDownload, Severity};
use crate::releases::Release;
use crate::version::AppVersion;
use crate::Result;
use serde::Serialize;
use std::collections::BTreeSet;
use tough::schema::Root;

/// State of one role.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RoleStatus {
    /// Role.
    pub role: TopRole,
    /// Published version.
    pub version: u64,
    /// Expiry (RFC 3339, whole seconds).
    pub expires: String,
    /// Seconds until expiry (negative once expired).
    pub expires_in_secs: i64,
    /// The role's expiry period in the project's settings, in days.
    pub period_days: u32,
    /// How urgent the expiry is, by the project's period
    /// ([`crate::policy::expiry_severity`]).
    pub severity: Severity,
    /// Valid signatures on the published version.
    pub signatures: u64,
    /// Signatures required.
    pub threshold: u64,
    /// A warning a person should act on, if any.
    pub warning: Option<String>,
    /// What to do about the warning (re-sign the role), worded by the
    /// front end.
    pub remedy: Option<crate::Remedy>,
}

/// A key of the project.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyStatus {
    /// Name in the project.
    pub name: String,
    /// Roles it signs.
    pub roles: Vec<TopRole>,
    /// TUF key id.
    pub keyid: String,
    /// Where the private key lives.
    pub location: String,
    /// Who holds it.
    pub owner: Option<String>,
    /// How it is kept (keyring, plain or encrypted file, variable…).
    pub custody: super::Custody,
    /// Whether the private key is here: loadable now, or an encrypted
    /// file that opens with its passphrase when a signing asks for it.
    pub available: bool,
}

/// The whole status.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Status {
    /// App name.
    pub app: String,
    /// Repository directory.
    pub repository: String,
    /// Roles, root first.
    pub roles: Vec<RoleStatus>,
    /// Releases, oldest first.
    pub releases: Vec<Release>,
    /// What clients on each older release download next, as the client
    /// decides it ([`crate::policy::client_downloads`]).
    pub clients: Vec<ClientDownload>,
    /// Keys.
    pub keys: Vec<KeyStatus>,
    /// Staged, unpublished changes in words.
    pub staged: Vec<String>,
    /// Where `publish` uploads (from `[publish]` in tufa.toml).
    pub publish_to: Option<String>,
    /// The root signing request waiting for signatures (a file in the
    /// project, based on the current root), if any.
    pub pending_request: Option<String>,
    /// Releases per platform, when the repository has platforms (the
    /// fields above list the platform-less releases).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    // Absent, not empty, without platforms: typed as optional.
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<PlatformReleases>>"))]
    pub platforms: Vec<PlatformReleases>,
    /// Every version released in any stream, oldest first, in the order
    /// clients compare versions: the rows of a release × platform view.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<String>>"))]
    pub versions: Vec<String>,
}

/// The releases of one platform, and what its clients download.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlatformReleases {
    /// `<os>-<arch>`.
    pub platform: String,
    /// Releases, oldest first.
    pub releases: Vec<Release>,
    /// What clients on each older release of it download next.
    pub clients: Vec<ClientDownload>,
}

fn role_status<T>(
    role: TopRole,
    root: &Root,
    signed: &tough::schema::Signed<T>,
    period_days: u32,
) -> RoleStatus
where
    T: tough::schema::Role + Serialize + Clone,
{
    let expires = signed.signed.expires();
    let left = expires.as_second() - jiff::Timestamp::now().as_second();
    let severity = expiry_severity(left, Some(period_days));
    let warning = match severity {
        Severity::Expired => Some(format!(
            "{role} has EXPIRED: clients refuse to update until it is re-signed"
        )),
        Severity::Warn => Some(format!(
            "{role} expires in {}: re-sign it soon",
            human_duration(left)
        )),
        Severity::Ok => None,
    };
    let remedy = warning
        .as_ref()
        .map(|_| crate::Remedy::RefreshRole { role });
    RoleStatus {
        role,
        version: signed.signed.version().get(),
        expires: expires.to_string(),
        expires_in_secs: left,
        period_days,
        severity,
        signatures: valid_signers(root, signed).len() as u64,
        threshold: threshold::<T>(root),
        warning,
        remedy,
    }
}

pub use crate::metadata::human_duration;

pub(super) fn build(p: &Publisher, meta: &RepoMetadata, staged: &Staged) -> Result<Status> {
    let project = p.project();
    let root = &meta.root().signed;
    // A project file is checked on load to set every role; the default
    // only keeps the status readable should one be missing.
    let days = |r: TopRole| {
        project
            .role(r)
            .map(|c| c.expires_days)
            .unwrap_or_else(|_| crate::policy::default_expiry_days(r))
    };
    let roles = vec![
        role_status(TopRole::Root, root, meta.root(), days(TopRole::Root)),
        role_status(
            TopRole::Targets,
            root,
            &meta.targets,
            days(TopRole::Targets),
        ),
        role_status(
            TopRole::Snapshot,
            root,
            &meta.snapshot,
            days(TopRole::Snapshot),
        ),
        role_status(
            TopRole::Timestamp,
            root,
            &meta.timestamp,
            days(TopRole::Timestamp),
        ),
    ];
    let keys = project
        .keys
        .iter()
        .map(|(name, cfg)| {
            let custody = super::Custody::of(&cfg.location, p.dir());
            // An encrypted file is read above (its PEM label): it is here,
            // locked until its passphrase is typed.
            let available = custody == super::Custody::EncryptedFile
                || load_der(name, &cfg.location, p.dir(), p.keys()).is_ok();
            let replaced_by = p.keys().key(name).map(|given| given.origin);
            KeyStatus {
                name: name.clone(),
                roles: project.roles_of(name),
                keyid: cfg.keyid.clone(),
                owner: cfg.owner.clone(),
                custody,
                location: match replaced_by {
                    Some(origin) => format!("{origin} (overrides {})", cfg.location),
                    None => cfg.location.to_string(),
                },
                available,
            }
        })
        .collect();
    let mut staged_words = Vec::new();
    if let Some(r) = &staged.root {
        staged_words.push(format!(
            "root version {} with {} signature(s)",
            r.signed.version,
            r.signatures.len()
        ));
    }
    if let Some(t) = &staged.targets {
        staged_words.push(format!(
            "targets version {} with {} signature(s)",
            t.signed.version,
            t.signatures.len()
        ));
    }
    for f in &staged.files {
        staged_words.push(format!(
            "new file {}",
            f.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
    }
    // Each stream from the role that signs it: a delegated platform's
    // releases are in its own role, not in top-level targets.
    let streams = p.target_roles(meta)?;
    let published_at = |mut r: Release| {
        r.published = std::fs::metadata(p.repo().join("targets").join(&r.archive))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string());
        r
    };
    let releases: Vec<Release> = streams
        .stream(None)?
        .releases
        .into_iter()
        .map(published_at)
        .collect();
    let platforms = streams
        .platforms()
        .into_iter()
        .map(|platform| {
            let of_platform: Vec<Release> = streams
                .stream(Some(&platform))?
                .releases
                .into_iter()
                .map(published_at)
                .collect();
            Ok(PlatformReleases {
                clients: client_downloads(&of_platform),
                platform,
                releases: of_platform,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Only with platforms: without them the releases are the list already.
    let versions = if platforms.is_empty() {
        Vec::new()
    } else {
        let all: BTreeSet<&AppVersion> = releases
            .iter()
            .chain(platforms.iter().flat_map(|p| &p.releases))
            .map(|r| &r.version)
            .collect();
        all.into_iter().map(ToString::to_string).collect()
    };
    Ok(Status {
        versions,
        platforms,
        app: project.app_name.clone(),
        repository: p.repo().display().to_string(),
        roles,
        clients: client_downloads(&releases),
        releases,
        keys,
        staged: staged_words,
        publish_to: project.publish.as_ref().map(|p| p.to.clone()),
        pending_request: match meta.roots.last() {
            Some(root) => p
                .pending_root_request_at(root)?
                .map(|(path, _)| path.display().to_string()),
            None => None,
        },
    })
}
