//! A release's file list with sizes and CRC-32s, kept beside the project
//! after publishing, so that the next release can be estimated (which
//! files changed, how large the patch can be) in well under a second,
//! before any tar is built.

use crate::error::IoContext;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Regular files of a release tar: member name → (size, CRC-32).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, (u64, u32)>,
    /// Size of the tar and of its archive, for the compression ratio.
    #[serde(default)]
    pub tar_size: u64,
    #[serde(default)]
    pub archive_size: u64,
}

/// A reader that computes the CRC-32 of what passes through.
pub struct CrcReader<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> CrcReader<R> {
    pub fn new(inner: R) -> Self {
        CrcReader {
            inner,
            crc: crc32fast::Hasher::new(),
        }
    }
    pub fn into_parts(self) -> (R, u32) {
        (self.inner, self.crc.finalize())
    }
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

impl Manifest {
    /// Builds the manifest of a release archive by reading it through
    /// (for releases published before manifests were kept).
    pub fn of_archive(archive: &Path, limit: u64) -> Result<Manifest> {
        let file =
            std::fs::File::open(archive).context(|| format!("opening {}", archive.display()))?;
        let archive_size = file
            .metadata()
            .context(|| format!("reading {}", archive.display()))?
            .len();
        let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
        let mut counted = CountingReader {
            inner: gz.take(limit),
            n: 0,
        };
        let mut manifest = Manifest {
            archive_size,
            ..Manifest::default()
        };
        {
            let mut tar = tar::Archive::new(&mut counted);
            let entries = tar
                .entries()
                .context(|| format!("reading {}", archive.display()))?;
            for entry in entries {
                let entry = entry.context(|| format!("reading {}", archive.display()))?;
                if entry.header().entry_type() != tar::EntryType::Regular {
                    continue;
                }
                let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                let size = entry.size();
                let mut reader = CrcReader::new(entry);
                std::io::copy(&mut reader, &mut std::io::sink())
                    .context(|| format!("reading {}", archive.display()))?;
                manifest.files.insert(name, (size, reader.into_parts().1));
            }
            std::io::copy(tar.into_inner(), &mut std::io::sink())
                .context(|| format!("reading {}", archive.display()))?;
        }
        manifest.tar_size = counted.n;
        Ok(manifest)
    }

    pub fn load(path: &Path) -> Result<Option<Manifest>> {
        match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| Error::DamagedCache {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        }
        let bytes =
            serde_json::to_vec(self).map_err(|e| Error::encoding("the manifest cache", e))?;
        crate::fsutil::write_atomic(path, &bytes)
    }
}

struct CountingReader<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}
