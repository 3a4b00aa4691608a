//! Application versions: PEP 440, as tufup and Python packaging use them.

use crate::{Error, Result};
use pep440_rs::Version;
use std::fmt;
use std::str::FromStr;

/// A PEP 440 version of the application, compared as Python's `packaging` does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppVersion(Version);

/// Update channels, from most to least stable. A channel includes every
/// more stable one: `Beta` also offers release candidates and final releases
/// (the rules: [`crate::policy::channel_of`], [`crate::policy::offered_on`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// `a`: alpha releases and everything more stable.
    Alpha,
    /// `b`: beta releases and everything more stable.
    Beta,
    /// `rc`: release candidates and final releases.
    Rc,
    /// Final releases only.
    Stable,
}

impl AppVersion {
    /// The channel a release with this version belongs to (see
    /// [`crate::policy::channel_of`]).
    pub fn channel(&self) -> Channel {
        crate::policy::channel_of(self)
    }

    /// The parsed PEP 440 version, for the policy rules.
    pub(crate) fn pep440(&self) -> &Version {
        &self.0
    }

    /// The next patch version (`1.2.3` → `1.2.4`, `1.2` → `1.2.1`), as a
    /// suggestion for the next release.
    pub fn next_patch(&self) -> AppVersion {
        let mut release = self.0.release().to_vec();
        while release.len() < 3 {
            release.push(0);
        }
        if self.0.any_prerelease() {
            // 1.3.0rc1 is followed by 1.3.0, not 1.3.1
        } else if let Some(last) = release.last_mut() {
            *last += 1;
        }
        AppVersion(Version::new(release))
    }
}

/// In TypeScript a version is its normalised text, as it is serialised.
#[cfg(feature = "ts")]
impl ts_rs::TS for AppVersion {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".into()
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        <Self as ts_rs::TS>::name(cfg)
    }
}

impl FromStr for AppVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidVersion {
            input: s.to_string(),
            reason,
        };
        let v = Version::from_str(s.trim()).map_err(|e| invalid(e.to_string()))?;
        if !v.local().is_empty() {
            return Err(invalid("local versions (+...) cannot be released".into()));
        }
        Ok(AppVersion(v))
    }
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The channel's name as serialised: `alpha`, `beta`, `rc`, `stable`.
impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Channel::Alpha => "alpha",
            Channel::Beta => "beta",
            Channel::Rc => "rc",
            Channel::Stable => "stable",
        })
    }
}

impl FromStr for Channel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "a" | "alpha" => Ok(Channel::Alpha),
            "b" | "beta" => Ok(Channel::Beta),
            "rc" => Ok(Channel::Rc),
            "stable" => Ok(Channel::Stable),
            other => Err(Error::UnknownChannel {
                input: other.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> AppVersion {
        s.parse().unwrap()
    }

    #[test]
    fn ordering_follows_pep440() {
        assert!(v("1.0") < v("1.1"));
        assert!(v("1.1rc1") < v("1.1"));
        assert!(v("1.1a1") < v("1.1b1"));
        assert!(v("1.1.dev1") < v("1.1a1"));
        assert!(v("1.10") > v("1.9"));
        assert_eq!(v("1.0"), v("1.0.0"));
    }

    #[test]
    fn display_is_normalised() {
        assert_eq!(v("1.0").to_string(), "1.0");
        assert_eq!(v("1.0.0-RC.1").to_string(), "1.0.0rc1");
        assert_eq!(v("v2.0").to_string(), "2.0");
    }

    #[test]
    fn channels() {
        assert_eq!(v("1.0").channel(), Channel::Stable);
        assert_eq!(v("1.0rc2").channel(), Channel::Rc);
        assert_eq!(v("1.0b1").channel(), Channel::Beta);
        assert_eq!(v("1.0a1").channel(), Channel::Alpha);
        assert!(Channel::Beta < Channel::Rc);
    }

    #[test]
    fn rejects_garbage_and_local() {
        assert!("1.0-foo bar".parse::<AppVersion>().is_err());
        assert!("".parse::<AppVersion>().is_err());
        assert!("1.0+local".parse::<AppVersion>().is_err());
    }

    #[test]
    fn next_patch() {
        assert_eq!(v("1.2.3").next_patch().to_string(), "1.2.4");
        assert_eq!(v("1.2").next_patch().to_string(), "1.2.1");
        assert_eq!(v("1.3.0rc1").next_patch().to_string(), "1.3.0");
    }
}
