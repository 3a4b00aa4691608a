//! Streaming application of a BSDIFF40 patch: the old tar is read where
//! the control entries point, the three blocks are decompressed as they
//! are consumed, and the output is hashed while it is written. Memory
//! stays at a few buffers whatever the size of the tars.

use super::format::{decode_int, Header, HEADER_LEN};
use crate::error::IoContext;
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

const CHUNK: usize = 256 * 1024;

fn block(patch: &Path, offset: u64, len: Option<u64>) -> Result<Box<dyn Read>> {
    let mut f = File::open(patch).context(|| format!("opening {}", patch.display()))?;
    f.seek(SeekFrom::Start(offset))
        .context(|| format!("reading {}", patch.display()))?;
    let raw: Box<dyn Read> = match len {
        Some(n) => Box::new(f.take(n)),
        None => Box::new(f),
    };
    Ok(Box::new(bzip2::read::MultiBzDecoder::new(raw)))
}

fn corrupt(what: &str) -> Error {
    Error::corrupt_patch(what)
}

/// Reads `buf.len()` bytes of the old file from `pos`; bytes outside the
/// file read as zero, as in bsdiff's own bspatch.
fn read_old(old: &mut File, old_len: u64, pos: i64, buf: &mut [u8]) -> Result<()> {
    buf.fill(0);
    let end = pos.saturating_add(buf.len() as i64);
    let from = pos.max(0);
    let to = end.min(old_len as i64);
    if from < to {
        let skip = (from - pos) as usize;
        let n = (to - from) as usize;
        old.seek(SeekFrom::Start(from as u64))
            .and_then(|_| old.read_exact(&mut buf[skip..skip + n]))
            .context(|| "reading the old tar".into())?;
    }
    Ok(())
}

fn read_block(r: &mut dyn Read, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => corrupt(&format!("its {what} block ends early")),
        _ => corrupt(&format!("its {what} block does not decompress ({e})")),
    })
}

/// Control entries read between two looks at the cancel flag.
const CANCEL_EVERY: u64 = 4096;

/// Applies the patch file `patch` to the file `old`, writing the result
/// to `out`. The output must be exactly `expected_size` bytes: a patch is
/// never trusted to say how large its output is. Returns the lowercase
/// hex sha256 of what was written.
pub fn apply_streaming(
    old: &Path,
    patch: &Path,
    out: &mut dyn Write,
    expected_size: u64,
) -> Result<String> {
    apply_streaming_cancellable(old, patch, out, expected_size, &AtomicBool::new(false))
}

/// [`apply_streaming`] that stops with [`Error::Cancelled`] soon after
/// `cancel` is set (checked every few thousand control entries and every
/// 256 KiB of output).
///
/// The work is bounded by the declared size, not by the patch: there may
/// be at most `expected_size + 1` control entries, and after the first
/// each must move the output or the old position (`(0, 0, 0)` is refused).
/// bsdiff itself emits a leading `(0, 0, 0)` and entries that only seek,
/// several in a row, so those stay allowed. Without these limits bzip2
/// turns a 2.5 KB patch into gigabytes of empty entries that take minutes
/// to read before the output is found wrong.
pub fn apply_streaming_cancellable(
    old: &Path,
    patch: &Path,
    out: &mut dyn Write,
    expected_size: u64,
    cancel: &AtomicBool,
) -> Result<String> {
    apply_streaming_tracked(old, patch, out, expected_size, cancel, None)
}

/// [`apply_streaming_cancellable`] that also notes in `same` where the
/// output is a verbatim copy of the old file (zero diff bytes), for the
/// install to reuse unchanged files (see [`crate::install::SameRanges`]).
pub(crate) fn apply_streaming_tracked(
    old: &Path,
    patch: &Path,
    out: &mut dyn Write,
    expected_size: u64,
    cancel: &AtomicBool,
    mut same: Option<&mut crate::install::SameRanges>,
) -> Result<String> {
    let patch_len = std::fs::metadata(patch)
        .context(|| format!("reading {}", patch.display()))?
        .len();
    let mut head = [0u8; HEADER_LEN as usize];
    File::open(patch)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|_| Error::corrupt_patch("not a BSDIFF40 patch"))?;
    let header = Header::parse(&head, patch_len)?;
    if header.new_size != expected_size {
        return Err(Error::corrupt_patch(format!(
            "patch produces {} bytes, metadata declares {expected_size}",
            header.new_size
        )));
    }
    let mut control = block(patch, HEADER_LEN, Some(header.control_len))?;
    let mut diff = block(
        patch,
        HEADER_LEN + header.control_len,
        Some(header.diff_len),
    )?;
    let mut extra = block(
        patch,
        HEADER_LEN + header.control_len + header.diff_len,
        None,
    )?;
    let mut old_file = File::open(old).context(|| format!("opening {}", old.display()))?;
    let old_len = old_file
        .metadata()
        .context(|| format!("reading {}", old.display()))?
        .len();

    let mut hasher = Sha256::new();
    let mut written: u64 = 0;
    let mut old_pos: i64 = 0;
    let mut delta = vec![0u8; CHUNK];
    let mut base = vec![0u8; CHUNK];
    let max_entries = expected_size.saturating_add(1);
    let mut entries: u64 = 0;
    let cancelled = || cancel.load(Ordering::Relaxed);
    let mut emit = |bytes: &[u8], hasher: &mut Sha256| -> Result<()> {
        hasher.update(bytes);
        out.write_all(bytes)
            .context(|| "writing the patched tar".into())
    };
    loop {
        let mut entry = [0u8; 24];
        let mut got = 0;
        while got < entry.len() {
            let n = control
                .read(&mut entry[got..])
                .map_err(|e| corrupt(&format!("its control block does not decompress ({e})")))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got == 0 {
            break;
        }
        if got != entry.len() {
            return Err(corrupt("a control entry is cut short"));
        }
        let (add, copy, seek) = (
            decode_int(&entry[0..8]),
            decode_int(&entry[8..16]),
            decode_int(&entry[16..24]),
        );
        entries += 1;
        if entries > max_entries {
            return Err(corrupt(&format!(
                "it has more control entries than the {expected_size} bytes it produces"
            )));
        }
        if entries.is_multiple_of(CANCEL_EVERY) && cancelled() {
            return Err(Error::Cancelled);
        }
        // bsdiff starts with (0, 0, 0) when the new file begins with a
        // match at offset 0; anywhere else the entry is pure cost.
        if (add, copy, seek) == (0, 0, 0) && entries > 1 {
            return Err(corrupt(&format!("control entry {entries} does nothing")));
        }
        let (Ok(add), Ok(copy)) = (u64::try_from(add), u64::try_from(copy)) else {
            return Err(corrupt("a control entry has a negative length"));
        };
        match written.checked_add(add).and_then(|n| n.checked_add(copy)) {
            Some(end) if end <= expected_size => {}
            _ => return Err(corrupt("it writes past the declared size")),
        }
        let mut left = add;
        while left > 0 {
            if cancelled() {
                return Err(Error::Cancelled);
            }
            let k = left.min(CHUNK as u64) as usize;
            read_block(diff.as_mut(), &mut delta[..k], "diff")?;
            read_old(&mut old_file, old_len, old_pos, &mut base[..k])?;
            if let Some(same) = same.as_deref_mut() {
                // Only bytes read from the old file count: outside it
                // bspatch reads zeros, which are no file's bytes.
                let inside = old_pos >= 0 && (old_pos as u64).saturating_add(k as u64) <= old_len;
                if inside {
                    let new_at = written + (add - left);
                    same.note_diff(&delta[..k], new_at, old_pos as u64);
                } else {
                    same.close();
                }
            }
            for (d, b) in delta[..k].iter_mut().zip(&base[..k]) {
                *d = d.wrapping_add(*b);
            }
            emit(&delta[..k], &mut hasher)?;
            old_pos = old_pos.saturating_add(k as i64);
            left -= k as u64;
        }
        written += add;
        let mut left = copy;
        while left > 0 {
            if cancelled() {
                return Err(Error::Cancelled);
            }
            let k = left.min(CHUNK as u64) as usize;
            read_block(extra.as_mut(), &mut delta[..k], "extra")?;
            emit(&delta[..k], &mut hasher)?;
            left -= k as u64;
        }
        written += copy;
        old_pos = old_pos
            .checked_add(seek)
            .ok_or_else(|| corrupt("a seek overflows"))?;
    }
    if let Some(same) = same {
        same.close();
    }
    if written != expected_size {
        return Err(corrupt(&format!(
            "it produced {written} bytes, metadata declares {expected_size}"
        )));
    }
    out.flush().context(|| "writing the patched tar".into())?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::format::encode_int;

    fn bz2(bytes: &[u8]) -> Vec<u8> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// A BSDIFF40 patch from raw control entries and blocks.
    fn patch(entries: &[(i64, i64, i64)], diff: &[u8], extra: &[u8], new_size: u64) -> Vec<u8> {
        let mut control = Vec::new();
        for (a, c, s) in entries {
            let mut e = [0u8; 24];
            encode_int(*a, &mut e[0..8]);
            encode_int(*c, &mut e[8..16]);
            encode_int(*s, &mut e[16..24]);
            control.extend_from_slice(&e);
        }
        patch_with_control(&bz2(&control), diff, extra, new_size)
    }

    fn patch_with_control(control: &[u8], diff: &[u8], extra: &[u8], new_size: u64) -> Vec<u8> {
        let (diff, extra) = (bz2(diff), bz2(extra));
        let header = Header {
            control_len: control.len() as u64,
            diff_len: diff.len() as u64,
            new_size,
        };
        [&header.to_bytes()[..], control, &diff, &extra].concat()
    }

    fn run(old: &[u8], patch: &[u8], size: u64, cancel: bool) -> Result<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let (o, p) = (dir.path().join("old"), dir.path().join("p"));
        std::fs::write(&o, old).unwrap();
        std::fs::write(&p, patch).unwrap();
        let mut out = Vec::new();
        apply_streaming_cancellable(&o, &p, &mut out, size, &AtomicBool::new(cancel))?;
        Ok(out)
    }

    /// Issue #11: 24 MiB of (0, 0, 0) entries in a few dozen bytes, which
    /// used to be read to the end, are refused at the second one (the
    /// first is what bsdiff writes when the new file starts like the old).
    #[test]
    fn entries_that_do_nothing_are_refused_at_once() {
        let control = bz2(&vec![0u8; 24 << 20]);
        assert!(control.len() < 200, "{}", control.len());
        let p = patch_with_control(&control, b"", b"", 10);
        let started = std::time::Instant::now();
        let err = run(b"0123456789", &p, 10, false).unwrap_err();
        assert!(
            err.to_string()
                .contains("the patch is corrupt: control entry 2 does nothing"),
            "{err}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    /// Entries that only seek are bsdiff's own (bsdiff4 starts patches with
    /// several in a row), so they pass, but never more entries than bytes.
    #[test]
    fn seeking_entries_pass_but_are_capped_by_the_output_size() {
        let old = b"0123456789";
        let p = patch(&[(0, 0, 5), (0, 0, -3), (3, 0, 0)], &[0, 0, 1], b"", 3);
        assert_eq!(run(old, &p, 3, false).unwrap(), b"235");
        let p = patch(&[(0, 0, 0), (2, 0, 0)], &[0, 0], b"", 2);
        assert_eq!(run(old, &p, 2, false).unwrap(), b"01");
        let mut hostile: Vec<(i64, i64, i64)> = Vec::new();
        for i in 0..12 {
            hostile.push((0, 0, if i % 2 == 0 { 1 } else { -1 }));
        }
        let p = patch(&hostile, b"", b"", 10);
        let err = run(old, &p, 10, false).unwrap_err();
        assert!(
            err.to_string()
                .contains("it has more control entries than the 10 bytes it produces"),
            "{err}"
        );
    }

    #[test]
    fn a_set_cancel_flag_stops_the_work() {
        let old = vec![7u8; 1 << 20];
        let p = patch(&[(1 << 20, 0, 0)], &vec![0u8; 1 << 20], b"", 1 << 20);
        assert_eq!(run(&old, &p, 1 << 20, false).unwrap(), old);
        let err = run(&old, &p, 1 << 20, true).unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err}");
    }
}
