//! The pins of snapshot.json and timestamp.json.

use super::*;

pub(super) fn metafile(bytes: &[u8], version: NonZeroU64) -> Metafile {
    Metafile {
        length: Some(bytes.len() as u64),
        hashes: Some(Hashes {
            sha256: hex::decode(sha256_hex(bytes)).unwrap_or_default().into(),
            _extra: HashMap::new(),
        }),
        version,
        _extra: HashMap::new(),
    }
}

pub(crate) fn snapshot_for(
    targets_bytes: &[u8],
    targets_version: NonZeroU64,
    version: NonZeroU64,
    expires: jiff::Timestamp,
) -> Snapshot {
    let mut s = Snapshot::new(SPEC_VERSION.into(), version, expires);
    s.meta.insert(
        "targets.json".into(),
        metafile(targets_bytes, targets_version),
    );
    s
}

pub(crate) fn timestamp_for(
    snapshot_bytes: &[u8],
    snapshot_version: NonZeroU64,
    version: NonZeroU64,
    expires: jiff::Timestamp,
) -> Timestamp {
    let mut t = Timestamp::new(SPEC_VERSION.into(), version, expires);
    t.meta.insert(
        "snapshot.json".into(),
        metafile(snapshot_bytes, snapshot_version),
    );
    t
}
