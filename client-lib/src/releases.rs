//! The releases of an app as targets.json lists them, and what clients on
//! each release would download to reach the newest one.

use crate::target::{ArchiveCustom, PatchCustom, TargetFile, TargetKind};
use crate::{AppVersion, Result};
use serde::Serialize;
use tough::schema::Targets;

/// tufup's rule: a patch chain is used only while its total size is at
/// most this fraction of the full archive.
pub const PATCH_RATIO_LIMIT: f64 = 0.8;

/// A patch target of a release.
#[derive(Debug, Clone, Serialize)]
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
    /// User metadata (release notes…).
    pub user: Option<serde_json::Value>,
    /// Patch from the previous release, if any.
    pub patch: Option<PatchInfo>,
    /// When the archive was published (its file time in the repository),
    /// where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
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
                    version: tf.version,
                    archive: name.raw().to_string(),
                    archive_size: t.length,
                    archive_sha256: hex::encode(&t.hashes.sha256),
                    required: custom.required,
                    user: custom.user,
                    patch: None,
                    published: None,
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

/// How a client on an older release reaches the newest one.
#[derive(Debug, Clone, Serialize)]
pub struct ClientDownload {
    /// The client's current version.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub from_version: AppVersion,
    /// `patch` (chain) or `full` (archive).
    pub method: &'static str,
    /// Files downloaded, in order.
    pub files: Vec<String>,
    /// Total bytes downloaded.
    pub bytes: u64,
    /// Size of the patch chain, when one exists.
    pub patch_chain_bytes: Option<u64>,
    /// A required release between stops the client there first.
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub stops_first_at: Option<AppVersion>,
}

/// For every release but the newest: what its clients download to reach
/// the newest (assuming they cached their current archive, as tufup needs
/// for patching).
pub fn client_downloads(releases: &[Release]) -> Vec<ClientDownload> {
    let Some(newest) = releases.last() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, from) in releases.iter().enumerate().take(releases.len() - 1) {
        let later = &releases[i + 1..];
        let chain: Option<Vec<&PatchInfo>> = later.iter().map(|r| r.patch.as_ref()).collect();
        let chain_bytes = chain
            .as_ref()
            .map(|c| c.iter().map(|p| p.size).sum::<u64>());
        let stops_first_at = later[..later.len() - 1]
            .iter()
            .find(|r| r.required)
            .map(|r| r.version.clone());
        let use_patch = chain_bytes
            .is_some_and(|b| (b as f64) <= PATCH_RATIO_LIMIT * newest.archive_size as f64);
        let (method, files, bytes) = match (&chain, use_patch) {
            (Some(c), true) => (
                "patch",
                c.iter().map(|p| p.name.clone()).collect(),
                chain_bytes.unwrap_or_default(),
            ),
            _ => ("full", vec![newest.archive.clone()], newest.archive_size),
        };
        out.push(ClientDownload {
            from_version: from.version.clone(),
            method,
            files,
            bytes,
            patch_chain_bytes: chain_bytes,
            stops_first_at,
        });
    }
    out
}

/// A release for unit tests: archive `a-<v>.tar.gz`, patch `a-<v>.patch`.
#[cfg(test)]
pub(crate) fn test_release(v: &str, archive: u64, patch: Option<u64>, required: bool) -> Release {
    Release {
        version: v.parse().expect("test version"),
        archive: format!("a-{v}.tar.gz"),
        archive_size: archive,
        archive_sha256: String::new(),
        required,
        user: None,
        published: None,
        patch: patch.map(|size| PatchInfo {
            name: format!("a-{v}.patch"),
            size,
            tar_size: 0,
            tar_hash: String::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(v: &str, archive: u64, patch: Option<u64>, required: bool) -> Release {
        test_release(v, archive, patch, required)
    }

    #[test]
    fn patch_chain_versus_full_follows_the_08_rule() {
        let rs = vec![
            rel("1.0", 100, None, false),
            rel("1.1", 100, Some(30), false),
            rel("1.2", 100, Some(50), false),
        ];
        let d = client_downloads(&rs);
        // 1.0: 30 + 50 = 80 <= 0.8 * 100: patches
        assert_eq!(d[0].method, "patch");
        assert_eq!(d[0].bytes, 80);
        assert_eq!(d[0].files, vec!["a-1.1.patch", "a-1.2.patch"]);
        assert_eq!(d[1].method, "patch");
        assert_eq!(d[1].bytes, 50);
        let rs = vec![
            rel("1.0", 100, None, false),
            rel("1.1", 100, Some(31), true),
            rel("1.2", 100, Some(50), false),
        ];
        let d = client_downloads(&rs);
        assert_eq!(d[0].method, "full");
        assert_eq!(d[0].bytes, 100);
        assert_eq!(d[0].stops_first_at.as_ref().unwrap().to_string(), "1.1");
    }

    #[test]
    fn missing_patch_breaks_the_chain() {
        let rs = vec![
            rel("1.0", 100, None, false),
            rel("1.1", 100, None, false),
            rel("1.2", 100, Some(5), false),
        ];
        let d = client_downloads(&rs);
        assert_eq!(d[0].method, "full");
        assert_eq!(d[1].method, "patch");
    }
}
