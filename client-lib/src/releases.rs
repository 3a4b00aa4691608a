//! The releases of an app as targets.json lists them. What clients on
//! each release download is policy: see [`crate::policy`].

use crate::policy::{channel_of, release_notes};
use crate::target::{ArchiveCustom, PatchCustom, TargetFile, TargetKind};
use crate::{AppVersion, Channel, Result};
use serde::Serialize;
use tough::schema::Targets;

pub use crate::policy::{client_downloads, ClientDownload};

/// A patch target of a release.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatchInfo {
    /// Target name.
    pub name: String,
    /// Patch size in bytes.
    pub size: u64,
    /// Size of the tar it produces.
    pub tar_size: u64,
    /// sha256 of the tar it produces.
    pub tar_hash: String,
}

/// One release of the app.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Release {
    /// Version.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub version: AppVersion,
    /// Archive target name.
    pub archive: String,
    /// Archive size in bytes.
    pub archive_size: u64,
    /// Archive sha256.
    pub archive_sha256: String,
    /// Required release (clients stop here first).
    pub required: bool,
    /// The channel that offers it (and every less stable one).
    pub channel: Channel,
    /// User metadata (release notes…).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub user: Option<serde_json::Value>,
    /// The release notes in `user`, if any.
    pub notes: Option<String>,
    /// Patch from the previous release, if any.
    pub patch: Option<PatchInfo>,
    /// When the archive was published (its file time in the repository),
    /// where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub published: Option<String>,
    /// Staged rollout (rolling, paused, pulled), when one is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rollout: Option<crate::target::Rollout>,
    /// For a pulled release: the version its clients go back to.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::serde_util::opt_display"
    )]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rollback_to: Option<AppVersion>,
}

/// Releases of `app` in `targets`, oldest first.
pub fn releases(targets: &Targets, app: &str) -> Result<Vec<Release>> {
    let mut out: Vec<Release> = Vec::new();
    let mut patches = Vec::new();
    for (name, t) in &targets.targets {
        let Some(tf) = TargetFile::parse_for_app(name.raw(), app) else {
            continue;
        };
        match tf.kind {
            TargetKind::Archive => {
                let custom = ArchiveCustom::from_custom(&t.custom)?;
                out.push(Release {
                    channel: channel_of(&tf.version),
                    notes: release_notes(custom.user.as_ref()),
                    version: tf.version,
                    archive: name.raw().to_string(),
                    archive_size: t.length,
                    archive_sha256: hex::encode(&t.hashes.sha256),
                    required: custom.required,
                    user: custom.user,
                    patch: None,
                    published: None,
                    rollout: custom.rollout,
                    rollback_to: custom.rollback_to,
                });
            }
            TargetKind::Patch => {
                let custom = PatchCustom::from_custom(&t.custom)?;
                patches.push((
                    tf.version,
                    PatchInfo {
                        name: name.raw().to_string(),
                        size: t.length,
                        tar_size: custom.tar_size,
                        tar_hash: custom.tar_hash,
                    },
                ));
            }
        }
    }
    for (version, patch) in patches {
        if let Some(r) = out.iter_mut().find(|r| r.version == version) {
            r.patch = Some(patch);
        }
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(out)
}

/// A release for unit tests: archive `a-<v>.tar.gz`, patch `a-<v>.patch`.
#[cfg(test)]
pub(crate) fn test_release(v: &str, archive: u64, patch: Option<u64>, required: bool) -> Release {
    let version: AppVersion = v.parse().expect("test version");
    Release {
        channel: channel_of(&version),
        notes: None,
        version,
        archive: format!("a-{v}.tar.gz"),
        archive_size: archive,
        archive_sha256: String::new(),
        required,
        user: None,
        published: None,
        rollout: None,
        rollback_to: None,
        patch: patch.map(|size| PatchInfo {
            name: format!("a-{v}.patch"),
            size,
            tar_size: 0,
            tar_hash: String::new(),
        }),
    }
}
