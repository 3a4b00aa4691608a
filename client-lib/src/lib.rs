//! Tufa: secure updates for stand-alone desktop applications, built on
//! [TUF](https://theupdateframework.io) through the `tough` crate.
//!
//! The default build is the part that applications embed. The `publisher`
//! feature adds the repository side: creating repositories, turning bundle
//! directories into archives and patches, signing and publishing metadata.
//!
//! Repositories follow the layout of the Python package *tufup*, so that
//! tufup clients already in the field keep updating from them:
//!
//! ```text
//! repository/metadata/  1.root.json … N.root.json, root.json, targets.json,
//!                       snapshot.json, timestamp.json
//! repository/targets/   <app>-<version>.tar.gz, <app>-<version>.patch
//! ```

pub mod archive;
pub mod client;
pub mod display;
mod error;
mod fsutil;
pub mod install;
pub mod metadata;
pub mod patch;
pub mod policy;
pub mod progress;
pub mod releases;
mod serde_util;
#[cfg(feature = "publisher")]
mod tar_layout;
pub mod target;
pub mod version;

#[cfg(feature = "publisher")]
pub mod publisher;

pub use error::{Error, Remedy, Result};
pub use progress::{Phase, Progress};
pub use target::{ArchiveCustom, PatchCustom, TargetFile, TargetKind};
pub use version::{AppVersion, Channel};
