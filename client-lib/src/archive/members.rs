//! Archives as a sequence of gzip members cut on tar member boundaries:
//! a large file gets its own members, cut inside the file where its
//! content says (content-defined chunking, as `gzip --rsyncable` does), so
//! an insertion near its start moves no cut after it; small files share
//! one until a content-defined cut (a hash of the path) or 1 MiB. The same
//! bytes always give the same member, so the members of content that did
//! not change are copied from the previous archive instead of being
//! compressed again, and the rest are compressed on every core.

use crate::error::IoContext;
use crate::tar_layout::{read_at, TarLayout};
use crate::{Error, Phase, Progress, Result};
use sha2::Digest;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Most content of a large file per gzip member.
pub const PIECE_BYTES: u64 = 4 << 20;
/// Fewest bytes of a large file per gzip member (but its last).
const PIECE_MIN: u32 = 256 << 10;
/// Usual bytes of a large file per gzip member: small enough that a local
/// change recompresses about a megabyte, large enough that restarting the
/// compressor's 32 KiB window costs well under 1% of size.
const PIECE_AVG: u32 = 1 << 20;
/// Files at least this large get members of their own.
const LARGE_FILE: u64 = 1 << 20;
/// Small files share a member up to about this many tar bytes.
const GROUP_BYTES: u64 = 1 << 20;
/// One path in this many ends a group of small files.
const GROUP_CUT: u32 = 16;

/// Where one gzip member of an archive lies, compressed and not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GzMember {
    pub compressed_at: u64,
    pub compressed_len: u64,
    pub tar_at: u64,
    pub tar_len: u64,
    pub crc: u32,
}

/// The ranges of the tar `tar` (laid out as `layout`) that become one gzip
/// member each. Large files are read once, as a stream, to find their cuts.
pub fn member_ranges(layout: &TarLayout, tar: &Path) -> Result<Vec<(u64, u64)>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for m in &layout.members {
        if m.data_len >= LARGE_FILE {
            if start < m.start {
                ranges.push((start, m.start));
            }
            let mut from = m.start;
            for cut in content_cuts(tar, m.data_start, m.data_len)? {
                let to = m.data_start + cut;
                ranges.push((from, to));
                from = to;
            }
            ranges.push((from, m.end));
            start = m.end;
        } else if m.end - start >= GROUP_BYTES || crc32fast::hash(&m.path).is_multiple_of(GROUP_CUT)
        {
            ranges.push((start, m.end));
            start = m.end;
        }
    }
    if start < layout.len {
        ranges.push((start, layout.len));
    }
    Ok(ranges)
}

/// Offsets (from `at`) where the `len` bytes of one file in `tar` are cut,
/// chosen by a rolling hash of the content (FastCDC), the end excluded.
fn content_cuts(tar: &Path, at: u64, len: u64) -> Result<Vec<u64>> {
    use std::io::Seek;
    let mut file = File::open(tar).context(|| format!("opening {}", tar.display()))?;
    file.seek(std::io::SeekFrom::Start(at))
        .context(|| format!("reading {}", tar.display()))?;
    let reader = BufReader::with_capacity(1 << 20, file).take(len);
    let chunks = fastcdc::v2020::StreamCDC::new(reader, PIECE_MIN, PIECE_AVG, PIECE_BYTES as u32);
    let mut cuts = Vec::new();
    for chunk in chunks {
        let chunk = chunk.map_err(|e| {
            Error::io(
                format!("reading {}", tar.display()),
                std::io::Error::other(e.to_string()),
            )
        })?;
        let end = chunk.offset + chunk.length as u64;
        if end < len {
            cuts.push(end);
        }
    }
    Ok(cuts)
}

fn gzip_member(chunk: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new().mtime(0).write(
        Vec::with_capacity(chunk.len() / 2),
        flate2::Compression::new(9),
    );
    enc.write_all(chunk)?;
    enc.finish()
}

/// Runs `job(i)` for `0..jobs` on every core and writes the results to
/// `out` in order; `sizes[i]` is job i's share of the progress total.
fn parallel_in_order(
    sizes: &[u64],
    job: &(dyn Fn(usize) -> Result<Vec<u8>> + Sync),
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(sizes.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // A bounded queue: a slow member cannot make the others pile up.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<Vec<u8>>)>(workers * 4);
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= sizes.len() || stop.load(Ordering::SeqCst) {
                    break;
                }
                if tx.send((i, job(i))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut written = 0usize;
        let mut done = 0u64;
        let fail = |e: Error| {
            stop.store(true, Ordering::SeqCst);
            Err(e)
        };
        for (i, member) in rx {
            if progress.cancelled() {
                return fail(Error::Cancelled);
            }
            pending.insert(i, member);
            while let Some(member) = pending.remove(&written) {
                let bytes = match member {
                    Ok(b) => b,
                    Err(e) => return fail(e),
                };
                if let Err(e) = out.write_all(&bytes) {
                    return fail(Error::io("writing archive", e));
                }
                done += sizes[written];
                written += 1;
                progress.advance(done);
            }
        }
        if written != sizes.len() {
            return Err(Error::io(
                "compressing archive",
                std::io::Error::other("a compression worker stopped"),
            ));
        }
        Ok(())
    })?;
    out.flush().context(|| "writing archive".to_string())
}

/// A previous archive whose members may be copied.
pub struct Reusable {
    pub archive: PathBuf,
    pub tar: PathBuf,
    pub members: Vec<GzMember>,
}

/// What writing an archive did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArchiveStats {
    pub members: u64,
    pub reused_members: u64,
    pub reused_tar_bytes: u64,
}

/// Compresses the tar file `tar` (laid out as `layout`) into `out`, one
/// gzip member per [`member_ranges`] range, copying members of `reuse`
/// whose uncompressed bytes are identical.
pub fn write_archive(
    tar: &Path,
    layout: &TarLayout,
    reuse: Option<&Reusable>,
    out: &mut dyn Write,
    progress: &mut dyn Progress,
) -> Result<ArchiveStats> {
    let ranges = member_ranges(layout, tar)?;
    let mut by_crc: HashMap<(u32, u64), Vec<GzMember>> = HashMap::new();
    for m in reuse.map(|r| r.members.as_slice()).unwrap_or_default() {
        by_crc.entry((m.crc, m.tar_len)).or_default().push(*m);
    }
    let open = |p: &Path| File::open(p).context(|| format!("opening {}", p.display()));
    let reused = std::sync::atomic::AtomicU64::new(0);
    let reused_bytes = std::sync::atomic::AtomicU64::new(0);
    let job = |i: usize| -> Result<Vec<u8>> {
        let (from, to) = ranges[i];
        let file = open(tar)?;
        let mut bytes = vec![0u8; (to - from) as usize];
        read_at(&file, from, &mut bytes).context(|| format!("reading {}", tar.display()))?;
        if let (Some(r), Some(candidates)) = (
            reuse,
            by_crc.get(&(crc32fast::hash(&bytes), bytes.len() as u64)),
        ) {
            let old_tar = open(&r.tar)?;
            let mut old = vec![0u8; bytes.len()];
            for c in candidates {
                read_at(&old_tar, c.tar_at, &mut old)
                    .context(|| format!("reading {}", r.tar.display()))?;
                if old == bytes {
                    let mut member = vec![0u8; c.compressed_len as usize];
                    read_at(&open(&r.archive)?, c.compressed_at, &mut member)
                        .context(|| format!("reading {}", r.archive.display()))?;
                    // The archive was verified when it was unpacked; its
                    // trailer (CRC-32, size) must still say so.
                    let trailer = member.len().saturating_sub(8);
                    let mut expected = c.crc.to_le_bytes().to_vec();
                    expected.extend_from_slice(&(c.tar_len as u32).to_le_bytes());
                    if member.get(trailer..) != Some(expected.as_slice()) {
                        return Err(Error::VerificationFailed {
                            file: r.archive.display().to_string(),
                            reason: "it changed while the release was being built".into(),
                        });
                    }
                    reused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    reused_bytes.fetch_add(c.tar_len, std::sync::atomic::Ordering::Relaxed);
                    return Ok(member);
                }
            }
        }
        gzip_member(&bytes).map_err(|e| Error::io("compressing archive", e))
    };
    let sizes: Vec<u64> = ranges.iter().map(|(a, b)| b - a).collect();
    progress.start(Phase::Compress, Some(layout.len));
    parallel_in_order(&sizes, &job, out, progress)?;
    progress.finish(Phase::Compress);
    Ok(ArchiveStats {
        members: ranges.len() as u64,
        reused_members: reused.into_inner(),
        reused_tar_bytes: reused_bytes.into_inner(),
    })
}

/// Reads a source through a buffer, counting and hashing exactly the
/// bytes consumed, so that gzip member boundaries can be located.
struct Counting<R> {
    inner: BufReader<R>,
    consumed: u64,
    hasher: sha2::Sha256,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.hasher.update(&self.inner.buffer()[..amt]);
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// A previous archive decompressed to a file, with what was learnt.
pub struct Unpacked {
    pub archive_sha256: String,
    pub archive_len: u64,
    pub tar_sha256: String,
    pub tar_len: u64,
    pub members: Vec<GzMember>,
}

/// Decompresses `archive` into the file `tar` member by member, hashing
/// both; refuses more than `limit` bytes of tar.
pub fn unpack_with_members(archive: &Path, tar: &Path, limit: u64) -> Result<Unpacked> {
    let file = File::open(archive).context(|| format!("opening {}", archive.display()))?;
    let mut src = Counting {
        inner: BufReader::with_capacity(256 * 1024, file),
        consumed: 0,
        hasher: sha2::Sha256::new(),
    };
    let out_file = File::create(tar).context(|| format!("creating {}", tar.display()))?;
    let mut out = std::io::BufWriter::new(out_file);
    let mut tar_hasher = sha2::Sha256::new();
    let mut members = Vec::new();
    let mut total = 0u64;
    let what = || format!("decompressing {}", archive.display());
    while !src.fill_buf().context(what)?.is_empty() {
        let compressed_at = src.consumed;
        let tar_at = total;
        let mut crc = crc32fast::Hasher::new();
        let mut member = flate2::bufread::GzDecoder::new(&mut src);
        total += super::copy_decompressed(
            &mut member,
            &mut out,
            limit - total,
            (archive, tar),
            &mut |chunk| {
                crc.update(chunk);
                tar_hasher.update(chunk);
            },
        )?;
        drop(member);
        members.push(GzMember {
            compressed_at,
            compressed_len: src.consumed - compressed_at,
            tar_at,
            tar_len: total - tar_at,
            crc: crc.finalize(),
        });
    }
    out.flush()
        .context(|| format!("writing {}", tar.display()))?;
    Ok(Unpacked {
        archive_sha256: hex::encode(src.hasher.finalize()),
        archive_len: src.consumed,
        tar_sha256: hex::encode(tar_hasher.finalize()),
        tar_len: total,
        members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tar_layout::MemberSpan;

    fn layout(sizes: &[(&str, u64)]) -> TarLayout {
        let mut members = Vec::new();
        let mut at = 0;
        for (path, size) in sizes {
            let data_start = at + 512;
            let end = data_start + size.div_ceil(512) * 512;
            members.push(MemberSpan {
                path: path.as_bytes().to_vec(),
                start: at,
                data_start,
                data_len: *size,
                end,
            });
            at = end;
        }
        TarLayout {
            members,
            trailer_start: at,
            len: at + 1024,
        }
    }

    fn small_files(n: usize, edited: Option<(usize, u64)>) -> Vec<(String, u64)> {
        (0..n)
            .map(|i| {
                let size = match edited {
                    Some((j, s)) if j == i => s,
                    _ => 3000,
                };
                (format!("./lib/f{i}.py"), size)
            })
            .collect()
    }

    /// Pseudo-random bytes (xorshift), so that content-defined cuts fall
    /// as they would in a real binary.
    fn noise(len: u64, seed: u32) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn ranges_tile_the_tar_and_large_files_get_their_own_pieces() {
        let big = 9 * PIECE_BYTES + 100;
        let l = layout(&[("./a", 10), ("./big.bin", big), ("./z", 10)]);
        let tar = file_with(&noise(l.len, 7));
        let ranges = member_ranges(&l, tar.path()).unwrap();
        let mut at = 0;
        for (from, to) in &ranges {
            assert_eq!(*from, at);
            assert!(to > from);
            at = *to;
        }
        assert_eq!(at, l.len);
        let big_member = &l.members[1];
        let pieces: Vec<_> = ranges
            .iter()
            .filter(|(a, b)| *a >= big_member.start && *b <= big_member.end)
            .collect();
        assert_eq!(pieces[0].0, big_member.start);
        assert_eq!(pieces.last().unwrap().1, big_member.end);
        // About a megabyte each, never more than the maximum.
        assert!(pieces.len() >= 20 && pieces.len() <= 80, "{}", pieces.len());
        for (a, b) in &pieces {
            assert!(b - a <= PIECE_BYTES + 512, "{a}..{b}");
        }
    }

    /// An insertion near the start of a large file moves no cut after it:
    /// nearly every member of the file keeps its bytes (so it is copied
    /// from the previous archive, not compressed again).
    #[test]
    fn an_insertion_in_a_large_file_keeps_the_later_members() {
        let size = 24 << 20;
        let before = noise(size, 11);
        let mut after = before.clone();
        after.splice(300_000..300_000, noise(777, 3));
        after[15 << 20] ^= 0xff;
        let pieces = |content: &[u8]| -> Vec<Vec<u8>> {
            let l = layout(&[("./app.bin", content.len() as u64)]);
            let mut tar = vec![0u8; l.len as usize];
            let at = l.members[0].data_start as usize;
            tar[at..at + content.len()].copy_from_slice(content);
            let f = file_with(&tar);
            member_ranges(&l, f.path())
                .unwrap()
                .iter()
                .map(|(a, b)| tar[*a as usize..*b as usize].to_vec())
                .collect()
        };
        let (old, new) = (pieces(&before), pieces(&after));
        let kept = new.iter().filter(|p| old.contains(p)).count();
        assert!(
            kept + 4 >= new.len(),
            "{kept} of {} members kept after an insertion and one changed byte",
            new.len()
        );
        assert!(new.len() >= 10, "{}", new.len());
    }

    /// Growing one small file moves the cuts of its own group only: the
    /// groups after it start again at the same paths (content-defined).
    #[test]
    fn an_edited_small_file_changes_one_group() {
        let before = small_files(400, None);
        let after = small_files(400, Some((100, 3900)));
        let as_ref = |v: &Vec<(String, u64)>| -> TarLayout {
            layout(&v.iter().map(|(p, s)| (p.as_str(), *s)).collect::<Vec<_>>())
        };
        let (lb, la) = (as_ref(&before), as_ref(&after));
        let first_paths = |l: &TarLayout| -> Vec<Vec<u8>> {
            member_ranges(l, Path::new("/nonexistent: small files are not read"))
                .unwrap()
                .iter()
                .filter_map(|(from, _)| l.members.iter().find(|m| m.start == *from))
                .map(|m| m.path.clone())
                .collect()
        };
        let (gb, ga) = (first_paths(&lb), first_paths(&la));
        assert!(gb.len() > 10, "{} groups", gb.len());
        assert_eq!(gb, ga, "groups start at the same files");
    }
}
