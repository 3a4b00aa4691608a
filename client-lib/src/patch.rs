//! Binary patches between the uncompressed tars of two releases, in the
//! BSDIFF40 format of bsdiff 4.x (what Python's `bsdiff4` and tufup use).

use crate::{Error, Result};
use sha2::{Digest, Sha256};

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Computes a BSDIFF40 patch that turns `old` into `new`.
#[cfg(feature = "publisher")]
pub fn create(old: &[u8], new: &[u8]) -> Result<Vec<u8>> {
    let mut patch = Vec::new();
    qbsdiff::Bsdiff::new(old, new)
        .compression_level(9)
        .compare(std::io::Cursor::new(&mut patch))
        .map_err(|e| Error::Patch(format!("creating patch: {e}")))?;
    Ok(patch)
}

/// Applies a BSDIFF40 `patch` to `old`. The result must be exactly
/// `expected_size` bytes with sha256 `expected_hash`: a patch is never
/// trusted to say how large its output is.
pub fn apply(old: &[u8], patch: &[u8], expected_size: u64, expected_hash: &str) -> Result<Vec<u8>> {
    let patcher = qbsdiff::Bspatch::new(patch).map_err(|e| Error::Patch(e.to_string()))?;
    if patcher.hint_target_size() != expected_size {
        return Err(Error::Patch(format!(
            "patch produces {} bytes, metadata declares {expected_size}",
            patcher.hint_target_size()
        )));
    }
    let capacity = usize::try_from(expected_size).map_err(|_| Error::TooLarge {
        what: "patched tar".into(),
        limit: usize::MAX as u64,
    })?;
    let mut out = Vec::with_capacity(capacity);
    patcher
        .apply(old, std::io::Cursor::new(&mut out))
        .map_err(|e| Error::Patch(e.to_string()))?;
    let actual = sha256_hex(&out);
    if out.len() as u64 != expected_size || actual != expected_hash {
        return Err(Error::TarHashMismatch {
            expected: expected_hash.to_string(),
            actual,
        });
    }
    Ok(out)
}

#[cfg(all(test, feature = "publisher"))]
mod tests {
    use super::*;

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
        let out = apply(&old, &p, new.len() as u64, &sha256_hex(&new)).unwrap();
        assert_eq!(out, new);
        let wrong = apply(&old, &p, new.len() as u64, &"0".repeat(64));
        assert!(matches!(wrong, Err(Error::TarHashMismatch { .. })));
        let wrong_size = apply(&old, &p, 5, &sha256_hex(&new));
        assert!(matches!(wrong_size, Err(Error::Patch(_))));
        assert!(apply(&old, b"garbage", 1, &sha256_hex(b"x")).is_err());
    }
}
