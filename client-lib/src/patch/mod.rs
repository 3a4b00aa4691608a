//! Binary patches between the uncompressed tars of two releases, in the
//! BSDIFF40 format of bsdiff 4.x (what Python's `bsdiff4` and tufup use).

use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::AtomicBool;

#[cfg(feature = "publisher")]
mod anchors;
mod apply;
mod format;
#[cfg(feature = "publisher")]
mod tar_aware;
#[cfg(feature = "publisher")]
mod writer;

pub use apply::{apply_streaming, apply_streaming_cancellable};
#[cfg(feature = "publisher")]
pub use tar_aware::{create_files, DiffStats};

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Computes a BSDIFF40 patch that turns `old` into `new` by bsdiff over
/// the whole input (what [`create_files`] falls back to for tars it
/// cannot read member by member).
#[cfg(feature = "publisher")]
pub fn create(old: &[u8], new: &[u8]) -> Result<Vec<u8>> {
    let mut patch = Vec::new();
    qbsdiff::Bsdiff::new(old, new)
        .compression_level(9)
        .compare(std::io::Cursor::new(&mut patch))
        .map_err(|e| Error::patch_creation(format!("creating patch: {e}")))?;
    Ok(patch)
}

/// Applies the BSDIFF40 patch file `patch` to the file `old` and writes
/// the result to `new` atomically (aside, then renamed), streaming: memory
/// stays at a few buffers. The result must be exactly `expected_size`
/// bytes with sha256 `expected_hash`, checked before it takes its place.
///
/// ```no_run
/// // The values come from the patch's custom metadata in targets.json.
/// tufa::patch::apply_file(
///     "cache/app-1.0.tar".as_ref(),
///     "downloads/app-1.1.patch".as_ref(),
///     "cache/app-1.1.tar".as_ref(),
///     104_857_600,
///     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
/// )?;
/// # Ok::<(), tufa::Error>(())
/// ```
pub fn apply_file(
    old: &Path,
    patch: &Path,
    new: &Path,
    expected_size: u64,
    expected_hash: &str,
) -> Result<()> {
    let never = AtomicBool::new(false);
    apply_file_cancellable(old, patch, new, expected_size, expected_hash, &never)
}

/// [`apply_file`] that stops with [`Error::Cancelled`] soon after `cancel`
/// is set, leaving nothing at `new`.
pub fn apply_file_cancellable(
    old: &Path,
    patch: &Path,
    new: &Path,
    expected_size: u64,
    expected_hash: &str,
    cancel: &AtomicBool,
) -> Result<()> {
    apply_file_watched(
        old,
        patch,
        new,
        Expected {
            size: expected_size,
            sha256: expected_hash,
        },
        cancel,
        None,
        &mut crate::fsutil::unwatched,
    )
}

/// [`apply_file_cancellable`] that also tells `watch` the bytes written so
/// far (the client's progress, and its cancellation between checks).
/// What a patch must produce: the size and sha256 the signed metadata
/// declares.
pub(crate) struct Expected<'a> {
    pub size: u64,
    pub sha256: &'a str,
}

pub(crate) fn apply_file_watched(
    old: &Path,
    patch: &Path,
    new: &Path,
    expected: Expected<'_>,
    cancel: &AtomicBool,
    same: Option<&mut crate::install::SameRanges>,
    watch: crate::fsutil::Watch<'_>,
) -> Result<()> {
    crate::fsutil::write_atomic_with(new, |out| {
        let mut out = crate::fsutil::WatchedWrite {
            inner: out,
            done: 0,
            watch,
        };
        let actual =
            apply::apply_streaming_tracked(old, patch, &mut out, expected.size, cancel, same)?;
        if actual != expected.sha256 {
            return Err(Error::TarHashMismatch {
                expected: expected.sha256.to_string(),
                actual,
            });
        }
        Ok(())
    })
}

#[cfg(all(test, feature = "publisher"))]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn apply_bytes(old: &[u8], patch: &[u8], size: u64, hash: &str) -> Result<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let (o, p, n) = (
            dir.path().join("old"),
            dir.path().join("p"),
            dir.path().join("new"),
        );
        std::fs::write(&o, old).unwrap();
        std::fs::write(&p, patch).unwrap();
        apply_file(&o, &p, &n, size, hash)?;
        Ok(std::fs::read(&n).unwrap())
    }

    #[test]
    fn round_trip_and_hash_check() {
        let old: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut new = old.clone();
        new[1000..1100].fill(7);
        new.extend_from_slice(b"appended");
        let p = create(&old, &new).unwrap();
        assert_eq!(&p[..8], b"BSDIFF40");
        let out = apply_bytes(&old, &p, new.len() as u64, &sha256_hex(&new)).unwrap();
        assert_eq!(out, new);
        let wrong = apply_bytes(&old, &p, new.len() as u64, &"0".repeat(64));
        assert!(matches!(wrong, Err(Error::TarHashMismatch { .. })));
        let wrong_size = apply_bytes(&old, &p, 5, &sha256_hex(&new));
        assert!(matches!(wrong_size, Err(Error::CorruptPatch { .. })));
        assert!(matches!(
            apply_bytes(&old, b"garbage", 1, &sha256_hex(b"x")),
            Err(Error::CorruptPatch { .. })
        ));
        let mut cut = p.clone();
        cut.truncate(p.len() / 2);
        assert!(matches!(
            apply_bytes(&old, &cut, new.len() as u64, &sha256_hex(&new)),
            Err(Error::CorruptPatch { .. })
        ));
    }

    /// A patch whose control block asks for more output than declared is
    /// refused before writing it.
    #[test]
    fn hostile_control_entries_are_refused() {
        let mut w = writer::PatchWriter::new();
        w.extra(b"0123456789").unwrap();
        let mut p = Vec::new();
        w.finish(&mut p).unwrap();
        let err = apply_bytes(b"", &p, 10, &sha256_hex(b"0123456789"));
        assert!(err.is_ok(), "{err:?}");
        let mut lying = p.clone();
        format::encode_int(4, &mut lying[24..32]);
        let err = apply_bytes(b"", &lying, 4, &sha256_hex(b"0123")).unwrap_err();
        assert!(err.to_string().contains("past the declared size"), "{err}");
    }

    #[test]
    fn writer_merges_runs_and_seeks_anywhere() {
        let old: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let mut new = Vec::new();
        let mut w = writer::PatchWriter::new();
        // Same bytes from the middle, then from the start, then new bytes,
        // then a changed copy of the end.
        new.extend_from_slice(&old[5000..6000]);
        w.same(5000, 1000).unwrap();
        new.extend_from_slice(&old[6000..6500]);
        w.same(6000, 500).unwrap();
        new.extend_from_slice(&old[0..100]);
        w.same(0, 100).unwrap();
        new.extend_from_slice(b"brand new");
        w.extra(b"brand new").unwrap();
        let mut tail = old[9000..].to_vec();
        tail[10] ^= 0xff;
        let delta: Vec<u8> = tail
            .iter()
            .zip(&old[9000..])
            .map(|(n, o)| n.wrapping_sub(*o))
            .collect();
        w.diff(9000, &delta).unwrap();
        new.extend_from_slice(&tail);
        let mut p = Vec::new();
        w.finish(&mut p).unwrap();
        let out = apply_bytes(&old, &p, new.len() as u64, &sha256_hex(&new)).unwrap();
        assert_eq!(out, new);
        // qbsdiff's own bspatch reads it too.
        let mut again = Vec::new();
        qbsdiff::Bspatch::new(&p)
            .unwrap()
            .apply(&old, &mut again)
            .unwrap();
        assert_eq!(again, new);
    }

    fn tar_file(dir: &Path, name: &str, files: &[(&str, Vec<u8>)]) -> std::path::PathBuf {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, data.as_slice()).unwrap();
        }
        let p = dir.join(name);
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        p
    }

    fn noise(n: usize, mut s: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 61) as u8
            })
            .collect()
    }

    #[test]
    fn tar_aware_patch_copies_unchanged_members_and_diffs_changed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let big = noise(6 << 20, 1);
        let mut big2 = big.clone();
        big2.splice(1_000_000..1_000_000, noise(5000, 2));
        big2[4_000_000..4_000_100].fill(9);
        let old = tar_file(
            dir.path(),
            "old.tar",
            &[
                ("app.bin", big.clone()),
                ("keep.txt", b"same".repeat(1000)),
                ("edit.txt", b"hello world ".repeat(500)),
                ("gone.txt", b"bye".to_vec()),
            ],
        );
        let mut edited = b"hello world ".repeat(500);
        edited.splice(300..300, b"inserted".iter().copied());
        let new = tar_file(
            dir.path(),
            "new.tar",
            &[
                ("app.bin", big2),
                ("edit.txt", edited),
                ("keep.txt", b"same".repeat(1000)),
                ("moved/keep2.txt", b"same".repeat(1000)),
                ("fresh.txt", b"new file".to_vec()),
            ],
        );
        let mut patch = Vec::new();
        let (size, stats) = create_files(&old, &new, &mut patch, &mut NoProgress).unwrap();
        assert_eq!(size, patch.len() as u64);
        assert_eq!((stats.unchanged, stats.changed, stats.added), (1, 2, 2));
        assert!(!stats.whole_tar_fallback);
        assert!(stats.bsdiff_bytes < 1 << 20, "{}", stats.bsdiff_bytes);
        assert!(size < 20_000, "patch is {size} bytes");
        let new_bytes = std::fs::read(&new).unwrap();
        let out = dir.path().join("out.tar");
        apply_file(&old, &dir.path().join("p"), &out, 0, "").unwrap_err();
        std::fs::write(dir.path().join("p"), &patch).unwrap();
        apply_file(
            &old,
            &dir.path().join("p"),
            &out,
            new_bytes.len() as u64,
            &sha256_hex(&new_bytes),
        )
        .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), new_bytes);
        let whole = create(&std::fs::read(&old).unwrap(), &new_bytes).unwrap();
        assert!(
            size as f64 <= whole.len() as f64 * 1.1,
            "{size} vs whole-tar {}",
            whole.len()
        );
    }

    /// A large file rewritten throughout (no unchanged run) is diffed in
    /// bounded pieces, and the pieces still make one correct patch.
    #[test]
    fn rewritten_large_files_are_diffed_in_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let old_bin = noise(5 << 20, 21);
        let new_bin: Vec<u8> = old_bin.iter().map(|b| b ^ 1).collect();
        let old = tar_file(dir.path(), "old.tar", &[("big", old_bin)]);
        let new = tar_file(dir.path(), "new.tar", &[("big", new_bin)]);
        let mut patch = Vec::new();
        let (_, stats) =
            tar_aware::create_files_with(&old, &new, &mut patch, &mut NoProgress, 1 << 20).unwrap();
        assert_eq!(stats.bsdiff_bytes, 5 << 20);
        let p = dir.path().join("p");
        std::fs::write(&p, &patch).unwrap();
        let new_bytes = std::fs::read(&new).unwrap();
        let out = dir.path().join("out");
        apply_file(
            &old,
            &p,
            &out,
            new_bytes.len() as u64,
            &sha256_hex(&new_bytes),
        )
        .unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), new_bytes);
    }

    /// Cancel is honoured between the windows of one large file too.
    #[test]
    fn cancel_stops_inside_a_large_file() {
        /// Says "cancel" from its third question on: the first comes
        /// before the only member, the next ones between its windows.
        struct CancelAfter(std::cell::Cell<u32>);
        impl crate::Progress for CancelAfter {
            fn start(&mut self, _: crate::Phase, _: Option<u64>) {}
            fn advance(&mut self, _: u64) {}
            fn finish(&mut self, _: crate::Phase) {}
            fn cancelled(&self) -> bool {
                self.0.set(self.0.get() + 1);
                self.0.get() >= 3
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let old_bin = noise(3 << 20, 31);
        let new_bin: Vec<u8> = old_bin.iter().map(|b| b ^ 1).collect();
        let old = tar_file(dir.path(), "old.tar", &[("big", old_bin)]);
        let new = tar_file(dir.path(), "new.tar", &[("big", new_bin)]);
        let mut progress = CancelAfter(std::cell::Cell::new(0));
        let err = tar_aware::create_files_with(&old, &new, Vec::new(), &mut progress, 1 << 20)
            .unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err}");
        assert_eq!(progress.0.get(), 3, "stopped at the second window");
    }

    #[test]
    fn files_that_are_not_tars_fall_back_to_whole_file_diff() {
        let dir = tempfile::tempdir().unwrap();
        let (o, n) = (dir.path().join("o"), dir.path().join("n"));
        std::fs::write(&o, noise(10_000, 3)).unwrap();
        let mut changed = noise(10_000, 3);
        changed[50] = 1;
        std::fs::write(&n, &changed).unwrap();
        let mut patch = Vec::new();
        let (_, stats) = create_files(&o, &n, &mut patch, &mut NoProgress).unwrap();
        assert!(stats.whole_tar_fallback);
        std::fs::write(dir.path().join("p"), &patch).unwrap();
        let out = dir.path().join("out");
        apply_file(
            &o,
            &dir.path().join("p"),
            &out,
            changed.len() as u64,
            &sha256_hex(&changed),
        )
        .unwrap();
    }
}
