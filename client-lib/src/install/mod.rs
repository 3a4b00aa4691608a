//! Installing a verified release tar into the application's directory.
//!
//! The new version is extracted into a staging directory *beside* the
//! install directory (same filesystem), completed there, and then swapped
//! with the install directory in one atomic step where the OS has one
//! (`renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on
//! macOS). The old version stays whole until the swap, and is removed
//! after it. On Windows, files of a running program cannot be replaced:
//! [`windows::SwapPlan`] describes the steps a helper performs after the
//! app exits.

mod extract;
pub mod handover;
mod link;
mod reuse;
mod swap;
pub mod windows;

pub use extract::extract_tar;
pub use reuse::{InstallReport, SameRanges};
pub(crate) use reuse::{Materialize, ReuseContext, ReuseSource};
pub use swap::{recover_interrupted, swap_dirs};

use crate::error::IoContext;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// A custom installer: receives the staged new version (complete) and the
/// install directory, and must leave the install directory holding it.
pub type CustomInstaller = dyn Fn(&Path, &Path) -> std::io::Result<()> + Send + Sync;

/// How to install.
#[derive(Default)]
pub struct InstallOptions {
    /// Remove files of the old version that the new one does not have
    /// (tufup's `purge_dst_dir`). Without it, old files stay beside the new.
    pub purge: bool,
    /// Relative paths kept from the old install even when purging (user
    /// settings, caches, logs).
    pub exclude: Vec<PathBuf>,
    /// Replaces the built-in swap.
    pub installer: Option<Box<CustomInstaller>>,
}

impl std::fmt::Debug for InstallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallOptions")
            .field("purge", &self.purge)
            .field("exclude", &self.exclude)
            .field("installer", &self.installer.as_ref().map(|_| "<custom>"))
            .finish()
    }
}

fn sibling(install_dir: &Path, suffix: &str) -> Result<PathBuf> {
    let name = install_dir.file_name().ok_or_else(|| {
        Error::Install(format!("{} has no directory name", install_dir.display()))
    })?;
    let mut s = name.to_os_string();
    s.push(suffix);
    Ok(install_dir.with_file_name(s))
}

/// Staging directory used for `install_dir`.
pub fn staging_dir(install_dir: &Path) -> Result<PathBuf> {
    sibling(install_dir, ".tufa-staging")
}

/// Installs the tar file `tar` into `install_dir`, reading it as a stream. A crash at any point leaves the old
/// or the new version in `install_dir`, never a mix: run
/// [`recover_interrupted`] at start-up to clean leftovers.
///
/// An `install_dir` that is a symlink (`app -> versions/app-1.0`) stays
/// one: the new version is written beside the directory it points to,
/// named after the tar (`versions/app-1.1` for `app-1.1.tar`), the link is
/// replaced atomically by one to it, and the old directory is removed.
pub fn install_tar(tar: &Path, install_dir: &Path, options: &InstallOptions) -> Result<()> {
    install_tar_watched(
        tar,
        install_dir,
        options,
        None,
        &mut crate::fsutil::unwatched,
    )
    .map(|_| ())
}

/// [`install_tar`] that tells `watch` the bytes of the tar read so far
/// while extracting; a `watch` error (cancellation) stops the install
/// before the swap and removes the staged copy. With `reuse`, unchanged
/// files come from the installed version (see [`SameRanges`]) and what
/// was installed is recorded for the next time.
pub(crate) fn install_tar_watched(
    tar: &Path,
    install_dir: &Path,
    options: &InstallOptions,
    reuse: Option<&ReuseContext>,
    watch: crate::fsutil::Watch<'_>,
) -> Result<InstallReport> {
    // The built-in installs remove the old version right after the swap,
    // so a file may be shared by a hard link; a custom installer may keep
    // the old version, so it gets clones or copies.
    let how = if options.installer.is_none() {
        Materialize::HardLinkFirst
    } else {
        Materialize::CloneOrCopy
    };
    let reuse = reuse.map(|ctx| Reuse {
        ctx,
        install_dir,
        how,
    });
    if options.installer.is_none() {
        if let Some(link) = link::read(install_dir)? {
            return link::install(tar, install_dir, &link, options, reuse, watch);
        }
    }
    recover_interrupted(install_dir)?;
    let staging = staging_dir(install_dir)?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging).context(|| format!("removing {}", staging.display()))?;
    }
    let result = (|| {
        let (report, files) = stage(
            tar,
            &staging,
            install_dir.exists().then_some(install_dir),
            options,
            reuse,
            watch,
        )?;
        crate::fsutil::failpoint("before-swap");
        match &options.installer {
            Some(custom) => custom(&staging, install_dir)
                .map_err(|e| Error::Install(format!("custom installer failed: {e}"))),
            None if install_dir.exists() => {
                swap_dirs(&staging, install_dir)?;
                crate::fsutil::failpoint("after-swap");
                // `staging` now holds the old version.
                std::fs::remove_dir_all(&staging)
                    .context(|| format!("removing old version in {}", staging.display()))
            }
            None => std::fs::rename(&staging, install_dir)
                .context(|| format!("moving the new version to {}", install_dir.display())),
        }?;
        if let Some(r) = reuse {
            // Once the old version is gone: removing it changes the
            // files it shared by hard link.
            reuse::record(r.ctx, install_dir, install_dir, &files);
        }
        Ok(report)
    })();
    if result.is_err() && staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Where and how an install may take unchanged files from the installed
/// version.
#[derive(Clone, Copy)]
pub(crate) struct Reuse<'a> {
    ctx: &'a ReuseContext,
    install_dir: &'a Path,
    how: Materialize,
}

/// Extracts `tar` into `staging` (taking unchanged files from the
/// installed version with `reuse`), carries over what must survive from
/// `old` and flushes the result to disk: the new version, complete.
/// Returns what was done and the regular files of the tar, for the
/// record the caller writes once the new version is in place.
fn stage(
    tar: &Path,
    staging: &Path,
    old: Option<&Path>,
    options: &InstallOptions,
    reuse: Option<Reuse<'_>>,
    watch: crate::fsutil::Watch<'_>,
) -> Result<(InstallReport, Vec<PathBuf>)> {
    let file = std::fs::File::open(tar).context(|| format!("opening {}", tar.display()))?;
    let max = file
        .metadata()
        .context(|| format!("reading {}", tar.display()))?
        .len();
    let reader = crate::fsutil::WatchedRead {
        inner: std::io::BufReader::new(file),
        done: 0,
        watch,
    };
    let mut reuser = reuse.and_then(|r| reuse::Reuser::new(r.ctx, r.install_dir, r.how));
    let extracted = extract::extract_tar_reusing(reader, staging, max, reuser.as_mut())?;
    if let Some(old) = old {
        carry_over(old, staging, options)?;
    }
    swap::fsync_tree(staging);
    let report = match reuser {
        Some(r) => r.report,
        None => InstallReport {
            files_written: extracted.files.len() as u64,
            bytes_written: extracted.bytes,
            ..InstallReport::default()
        },
    };
    tracing::info!(
        files_written = report.files_written,
        bytes_written = report.bytes_written,
        files_reused = report.files_reused,
        bytes_reused = report.bytes_reused,
        "new version staged"
    );
    Ok((report, extracted.files))
}

/// Copies into the staged new version what must survive from the old one:
/// everything it lacks (no purge) or only the excluded paths (purge).
fn carry_over(old: &Path, staged: &Path, options: &InstallOptions) -> Result<()> {
    if options.purge {
        for rel in &options.exclude {
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(Error::Install(format!(
                    "exclude path {} must be relative and inside",
                    rel.display()
                )));
            }
            let from = old.join(rel);
            if std::fs::symlink_metadata(&from).is_ok() {
                real_parents(staged, rel)?;
                let to = staged.join(rel);
                if std::fs::symlink_metadata(&to).is_err() {
                    copy_tree(&from, &to)?;
                }
            }
        }
        return Ok(());
    }
    merge_missing(old, staged)
}

/// Makes every parent of `rel` below `staged` a real directory (creating
/// missing ones) and refuses a symlink or a file among them. The staged
/// tree comes from the archive: a link there, even one that stays inside,
/// must never redirect where the old install's files are written.
fn real_parents(staged: &Path, rel: &Path) -> Result<()> {
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    let mut cur = staged.to_path_buf();
    let mut prefix = PathBuf::new();
    for c in parent.components() {
        cur.push(c);
        prefix.push(c);
        match std::fs::symlink_metadata(&cur) {
            Ok(md) if md.file_type().is_symlink() => {
                return Err(Error::Install(format!(
                    "'{}' would be carried over through the symlink '{}' of the new version",
                    rel.display(),
                    prefix.display()
                )))
            }
            Ok(md) if !md.is_dir() => {
                return Err(Error::Install(format!(
                    "'{}' would be carried over below the file '{}' of the new version",
                    rel.display(),
                    prefix.display()
                )))
            }
            Ok(_) => {}
            Err(_) => {
                std::fs::create_dir(&cur).context(|| format!("creating {}", cur.display()))?
            }
        }
    }
    Ok(())
}

fn merge_missing(old: &Path, staged: &Path) -> Result<()> {
    for entry in std::fs::read_dir(old).context(|| format!("reading {}", old.display()))? {
        let entry = entry.context(|| format!("reading {}", old.display()))?;
        let to = staged.join(entry.file_name());
        let from = entry.path();
        match std::fs::symlink_metadata(&to) {
            Err(_) => copy_tree(&from, &to)?,
            Ok(md) if md.is_dir() && entry.file_type().map(|t| t.is_dir()).unwrap_or(false) => {
                merge_missing(&from, &to)?
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let md = std::fs::symlink_metadata(from).context(|| format!("reading {}", from.display()))?;
    if md.file_type().is_symlink() {
        let target = std::fs::read_link(from).context(|| format!("reading {}", from.display()))?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, to).context(|| format!("creating {}", to.display()))?;
        #[cfg(not(unix))]
        let _ = target;
    } else if md.is_dir() {
        std::fs::create_dir_all(to).context(|| format!("creating {}", to.display()))?;
        for entry in std::fs::read_dir(from).context(|| format!("reading {}", from.display()))? {
            let entry = entry.context(|| format!("reading {}", from.display()))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        // Hard links are instant and leave the old file untouched (the new
        // version never writes into these files, it replaces them).
        if std::fs::hard_link(from, to).is_err() {
            std::fs::copy(from, to).context(|| format!("copying {}", from.display()))?;
        }
    }
    Ok(())
}
