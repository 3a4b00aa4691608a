//! A first answer for "what will this release cost?", in well under a
//! second even for bundles of hundreds of megabytes: compare the bundle
//! with the manifest of the latest release (sizes, then CRC-32s of files
//! of equal size), and bound the archive and the patch from the files
//! that changed. The exact figures follow from the real build.

use crate::archive::{member_name, BundleEntry, BundleListing, CrcReader, Manifest};
use crate::error::IoContext;
use crate::Result;
use serde::Serialize;
use std::path::Path;

/// One file that differs from the latest release.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileChange {
    pub path: String,
    pub old_size: Option<u64>,
    pub new_size: Option<u64>,
}

/// What a release of a bundle will probably cost.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AddEstimate {
    /// The release compared against (none for a first release).
    pub previous: Option<String>,
    pub bundle_bytes: u64,
    pub files: u64,
    pub unchanged_files: u64,
    pub unchanged_bytes: u64,
    pub changed: Vec<FileChange>,
    pub added: Vec<FileChange>,
    pub removed: Vec<FileChange>,
    pub changed_bytes: u64,
    pub added_bytes: u64,
    /// Expected archive size (the bundle at the latest archive's ratio).
    pub archive_estimate: u64,
    /// The patch will be about this size or more (bytes that cannot come
    /// from the old release's file of the same name).
    pub patch_low: u64,
    /// The patch should not exceed this: changed and added files sent
    /// whole, compressed.
    pub patch_high: u64,
    pub seconds: f64,
}

/// Per-file cost of headers and control entries in a patch, for the upper
/// bound (a file sent whole).
const PER_FILE_PATCH_BYTES: u64 = 100;
/// The least a BSDIFF40 patch can be: its 32-byte header and three bzip2
/// streams of at least 14 bytes; control entries compress to almost
/// nothing, so the lower bound adds only what must be new bytes.
const MIN_PATCH_BYTES: u64 = 32 + 3 * 14;

fn crc_of(path: &Path) -> Result<u32> {
    let file = std::fs::File::open(path).context(|| format!("reading {}", path.display()))?;
    let mut reader = CrcReader::new(std::io::BufReader::with_capacity(1 << 20, file));
    std::io::copy(&mut reader, &mut std::io::sink())
        .context(|| format!("reading {}", path.display()))?;
    Ok(reader.into_parts().1)
}

/// Compares `listing` with `previous` (the manifest of the latest
/// release, `None` for a first release).
pub fn estimate(
    listing: &BundleListing,
    previous: Option<(&str, &Manifest)>,
) -> Result<AddEstimate> {
    let started = std::time::Instant::now();
    let empty = Manifest::default();
    let old = previous.map(|(_, m)| m).unwrap_or(&empty);
    let ratio = if old.tar_size > 0 && old.archive_size > 0 {
        old.archive_size as f64 / old.tar_size as f64
    } else {
        0.5
    };
    let mut est = AddEstimate {
        previous: previous.map(|(v, _)| v.to_string()),
        bundle_bytes: listing.content_bytes,
        files: 0,
        unchanged_files: 0,
        unchanged_bytes: 0,
        changed: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        changed_bytes: 0,
        added_bytes: 0,
        archive_estimate: 0,
        patch_low: 0,
        patch_high: 0,
        seconds: 0.0,
    };
    let mut seen = std::collections::BTreeSet::new();
    for entry in &listing.entries {
        let BundleEntry::File { rel, size, .. } = entry else {
            continue;
        };
        est.files += 1;
        let name = member_name(rel, false)?;
        match old.files.get(&name) {
            Some(&(old_size, old_crc)) => {
                seen.insert(name.clone());
                if old_size == *size && crc_of(&listing.root.join(rel))? == old_crc {
                    est.unchanged_files += 1;
                    est.unchanged_bytes += size;
                } else {
                    est.changed_bytes += size;
                    est.changed.push(FileChange {
                        path: name,
                        old_size: Some(old_size),
                        new_size: Some(*size),
                    });
                }
            }
            None => {
                est.added_bytes += size;
                est.added.push(FileChange {
                    path: name,
                    old_size: None,
                    new_size: Some(*size),
                });
            }
        }
    }
    for (name, (size, _)) in &old.files {
        if !seen.contains(name) {
            est.removed.push(FileChange {
                path: name.clone(),
                old_size: Some(*size),
                new_size: None,
            });
        }
    }
    let entries = listing.entries.len() as u64 + 1;
    est.archive_estimate = ((listing.content_bytes + 512 * entries) as f64 * ratio) as u64;
    if previous.is_some() {
        let touched = (est.changed.len() + est.added.len()) as u64;
        let growth: u64 = est
            .changed
            .iter()
            .map(|c| {
                c.new_size
                    .unwrap_or(0)
                    .saturating_sub(c.old_size.unwrap_or(0))
            })
            .sum();
        est.patch_low = MIN_PATCH_BYTES + ((growth + est.added_bytes) as f64 * ratio * 0.5) as u64;
        let whole_files = 200
            + touched * (PER_FILE_PATCH_BYTES + 512)
            + ((est.changed_bytes + est.added_bytes) as f64 * ratio * 1.1) as u64;
        // Sending changed files whole never costs more than the archive
        // (give or take bzip2 against gzip).
        est.patch_high = whole_files
            .min(est.archive_estimate + est.archive_estimate / 20)
            .max(est.patch_low);
    }
    est.changed.sort_by_key(|c| std::cmp::Reverse(c.new_size));
    est.added.sort_by_key(|c| std::cmp::Reverse(c.new_size));
    est.seconds = started.elapsed().as_secs_f64();
    Ok(est)
}
