//! The cache dir's layout: `tuf/` (trusted metadata other than the root),
//! `downloads/` (verified files, `.part` while they stream), the tar of
//! the current version (`<app>-<version>.tar`, what patches apply to), the
//! patches that failed once (never tried again) and the clock record.

use super::{UpdateError, Updater};
use crate::{AppVersion, Error};
use std::path::PathBuf;

const FAILED_PATCHES: &str = "failed-patches.json";

impl Updater {
    pub(super) fn tuf_dir(&self) -> PathBuf {
        self.cache_dir.join("tuf")
    }

    pub(super) fn downloads_dir(&self) -> PathBuf {
        self.cache_dir.join("downloads")
    }

    /// Path of the cached tar of `version`.
    pub fn cached_tar(&self, version: &AppVersion) -> PathBuf {
        self.cache_dir.join(format!("{}-{version}.tar", self.app))
    }

    pub(super) fn failed_patches(&self) -> Vec<String> {
        std::fs::read(self.cache_dir.join(FAILED_PATCHES))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub(super) fn mark_failed(&self, names: &[String]) -> Result<(), UpdateError> {
        let mut all = self.failed_patches();
        for n in names {
            if !all.contains(n) {
                all.push(n.clone());
            }
        }
        let bytes =
            serde_json::to_vec(&all).map_err(|e| Error::encoding("the failed-patch list", e))?;
        crate::fsutil::write_atomic(&self.cache_dir.join(FAILED_PATCHES), &bytes)?;
        Ok(())
    }
}
