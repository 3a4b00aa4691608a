//! Installing costs what changed: files of the new version whose bytes are
//! those of a file of the installed version are taken from the install
//! dir (a hard link or a reflink, else a copy) instead of being written
//! again from the tar.
//!
//! Which files are unchanged is not guessed from names or sizes, and not
//! found by hashing the whole install (that would cost the whole release
//! again). It falls out of rebuilding the tar from a patch:
//! [`SameRanges`] records where the patch copied bytes of the old tar
//! unchanged (a BSDIFF40 "add" whose diff bytes are zero). A file of the
//! new tar whose data lies inside one such range, at the very offset where
//! a file of the same size starts in the old tar, has that file's bytes.
//! The new tar is verified against its `tar_hash` before any of this is
//! used, so the claim is about verified bytes.
//!
//! That the installed copy still holds the old tar's bytes is checked on
//! disk against the [`InstalledFiles`] record written when it was
//! installed: same device, inode, size and modification time (to the
//! nanosecond), as git trusts its index. Any write changes the time; a
//! file that fails the check is simply extracted from the tar.

use crate::error::IoContext;
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Byte ranges of a rebuilt tar that are verbatim copies of the tar it was
/// rebuilt from: `(new offset, old offset, length)`, sorted by new offset,
/// not overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SameRanges {
    runs: Vec<Run>,
    open: Option<Run>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    new: u64,
    old: u64,
    len: u64,
}

/// Shorter runs are not kept: files that small cost nothing to write, and
/// the bound keeps a hostile patch from filling memory with runs (at most
/// one per KiB of output, and never more than [`MAX_RUNS`]).
const MIN_RUN: u64 = 1024;
const MAX_RUNS: usize = 1 << 20;

impl SameRanges {
    /// Notes that new bytes `[new, new + len)` equal old bytes
    /// `[old, old + len)`; contiguous notes merge into one run.
    pub(crate) fn extend(&mut self, new: u64, old: u64, len: u64) {
        if len == 0 {
            return;
        }
        if let Some(r) = &mut self.open {
            if r.new + r.len == new && r.old + r.len == old {
                r.len += len;
                return;
            }
        }
        self.close();
        self.open = Some(Run { new, old, len });
    }

    /// Ends the current run (a changed byte, or bytes from elsewhere).
    pub(crate) fn close(&mut self) {
        if let Some(r) = self.open.take() {
            if r.len >= MIN_RUN && self.runs.len() < MAX_RUNS {
                self.runs.push(r);
            }
        }
    }

    /// Notes the zero bytes of `diff` (a chunk of a BSDIFF40 diff block
    /// applied at new offset `new` over old offset `old`): where the diff
    /// is zero the output is the old byte itself.
    pub(crate) fn note_diff(&mut self, diff: &[u8], new: u64, old: u64) {
        if all_zero(diff) {
            self.extend(new, old, diff.len() as u64);
            return;
        }
        let mut i = 0;
        while i < diff.len() {
            let Some(start) = diff[i..].iter().position(|&b| b == 0) else {
                break;
            };
            let start = i + start;
            let end = diff[start..]
                .iter()
                .position(|&b| b != 0)
                .map_or(diff.len(), |n| start + n);
            self.extend(new + start as u64, old + start as u64, (end - start) as u64);
            i = end;
        }
    }

    /// The old offset of new bytes `[new, new + len)` when all of them lie
    /// in one run.
    pub fn old_offset(&self, new: u64, len: u64) -> Option<u64> {
        let i = self.runs.partition_point(|r| r.new + r.len <= new);
        let r = self.runs.get(i)?;
        (r.new <= new && new.checked_add(len)? <= r.new + r.len).then(|| r.old + (new - r.new))
    }

    /// Number of runs kept.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether no run was kept.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Bytes covered by the runs.
    pub fn bytes(&self) -> u64 {
        self.runs.iter().map(|r| r.len).sum()
    }

    /// The ranges of a chain of two patches: `self` maps tar 1 to tar 0,
    /// `later` maps tar 2 to tar 1; the result maps tar 2 to tar 0.
    pub(crate) fn then(&self, later: &SameRanges) -> SameRanges {
        let mut out = SameRanges::default();
        for l in &later.runs {
            let (from, to) = (l.old, l.old + l.len);
            let mut i = self.runs.partition_point(|r| r.new + r.len <= from);
            while let Some(e) = self.runs.get(i) {
                if e.new >= to {
                    break;
                }
                let (a, b) = (e.new.max(from), (e.new + e.len).min(to));
                out.extend(l.new + (a - from), e.old + (a - e.new), b - a);
                i += 1;
            }
        }
        out.close();
        out
    }
}

/// Whether every byte is zero, a word at a time (this runs over every
/// diff byte of a patch).
fn all_zero(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let words = chunks.by_ref().fold(0u64, |acc, c| {
        acc | u64::from_ne_bytes(<[u8; 8]>::try_from(c).unwrap_or([0xff; 8]))
    });
    words == 0 && chunks.remainder().iter().all(|&b| b == 0)
}

/// Identity of a file on disk as recorded after installing it. The
/// change time is set by the kernel on every write, `chmod`, link or
/// time change, so a file edited and given its old time back fails too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stamp {
    /// Same file with the same bytes (linking it changes its ctime).
    fn same_file(&self, other: &Stamp) -> bool {
        (self.dev, self.ino, self.size, self.mtime_ns)
            == (other.dev, other.ino, other.size, other.mtime_ns)
    }

    #[cfg(unix)]
    fn of(md: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            dev: md.dev(),
            ino: md.ino(),
            size: md.len(),
            mtime_ns: i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec()),
            ctime_ns: i128::from(md.ctime()) * 1_000_000_000 + i128::from(md.ctime_nsec()),
        })
    }

    /// Without a stable file identity the record is never trusted.
    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Stamp> {
        None
    }
}

/// The files an install wrote, with their on-disk identity: what the next
/// install may take from the install dir without reading the tar.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct InstalledFiles {
    /// The version these files are.
    version: String,
    /// The install dir they were written for.
    install_dir: PathBuf,
    files: BTreeMap<String, Stamp>,
}

/// The record is the client's own file, but read with a bound anyway.
const MAX_RECORD: u64 = 64 << 20;

impl InstalledFiles {
    /// The record at `path` if it describes `version` in `install_dir`.
    fn load(path: &Path, version: &str, install_dir: &Path) -> Option<InstalledFiles> {
        let md = std::fs::metadata(path).ok()?;
        if md.len() > MAX_RECORD {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        let record: InstalledFiles = serde_json::from_slice(&bytes).ok()?;
        (record.version == version && record.install_dir == install_dir).then_some(record)
    }
}

/// What an install may reuse, and where it records what it wrote; built
/// by the client for each install.
#[derive(Debug, Clone)]
pub(crate) struct ReuseContext {
    /// Where the record of the installed files is kept (in the cache).
    pub record: PathBuf,
    /// The version being installed.
    pub version: String,
    /// Present when the new tar was rebuilt by patch from the installed
    /// version's tar.
    pub from: Option<ReuseSource>,
}

#[derive(Debug, Clone)]
pub(crate) struct ReuseSource {
    pub ranges: Arc<SameRanges>,
    /// The installed version's tar (the patch's source).
    pub old_tar: PathBuf,
    pub old_version: String,
}

/// What an install did, for logs and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct InstallReport {
    /// Files written from the tar.
    pub files_written: u64,
    /// Their bytes.
    pub bytes_written: u64,
    /// Files taken from the installed version (linked or copied).
    pub files_reused: u64,
    /// Their bytes.
    pub bytes_reused: u64,
}

/// How a reused file lands in the staged version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Materialize {
    /// A hard link: only when the old version is removed right after the
    /// swap (the built-in installs), so no two versions share a file.
    HardLinkFirst,
    /// A reflink where the filesystem has them, else a copy: when the
    /// staged version waits (hand-over) while the old one runs on.
    CloneOrCopy,
}

/// The state of one extraction's reuse: files of the old tar by data
/// offset, the record of the install, and what was done.
pub(crate) struct Reuser<'a> {
    ranges: Arc<SameRanges>,
    old_files: HashMap<u64, (String, u64)>,
    old_tar: std::fs::File,
    installed: InstalledFiles,
    install_dir: &'a Path,
    /// `install_dir` with its links resolved: a reused file must lie
    /// below it.
    root: PathBuf,
    how: Materialize,
    pub(crate) report: InstallReport,
}

impl<'a> Reuser<'a> {
    /// `None` when nothing can be reused: no patch ranges, or an old tar
    /// that does not read.
    pub(crate) fn new(
        ctx: &ReuseContext,
        install_dir: &'a Path,
        how: Materialize,
    ) -> Option<Reuser<'a>> {
        let from = ctx.from.as_ref()?;
        if from.ranges.is_empty() {
            return None;
        }
        // Without a record (the first update after the app's own
        // installer), files are compared with the old tar instead.
        let installed =
            InstalledFiles::load(&ctx.record, &from.old_version, install_dir).unwrap_or_default();
        let root = install_dir.canonicalize().ok()?;
        // One handle: indexed here, then read by the comparisons.
        let indexed = std::fs::File::open(&from.old_tar)
            .context(|| format!("opening {}", from.old_tar.display()))
            .and_then(|file| Ok((index_tar(&file, &from.old_tar)?, file)));
        let (old_files, old_tar) = match indexed {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!("not reusing installed files: {e}");
                return None;
            }
        };
        Some(Reuser {
            ranges: from.ranges.clone(),
            old_files,
            old_tar,
            installed,
            install_dir,
            root,
            how,
            report: InstallReport::default(),
        })
    }

    /// Puts the installed file with the bytes of the new tar's entry at
    /// `data_offset` (`size` bytes, `mode`) at `dest`, when there is one
    /// whose content is still the old tar's. `false`: extract it.
    pub(crate) fn try_reuse(
        &mut self,
        data_offset: u64,
        size: u64,
        mode: u32,
        dest: &Path,
    ) -> bool {
        let Some(old_offset) = self.ranges.old_offset(data_offset, size) else {
            return false;
        };
        let Some((old_rel, old_size)) = self.old_files.get(&old_offset) else {
            return false;
        };
        if *old_size != size {
            return false;
        }
        let src = self.install_dir.join(old_rel);
        // A folder the user replaced by a link (`data -> /mnt/big`) is
        // theirs: the new version does not share files with it.
        let inside = src
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p.starts_with(&self.root));
        if !inside {
            return false;
        }
        let Some(md) = std::fs::symlink_metadata(&src)
            .ok()
            .filter(|md| md.file_type().is_file() && md.len() == size)
        else {
            return false;
        };
        let recorded = self.installed.files.get(old_rel).copied();
        let stamp = Stamp::of(&md);
        if recorded.is_none() || recorded != stamp {
            // Not provably untouched since it was installed: compare.
            match same_content(&src, &mut self.old_tar, old_offset, size) {
                Ok(true) => {}
                Ok(false) => return false,
                Err(e) => {
                    tracing::debug!("comparing {}: {e}", src.display());
                    return false;
                }
            }
        }
        let done = match self.how {
            // A link shares the mode too: only when it is already right,
            // so that an install that stops before its swap leaves the old
            // version exactly as it was.
            Materialize::HardLinkFirst if mode_of(&md) == Some(mode) => {
                std::fs::hard_link(&src, dest).is_ok()
                    // The file linked must be the one checked (no swap of
                    // the name in between).
                    && match std::fs::symlink_metadata(dest).ok().and_then(|m| Stamp::of(&m)) {
                        Some(linked) if stamp.is_some_and(|s| s.same_file(&linked)) => true,
                        _ => {
                            let _ = std::fs::remove_file(dest);
                            false
                        }
                    }
            }
            _ => clone_or_copy(&src, dest, size, mode),
        };
        if done {
            self.report.files_reused += 1;
            self.report.bytes_reused += size;
        }
        done
    }
}

/// Whether the file at `path` holds the `size` bytes of `tar` at `offset`.
fn same_content(
    path: &Path,
    tar: &mut std::fs::File,
    offset: u64,
    size: u64,
) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    const CHUNK: usize = 256 * 1024;
    // Reads are already in CHUNK-sized pieces: no buffering on top.
    let mut file = std::fs::File::open(path)?;
    tar.seek(SeekFrom::Start(offset))?;
    // Most files are small: no 2 × 256 KiB per comparison.
    let len = size.min(CHUNK as u64) as usize;
    let (mut a, mut b) = (vec![0u8; len.max(1)], vec![0u8; len]);
    let mut left = size;
    while left > 0 {
        let k = left.min(CHUNK as u64) as usize;
        file.read_exact(&mut a[..k])?;
        tar.read_exact(&mut b[..k])?;
        if a[..k] != b[..k] {
            return Ok(false);
        }
        left -= k as u64;
    }
    // Nothing more in the file than the tar's bytes.
    Ok(file.read(&mut a[..1])? == 0)
}

#[cfg(unix)]
fn mode_of(md: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(md.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// A reflink (copy-on-write clone) where the filesystem has them, a plain
/// copy otherwise; the result must have `size` bytes. A failure leaves no
/// file behind (the caller extracts instead).
fn clone_or_copy(src: &Path, dest: &Path, size: u64, mode: u32) -> bool {
    let ok = reflink_copy::reflink_or_copy(src, dest).is_ok()
        && std::fs::symlink_metadata(dest).is_ok_and(|md| md.is_file() && md.len() == size)
        && super::extract::set_mode(dest, mode).is_ok();
    if !ok {
        let _ = std::fs::remove_file(dest);
    }
    ok
}

/// Regular files of a tar by the offset of their data: the headers only,
/// seeking over the data.
fn index_tar(file: &std::fs::File, tar: &Path) -> Result<HashMap<u64, (String, u64)>> {
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut out = HashMap::new();
    let entries = archive
        .entries_with_seek()
        .context(|| format!("reading {}", tar.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::Install(format!("reading {}: {e}", tar.display())))?;
        let kind = entry.header().entry_type();
        if !matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
            continue;
        }
        let Ok(path) = entry.path() else { continue };
        let Some(rel) = super::extract::member_path(&path).ok().flatten() else {
            continue;
        };
        let Some(rel) = rel.to_str().map(str::to_string) else {
            continue;
        };
        out.insert(entry.raw_file_position(), (rel, entry.size()));
    }
    Ok(out)
}

/// Records the identity of `files` (relative paths of the new version,
/// now in `dir`) for the next install into `install_dir`. Best effort:
/// without a record the next install compares files with the old tar.
pub(crate) fn record(ctx: &ReuseContext, install_dir: &Path, dir: &Path, files: &[PathBuf]) {
    let mut record = InstalledFiles {
        version: ctx.version.clone(),
        install_dir: install_dir.to_path_buf(),
        files: BTreeMap::new(),
    };
    for rel in files {
        let (Some(name), Ok(md)) = (rel.to_str(), std::fs::symlink_metadata(dir.join(rel))) else {
            continue;
        };
        if let Some(stamp) = Stamp::of(&md) {
            record.files.insert(name.to_string(), stamp);
        }
    }
    let written = serde_json::to_vec(&record)
        .map_err(|e| Error::Install(format!("recording the installed files: {e}")))
        .and_then(|bytes| crate::fsutil::write_atomic(&ctx.record, &bytes));
    if let Err(e) = written {
        tracing::warn!("recording the installed files (the next install writes all of them): {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(runs: &[(u64, u64, u64)]) -> SameRanges {
        let mut s = SameRanges::default();
        for &(n, o, l) in runs {
            s.extend(n, o, l);
        }
        s.close();
        s
    }

    #[test]
    fn zero_diff_bytes_make_runs_and_changed_bytes_end_them() {
        let mut s = SameRanges::default();
        let mut diff = vec![0u8; 8192];
        diff[3000] = 1;
        s.note_diff(&diff, 100, 5000);
        // Contiguous with the chunk before: merged.
        s.note_diff(&[0u8; 2000], 8292, 13192);
        s.close();
        assert_eq!(s.old_offset(100, 3000), Some(5000));
        assert_eq!(s.old_offset(100, 3001), None, "byte 3000 changed");
        assert_eq!(s.old_offset(3101, 7191), Some(8001));
        assert_eq!(s.old_offset(3101, 7192), None, "past the end");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn short_runs_are_dropped() {
        let s = ranges(&[(0, 0, 100), (2000, 9000, 1024)]);
        assert_eq!(s.len(), 1);
        assert_eq!(s.old_offset(0, 10), None);
        assert_eq!(s.old_offset(2000, 1024), Some(9000));
    }

    #[test]
    fn a_chain_composes() {
        // tar1 [0, 4096) = tar0 [10000, 14096); tar1 [8192, 12288) = tar0 [0, 4096)
        let first = ranges(&[(0, 10000, 4096), (8192, 0, 4096)]);
        // tar2 [1000, 13288) = tar1 [0, 12288)
        let second = ranges(&[(1000, 0, 12288)]);
        let chain = first.then(&second);
        assert_eq!(chain.old_offset(1000, 4096), Some(10000));
        assert_eq!(chain.old_offset(9192, 4096), Some(0));
        assert_eq!(
            chain.old_offset(5096, 10),
            None,
            "tar1 bytes 4096..8192 changed"
        );
    }

    #[test]
    fn all_zero_sees_every_byte() {
        for len in [0usize, 1, 7, 8, 9, 63, 64, 65] {
            let zeros = vec![0u8; len];
            assert!(all_zero(&zeros));
            for i in 0..len {
                let mut v = zeros.clone();
                v[i] = 0x80;
                assert!(!all_zero(&v), "len {len} byte {i}");
            }
        }
    }
}
