//! The cache dir's layout: `tuf/` (trusted metadata other than the root),
//! `downloads/` (verified files, `.part` while they stream), the tar of
//! the current version (`<app>-<version>.tar`, what patches apply to), the
//! patches that failed once (never tried again) and the clock record.

use super::{UpdateError, Updater};
use crate::{AppVersion, Error};
use std::path::PathBuf;

const FAILED_PATCHES: &str = "failed-patches.json";
/// The random install id, in the metadata dir: the seed of the rollout
/// bucket. It never leaves the machine.
const INSTALL_ID: &str = "install-id";

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

    /// This install's random id (32 hex digits), created at first use in
    /// the metadata dir and kept, so its rollout bucket stays the same.
    pub fn install_id(&self) -> Result<String, UpdateError> {
        let path = self.metadata_dir.join(INSTALL_ID);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let id = text.trim();
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(id.to_string());
            }
            // A damaged id is replaced: the bucket is no secret and no
            // promise, only a stable draw.
        }
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| Error::Crypto("no random bytes for the install id".into()))?;
        let id = hex::encode(bytes);
        crate::fsutil::write_atomic(&path, id.as_bytes())?;
        Ok(id)
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
