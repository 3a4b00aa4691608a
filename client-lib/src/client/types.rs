//! What an update is made of: the plan computed from verified metadata,
//! the verified downloads, and the rebuilt tar ready to install.

use crate::releases::Release;
use crate::AppVersion;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// Whether a plan downloads patches or the full archive (policy, shared
/// with the publisher's preview).
pub use crate::policy::Method;

/// A file the plan downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    /// Target name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// An available update, computed from verified metadata before anything
/// is downloaded.
#[derive(Debug, Clone, Serialize)]
pub struct UpdatePlan {
    /// The version to install.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub version: AppVersion,
    /// The release is required (clients stop here before later ones).
    pub required: bool,
    /// Publisher's metadata: release notes and such.
    pub user: Option<serde_json::Value>,
    /// The release notes in `user` (`{"notes": …}`), to show before
    /// installing.
    pub notes: Option<String>,
    /// Patch chain or full archive.
    pub method: Method,
    /// Files to fetch, in order.
    pub files: Vec<PlannedFile>,
    /// Their total size.
    pub total_bytes: u64,
    /// The full archive (the fallback when a patch fails).
    pub full_archive: PlannedFile,
    /// A signed downgrade: the release the client is on was pulled and
    /// this is its `rollback_to` (always the full archive).
    pub rollback: bool,
    #[serde(skip)]
    pub(crate) release: Release,
    #[serde(skip)]
    pub(crate) chain: Vec<Release>,
    #[serde(skip)]
    pub(crate) repo: Arc<super::refresh::TargetSource>,
}

/// Verified downloads of a plan.
#[derive(Debug)]
pub struct Downloaded {
    pub(crate) plan: UpdatePlan,
    pub(crate) files: Vec<PathBuf>,
    /// The names and sizes actually fetched.
    pub fetched: Vec<PlannedFile>,
    /// Why the patch chain was abandoned, if it was.
    pub fell_back: Option<String>,
}

/// A verified tar of the new version, ready to install.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Version.
    pub version: AppVersion,
    /// The tar in the cache.
    pub tar_path: PathBuf,
    /// Files fetched (including any fallback).
    pub fetched: Vec<PlannedFile>,
    /// Why the patch chain was abandoned, if it was.
    pub fell_back: Option<String>,
    /// Where the tar copies the installed version's tar verbatim, when it
    /// was rebuilt by patch: the install reuses those files.
    pub(crate) same: Option<std::sync::Arc<crate::install::SameRanges>>,
    /// The version the tar was rebuilt from (the installed one).
    pub(crate) from: AppVersion,
    /// What the install wrote and reused, once [`Updater::update`]
    /// installed it.
    ///
    /// [`Updater::update`]: super::Updater::update
    pub installed: Option<crate::install::InstallReport>,
}
