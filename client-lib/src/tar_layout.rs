//! Where each member of a tar file lies, so that archives and patches can
//! work member by member without holding the tar in memory.

use crate::error::IoContext;
use crate::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One member: its headers (PAX extension headers included) start at
/// `start`, its content at `data_start`; padding ends at `end`. Members
/// tile the tar: each `start` is the previous `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpan {
    pub path: Vec<u8>,
    pub start: u64,
    pub data_start: u64,
    pub data_len: u64,
    pub end: u64,
}

/// The members of a tar and where its end-of-archive blocks start.
#[derive(Debug, Clone)]
pub struct TarLayout {
    pub members: Vec<MemberSpan>,
    pub trailer_start: u64,
    pub len: u64,
}

fn not_plain(why: &str) -> Error {
    Error::NotPlainTar {
        reason: why.to_string(),
    }
}

impl TarLayout {
    /// Reads the member headers of the tar at `path` (content is skipped
    /// by seeking). Fails on anything this layout cannot describe, such as
    /// sparse members or overlapping positions.
    pub fn read(path: &Path) -> Result<TarLayout> {
        let file = File::open(path).context(|| format!("opening {}", path.display()))?;
        let len = file
            .metadata()
            .context(|| format!("reading {}", path.display()))?
            .len();
        let mut archive = tar::Archive::new(file);
        let mut members = Vec::new();
        let mut prev_end = 0u64;
        let entries = archive
            .entries_with_seek()
            .map_err(|e| not_plain(&e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| not_plain(&e.to_string()))?;
            let kind = entry.header().entry_type();
            if kind.is_gnu_sparse() {
                return Err(not_plain("sparse member"));
            }
            let data_start = entry.raw_file_position();
            let data_len = entry
                .header()
                .entry_size()
                .map_err(|e| not_plain(&e.to_string()))?;
            let end = data_len
                .div_ceil(512)
                .checked_mul(512)
                .and_then(|n| n.checked_add(data_start))
                .ok_or_else(|| not_plain("member size overflows"))?;
            if data_start < prev_end + 512 || end > len {
                return Err(not_plain("member positions out of order"));
            }
            members.push(MemberSpan {
                path: entry.path_bytes().into_owned(),
                start: prev_end,
                data_start,
                data_len,
                end,
            });
            prev_end = end;
        }
        Ok(TarLayout {
            members,
            trailer_start: prev_end,
            len,
        })
    }
}

/// Random access to a file through a shared handle.
pub fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// `len` bytes of `file` from `offset`, in a fresh buffer.
pub fn read_range(file: &File, offset: u64, len: u64) -> Result<Vec<u8>> {
    let n = usize::try_from(len).map_err(|_| Error::TooLarge {
        what: "tar member".into(),
        limit: usize::MAX as u64,
    })?;
    let mut buf = vec![0u8; n];
    read_at(file, offset, &mut buf).context(|| "reading a tar".into())?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_tile_the_tar() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(700);
        h.set_cksum();
        b.append_data(&mut h, "a.txt", &[1u8; 700][..]).unwrap();
        let long = format!("d/{}", "x".repeat(150));
        let mut h2 = tar::Header::new_gnu();
        h2.set_size(3);
        b.append_data(&mut h2, &long, &b"abc"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.tar");
        std::fs::write(&p, &bytes).unwrap();
        let layout = TarLayout::read(&p).unwrap();
        assert_eq!(layout.members.len(), 2);
        let a = &layout.members[0];
        assert_eq!(
            (a.start, a.data_start, a.data_len, a.end),
            (0, 512, 700, 1536)
        );
        let l = &layout.members[1];
        assert_eq!(l.path, long.as_bytes());
        assert_eq!(l.start, 1536);
        assert_eq!(&bytes[l.data_start as usize..][..3], b"abc");
        assert_eq!(layout.trailer_start, l.end);
        assert_eq!(layout.len, bytes.len() as u64);
        std::fs::write(&p, b"definitely not a tar, just text that is long enough").unwrap();
        assert!(TarLayout::read(&p)
            .map(|l| l.members.is_empty())
            .unwrap_or(true));
    }
}
