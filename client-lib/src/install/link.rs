//! An install directory that is a symlink to the version in use
//! (`app -> versions/app-1.0`, a common layout). Swapping directories
//! would replace the link by a real directory and leave `app-1.0` behind;
//! instead the new version is completed beside `app-1.0` and the link
//! itself is replaced, in one `rename` of a new link over it, which is
//! atomic: at every instant `app` points to a whole version.

#[cfg(unix)]
use super::{sibling, stage};
use super::{InstallOptions, InstallReport, Reuse};
use crate::error::IoContext;
use crate::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// A symlinked install directory.
#[derive(Debug)]
pub(super) struct Link {
    /// The link's text, as written (relative links stay relative).
    text: PathBuf,
    /// The directory it points to.
    target: PathBuf,
}

/// `Some` when `install_dir` is a symlink to a directory. A link to a
/// link, or to something else, is refused rather than guessed about:
/// which of the links the user wants moved is not ours to decide.
pub(super) fn read(install_dir: &Path) -> Result<Option<Link>> {
    match std::fs::symlink_metadata(install_dir) {
        Ok(md) if md.file_type().is_symlink() => {}
        _ => return Ok(None),
    }
    let text = std::fs::read_link(install_dir)
        .context(|| format!("reading the link {}", install_dir.display()))?;
    let refuse = |why: &str| {
        Err(Error::Install(format!(
            "{} is a symlink to {}, {why}",
            install_dir.display(),
            text.display()
        )))
    };
    // The new version's name replaces the last component of the text:
    // it must be a name, not `..`.
    if !matches!(text.components().next_back(), Some(Component::Normal(_))) {
        return refuse("which does not end in a directory name");
    }
    let target = match install_dir.parent() {
        Some(parent) if text.is_relative() => parent.join(&text),
        _ => text.clone(),
    };
    match std::fs::symlink_metadata(&target) {
        Ok(md) if md.file_type().is_symlink() => Err(Error::Install(format!(
            "{} is a symlink to a symlink ({}): point it at the version's directory itself",
            install_dir.display(),
            text.display()
        ))),
        Ok(md) if md.is_dir() => Ok(Some(Link { text, target })),
        Ok(_) => refuse("which is not a directory"),
        Err(e) => refuse(&format!("which cannot be read ({e})")),
    }
}

/// Names tried for the new version before giving up: `NAME`, `NAME.1`, …
/// A name already taken is never overwritten (it may be the user's).
#[cfg(unix)]
const MAX_NAME_TRIES: u32 = 100;

/// Installs `tar` behind the symlink `install_dir`: see the module doc.
/// The old version is removed once the link points to the new one; a
/// crash before the link is replaced leaves the old version in use (and
/// at worst a complete, unused new directory); after, the new one.
pub(super) fn install(
    tar: &Path,
    install_dir: &Path,
    link: &Link,
    options: &InstallOptions,
    reuse: Option<Reuse<'_>>,
    watch: crate::fsutil::Watch<'_>,
) -> Result<InstallReport> {
    #[cfg(not(unix))]
    {
        let _ = (tar, link, options, reuse, watch);
        return Err(Error::Install(format!(
            "{} is a symlink: symlinked install directories are supported on Unix only",
            install_dir.display()
        )));
    }
    #[cfg(unix)]
    {
        let stem = tar
            .file_stem()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Install(format!("{} has no file name", tar.display())))?;
        let new_dir = free_name(&link.target.with_file_name(stem))?;
        let staging = sibling(&new_dir, ".tufa-staging")?;
        if std::fs::symlink_metadata(&staging).is_ok() {
            std::fs::remove_dir_all(&staging)
                .context(|| format!("removing {}", staging.display()))?;
        }
        let new_link = sibling(install_dir, ".tufa-link")?;
        let mut renamed = false;
        let mut report = InstallReport::default();
        let mut files = Vec::new();
        let result = (|| {
            (report, files) = stage(tar, &staging, Some(&link.target), options, reuse, watch)?;
            crate::fsutil::failpoint("before-swap");
            std::fs::rename(&staging, &new_dir)
                .context(|| format!("moving the new version to {}", new_dir.display()))?;
            renamed = true;
            let name = new_dir
                .file_name()
                .ok_or_else(|| Error::Install(format!("{} has no name", new_dir.display())))?;
            let text = if link.text.is_relative() {
                link.text.with_file_name(name)
            } else {
                new_dir.clone()
            };
            if std::fs::symlink_metadata(&new_link).is_ok() {
                std::fs::remove_file(&new_link)
                    .context(|| format!("removing {}", new_link.display()))?;
            }
            std::os::unix::fs::symlink(&text, &new_link)
                .context(|| format!("creating {}", new_link.display()))?;
            // rename(2) replaces the old link atomically.
            std::fs::rename(&new_link, install_dir)
                .context(|| format!("replacing the link {}", install_dir.display()))
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&staging);
            let _ = std::fs::remove_file(&new_link);
            if renamed {
                let _ = std::fs::remove_dir_all(&new_dir);
            }
            return Err(e);
        }
        crate::fsutil::failpoint("after-swap");
        std::fs::remove_dir_all(&link.target)
            .context(|| format!("removing the old version in {}", link.target.display()))?;
        if let Some(r) = reuse {
            super::reuse::record(r.ctx, install_dir, install_dir, &files);
        }
        Ok(report)
    }
}

/// `wanted`, or `wanted.1`, `wanted.2`, … whichever does not exist yet.
#[cfg(unix)]
fn free_name(wanted: &Path) -> Result<PathBuf> {
    if std::fs::symlink_metadata(wanted).is_err() {
        return Ok(wanted.to_path_buf());
    }
    for i in 1..MAX_NAME_TRIES {
        let candidate = sibling(wanted, &format!(".{i}"))?;
        if std::fs::symlink_metadata(&candidate).is_err() {
            return Ok(candidate);
        }
    }
    Err(Error::Install(format!(
        "{} and {MAX_NAME_TRIES} numbered variants exist already",
        wanted.display()
    )))
}
