//! Target file names (`<app>-<version>.tar.gz`, `<app>-<version>.patch`) and
//! the custom metadata tufup stores with them.

use crate::{AppVersion, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

const ARCHIVE_SUFFIX: &str = ".tar.gz";
const PATCH_SUFFIX: &str = ".patch";

/// What a target file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A full `.tar.gz` archive of a release.
    Archive,
    /// A BSDIFF40 patch from the previous release's tar to this one's.
    Patch,
}

/// A parsed target name such as `demo-1.1.patch`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetFile {
    /// Application name.
    pub app: String,
    /// Release version.
    pub version: AppVersion,
    /// Archive or patch.
    pub kind: TargetKind,
}

/// Checks that an application name can be used in target names.
pub fn validate_app_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidAppName(name.to_string()))
    }
}

impl TargetFile {
    /// An archive target for `app` at `version`.
    pub fn archive(app: &str, version: &AppVersion) -> Self {
        TargetFile {
            app: app.to_string(),
            version: version.clone(),
            kind: TargetKind::Archive,
        }
    }

    /// A patch target for `app` at `version`.
    pub fn patch(app: &str, version: &AppVersion) -> Self {
        TargetFile {
            kind: TargetKind::Patch,
            ..Self::archive(app, version)
        }
    }

    /// Parses a target name of application `app`; `None` for anything else
    /// (other apps sharing the repository, unrelated files).
    pub fn parse_for_app(name: &str, app: &str) -> Option<Self> {
        let (rest, kind) = if let Some(rest) = name.strip_suffix(ARCHIVE_SUFFIX) {
            (rest, TargetKind::Archive)
        } else if let Some(rest) = name.strip_suffix(PATCH_SUFFIX) {
            (rest, TargetKind::Patch)
        } else {
            return None;
        };
        let version_text = rest.strip_prefix(app)?.strip_prefix('-')?;
        let version: AppVersion = version_text.parse().ok()?;
        // Only the normalised spelling is ours: "demo-01.0.tar.gz" is not a
        // name Tufa or tufup would write.
        if version.to_string() != version_text {
            return None;
        }
        Some(TargetFile {
            app: app.to_string(),
            version,
            kind,
        })
    }

    /// The file name in the repository.
    pub fn name(&self) -> String {
        let suffix = match self.kind {
            TargetKind::Archive => ARCHIVE_SUFFIX,
            TargetKind::Patch => PATCH_SUFFIX,
        };
        format!("{}-{}{}", self.app, self.version, suffix)
    }
}

impl fmt::Display for TargetFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Custom metadata of an archive target:
/// `{"user": <object|null>, "tufup": {"required": <bool>}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArchiveCustom {
    /// Release must be installed before any later one (tufup semantics).
    pub required: bool,
    /// Free-form user metadata, such as release notes.
    pub user: Option<Value>,
}

/// Custom metadata of a patch target: size and sha256 of the uncompressed
/// tar the patch produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchCustom {
    /// Size in bytes of the tar produced by the patch.
    pub tar_size: u64,
    /// Lowercase hex sha256 of that tar.
    pub tar_hash: String,
}

#[derive(Serialize, Deserialize)]
struct TufupArchiveFields {
    required: bool,
}

#[derive(Serialize, Deserialize)]
struct TufupPatchFields {
    tar_size: u64,
    tar_hash: String,
    tar_hash_algorithm: String,
}

impl ArchiveCustom {
    /// The `custom` map written into targets.json.
    pub fn to_custom(&self) -> HashMap<String, Value> {
        HashMap::from([
            ("user".to_string(), self.user.clone().unwrap_or(Value::Null)),
            (
                "tufup".to_string(),
                serde_json::json!({ "required": self.required }),
            ),
        ])
    }

    /// Reads the `custom` map of an archive target. A missing `tufup` entry
    /// (a target written by another tool) means "not required".
    pub fn from_custom(custom: &HashMap<String, Value>) -> Result<Self> {
        let required = match custom.get("tufup") {
            None | Some(Value::Null) => false,
            Some(v) => {
                serde_json::from_value::<TufupArchiveFields>(v.clone())
                    .map_err(|e| Error::InvalidMetadata {
                        file: "targets.json".into(),
                        reason: format!("archive custom.tufup is malformed: {e}"),
                    })?
                    .required
            }
        };
        let user = custom.get("user").filter(|v| !v.is_null()).cloned();
        Ok(ArchiveCustom { required, user })
    }
}

impl PatchCustom {
    /// The `custom` map written into targets.json.
    pub fn to_custom(&self) -> HashMap<String, Value> {
        let tufup = TufupPatchFields {
            tar_size: self.tar_size,
            tar_hash: self.tar_hash.clone(),
            tar_hash_algorithm: "sha256".into(),
        };
        HashMap::from([
            ("user".to_string(), Value::Null),
            (
                "tufup".to_string(),
                serde_json::to_value(tufup).unwrap_or(Value::Null),
            ),
        ])
    }

    /// Reads the `custom` map of a patch target.
    pub fn from_custom(custom: &HashMap<String, Value>) -> Result<Self> {
        let bad = |reason: String| Error::InvalidMetadata {
            file: "targets.json".into(),
            reason,
        };
        let fields: TufupPatchFields = serde_json::from_value(
            custom
                .get("tufup")
                .cloned()
                .ok_or_else(|| bad("patch target without custom.tufup".into()))?,
        )
        .map_err(|e| bad(format!("patch custom.tufup is malformed: {e}")))?;
        if fields.tar_hash_algorithm != "sha256" {
            return Err(bad(format!(
                "unsupported tar_hash_algorithm '{}'",
                fields.tar_hash_algorithm
            )));
        }
        if fields.tar_hash.len() != 64 || !fields.tar_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("tar_hash is not a sha256 hex digest".into()));
        }
        Ok(PatchCustom {
            tar_size: fields.tar_size,
            tar_hash: fields.tar_hash.to_ascii_lowercase(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_of_the_app_only() {
        let t = TargetFile::parse_for_app("my-app-1.0rc1.tar.gz", "my-app").unwrap();
        assert_eq!(t.kind, TargetKind::Archive);
        assert_eq!(t.version.to_string(), "1.0rc1");
        assert_eq!(t.name(), "my-app-1.0rc1.tar.gz");
        assert!(TargetFile::parse_for_app("my-app-1.0.tar.gz", "my").is_none());
        assert!(TargetFile::parse_for_app("other-1.0.patch", "my-app").is_none());
        assert!(TargetFile::parse_for_app("my-app-1.0.zip", "my-app").is_none());
        assert!(TargetFile::parse_for_app("my-app-01.0.patch", "my-app").is_none());
        let p = TargetFile::parse_for_app("demo-2.0.patch", "demo").unwrap();
        assert_eq!(p.kind, TargetKind::Patch);
    }

    #[test]
    fn app_names() {
        assert!(validate_app_name("My_App-2").is_ok());
        for bad in ["", "a b", "a/b", "../x", "é", "a.b"] {
            assert!(validate_app_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn custom_round_trip_matches_tufup_layout() {
        let a = ArchiveCustom {
            required: true,
            user: Some(serde_json::json!({"notes": "x"})),
        };
        let v = serde_json::to_value(a.to_custom()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"user": {"notes": "x"}, "tufup": {"required": true}})
        );
        assert_eq!(ArchiveCustom::from_custom(&a.to_custom()).unwrap(), a);
        let p = PatchCustom {
            tar_size: 10,
            tar_hash: "ab".repeat(32),
        };
        let v = serde_json::to_value(p.to_custom()).unwrap();
        assert_eq!(v["tufup"]["tar_hash_algorithm"], "sha256");
        assert_eq!(PatchCustom::from_custom(&p.to_custom()).unwrap(), p);
    }
}
