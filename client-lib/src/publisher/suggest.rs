//! The version to offer for a new release, decided once for the app (and
//! any other front end): the bundle's own `VERSION` file when it names a
//! version above the latest release, else the next patch version.

use super::*;

/// Longest `VERSION` file read (a version string, not a document).
const MAX_VERSION_FILE: u64 = 256;

/// Files a bundle may name its version in, in order of preference.
const VERSION_FILES: [&str; 2] = ["VERSION", "version.txt"];

impl Publisher {
    /// The version to suggest for adding `bundle` (a folder): its
    /// `VERSION` (or `version.txt`) file when that holds a PEP 440 version
    /// above the latest release, else the latest release's next patch
    /// version, else `1.0.0` for a first release.
    ///
    /// ```no_run
    /// # use tufa::publisher::Publisher;
    /// let p = Publisher::open(std::path::Path::new("my-project"))?;
    /// println!("{}", p.suggest_version(Some(std::path::Path::new("build/app")))?);
    /// # Ok::<(), tufa::Error>(())
    /// ```
    pub fn suggest_version(&self, bundle: Option<&Path>) -> Result<String> {
        let meta = self.metadata()?;
        let latest = releases(&meta.targets.signed, &self.project.app_name)?
            .last()
            .map(|r| r.version.clone());
        let from_bundle = bundle.and_then(|b| {
            VERSION_FILES.iter().find_map(|name| {
                let path = b.join(name);
                let bytes = crate::metadata::read_limited(&path, MAX_VERSION_FILE).ok()?;
                let text = String::from_utf8(bytes).ok()?;
                text.trim().parse::<AppVersion>().ok()
            })
        });
        Ok(match (from_bundle, latest) {
            (Some(v), Some(l)) if v > l => v.to_string(),
            (Some(v), None) => v.to_string(),
            (_, Some(l)) => l.next_patch().to_string(),
            (None, None) => "1.0.0".into(),
        })
    }
}
