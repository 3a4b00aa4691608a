//! The manifest cache behind quick estimates: path, size and CRC-32 of
//! every file of each published release.

use super::*;

impl Publisher {
    pub(super) fn manifests_dir(&self) -> PathBuf {
        self.dir.join(".tufa/manifests")
    }

    /// Keeps the manifest of the latest release only.
    pub(super) fn keep_manifest(&self, archive_sha256: &str, manifest: &Manifest) -> Result<()> {
        let dir = self.manifests_dir();
        let path = dir.join(format!("{archive_sha256}.json"));
        manifest.save(&path)?;
        for e in std::fs::read_dir(&dir).context(|| format!("reading {}", dir.display()))? {
            let e = e.context(|| format!("reading {}", dir.display()))?;
            if e.path() != path {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }

    /// A quick estimate of adding the bundle directory `bundle`: which
    /// files changed since the latest release and bounds on the archive
    /// and patch sizes, without building anything (see [`estimate`]).
    pub fn estimate_add(&self, bundle: &Path) -> Result<AddEstimate> {
        self.estimate_add_for(bundle, None)
    }

    /// [`estimate_add`](Self::estimate_add) against the latest release of
    /// `platform` (none: the platform-less releases).
    pub fn estimate_add_for(&self, bundle: &Path, platform: Option<&str>) -> Result<AddEstimate> {
        if let Some(p) = platform {
            crate::target::validate_platform(p)?;
        }
        if is_archive(bundle) {
            return Err(Error::EstimateNeedsFolder {
                path: bundle.to_path_buf(),
            });
        }
        let meta = self.metadata()?;
        let listing = BundleListing::scan(bundle)?;
        bundle_guard::check_bundle(&self.dir, &self.project, bundle, &listing)?;
        // From the role that lists the platform's releases (its own, once
        // delegated).
        let latest = self
            .target_roles(&meta)?
            .stream(platform)?
            .releases
            .last()
            .cloned();
        let Some(prev) = latest else {
            return estimate::estimate(&listing, None);
        };
        let path = self
            .manifests_dir()
            .join(format!("{}.json", prev.archive_sha256));
        let manifest = match Manifest::load(&path)? {
            Some(m) => m,
            None => {
                let archive = self.repo().join("targets").join(&prev.archive);
                let limit = crate::archive::gunzip_bound(prev.archive_size);
                let m = Manifest::of_archive(&archive, limit)?;
                let _ = self.keep_manifest(&prev.archive_sha256, &m);
                m
            }
        };
        let version = prev.version.to_string();
        estimate::estimate(&listing, Some((&version, &manifest)))
    }
}
