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
mod writer;

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
    gunzip_file_watched(archive, tar, limit, check, &mut crate::fsutil::unwatched)
}

/// [`gunzip_file`] that tells `watch` the bytes of `archive` read so far
/// (the client's progress, and its cancellation).
pub(crate) fn gunzip_file_watched(
    archive: &Path,
    tar: &Path,
    limit: u64,
    check: impl FnOnce(&str) -> Result<()>,
    watch: crate::fsutil::Watch<'_>,
) -> Result<()> {
    use sha2::Digest;
    let file = std::fs::File::open(archive).context(|| format!("opening {}", archive.display()))?;
    let mut hasher = sha2::Sha256::new();
    let watched = crate::fsutil::WatchedRead {
        inner: std::io::BufReader::new(file),
        done: 0,
        watch,
    };
    let mut reader = flate2::read::MultiGzDecoder::new(watched).take(limit.saturating_add(1));
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
