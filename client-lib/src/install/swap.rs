//! Swapping two directories atomically.

use crate::error::IoContext;
use crate::Result;
use std::path::Path;

/// Exchanges `a` and `b` (both must exist, on one filesystem) atomically
/// where the OS allows it; elsewhere in two renames whose interruption
/// [`recover_interrupted`] repairs.
pub fn swap_dirs(a: &Path, b: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        if exchange_linux(a, b).is_ok() {
            return Ok(());
        }
    }
    #[cfg(target_os = "macos")]
    {
        if exchange_macos(a, b).is_ok() {
            return Ok(());
        }
    }
    swap_by_renames(a, b)
}

#[cfg(target_os = "linux")]
fn exchange_linux(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them
    // relative to the working directory like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(target_os = "macos")]
fn exchange_macos(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: valid NUL-terminated paths.
    let rc = unsafe { libc::renamex_np(ca.as_ptr(), cb.as_ptr(), libc::RENAME_SWAP) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn old_aside(b: &Path) -> std::path::PathBuf {
    let mut name = b.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tufa-old");
    b.with_file_name(name)
}

fn swap_by_renames(a: &Path, b: &Path) -> Result<()> {
    let aside = old_aside(b);
    std::fs::rename(b, &aside).context(|| format!("moving {} aside", b.display()))?;
    std::fs::rename(a, b).context(|| format!("moving the new version to {}", b.display()))?;
    std::fs::rename(&aside, a).context(|| format!("moving the old version to {}", a.display()))
}

/// Repairs an install directory after a crash during the two-rename swap:
/// if it is missing but its old version was set aside, that comes back.
pub fn recover_interrupted(install_dir: &Path) -> Result<()> {
    let aside = old_aside(install_dir);
    if aside.exists() {
        if install_dir.exists() {
            std::fs::remove_dir_all(&aside).context(|| format!("removing {}", aside.display()))?;
        } else {
            std::fs::rename(&aside, install_dir)
                .context(|| format!("restoring {}", install_dir.display()))?;
        }
    }
    Ok(())
}

/// Flushes a freshly written tree to disk before it goes live. On Linux
/// one `syncfs` flushes the whole filesystem, far cheaper than an fsync
/// per file for bundles of thousands of files.
pub fn fsync_tree(dir: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(d) = std::fs::File::open(dir) {
            // SAFETY: a valid, open file descriptor.
            if unsafe { libc::syncfs(d.as_raw_fd()) } == 0 {
                return;
            }
        }
    }
    fsync_each(dir);
}

fn fsync_each(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => fsync_each(&p),
            Ok(t) if t.is_file() => {
                if let Ok(f) = std::fs::File::open(&p) {
                    let _ = f.sync_all();
                }
            }
            _ => {}
        }
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_exchanges_contents() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::write(a.join("new"), b"n").unwrap();
        std::fs::write(b.join("old"), b"o").unwrap();
        swap_dirs(&a, &b).unwrap();
        assert!(b.join("new").exists() && a.join("old").exists());
        swap_by_renames(&a, &b).unwrap();
        assert!(a.join("new").exists() && b.join("old").exists());
    }

    #[test]
    fn an_interrupted_two_step_swap_restores_the_old_version() {
        let dir = tempfile::tempdir().unwrap();
        let install = dir.path().join("app");
        std::fs::create_dir(&install).unwrap();
        std::fs::write(install.join("v1"), b"1").unwrap();
        // Crash after the first rename: the install dir is gone.
        std::fs::rename(&install, old_aside(&install)).unwrap();
        recover_interrupted(&install).unwrap();
        assert!(install.join("v1").exists());
    }
}
