//! Extraction of a release tar into a fresh directory, treating the tar as
//! hostile even though its hash was verified: a signed archive can still
//! have been built from a poisoned bundle, and defence in depth is cheap.
//!
//! Refused: absolute paths, `..`, paths through a symlink, symlinks whose
//! target leaves the tree (by its text when written, and on disk, through
//! the other links, once the tree is complete), hard links, device files, fifos, entries whose
//! data runs past the end of the archive, and anything beyond `max_bytes`.

use crate::error::IoContext;
use crate::{Error, Result};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

fn hostile(what: impl Into<String>) -> Error {
    Error::Install(format!("refusing archive entry: {}", what.into()))
}

/// A relative path inside the tree, from an entry name such as `./a/b`.
/// `None` for the root entry.
pub(crate) fn member_path(raw: &Path) -> Result<Option<PathBuf>> {
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

/// How many symlinks one path may pass through before it counts as a loop
/// (Linux's own limit, ELOOP).
const MAX_LINK_HOPS: usize = 40;
/// Path components resolving links may walk, per link on average (plus
/// [`RESOLVE_SLACK`]): a real tree needs a handful; links built to expand
/// into each other would otherwise cost hops × length per link.
pub(crate) const RESOLVE_STEPS_PER_LINK: usize = 256;
pub(crate) const RESOLVE_SLACK: usize = 4096;

/// Why a path does not resolve inside the tree.
pub(crate) const OUTSIDE: &str = "resolves outside the tree";
const LOOPS: &str = "passes through more than 40 symlinks";
const TOO_LONG: &str = "takes too many steps to resolve";

/// Resolves `rel` (relative to `root`) the way the OS will, following the
/// symlinks that exist *on disk* below `root`, and returns where it leads
/// relative to `root`; refused when it leaves `root` (through `..` or an
/// absolute target), loops, or exhausts `budget` (steps walked, shared by
/// all the links of one tree). Components that do not exist are taken as
/// plain names. Checking only a link's own text is not enough: with
/// `q -> ../..` and `p -> q/..`, every text stays inside, `p` does not.
pub(crate) fn resolve_inside(
    root: &Path,
    rel: &Path,
    budget: &mut usize,
) -> std::result::Result<PathBuf, &'static str> {
    let mut at: Vec<OsString> = Vec::new();
    let mut todo: VecDeque<Step> = VecDeque::new();
    push_steps(&mut todo, rel)?;
    let mut hops = 0;
    while let Some(step) = todo.pop_front() {
        *budget = budget.checked_sub(1).ok_or(TOO_LONG)?;
        match step {
            Step::Up => {
                at.pop().ok_or(OUTSIDE)?;
            }
            Step::Name(name) => {
                at.push(name);
                let here = root.join(at.iter().collect::<PathBuf>());
                let is_link = fs::symlink_metadata(&here)
                    .map(|m| m.file_type().is_symlink())
                    .unwrap_or(false);
                if is_link {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(LOOPS);
                    }
                    let target = fs::read_link(&here).map_err(|_| OUTSIDE)?;
                    // The link is replaced by its target, read from the
                    // directory holding it.
                    at.pop();
                    push_steps(&mut todo, &target)?;
                }
            }
        }
    }
    Ok(at.iter().collect())
}

enum Step {
    Up,
    Name(OsString),
}

/// Puts the components of `path` in front of `todo`; an absolute path
/// leaves any tree.
fn push_steps(todo: &mut VecDeque<Step>, path: &Path) -> std::result::Result<(), &'static str> {
    let mut steps = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => steps.push(Step::Up),
            Component::Normal(n) => steps.push(Step::Name(n.to_os_string())),
            Component::RootDir | Component::Prefix(_) => return Err(OUTSIDE),
        }
    }
    for s in steps.into_iter().rev() {
        todo.push_front(s);
    }
    Ok(())
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
    let entries = archive
        .entries()
        .context(|| "reading the release tar".into())?;
    Ok(extract_entries(entries, dest, max_bytes, None)?.bytes)
}

/// What an extraction wrote.
pub(crate) struct Extracted {
    /// File bytes, written or reused.
    pub bytes: u64,
    /// The regular files, relative to the tree.
    pub files: Vec<PathBuf>,
}

/// [`extract_tar`] from a seekable tar, taking files from the installed
/// version through `reuser` where it can: their data is seeked over, not
/// read.
pub(crate) fn extract_tar_reusing<R: std::io::Read + std::io::Seek>(
    tar: R,
    dest: &Path,
    max_bytes: u64,
    reuser: Option<&mut super::reuse::Reuser<'_>>,
) -> Result<Extracted> {
    fs::create_dir(dest).context(|| format!("creating {}", dest.display()))?;
    let mut archive = tar::Archive::new(tar);
    let entries = archive
        .entries_with_seek()
        .context(|| "reading the release tar".into())?;
    extract_entries(entries, dest, max_bytes, reuser)
}

fn extract_entries<R: std::io::Read>(
    entries: tar::Entries<'_, R>,
    dest: &Path,
    max_bytes: u64,
    mut reuser: Option<&mut super::reuse::Reuser<'_>>,
) -> Result<Extracted> {
    let mut written = 0u64;
    let mut links: Vec<PathBuf> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
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
                let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
                files.push(rel.clone());
                if let Some(r) = reuser.as_deref_mut() {
                    if size > 0 && r.try_reuse(entry.raw_file_position(), size, mode, &path) {
                        continue;
                    }
                    r.report.files_written += 1;
                    r.report.bytes_written += size;
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
                set_mode(&path, mode)?;
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
                links.push(rel);
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
    // Links are checked again once the tree is complete: a link written
    // early can point through one written later, so what a link means on
    // disk is only known at the end. Nothing was written through a link
    // meanwhile (`check_parents`, `create_new`), so refusing now is enough.
    check_links(dest, &links)?;
    Ok(Extracted {
        bytes: written,
        files,
    })
}

/// Refuses any of `links` (paths relative to `root`) that resolves, on
/// disk, outside `root`.
pub(crate) fn check_links(root: &Path, links: &[PathBuf]) -> Result<()> {
    let mut budget = links
        .len()
        .saturating_mul(RESOLVE_STEPS_PER_LINK)
        .saturating_add(RESOLVE_SLACK);
    for rel in links {
        if let Err(why) = resolve_inside(root, rel, &mut budget) {
            let target = fs::read_link(root.join(rel)).unwrap_or_default();
            return Err(hostile(format!(
                "symlink '{}' {why} ({})",
                rel.display(),
                target.display()
            )));
        }
    }
    Ok(())
}

#[cfg(unix)]
pub(super) fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .context(|| format!("setting mode of {}", path.display()))
}

#[cfg(not(unix))]
pub(super) fn set_mode(_: &Path, _: u32) -> Result<()> {
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

    /// Every link's text stays inside; on disk `q` is the root, so `p`
    /// (`q/..`) and `s` (through `p`) are outside. Written before `q`, so
    /// only the check of the finished tree sees it.
    #[test]
    fn refuses_a_chain_of_links_that_leaves_on_disk() {
        refuses(
            &[
                ("./s", T::Symlink, b"", Some("d1/d2/p/victim")),
                ("./d1/", T::Directory, b"", None),
                ("./d1/d2/", T::Directory, b"", None),
                ("./d1/d2/p", T::Symlink, b"", Some("q/../../..")),
                ("./d1/d2/q", T::Symlink, b"", Some("../..")),
            ],
            "symlink 's' resolves outside the tree (d1/d2/p/victim)",
        );
        refuses(
            &[
                ("./a", T::Symlink, b"", Some("b")),
                ("./b", T::Symlink, b"", Some("a")),
            ],
            "symlink 'a' passes through more than 40 symlinks",
        );
        // Links into links that stay inside are fine.
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[
            ("./lib/", T::Directory, b"", None),
            ("./lib/real.so", T::Regular, b"so", None),
            ("./lib/v1.so", T::Symlink, b"", Some("real.so")),
            ("./up", T::Symlink, b"", Some("lib/../lib")),
            ("./cur.so", T::Symlink, b"", Some("up/v1.so")),
        ]);
        extract_tar(tar.as_slice(), &dir.path().join("o"), 100).unwrap();
        assert_eq!(fs::read(dir.path().join("o/cur.so")).unwrap(), b"so");
    }

    /// Links built to expand into each other exhaust the shared budget
    /// instead of the CPU.
    #[cfg(unix)]
    #[test]
    fn link_resolution_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Each level doubles: l1 -> l0/l0, l2 -> l1/l1, …
        std::os::unix::fs::symlink(".", root.join("l0")).unwrap();
        for i in 1..30 {
            let prev = format!("l{}", i - 1);
            std::os::unix::fs::symlink(format!("{prev}/{prev}"), root.join(format!("l{i}")))
                .unwrap();
        }
        let mut budget = 10_000;
        let err = resolve_inside(root, Path::new("l29"), &mut budget).unwrap_err();
        assert!(err == TOO_LONG || err == LOOPS, "{err}");
        assert_eq!(
            resolve_inside(root, Path::new("l0/.."), &mut 100),
            Err(OUTSIDE)
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
