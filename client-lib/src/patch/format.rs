//! The BSDIFF40 container: a 32-byte header (magic, compressed sizes of
//! the control and diff blocks, size of the output) followed by three
//! bzip2 blocks. Integers use bsdiff's own sign-magnitude encoding.

use crate::{Error, Result};

pub const MAGIC: &[u8; 8] = b"BSDIFF40";
pub const HEADER_LEN: u64 = 32;

#[cfg(any(feature = "publisher", test))]
/// bsdiff's `offtout`: 63-bit magnitude little-endian, sign in the top bit.
pub fn encode_int(value: i64, out: &mut [u8]) {
    let mut bytes = value.unsigned_abs().to_le_bytes();
    if value < 0 {
        bytes[7] |= 0x80;
    }
    out[..8].copy_from_slice(&bytes);
}

/// bsdiff's `offtin`.
pub fn decode_int(bytes: &[u8]) -> i64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&bytes[..8]);
    let negative = raw[7] & 0x80 != 0;
    raw[7] &= 0x7f;
    let magnitude = u64::from_le_bytes(raw) as i64;
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// The parsed header of a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub control_len: u64,
    pub diff_len: u64,
    pub new_size: u64,
}

impl Header {
    /// Parses and checks a header against the size of the whole patch, so
    /// that the blocks it announces really are inside the file.
    pub fn parse(bytes: &[u8], patch_len: u64) -> Result<Header> {
        if bytes.len() < HEADER_LEN as usize || &bytes[..8] != MAGIC {
            return Err(Error::corrupt_patch("not a BSDIFF40 patch"));
        }
        let field = |at: usize, what: &str| {
            let v = decode_int(&bytes[at..at + 8]);
            u64::try_from(v)
                .map_err(|_| Error::corrupt_patch(format!("negative {what} in patch header")))
        };
        let header = Header {
            control_len: field(8, "control length")?,
            diff_len: field(16, "diff length")?,
            new_size: field(24, "output size")?,
        };
        let blocks = header
            .control_len
            .checked_add(header.diff_len)
            .and_then(|n| n.checked_add(HEADER_LEN));
        match blocks {
            Some(end) if end <= patch_len => Ok(header),
            _ => Err(Error::corrupt_patch(
                "patch header announces blocks beyond the end of the file",
            )),
        }
    }

    #[cfg(any(feature = "publisher", test))]
    pub fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[..8].copy_from_slice(MAGIC);
        encode_int(self.control_len as i64, &mut out[8..16]);
        encode_int(self.diff_len as i64, &mut out[16..24]);
        encode_int(self.new_size as i64, &mut out[24..32]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_in_sign_magnitude() {
        for v in [0i64, 1, -1, 255, -256, i64::MAX, -i64::MAX, 1 << 40] {
            let mut b = [0u8; 8];
            encode_int(v, &mut b);
            assert_eq!(decode_int(&b), v);
        }
        let mut b = [0u8; 8];
        encode_int(-1, &mut b);
        assert_eq!(b, [1, 0, 0, 0, 0, 0, 0, 0x80], "not two's complement");
    }

    #[test]
    fn header_blocks_must_fit_in_the_file() {
        let h = Header {
            control_len: 10,
            diff_len: 20,
            new_size: 5,
        };
        assert_eq!(Header::parse(&h.to_bytes(), 62).unwrap(), h);
        assert!(matches!(
            Header::parse(&h.to_bytes(), 61),
            Err(Error::CorruptPatch { .. })
        ));
        let huge = Header {
            control_len: i64::MAX as u64,
            diff_len: i64::MAX as u64,
            new_size: 0,
        };
        assert!(matches!(
            Header::parse(&huge.to_bytes(), 100),
            Err(Error::CorruptPatch { .. })
        ));
        assert!(matches!(
            Header::parse(b"BSDIFF41xxxxxxxxxxxxxxxxxxxxxxxx", 100),
            Err(Error::CorruptPatch { .. })
        ));
    }
}
