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
    Error::Patch(format!("the patch is corrupt: {what}"))
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
    let patch_len = std::fs::metadata(patch)
        .context(|| format!("reading {}", patch.display()))?
        .len();
    let mut head = [0u8; HEADER_LEN as usize];
    File::open(patch)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|_| Error::Patch("not a BSDIFF40 patch".into()))?;
    let header = Header::parse(&head, patch_len)?;
    if header.new_size != expected_size {
        return Err(Error::Patch(format!(
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
        let (Ok(add), Ok(copy)) = (u64::try_from(add), u64::try_from(copy)) else {
            return Err(corrupt("a control entry has a negative length"));
        };
        match written.checked_add(add).and_then(|n| n.checked_add(copy)) {
            Some(end) if end <= expected_size => {}
            _ => return Err(corrupt("it writes past the declared size")),
        }
        let mut left = add;
        while left > 0 {
            let k = left.min(CHUNK as u64) as usize;
            read_block(diff.as_mut(), &mut delta[..k], "diff")?;
            read_old(&mut old_file, old_len, old_pos, &mut base[..k])?;
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
    if written != expected_size {
        return Err(corrupt(&format!(
            "it produced {written} bytes, metadata declares {expected_size}"
        )));
    }
    out.flush().context(|| "writing the patched tar".into())?;
    Ok(hex::encode(hasher.finalize()))
}
