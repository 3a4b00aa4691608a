//! Unchanged regions of a changed file, found in linear time the way
//! rsync does: hash every block of the old file, roll a hash over every
//! offset of the new one, confirm hits byte for byte, then grow each
//! match both ways. Only the windows between these anchors need bsdiff.
//!
//! Both files are read through [`ByteSource`], so the old and new versions
//! of a large binary stay on disk: memory is the block table (a few bytes
//! per 2 KiB of the old file) and a window of the new one.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A run of `len` bytes equal in both files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub new_start: usize,
    pub old_start: usize,
    pub len: usize,
}

impl Anchor {
    pub fn new_end(&self) -> usize {
        self.new_start + self.len
    }
    pub fn old_end(&self) -> usize {
        self.old_start + self.len
    }
}

const BASE: u64 = 0x0100_0000_01b3;

/// The rolling hash is a polynomial: its low bits are weak, so the table
/// mixes them (splitmix64's finaliser) instead of hashing again.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.wrapping_mul(31).wrapping_add(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn hash(block: &[u8]) -> u64 {
    block.iter().fold(0u64, |h, b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(*b))
    })
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const STEP: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + STEP <= n && a[i..i + STEP] == b[i..i + STEP] {
        i += STEP;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Random access to the bytes of one file: a slice in memory, or a range
/// of a file on disk ([`FileRange`]).
pub trait ByteSource {
    /// Number of bytes.
    fn size(&self) -> usize;
    /// Fills `buf` with the bytes from `at`.
    fn read(&self, at: usize, buf: &mut [u8]) -> std::io::Result<()>;
}

impl ByteSource for [u8] {
    fn size(&self) -> usize {
        self.len()
    }
    fn read(&self, at: usize, buf: &mut [u8]) -> std::io::Result<()> {
        let src = at
            .checked_add(buf.len())
            .and_then(|end| self.get(at..end))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// `len` bytes of `file` from `start`.
pub struct FileRange<'a> {
    /// The file.
    pub file: &'a std::fs::File,
    /// Where the range starts.
    pub start: u64,
    /// How long it is.
    pub len: usize,
}

impl ByteSource for FileRange<'_> {
    fn size(&self) -> usize {
        self.len
    }
    fn read(&self, at: usize, buf: &mut [u8]) -> std::io::Result<()> {
        if at.saturating_add(buf.len()) > self.len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        crate::tar_layout::read_at(self.file, self.start + at as u64, buf)
    }
}

/// How much of the new file is held at once.
const WINDOW: usize = 1 << 20;
/// Bytes compared per read when growing a match.
const GROW_CHUNK: usize = 64 << 10;

/// A window of the new file around the rolling position.
struct Window {
    start: usize,
    bytes: Vec<u8>,
}

impl Window {
    /// Makes `new[from..from + need]` available (`need` bytes or up to the
    /// end of the file), reading a fresh window when it is not.
    fn ensure(
        &mut self,
        new: &(impl ByteSource + ?Sized),
        from: usize,
        need: usize,
    ) -> std::io::Result<()> {
        let end = (from + need).min(new.size());
        if from >= self.start && end <= self.start + self.bytes.len() {
            return Ok(());
        }
        let len = (need.max(WINDOW)).min(new.size() - from);
        self.bytes.resize(len, 0);
        new.read(from, &mut self.bytes)?;
        self.start = from;
        Ok(())
    }

    fn at(&self, pos: usize) -> u8 {
        self.bytes[pos - self.start]
    }

    fn slice(&self, from: usize, len: usize) -> &[u8] {
        &self.bytes[from - self.start..from - self.start + len]
    }
}

/// How many bytes match going forward from `new_at` and `old_at`.
fn grow_forward(
    old: &(impl ByteSource + ?Sized),
    new: &(impl ByteSource + ?Sized),
    new_at: usize,
    old_at: usize,
) -> std::io::Result<usize> {
    let most = (new.size() - new_at).min(old.size() - old_at);
    let (mut a, mut b) = (
        vec![0u8; GROW_CHUNK.min(most)],
        vec![0u8; GROW_CHUNK.min(most)],
    );
    let mut done = 0;
    while done < most {
        let k = (most - done).min(GROW_CHUNK);
        new.read(new_at + done, &mut a[..k])?;
        old.read(old_at + done, &mut b[..k])?;
        let same = common_prefix(&a[..k], &b[..k]);
        done += same;
        if same < k {
            break;
        }
    }
    Ok(done)
}

/// How many bytes match going backward from (excluding) `new_at` and
/// `old_at`, without going below `new_floor` in the new file.
fn grow_backward(
    old: &(impl ByteSource + ?Sized),
    new: &(impl ByteSource + ?Sized),
    new_at: usize,
    old_at: usize,
    new_floor: usize,
) -> std::io::Result<usize> {
    let most = (new_at - new_floor).min(old_at);
    let (mut a, mut b) = (
        vec![0u8; GROW_CHUNK.min(most)],
        vec![0u8; GROW_CHUNK.min(most)],
    );
    let mut done = 0;
    while done < most {
        let k = (most - done).min(GROW_CHUNK);
        new.read(new_at - done - k, &mut a[..k])?;
        old.read(old_at - done - k, &mut b[..k])?;
        let same = a[..k]
            .iter()
            .rev()
            .zip(b[..k].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        done += same;
        if same < k {
            break;
        }
    }
    Ok(done)
}

/// Runs of equal bytes between `old` and `new`, in new-file order and not
/// overlapping in `new`; every run is at least `block` bytes long.
pub fn find(
    old: &(impl ByteSource + ?Sized),
    new: &(impl ByteSource + ?Sized),
    block: usize,
) -> std::io::Result<Vec<Anchor>> {
    let mut anchors = Vec::new();
    if block == 0 || old.size() < block || new.size() < block {
        return Ok(anchors);
    }
    let mut table: HashMap<u64, usize, BuildHasherDefault<MixHasher>> =
        HashMap::with_capacity_and_hasher(old.size() / block, Default::default());
    let per_read = (WINDOW / block).max(1) * block;
    let mut buf = vec![0u8; per_read.min(old.size() / block * block)];
    let mut at = 0;
    while at + block <= old.size() {
        let n = buf.len().min((old.size() - at) / block * block);
        old.read(at, &mut buf[..n])?;
        for (i, chunk) in buf[..n].chunks_exact(block).enumerate() {
            table.entry(hash(chunk)).or_insert(at + i * block);
        }
        at += n;
    }
    let top = (1..block).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut win = Window {
        start: 0,
        bytes: Vec::new(),
    };
    let mut old_block = vec![0u8; block];
    let mut pos = 0;
    let mut last_end = 0;
    win.ensure(new, 0, block + 1)?;
    let mut h = hash(win.slice(0, block));
    while pos + block <= new.size() {
        win.ensure(new, pos, block + 1)?;
        if let Some(&o) = table.get(&h) {
            old.read(o, &mut old_block)?;
            if old_block == win.slice(pos, block) {
                let back = grow_backward(old, new, pos, o, last_end)?;
                let forward = grow_forward(old, new, pos + block, o + block)?;
                let end = pos + block + forward;
                anchors.push(Anchor {
                    new_start: pos - back,
                    old_start: o - back,
                    len: end - (pos - back),
                });
                last_end = end;
                pos = end;
                if pos + block <= new.size() {
                    win.ensure(new, pos, block + 1)?;
                    h = hash(win.slice(pos, block));
                }
                continue;
            }
        }
        if pos + block < new.size() {
            h = h
                .wrapping_sub(u64::from(win.at(pos)).wrapping_mul(top))
                .wrapping_mul(BASE)
                .wrapping_add(u64::from(win.at(pos + block)));
        }
        pos += 1;
    }
    Ok(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s as u8
            })
            .collect()
    }

    #[test]
    fn finds_shifted_unchanged_regions_exactly() {
        let old = noise(200_000, 1);
        let mut new = old.clone();
        new.splice(50_000..50_000, noise(3000, 2));
        new.drain(150_000..160_000);
        new[100_000..100_100].copy_from_slice(&noise(100, 3));
        let anchors = find(&old[..], &new[..], 1024).unwrap();
        let covered: usize = anchors.iter().map(|a| a.len).sum();
        assert!(covered > new.len() - 3000 - 100 - 2 * 1024, "{covered}");
        for a in &anchors {
            assert_eq!(new[a.new_start..a.new_end()], old[a.old_start..a.old_end()]);
        }
        for w in anchors.windows(2) {
            assert!(w[0].new_end() <= w[1].new_start);
        }
        assert_eq!(anchors[0].new_start, 0);
        assert_eq!(anchors[0].len, 50_000);
    }

    /// The same anchors whether the files are in memory or on disk.
    #[test]
    fn files_on_disk_give_the_same_anchors() {
        use std::io::Write;
        let old = noise(3_000_000, 5);
        let mut new = old.clone();
        new.splice(1_200_000..1_200_000, noise(5000, 6));
        new.drain(2_500_000..2_510_000);
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[7u8; 100]).unwrap();
        f.write_all(&old).unwrap();
        f.write_all(&new).unwrap();
        let on_disk = find(
            &FileRange {
                file: &f,
                start: 100,
                len: old.len(),
            },
            &FileRange {
                file: &f,
                start: 100 + old.len() as u64,
                len: new.len(),
            },
            2048,
        )
        .unwrap();
        assert_eq!(on_disk, find(&old[..], &new[..], 2048).unwrap());
        assert!(on_disk.len() >= 3, "{on_disk:?}");
    }

    #[test]
    fn unrelated_or_tiny_files_have_no_anchors() {
        assert!(find(&noise(50_000, 1)[..], &noise(50_000, 9)[..], 1024)
            .unwrap()
            .is_empty());
        assert!(find(&b"short"[..], &b"short"[..], 1024).unwrap().is_empty());
    }
}
