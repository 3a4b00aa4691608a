//! Turning a bundle folder into a deterministic tar: the listing (what is
//! in it, validated) and the writer (sorted entries, normalised owner and
//! mtime), so the same bundle always gives the same bytes.

use super::FIXED_MTIME;
use crate::error::IoContext;
use crate::{Error, Phase, Progress, Result};
use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// One member of a bundle, as it will be written into the tar.
#[derive(Debug, Clone)]
pub enum BundleEntry {
    /// A directory (relative path).
    Dir(PathBuf),
    /// A regular file with its size and whether it is executable.
    File {
        rel: PathBuf,
        size: u64,
        executable: bool,
    },
    /// A symlink that stays inside the bundle.
    Symlink { rel: PathBuf, target: PathBuf },
}

/// The validated contents of a bundle directory, in tar order.
#[derive(Debug, Clone)]
pub struct BundleListing {
    /// The bundle directory.
    pub root: PathBuf,
    /// Members in the order they are written.
    pub entries: Vec<BundleEntry>,
    /// Sum of the sizes of all regular files.
    pub content_bytes: u64,
}

impl BundleListing {
    /// Walks and validates a bundle directory: it must exist and not be
    /// empty; symlinks must stay inside it; device files, sockets and
    /// pipes are refused.
    pub fn scan(root: &Path) -> Result<Self> {
        let meta = fs::metadata(root).map_err(|_| Error::BundleNotFound(root.into()))?;
        if !meta.is_dir() {
            return Err(Error::BundleNotFound(root.into()));
        }
        let canonical_root =
            fs::canonicalize(root).context(|| format!("resolving {}", root.display()))?;
        let mut entries = Vec::new();
        let mut content_bytes = 0;
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .min_depth(1);
        for item in walker {
            let item = item.map_err(|e| {
                let path = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                Error::io(
                    format!("reading bundle entry {path}"),
                    e.into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("filesystem loop")),
                )
            })?;
            let rel = item
                .path()
                .strip_prefix(root)
                .map_err(|_| Error::UnsupportedFileType(item.path().into()))?
                .to_path_buf();
            let ft = item.file_type();
            if ft.is_dir() {
                entries.push(BundleEntry::Dir(rel));
            } else if ft.is_file() {
                let md = item.metadata().map_err(|e| {
                    Error::io(format!("reading {}", item.path().display()), e.into())
                })?;
                content_bytes += md.len();
                entries.push(BundleEntry::File {
                    rel,
                    size: md.len(),
                    executable: is_executable(&md),
                });
            } else if ft.is_symlink() {
                let target = fs::read_link(item.path())
                    .context(|| format!("reading symlink {}", item.path().display()))?;
                check_symlink(&canonical_root, item.path(), &rel, &target)?;
                entries.push(BundleEntry::Symlink { rel, target });
            } else {
                return Err(Error::UnsupportedFileType(item.path().into()));
            }
        }
        if entries.is_empty() {
            return Err(Error::EmptyBundle(root.into()));
        }
        Ok(BundleListing {
            root: root.into(),
            entries,
            content_bytes,
        })
    }
}

#[cfg(unix)]
fn is_executable(md: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    md.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    false
}

/// A symlink is kept only if it resolves inside the bundle, both by its
/// text (no absolute target, no `..` past the root) and on disk (no
/// chain of links that leaves the tree).
fn check_symlink(canonical_root: &Path, path: &Path, rel: &Path, target: &Path) -> Result<()> {
    let escapes = || Error::SymlinkEscapesBundle {
        path: path.into(),
        target: target.into(),
    };
    if target.is_absolute() {
        return Err(escapes());
    }
    let mut depth: i64 = rel.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(escapes()),
        }
        if depth < 0 {
            return Err(escapes());
        }
    }
    if let Ok(resolved) = fs::canonicalize(path) {
        if !resolved.starts_with(canonical_root) {
            return Err(escapes());
        }
    }
    Ok(())
}

pub(crate) fn member_name(rel: &Path, dir: bool) -> Result<String> {
    let text = rel
        .to_str()
        .ok_or_else(|| Error::UnsupportedFileType(rel.into()))?
        .replace(std::path::MAIN_SEPARATOR, "/");
    Ok(if dir {
        format!("./{text}/")
    } else {
        format!("./{text}")
    })
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(FIXED_MTIME);
    h.set_uid(0);
    h.set_gid(0);
    // Only fails for names longer than the field: these are not.
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h
}

/// One PAX record: "<len> <key>=<value>\n", where len counts itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}").len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

/// Appends a member named exactly `name` (the tar crate would strip
/// the leading "./" that tufup's layout has). Names or link targets
/// longer than the ustar fields go into a PAX header, as Python's
/// tarfile writes them.
fn append_member(
    builder: &mut tar::Builder<impl Write>,
    mut h: tar::Header,
    name: &str,
    link: Option<&str>,
    data: impl Read,
) -> std::io::Result<()> {
    let mut pax = Vec::new();
    let old = h.as_old_mut();
    if name.len() <= old.name.len() {
        old.name[..name.len()].copy_from_slice(name.as_bytes());
    } else {
        pax.extend(pax_record("path", name));
        let cut = name.floor_char_boundary(old.name.len());
        old.name[..cut].copy_from_slice(&name.as_bytes()[..cut]);
    }
    if let Some(link) = link {
        if link.len() <= old.linkname.len() {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        } else {
            pax.extend(pax_record("linkpath", link));
        }
    }
    if !pax.is_empty() {
        let mut ph = header(tar::EntryType::XHeader, 0o644, pax.len() as u64);
        let pax_name = b"./PaxHeaders/member";
        ph.as_old_mut().name[..pax_name.len()].copy_from_slice(pax_name);
        ph.set_cksum();
        builder.append(&ph, pax.as_slice())?;
    }
    h.set_cksum();
    builder.append(&h, data)
}

/// Writes the deterministic tar of a scanned bundle into `out`,
/// reporting file bytes as progress. Returns the bytes written.
pub fn tar_bundle(
    listing: &BundleListing,
    out: impl Write,
    progress: &mut dyn Progress,
) -> Result<super::Manifest> {
    let mut manifest = super::Manifest::default();
    progress.start(Phase::Archive, Some(listing.content_bytes));
    let mut builder = tar::Builder::new(out);
    let tar_err =
        |what: &str, e: std::io::Error| Error::io(format!("writing tar member {what}"), e);
    let root = header(tar::EntryType::Directory, 0o755, 0);
    append_member(&mut builder, root, "./", None, std::io::empty())
        .map_err(|e| tar_err("./", e))?;
    let mut done = 0;
    for entry in &listing.entries {
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        match entry {
            BundleEntry::Dir(rel) => {
                let name = member_name(rel, true)?;
                let h = header(tar::EntryType::Directory, 0o755, 0);
                append_member(&mut builder, h, &name, None, std::io::empty())
                    .map_err(|e| tar_err(&name, e))?;
            }
            BundleEntry::File {
                rel,
                size,
                executable,
            } => {
                let name = member_name(rel, false)?;
                let path = listing.root.join(rel);
                let file =
                    fs::File::open(&path).context(|| format!("opening {}", path.display()))?;
                let mode = if *executable { 0o755 } else { 0o644 };
                let h = header(tar::EntryType::Regular, mode, *size);
                // A file that grows while we read it must not corrupt
                // the tar: read exactly the size we declared.
                let mut limited = super::CrcReader::new(file.take(*size));
                append_member(&mut builder, h, &name, None, &mut limited)
                    .map_err(|e| tar_err(&name, e))?;
                let (limited, crc) = limited.into_parts();
                manifest.files.insert(name.clone(), (*size, crc));
                if limited.limit() != 0 {
                    return Err(Error::io(
                        format!("reading {}", path.display()),
                        std::io::Error::other("file shrank while it was being archived"),
                    ));
                }
                done += size;
                progress.advance(done);
            }
            BundleEntry::Symlink { rel, target } => {
                let name = member_name(rel, false)?;
                let h = header(tar::EntryType::Symlink, 0o777, 0);
                let target_text = target
                    .to_str()
                    .ok_or_else(|| Error::UnsupportedFileType(listing.root.join(rel)))?;
                append_member(&mut builder, h, &name, Some(target_text), std::io::empty())
                    .map_err(|e| tar_err(&name, e))?;
            }
        }
    }
    builder
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(|e| tar_err("end of archive", e))?;
    progress.finish(Phase::Archive);
    Ok(manifest)
}
