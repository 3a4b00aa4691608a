//! Extraction of a release tar into a fresh directory, treating the tar as
//! hostile even though its hash was verified: a signed archive can still
//! have been built from a poisoned bundle, and defence in depth is cheap.
//!
//! Refused: absolute paths, `..`, paths through a symlink, symlinks whose
//! target leaves the tree, hard links, device files, fifos, entries whose
//! data runs past the end of the archive, and anything beyond `max_bytes`.

use crate::error::IoContext;
use crate::{Error, Result};
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

fn hostile(what: impl Into<String>) -> Error {
    Error::Install(format!("refusing archive entry: {}", what.into()))
}

/// A relative path inside the tree, from an entry name such as `./a/b`.
/// `None` for the root entry.
fn member_path(raw: &Path) -> Result<Option<PathBuf>> {
    let mut out = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::CurDir => {}
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                return Err(hostile(format!("'{}' climbs out with ..", raw.display())))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(hostile(format!("'{}' is an absolute path", raw.display())))
            }
        }
    }
    Ok(if out.as_os_str().is_empty() {
        None
    } else {
        Some(out)
    })
}

/// Whether a symlink at `rel` pointing to `target` stays inside the tree.
fn link_stays_inside(rel: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth = rel.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// Refuses to write below a symlink: every existing parent of `rel` inside
/// `root` must be a real directory.
fn check_parents(root: &Path, rel: &Path) -> Result<()> {
    let mut cur = root.to_path_buf();
    if let Some(parent) = rel.parent() {
        for c in parent.components() {
            cur.push(c);
            match fs::symlink_metadata(&cur) {
                Ok(md) if md.file_type().is_symlink() => {
                    return Err(hostile(format!(
                        "'{}' would be written through a symlink",
                        rel.display()
                    )))
                }
                Ok(md) if !md.is_dir() => {
                    return Err(hostile(format!("'{}' lies below a file", rel.display())))
                }
                Ok(_) => {}
                Err(_) => {
                    fs::create_dir_all(&cur).context(|| format!("creating {}", cur.display()))?
                }
            }
        }
    }
    Ok(())
}

/// Extracts `tar` (a stream of a verified release tar) into `dest`, which must
/// not exist yet. Returns the number of file bytes written.
pub fn extract_tar(tar: impl std::io::Read, dest: &Path, max_bytes: u64) -> Result<u64> {
    fs::create_dir(dest).context(|| format!("creating {}", dest.display()))?;
    let mut archive = tar::Archive::new(tar);
    let mut written = 0u64;
    let entries = archive
        .entries()
        .context(|| "reading the release tar".into())?;
    for entry in entries {
        let mut entry = entry.map_err(|e| hostile(format!("malformed tar: {e}")))?;
        let raw = entry
            .path()
            .map_err(|e| hostile(format!("unreadable name: {e}")))?
            .into_owned();
        let Some(rel) = member_path(&raw)? else {
            continue;
        };
        let kind = entry.header().entry_type();
        let size = entry
            .header()
            .size()
            .map_err(|e| hostile(format!("{}: bad size: {e}", rel.display())))?;
        let mode = entry.header().mode().unwrap_or(0o644);
        check_parents(dest, &rel)?;
        let path = dest.join(&rel);
        if fs::symlink_metadata(&path).is_ok() && !kind.is_dir() {
            return Err(hostile(format!("'{}' appears twice", rel.display())));
        }
        match kind {
            tar::EntryType::Directory => {
                if let Ok(md) = fs::symlink_metadata(&path) {
                    if !md.is_dir() {
                        return Err(hostile(format!(
                            "'{}' is a directory and not one",
                            rel.display()
                        )));
                    }
                } else {
                    fs::create_dir(&path).context(|| format!("creating {}", path.display()))?;
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                written = written.saturating_add(size);
                if written > max_bytes {
                    return Err(Error::TooLarge {
                        what: "extracted release".into(),
                        limit: max_bytes,
                    });
                }
                let mut out = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .context(|| format!("creating {}", path.display()))?;
                let copied = std::io::copy(&mut (&mut entry).take(size), &mut out)
                    .context(|| format!("writing {}", path.display()))?;
                if copied != size {
                    return Err(hostile(format!(
                        "'{}' is shorter than declared",
                        rel.display()
                    )));
                }
                set_mode(&path, if mode & 0o111 != 0 { 0o755 } else { 0o644 })?;
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(|e| hostile(format!("{}: bad link: {e}", rel.display())))?
                    .ok_or_else(|| {
                        hostile(format!("'{}' is a symlink without target", rel.display()))
                    })?
                    .into_owned();
                if !link_stays_inside(&rel, &target) {
                    return Err(hostile(format!(
                        "symlink '{}' points outside the tree ({})",
                        rel.display(),
                        target.display()
                    )));
                }
                make_symlink(&target, &path)?;
            }
            tar::EntryType::Link => {
                return Err(hostile(format!("'{}' is a hard link", rel.display())));
            }
            other => {
                return Err(hostile(format!(
                    "'{}' has unsupported type {other:?}",
                    rel.display()
                )));
            }
        }
    }
    Ok(written)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .context(|| format!("setting mode of {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(target: &Path, path: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, path)
        .context(|| format!("creating symlink {}", path.display()))
}

#[cfg(windows)]
fn make_symlink(target: &Path, path: &Path) -> Result<()> {
    std::os::windows::fs::symlink_file(target, path)
        .context(|| format!("creating symlink {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // Write names raw: the tar crate's helpers refuse the hostile ones.
            let name_field = &mut h.as_old_mut().name;
            name_field[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(l) = link {
                h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn refuses(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)], words: &str) {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let err = extract_tar(tar_with(entries).as_slice(), &dest, 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(err.contains(words), "{err}");
    }

    use tar::EntryType as T;

    #[test]
    fn extracts_a_normal_tree() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let tar = tar_with(&[
            ("./", T::Directory, b"", None),
            ("./a/", T::Directory, b"", None),
            ("./a/f.txt", T::Regular, b"hello", None),
            ("./link", T::Symlink, b"", Some("a/f.txt")),
        ]);
        assert_eq!(extract_tar(tar.as_slice(), &dest, 100).unwrap(), 5);
        assert_eq!(fs::read(dest.join("link")).unwrap(), b"hello");
    }

    #[test]
    fn refuses_hostile_entries() {
        refuses(&[("../evil", T::Regular, b"x", None)], "climbs out");
        refuses(&[("./a/../../evil", T::Regular, b"x", None)], "climbs out");
        refuses(&[("/etc/evil", T::Regular, b"x", None)], "absolute");
        refuses(
            &[("./etc", T::Symlink, b"", Some("/etc"))],
            "outside the tree",
        );
        refuses(
            &[("./a/up", T::Symlink, b"", Some("../../x"))],
            "outside the tree",
        );
        refuses(
            &[
                ("./d", T::Symlink, b"", Some(".")),
                ("./d/x", T::Regular, b"x", None),
            ],
            "through a symlink",
        );
        refuses(
            &[("./hard", T::Link, b"", Some("/etc/passwd"))],
            "hard link",
        );
        refuses(&[("./dev", T::Char, b"", None)], "unsupported type");
        refuses(&[("./fifo", T::Fifo, b"", None)], "unsupported type");
        refuses(
            &[
                ("./x", T::Regular, b"1", None),
                ("./x", T::Regular, b"2", None),
            ],
            "twice",
        );
    }

    #[test]
    fn refuses_more_than_declared() {
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[("./big", T::Regular, &[0u8; 1000], None)]);
        let err = extract_tar(tar.as_slice(), &dir.path().join("o"), 999).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }));
        // A header that declares more data than the archive holds.
        let mut truncated = tar_with(&[("./big", T::Regular, &[0u8; 1000], None)]);
        truncated.truncate(700);
        assert!(extract_tar(truncated.as_slice(), &dir.path().join("p"), 1 << 20).is_err());
    }
}
