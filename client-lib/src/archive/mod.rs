//! Release archives: a gzip-compressed POSIX tar whose members are `./`,
//! `./file`, `./dir/`, … (tufup's layout).
//!
//! Tufa writes them deterministically: entries sorted by path, owner root,
//! a fixed mtime, permissions reduced to 0644/0755, so that the same bundle
//! always gives the same tar and therefore the same `tar_hash`.

use crate::error::IoContext;
use crate::{Error, Result};
use std::io::Read;
use std::path::Path;

/// The mtime written for every tar member (2000-01-01T00:00:00Z). A fixed
/// value keeps archives reproducible; installers do not rely on it.
pub const FIXED_MTIME: u64 = 946_684_800;

/// The largest tar a gzip file of `compressed_len` bytes can hold: gzip
/// cannot expand more than ~1032:1, so this bound never rejects a genuine
/// archive, while a small hostile one cannot fill the disk.
pub fn gunzip_bound(compressed_len: u64) -> u64 {
    compressed_len.saturating_mul(1032).saturating_add(1 << 20)
}

#[cfg(feature = "publisher")]
mod manifest;
#[cfg(feature = "publisher")]
pub use manifest::{CrcReader, Manifest};
#[cfg(feature = "publisher")]
mod members;
#[cfg(feature = "publisher")]
pub use members::{
    member_ranges, unpack_with_members, write_archive, ArchiveStats, GzMember, Reusable, Unpacked,
};
#[cfg(feature = "publisher")]
pub(crate) use writer::member_name;
#[cfg(feature = "publisher")]
pub use writer::{tar_bundle, BundleEntry, BundleListing};

#[cfg(feature = "publisher")]
mod writer {
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
}

/// Copies what `reader` decompresses from `paths.0` into `out` (writing
/// `paths.1`), refusing more than `limit` bytes; every chunk also goes to
/// `seen` (hashes). Returns the bytes copied.
pub(crate) fn copy_decompressed(
    reader: &mut dyn Read,
    out: &mut dyn std::io::Write,
    limit: u64,
    paths: (&Path, &Path),
    seen: &mut dyn FnMut(&[u8]),
) -> Result<u64> {
    let (archive, tar) = paths;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .context(|| format!("decompressing {}", archive.display()))?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        if total > limit {
            return Err(Error::TooLarge {
                what: format!("{} (decompressed)", archive.display()),
                limit,
            });
        }
        seen(&buf[..n]);
        out.write_all(&buf[..n])
            .context(|| format!("writing {}", tar.display()))?;
    }
}

/// Decompresses the `.tar.gz` file `archive` into the file `tar` as a
/// stream, hashing while writing. More than `limit` bytes is refused;
/// `check` sees the sha256 (lowercase hex) before the tar is renamed into
/// place, so a refused tar never appears at `tar`.
///
/// ```no_run
/// use tufa::archive::gunzip_file;
/// let expected = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// gunzip_file("app-1.1.tar.gz".as_ref(), "app-1.1.tar".as_ref(), 1 << 30, |sha256| {
///     if sha256 == expected {
///         Ok(())
///     } else {
///         Err(tufa::Error::TarHashMismatch {
///             expected: expected.into(),
///             actual: sha256.into(),
///         })
///     }
/// })?;
/// # Ok::<(), tufa::Error>(())
/// ```
pub fn gunzip_file(
    archive: &Path,
    tar: &Path,
    limit: u64,
    check: impl FnOnce(&str) -> Result<()>,
) -> Result<()> {
    use sha2::Digest;
    let file = std::fs::File::open(archive).context(|| format!("opening {}", archive.display()))?;
    let mut hasher = sha2::Sha256::new();
    let mut reader = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file))
        .take(limit.saturating_add(1));
    crate::fsutil::write_atomic_with(tar, |out| {
        copy_decompressed(&mut reader, out, limit, (archive, tar), &mut |chunk| {
            hasher.update(chunk)
        })?;
        check(&hex::encode(hasher.finalize_reset()))
    })
}

#[cfg(all(test, feature = "publisher", unix))]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use std::os::unix::fs::PermissionsExt;

    fn tar_of(dir: &Path) -> Vec<u8> {
        let listing = BundleListing::scan(dir).unwrap();
        let mut out = Vec::new();
        tar_bundle(&listing, &mut out, &mut NoProgress).unwrap();
        out
    }

    fn sample(dir: &Path) {
        std::fs::create_dir_all(dir.join("d/e")).unwrap();
        std::fs::write(dir.join("b.txt"), b"bee").unwrap();
        std::fs::write(dir.join("a.bin"), b"\x7fELF").unwrap();
        std::fs::set_permissions(dir.join("a.bin"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        std::fs::write(dir.join("d/e/deep.txt"), b"deep").unwrap();
        std::os::unix::fs::symlink("e/deep.txt", dir.join("d/link")).unwrap();
        let long = "x".repeat(120);
        std::fs::write(dir.join("d").join(&long), b"long name").unwrap();
    }

    #[test]
    fn tar_is_deterministic_and_in_tufup_layout() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        sample(one.path());
        std::thread::sleep(std::time::Duration::from_millis(20));
        sample(two.path());
        let t1 = tar_of(one.path());
        assert_eq!(t1, tar_of(two.path()), "same content, other dir and mtimes");

        let mut archive = tar::Archive::new(t1.as_slice());
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let e = entry.unwrap();
            let h = e.header();
            assert_eq!(h.mtime().unwrap(), FIXED_MTIME);
            assert_eq!(h.uid().unwrap(), 0);
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mode = h.mode().unwrap();
            match path.as_str() {
                "./a.bin" => assert_eq!(mode, 0o755),
                "./b.txt" => assert_eq!(mode, 0o644),
                "./d/link" => {
                    assert_eq!(h.entry_type(), tar::EntryType::Symlink);
                    assert_eq!(e.link_name().unwrap().unwrap().to_str(), Some("e/deep.txt"));
                }
                _ => {}
            }
            seen.push(path);
        }
        let long = format!("./d/{}", "x".repeat(120));
        assert_eq!(
            seen,
            vec![
                "./",
                "./a.bin",
                "./b.txt",
                "./d/",
                "./d/e/",
                "./d/e/deep.txt",
                "./d/link",
                long.as_str()
            ]
        );
    }

    /// Writes `tar` to a file and compresses it as releases are; returns
    /// the archive's bytes.
    fn archive_of(dir: &Path, tar: &[u8], reuse: Option<&Reusable>) -> (Vec<u8>, ArchiveStats) {
        let tar_path = dir.join("t.tar");
        std::fs::write(&tar_path, tar).unwrap();
        let layout = crate::tar_layout::TarLayout::read(&tar_path).unwrap();
        let mut gz = Vec::new();
        let stats = write_archive(&tar_path, &layout, reuse, &mut gz, &mut NoProgress).unwrap();
        (gz, stats)
    }

    #[test]
    fn archive_round_trip_reproducible_and_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path());
        let tar = tar_of(dir.path());
        let work = tempfile::tempdir().unwrap();
        let (gz, _) = archive_of(work.path(), &tar, None);
        let (gz2, _) = archive_of(work.path(), &tar, None);
        assert_eq!(gz, gz2, "gzip output is reproducible");
        let archive = work.path().join("a.tar.gz");
        std::fs::write(&archive, &gz).unwrap();
        let out = work.path().join("out.tar");
        gunzip_file(&archive, &out, tar.len() as u64, |_| Ok(())).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), tar);
        let refused = work.path().join("refused.tar");
        let err = gunzip_file(&archive, &refused, tar.len() as u64 - 1, |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }));
        assert!(!refused.exists(), "nothing half written");
    }

    #[test]
    fn large_archives_are_several_gzip_members_in_order_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..(members::PIECE_BYTES * 2 + 12345) as u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        std::fs::write(dir.path().join("big.bin"), &data).unwrap();
        std::fs::write(dir.path().join("small.txt"), b"small").unwrap();
        let tar = tar_of(dir.path());
        let work = tempfile::tempdir().unwrap();
        let (gz, stats) = archive_of(work.path(), &tar, None);
        assert!(stats.members >= 3, "{stats:?}");
        assert_eq!(stats.reused_members, 0);
        let archive = work.path().join("a.tar.gz");
        std::fs::write(&archive, &gz).unwrap();
        let old_tar = work.path().join("old.tar");
        let unpacked = unpack_with_members(&archive, &old_tar, tar.len() as u64).unwrap();
        assert_eq!(unpacked.members.len() as u64, stats.members);
        assert_eq!(std::fs::read(&old_tar).unwrap(), tar, "members in order");
        let reuse = Reusable {
            archive,
            tar: old_tar,
            members: unpacked.members,
        };
        let (again, stats) = archive_of(work.path(), &tar, Some(&reuse));
        assert_eq!(stats.reused_members, stats.members, "{stats:?}");
        assert_eq!(gz, again, "copied members are the bytes compression gives");
    }
}
