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

/// Checks a platform name: `<os>-<arch>` in lowercase ASCII letters,
/// digits and `_`, exactly one `-` (`linux-x86_64`, `macos-aarch64`,
/// `windows-x86_64`). Exactly one dash keeps `<app>-<platform>-<version>`
/// unambiguous: PEP 440 versions in normal form hold no dash.
pub fn validate_platform(platform: &str) -> Result<()> {
    let part_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let ok = platform.len() <= 40
        && platform
            .split_once('-')
            .is_some_and(|(os, arch)| part_ok(os) && part_ok(arch));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            field: "platform".into(),
            reason: format!(
                "'{platform}' is not <os>-<arch> in lowercase letters, digits and _ (e.g. linux-x86_64)"
            ),
        })
    }
}

/// The platform of the running program, `<os>-<arch>` from
/// [`std::env::consts`] (`linux-x86_64`, `macos-aarch64`, `windows-x86_64`).
pub fn current_platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// The name prefix of a release stream: `<app>` without a platform (the
/// tufup single-platform layout), `<app>-<platform>` with one. A tufup
/// client configured with that name reads the stream unchanged.
pub fn stream_name(app: &str, platform: Option<&str>) -> String {
    match platform {
        Some(p) => format!("{app}-{p}"),
        None => app.to_string(),
    }
}

/// The platforms that `app` has archives for in `names` (target names),
/// sorted: names `<app>-<os>-<arch>-<version>.tar.gz`.
pub fn platforms_in<'a>(names: impl IntoIterator<Item = &'a str>, app: &str) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .filter_map(|name| {
            let rest = name.strip_suffix(ARCHIVE_SUFFIX)?.strip_prefix(app)?;
            let mut parts = rest.strip_prefix('-')?.splitn(3, '-');
            let platform = format!("{}-{}", parts.next()?, parts.next()?);
            let stream = stream_name(app, Some(&platform));
            validate_platform(&platform).ok()?;
            TargetFile::parse_for_app(name, &stream).map(|_| platform)
        })
        .collect();
    out.sort();
    out.dedup();
    out
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
/// `{"user": <object|null>, "tufup": {"required": <bool>}}`, plus
/// `"tufa": {"rollout": {…}, "rollback_to": "<version>"}` only when a
/// staged rollout or a pull is recorded (tufup ignores the key).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArchiveCustom {
    /// Release must be installed before any later one (tufup semantics).
    pub required: bool,
    /// Free-form user metadata, such as release notes.
    pub user: Option<Value>,
    /// Staged rollout state, when the release is not simply out for all.
    pub rollout: Option<Rollout>,
    /// For a pulled release: the version its clients go back to.
    #[serde(
        default,
        serialize_with = "crate::serde_util::opt_display",
        deserialize_with = "crate::serde_util::opt_parse"
    )]
    pub rollback_to: Option<AppVersion>,
}

/// State of a staged rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RolloutState {
    /// Offered to clients whose bucket is below the percentage.
    Rolling,
    /// No new installs; clients already on it stay.
    Paused,
    /// Withdrawn: never offered; its clients are offered `rollback_to`.
    Pulled,
}

/// A release's staged rollout (`custom.tufa.rollout`), signed in
/// targets.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rollout {
    /// Share of installs offered the release, 0 to 100.
    pub percent: u8,
    /// Rolling, paused or pulled.
    pub state: RolloutState,
    /// The widest share of installs it was ever offered to, when wider
    /// than `percent` (a rollout narrowed after installs took it, or a
    /// release out to everyone set to a rollout): those installs may be on
    /// it, which a pull's preview counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reached: Option<u8>,
}

impl Rollout {
    /// A rollout at `percent` in `state` that was never wider.
    pub fn new(percent: u8, state: RolloutState) -> Self {
        Rollout {
            percent,
            state,
            reached: None,
        }
    }

    /// How many of the 100 buckets may have taken the release.
    pub fn reached(&self) -> u8 {
        self.reached.unwrap_or(0).max(self.percent).min(100)
    }

    /// A release's rollout (`current`; none: out to every install) moved
    /// to `percent` in `state`, keeping how far it ever reached: installs
    /// that took it keep it whatever the percentage says now.
    pub fn changed(current: Option<Rollout>, percent: u8, state: RolloutState) -> Rollout {
        let reached = current.map_or(100, |r| r.reached());
        Rollout {
            percent,
            state,
            reached: (reached > percent).then_some(reached),
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
struct TufaArchiveFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rollout: Option<Rollout>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rollback_to: Option<String>,
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
        let mut custom = HashMap::from([
            ("user".to_string(), self.user.clone().unwrap_or(Value::Null)),
            (
                "tufup".to_string(),
                serde_json::json!({ "required": self.required }),
            ),
        ]);
        // Written only when used, so plain releases stay byte-identical to
        // what tufup writes.
        if self.rollout.is_some() || self.rollback_to.is_some() {
            let tufa = TufaArchiveFields {
                rollout: self.rollout,
                rollback_to: self.rollback_to.as_ref().map(ToString::to_string),
            };
            custom.insert(
                "tufa".to_string(),
                serde_json::to_value(tufa).unwrap_or(Value::Null),
            );
        }
        custom
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
        let tufa = match custom.get("tufa") {
            None | Some(Value::Null) => TufaArchiveFields::default(),
            Some(v) => serde_json::from_value::<TufaArchiveFields>(v.clone()).map_err(|e| {
                Error::InvalidMetadata {
                    file: "targets.json".into(),
                    reason: format!("archive custom.tufa is malformed: {e}"),
                }
            })?,
        };
        if let Some(r) = &tufa.rollout {
            if r.percent > 100 {
                return Err(Error::InvalidMetadata {
                    file: "targets.json".into(),
                    reason: format!("rollout percent {} is above 100", r.percent),
                });
            }
        }
        let rollback_to = tufa
            .rollback_to
            .map(|v| v.parse::<AppVersion>())
            .transpose()?;
        Ok(ArchiveCustom {
            required,
            user,
            rollout: tufa.rollout,
            rollback_to,
        })
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
    fn platforms_and_streams() {
        for ok in ["linux-x86_64", "macos-aarch64", "windows-x86_64"] {
            assert!(validate_platform(ok).is_ok(), "{ok}");
        }
        for bad in [
            "linux",
            "Linux-x86_64",
            "linux-x86-64",
            "-x86_64",
            "linux-",
            "a b-c",
        ] {
            assert!(
                matches!(validate_platform(bad), Err(Error::InvalidSetting { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            stream_name("demo", Some("linux-x86_64")),
            "demo-linux-x86_64"
        );
        assert_eq!(stream_name("demo", None), "demo");
        let names = [
            "demo-linux-x86_64-1.0.tar.gz",
            "demo-linux-x86_64-1.1.patch",
            "demo-macos-aarch64-1.0.tar.gz",
            "demo-1.0.tar.gz",
            "demo-linux-x86_64-1.1.tar.gz",
            "other-linux-x86_64-1.0.tar.gz",
        ];
        assert_eq!(
            platforms_in(names, "demo"),
            vec!["linux-x86_64".to_string(), "macos-aarch64".to_string()]
        );
        // A platform stream is invisible to the platform-less app name.
        assert!(TargetFile::parse_for_app("demo-linux-x86_64-1.0.tar.gz", "demo").is_none());
    }

    #[test]
    fn rollout_fields_only_when_used() {
        let plain = ArchiveCustom::default().to_custom();
        assert!(!plain.contains_key("tufa"));
        let pulled = ArchiveCustom {
            rollout: Some(Rollout {
                reached: None,
                percent: 25,
                state: RolloutState::Pulled,
            }),
            rollback_to: Some("1.0".parse().unwrap()),
            ..Default::default()
        };
        let v = serde_json::to_value(pulled.to_custom()).unwrap();
        assert_eq!(
            v["tufa"],
            serde_json::json!({"rollout": {"percent": 25, "state": "pulled"}, "rollback_to": "1.0"})
        );
        assert_eq!(
            ArchiveCustom::from_custom(&pulled.to_custom()).unwrap(),
            pulled
        );
        let mut bad = pulled.to_custom();
        bad.insert(
            "tufa".into(),
            serde_json::json!({"rollout": {"percent": 101, "state": "rolling"}}),
        );
        assert!(matches!(
            ArchiveCustom::from_custom(&bad),
            Err(Error::InvalidMetadata { .. })
        ));
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
            ..Default::default()
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
