//! Small filesystem helpers shared by the client and the publisher.

use crate::error::IoContext;
use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced,
/// then renamed over.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |out| {
        out.write_all(bytes)
            .context(|| format!("writing {}", path.display()))
    })
}

/// Writes `path` atomically from a stream: `fill` writes into a temporary
/// file beside it; an error from `fill` (a failed check) leaves `path`
/// untouched and the temporary file removed. Otherwise it is synced and
/// renamed over `path`.
pub fn write_atomic_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    write_atomic_mode(path, None, fill)
}

#[cfg(feature = "publisher")]
/// [`write_atomic_with`] for a file others must read (published
/// repositories served by a web server running as another user): mode
/// 0644 is set before the rename, so the file is never seen unreadable.
pub fn write_public_atomic_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    write_atomic_mode(path, Some(0o644), fill)
}

fn write_atomic_mode<T>(
    path: &Path,
    mode: Option<u32>,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".tufa-tmp")
        .tempfile_in(dir)
        .context(|| format!("creating a temporary file in {}", dir.display()))?;
    let value = {
        let mut out = std::io::BufWriter::new(tmp.as_file());
        let value = fill(&mut out)?;
        out.flush()
            .context(|| format!("writing {}", path.display()))?;
        value
    };
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .context(|| format!("setting the permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.as_file()
        .sync_all()
        .context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("replacing {}", path.display()), e.error))?;
    sync_dir(dir);
    Ok(value)
}

/// Makes a rename in `dir` durable. Some filesystems refuse to sync a
/// directory; that is not worth failing for.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Crash injection for tests of the recovery paths: `TUFA_FAILPOINT=NAME`
/// aborts the process at the named point. Compiled into debug builds only.
pub fn failpoint(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("TUFA_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("tufa: failpoint {name}: aborting");
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Passes writes through while counting and hashing (sha256) them.
#[cfg(feature = "publisher")]
pub(crate) struct HashingWriter<W: std::io::Write> {
    inner: W,
    hasher: sha2::Sha256,
    len: u64,
}

#[cfg(feature = "publisher")]
impl<W: std::io::Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        use sha2::Digest;
        HashingWriter {
            inner,
            hasher: sha2::Sha256::new(),
            len: 0,
        }
    }

    /// Flushes; returns the byte count and the lowercase hex sha256.
    pub(crate) fn finish(mut self) -> std::io::Result<(u64, String)> {
        use sha2::Digest;
        self.inner.flush()?;
        Ok((self.len, hex::encode(self.hasher.finalize())))
    }
}

#[cfg(feature = "publisher")]
impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Looks at long work as it goes: called with the bytes done so far after
/// each read or write, it reports progress and may stop the work by
/// returning an error (the client's cancellation does, see
/// `client::Cancel`). The work then fails and removes what it wrote.
pub(crate) type Watch<'a> = &'a mut dyn FnMut(u64) -> std::io::Result<()>;

/// A watch that never stops the work.
pub(crate) fn unwatched(_: u64) -> std::io::Result<()> {
    Ok(())
}

/// Passes reads through, telling a [`Watch`] the bytes read so far.
pub(crate) struct WatchedRead<'a, R> {
    pub(crate) inner: R,
    pub(crate) done: u64,
    pub(crate) watch: Watch<'a>,
}

impl<R: std::io::Read> std::io::Read for WatchedRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        (self.watch)(self.done)?;
        Ok(n)
    }
}

/// Seeking (over data an install does not read) moves "read so far" to
/// the new position.
impl<R: std::io::Read + std::io::Seek> std::io::Seek for WatchedRead<'_, R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(pos)?;
        self.done = at;
        (self.watch)(self.done)?;
        Ok(at)
    }
}

/// Passes writes through, telling a [`Watch`] the bytes written so far.
pub(crate) struct WatchedWrite<'a, W: ?Sized> {
    pub(crate) inner: &'a mut W,
    pub(crate) done: u64,
    pub(crate) watch: Watch<'a>,
}

impl<W: Write + ?Sized> Write for WatchedWrite<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.done += n as u64;
        (self.watch)(self.done)?;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
