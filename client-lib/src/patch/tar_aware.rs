//! A BSDIFF40 patch between two tars computed member by member: members
//! whose bytes did not change are copied from the old tar, changed ones
//! are diffed against their old version (or a similar old file when they
//! are new), and large changed files are first cut into unchanged runs
//! and the windows between them. The cost grows with what changed, not
//! with the size of the bundle, and the output is one ordinary BSDIFF40
//! stream that any bspatch applies.

use super::anchors;
use super::writer::PatchWriter;
use crate::error::IoContext;
use crate::tar_layout::{read_at, read_range, MemberSpan, TarLayout};
use crate::{Error, Phase, Progress, Result};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

/// Files up to this size (old + new) go to bsdiff whole.
const WHOLE_FILE_DIFF: usize = 4 << 20;
/// Block size of the rolling hash that finds unchanged runs.
const ANCHOR_BLOCK: usize = 2048;
/// The most new bytes handed to bsdiff at once.
const MAX_WINDOW: usize = 16 << 20;
/// Old bytes on each side of a window that bsdiff may also match against.
const WINDOW_MARGIN: usize = 64 * 1024;
const COMPARE_CHUNK: u64 = 1 << 20;

/// What a tar-aware patch did, for plans and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiffStats {
    /// Members copied unchanged from the old tar.
    pub unchanged: u64,
    /// Members that exist in both tars with other content.
    pub changed: u64,
    /// Members only in the new tar.
    pub added: u64,
    /// Bytes that went through bsdiff (windows of changed files).
    pub bsdiff_bytes: u64,
    /// Whether the tars could not be read member by member and the whole
    /// tars were diffed instead.
    pub whole_tar_fallback: bool,
}

/// Writes a patch turning the tar `old` into the tar `new` to `out`;
/// returns the patch size and what it did.
pub fn create_files(
    old: &Path,
    new: &Path,
    out: impl Write,
    progress: &mut dyn Progress,
) -> Result<(u64, DiffStats)> {
    create_files_with(old, new, out, progress, MAX_WINDOW)
}

pub(crate) fn create_files_with(
    old: &Path,
    new: &Path,
    out: impl Write,
    progress: &mut dyn Progress,
    max_window: usize,
) -> Result<(u64, DiffStats)> {
    match (TarLayout::read(old), TarLayout::read(new)) {
        (Ok(old_layout), Ok(new_layout)) if !new_layout.members.is_empty() => {
            let old_file = File::open(old).context(|| format!("opening {}", old.display()))?;
            let new_file = File::open(new).context(|| format!("opening {}", new.display()))?;
            progress.start(Phase::Patch, Some(new_layout.len));
            let mut diff = TarDiff {
                progress: &mut *progress,
                old: &old_file,
                new: &new_file,
                old_layout: &old_layout,
                writer: PatchWriter::new(),
                stats: DiffStats::default(),
                max_window,
            };
            diff.run(&new_layout)?;
            let TarDiff { writer, stats, .. } = diff;
            let size = writer.finish(out)?;
            progress.finish(Phase::Patch);
            Ok((size, stats))
        }
        _ => {
            progress.start(Phase::Patch, None);
            let read = |p: &Path| std::fs::read(p).context(|| format!("reading {}", p.display()));
            let patch = super::create(&read(old)?, &read(new)?)?;
            let mut out = out;
            out.write_all(&patch)
                .and_then(|_| out.flush())
                .context(|| "writing the patch".into())?;
            progress.finish(Phase::Patch);
            let stats = DiffStats {
                whole_tar_fallback: true,
                ..DiffStats::default()
            };
            Ok((patch.len() as u64, stats))
        }
    }
}

struct TarDiff<'a> {
    progress: &'a mut dyn Progress,
    old: &'a File,
    new: &'a File,
    old_layout: &'a TarLayout,
    writer: PatchWriter,
    stats: DiffStats,
    max_window: usize,
}

fn base_name(path: &[u8]) -> &[u8] {
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    trimmed.rsplit(|b| *b == b'/').next().unwrap_or(trimmed)
}

fn diff_bytes(new: &[u8], old: &[u8]) -> Vec<u8> {
    new.iter()
        .zip(old)
        .map(|(n, o)| n.wrapping_sub(*o))
        .collect()
}

impl<'a> TarDiff<'a> {
    fn run(&mut self, new_layout: &TarLayout) -> Result<()> {
        let old_layout: &'a TarLayout = self.old_layout;
        let by_path: HashMap<&[u8], &MemberSpan> = old_layout
            .members
            .iter()
            .map(|m| (m.path.as_slice(), m))
            .collect();
        let mut by_size: HashMap<u64, Vec<&'a MemberSpan>> = HashMap::new();
        let mut by_name: HashMap<&[u8], Vec<&'a MemberSpan>> = HashMap::new();
        for m in &old_layout.members {
            if m.data_len > 0 {
                by_size.entry(m.data_len).or_default().push(m);
                by_name.entry(base_name(&m.path)).or_default().push(m);
            }
        }
        for member in &new_layout.members {
            self.checkpoint()?;
            match by_path.get(member.path.as_slice()) {
                Some(old) => self.matched(member, old)?,
                None => {
                    self.stats.added += 1;
                    let similar = self.similar(member, &by_size, &by_name)?;
                    self.added(member, similar)?;
                }
            }
            self.progress.advance(self.writer.new_len());
        }
        // End-of-archive blocks.
        let new_len = new_layout.len - new_layout.trailer_start;
        let old_len = self.old_layout.len - self.old_layout.trailer_start;
        let tail = read_range(self.new, new_layout.trailer_start, new_len)?;
        if new_len == old_len {
            let old_tail = read_range(self.old, self.old_layout.trailer_start, old_len)?;
            self.writer
                .diff(self.old_layout.trailer_start, &diff_bytes(&tail, &old_tail))?;
        } else {
            self.writer.extra(&tail)?;
        }
        Ok(())
    }

    /// Between members and between the windows of a large file: the user
    /// may stop, and the bar moves.
    fn checkpoint(&mut self) -> Result<()> {
        if self.progress.cancelled() {
            return Err(Error::Cancelled);
        }
        self.progress.advance(self.writer.new_len());
        Ok(())
    }

    /// An old member to diff an added one against: one with identical
    /// content (a rename), else the one with the same file name and the
    /// closest size (a move).
    fn similar(
        &self,
        member: &MemberSpan,
        by_size: &HashMap<u64, Vec<&'a MemberSpan>>,
        by_name: &HashMap<&[u8], Vec<&'a MemberSpan>>,
    ) -> Result<Option<&'a MemberSpan>> {
        if member.data_len == 0 {
            return Ok(None);
        }
        for candidate in by_size.get(&member.data_len).into_iter().flatten().take(8) {
            if self.same_bytes(member.data_start, candidate.data_start, member.data_len)? {
                return Ok(Some(candidate));
            }
        }
        let closest = |list: &mut dyn Iterator<Item = &'a MemberSpan>| {
            list.min_by_key(|m| m.data_len.abs_diff(member.data_len))
        };
        // Diffing against an unrelated file of the same kind measured
        // worse than sending the new bytes (bsdiff's diff and extra blocks
        // compress less well than plain text), so only names count.
        Ok(closest(
            &mut by_name
                .get(base_name(&member.path))
                .into_iter()
                .flatten()
                .copied(),
        ))
    }

    fn same_bytes(&self, new_at: u64, old_at: u64, len: u64) -> Result<bool> {
        let mut a = vec![0u8; COMPARE_CHUNK.min(len) as usize];
        let mut b = a.clone();
        let mut done = 0;
        while done < len {
            let k = (len - done).min(COMPARE_CHUNK) as usize;
            read_at(self.new, new_at + done, &mut a[..k])
                .context(|| "reading the new tar".into())?;
            read_at(self.old, old_at + done, &mut b[..k])
                .context(|| "reading the old tar".into())?;
            if a[..k] != b[..k] {
                return Ok(false);
            }
            done += k as u64;
        }
        Ok(true)
    }

    /// Header blocks: a bytewise difference when the old ones have the
    /// same length (usually all zeros but a size or checksum), else new.
    fn headers(&mut self, member: &MemberSpan, old: Option<&MemberSpan>) -> Result<()> {
        let len = member.data_start - member.start;
        let new = read_range(self.new, member.start, len)?;
        match old {
            Some(o) if o.data_start - o.start == len => {
                let old_bytes = read_range(self.old, o.start, len)?;
                self.writer.diff(o.start, &diff_bytes(&new, &old_bytes))
            }
            _ => self.writer.extra(&new),
        }
    }

    fn matched(&mut self, member: &MemberSpan, old: &MemberSpan) -> Result<()> {
        self.headers(member, Some(old))?;
        let len = member.end - member.data_start;
        if len == old.end - old.data_start
            && self.same_bytes(member.data_start, old.data_start, len)?
        {
            self.stats.unchanged += 1;
            return self.writer.same(old.data_start, len);
        }
        self.stats.changed += 1;
        self.content(member, Some(old))
    }

    fn added(&mut self, member: &MemberSpan, similar: Option<&MemberSpan>) -> Result<()> {
        self.headers(member, None)?;
        self.content(member, similar)
    }

    /// Content and padding of a member, against `old`'s when given.
    /// Large files stay on disk: the anchors are found on the files and
    /// only the windows between them are read, so memory does not grow
    /// with the size of the binary.
    fn content(&mut self, member: &MemberSpan, old: Option<&MemberSpan>) -> Result<()> {
        let new_len = member.end - member.data_start;
        let Some(old) = old else {
            return self.extra_from_new(member.data_start, new_len);
        };
        let old_len = old.end - old.data_start;
        if old_len.saturating_add(new_len) <= WHOLE_FILE_DIFF as u64 {
            let new = read_range(self.new, member.data_start, new_len)?;
            let old_bytes = read_range(self.old, old.data_start, old_len)?;
            return self.bsdiff_window(&old_bytes, &new, old.data_start);
        }
        let too_large = || Error::TooLarge {
            what: "tar member".into(),
            limit: usize::MAX as u64,
        };
        let old_file = anchors::FileRange {
            file: self.old,
            start: old.data_start,
            len: usize::try_from(old_len).map_err(|_| too_large())?,
        };
        let new_file = anchors::FileRange {
            file: self.new,
            start: member.data_start,
            len: usize::try_from(new_len).map_err(|_| too_large())?,
        };
        self.file_diff(&old_file, &new_file)
    }

    /// New bytes sent as they are, read in bounded pieces.
    fn extra_from_new(&mut self, at: u64, len: u64) -> Result<()> {
        let mut done = 0;
        while done < len {
            let k = (len - done).min(COMPARE_CHUNK);
            let bytes = read_range(self.new, at + done, k)?;
            self.writer.extra(&bytes)?;
            done += k;
        }
        Ok(())
    }

    fn file_diff(&mut self, old: &anchors::FileRange, new: &anchors::FileRange) -> Result<()> {
        use anchors::ByteSource;
        let old_base = old.start;
        let found = anchors::find(old, new, ANCHOR_BLOCK)
            .context(|| "reading the tars to find unchanged runs".into())?;
        let (old_len, new_len) = (old.size(), new.size());
        let mut new_pos = 0;
        let mut old_end_prev = 0;
        for i in 0..=found.len() {
            let (gap_end, old_next) = match found.get(i) {
                Some(a) => (a.new_start, a.old_start),
                None => (new_len, old_len),
            };
            if gap_end > new_pos {
                let (lo, hi) = if old_end_prev <= old_next {
                    (old_end_prev, old_next)
                } else {
                    (old_next, old_end_prev)
                };
                // A rewritten stretch with no unchanged run in it goes to
                // bsdiff in pieces, so that its suffix sort (several
                // times the window in memory) stays bounded; each piece
                // is matched against the old bytes where it would sit.
                let gap = gap_end - new_pos;
                let max_window = self.max_window.max(1);
                let mut piece_start = new_pos;
                while piece_start < gap_end {
                    self.checkpoint()?;
                    let piece_end = gap_end.min(piece_start + max_window);
                    let (from, to) = if gap <= max_window {
                        // A window far wider than its gap (a move across
                        // the file) is cut to where the gap would sit.
                        let hi = hi.min(lo + gap + WINDOW_MARGIN);
                        (lo.saturating_sub(WINDOW_MARGIN), hi + WINDOW_MARGIN)
                    } else {
                        let at = lo + (piece_start - new_pos);
                        let len = piece_end - piece_start;
                        (at.saturating_sub(WINDOW_MARGIN), at + len + WINDOW_MARGIN)
                    };
                    let to = to.min(old_len);
                    let from = from.min(to);
                    let old_window =
                        read_range(self.old, old_base + from as u64, (to - from) as u64)?;
                    let new_piece = read_range(
                        self.new,
                        new.start + piece_start as u64,
                        (piece_end - piece_start) as u64,
                    )?;
                    self.bsdiff_window(&old_window, &new_piece, old_base + from as u64)?;
                    piece_start = piece_end;
                }
            }
            if let Some(a) = found.get(i) {
                self.writer
                    .same(old_base + a.old_start as u64, a.len as u64)?;
                new_pos = a.new_end();
                old_end_prev = a.old_end();
            }
        }
        Ok(())
    }

    /// bsdiff of one window, spliced into the patch at `old_base`.
    fn bsdiff_window(&mut self, old: &[u8], new: &[u8], old_base: u64) -> Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        if old.is_empty() {
            return self.writer.extra(new);
        }
        self.stats.bsdiff_bytes += new.len() as u64;
        let mut sub = Vec::new();
        qbsdiff::Bsdiff::new(old, new)
            .compression_level(1)
            .compare(std::io::Cursor::new(&mut sub))
            .map_err(|e| Error::patch_creation(format!("creating patch: {e}")))?;
        let header = super::format::Header::parse(&sub, sub.len() as u64)?;
        let unpack = |from: usize, to: usize| -> Result<Vec<u8>> {
            let mut out = Vec::new();
            bzip2::read::BzDecoder::new(&sub[from..to])
                .read_to_end(&mut out)
                .map_err(|e| Error::patch_creation(format!("reading back a window patch: {e}")))?;
            Ok(out)
        };
        let c_end = 32 + header.control_len as usize;
        let d_end = c_end + header.diff_len as usize;
        let control = unpack(32, c_end)?;
        let diff = unpack(c_end, d_end)?;
        let extra = unpack(d_end, sub.len())?;
        let (mut old_pos, mut d, mut e) = (0i64, 0usize, 0usize);
        for entry in control.chunks_exact(24) {
            let add = super::format::decode_int(&entry[0..8]) as usize;
            let copy = super::format::decode_int(&entry[8..16]) as usize;
            let seek = super::format::decode_int(&entry[16..24]);
            let offset = u64::try_from(old_pos)
                .map_err(|_| Error::patch_creation("window patch seeks before its start"))?;
            let inconsistent = || Error::patch_creation("a window patch is inconsistent");
            let diff_run = diff
                .get(d..d.saturating_add(add))
                .ok_or_else(inconsistent)?;
            let extra_run = extra
                .get(e..e.saturating_add(copy))
                .ok_or_else(inconsistent)?;
            self.writer.diff(old_base + offset, diff_run)?;
            self.writer.extra(extra_run)?;
            d += add;
            e += copy;
            old_pos += add as i64 + seek;
        }
        Ok(())
    }
}
