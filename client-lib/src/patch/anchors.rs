//! Unchanged regions of a changed file, found in linear time the way
//! rsync does: hash every block of the old file, roll a hash over every
//! offset of the new one, confirm hits byte for byte, then grow each
//! match both ways. Only the windows between these anchors need bsdiff.

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

/// Runs of equal bytes between `old` and `new`, in new-file order and not
/// overlapping in `new`; every run is at least `block` bytes long.
pub fn find(old: &[u8], new: &[u8], block: usize) -> Vec<Anchor> {
    let mut anchors = Vec::new();
    if block == 0 || old.len() < block || new.len() < block {
        return anchors;
    }
    let mut table: HashMap<u64, usize, BuildHasherDefault<MixHasher>> =
        HashMap::with_capacity_and_hasher(old.len() / block, Default::default());
    for (i, chunk) in old.chunks_exact(block).enumerate() {
        table.entry(hash(chunk)).or_insert(i * block);
    }
    let top = (1..block).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut pos = 0;
    let mut last_end = 0;
    let mut h = hash(&new[..block]);
    while pos + block <= new.len() {
        if let Some(&o) = table.get(&h) {
            if old[o..o + block] == new[pos..pos + block] {
                let mut ns = pos;
                let mut os = o;
                while ns > last_end && os > 0 && new[ns - 1] == old[os - 1] {
                    ns -= 1;
                    os -= 1;
                }
                let forward = common_prefix(&new[pos + block..], &old[o + block..]);
                let end = pos + block + forward;
                anchors.push(Anchor {
                    new_start: ns,
                    old_start: os,
                    len: end - ns,
                });
                last_end = end;
                pos = end;
                if pos + block <= new.len() {
                    h = hash(&new[pos..pos + block]);
                }
                continue;
            }
        }
        if pos + block < new.len() {
            h = h
                .wrapping_sub(u64::from(new[pos]).wrapping_mul(top))
                .wrapping_mul(BASE)
                .wrapping_add(u64::from(new[pos + block]));
        }
        pos += 1;
    }
    anchors
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
        let anchors = find(&old, &new, 1024);
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

    #[test]
    fn unrelated_or_tiny_files_have_no_anchors() {
        assert!(find(&noise(50_000, 1), &noise(50_000, 9), 1024).is_empty());
        assert!(find(b"short", b"short", 1024).is_empty());
    }
}
