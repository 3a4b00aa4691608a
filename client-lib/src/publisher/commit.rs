//! All-or-nothing changes to a repository directory.
//!
//! A change is prepared in `<repo>/.tufa-pending/` (same filesystem, so the
//! final renames are atomic), then a manifest is written atomically: that
//! is the commit point. The renames follow in order: target files first,
//! then root, targets, snapshot, and timestamp last, so a client reading
//! during the switch never sees metadata that points at a missing file.
//! If the process dies before the manifest exists, the next run discards
//! the pending files (old state); if it dies after, the next run finishes
//! the renames (new state).

use crate::error::IoContext;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

const PENDING_DIR: &str = ".tufa-pending";
const MANIFEST: &str = "COMMIT.json";
const LOCK_FILE: &str = ".tufa-lock";

pub use crate::fsutil::write_atomic;
use crate::fsutil::{failpoint, sync_dir};

/// An exclusive lock on a repository, held while it is changed. Released on
/// drop (and by the OS if the process dies).
#[derive(Debug)]
pub struct RepoLock {
    _file: fs::File,
}

impl RepoLock {
    /// Takes the lock or fails at once if another process holds it.
    pub fn acquire(repo: &Path) -> Result<Self> {
        fs::create_dir_all(repo).context(|| format!("creating {}", repo.display()))?;
        let path = repo.join(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(RepoLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(Error::Locked(path)),
            Err(fs::TryLockError::Error(e)) => {
                Err(Error::io(format!("locking {}", path.display()), e))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Op {
    /// Move pending file `src` to `dest` (both relative).
    Put { src: String, dest: String },
    /// Remove `dest` (relative).
    Delete { dest: String },
}

/// A prepared set of changes to one repository directory.
#[derive(Debug)]
pub struct Transaction {
    repo: PathBuf,
    pending: PathBuf,
    ops: Vec<Op>,
    committed: bool,
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // An abandoned transaction (an error before its commit point)
        // leaves nothing behind.
        if !self.committed {
            let _ = fs::remove_dir_all(&self.pending);
        }
    }
}

impl Transaction {
    /// Starts a transaction. Call [`recover`] first (under the lock) so no
    /// earlier pending state is mixed in.
    pub fn begin(repo: &Path) -> Result<Self> {
        let pending = repo.join(PENDING_DIR);
        if pending.exists() {
            fs::remove_dir_all(&pending).context(|| format!("removing {}", pending.display()))?;
        }
        fs::create_dir_all(&pending).context(|| format!("creating {}", pending.display()))?;
        Ok(Transaction {
            repo: repo.into(),
            pending,
            ops: Vec::new(),
            committed: false,
        })
    }

    fn next_src(&self) -> String {
        format!("{:04}", self.ops.len())
    }

    /// Schedules `dest` (relative to the repository) to receive `bytes`.
    pub fn put_bytes(&mut self, dest: &str, bytes: &[u8]) -> Result<()> {
        let src = self.next_src();
        let path = self.pending.join(&src);
        let mut f = fs::File::create(&path).context(|| format!("creating {}", path.display()))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .context(|| format!("writing {}", path.display()))?;
        self.ops.push(Op::Put {
            src,
            dest: dest.into(),
        });
        Ok(())
    }

    /// Schedules `dest` to receive the file at `from` (hard-linked when on
    /// the same filesystem, copied otherwise; `from` stays, so a rolled
    /// back change can be published again).
    pub fn put_file(&mut self, dest: &str, from: &Path) -> Result<()> {
        let src = self.next_src();
        let path = self.pending.join(&src);
        if fs::hard_link(from, &path).is_err() {
            fs::copy(from, &path)
                .context(|| format!("copying {} into the repository", from.display()))?;
        }
        fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .context(|| format!("syncing {}", path.display()))?;
        self.ops.push(Op::Put {
            src,
            dest: dest.into(),
        });
        Ok(())
    }

    /// Schedules `dest` for removal (after every put).
    pub fn delete(&mut self, dest: &str) {
        self.ops.push(Op::Delete { dest: dest.into() });
    }

    /// Relative paths this transaction writes, in order.
    pub fn written(&self) -> Vec<String> {
        self.ops
            .iter()
            .filter_map(|op| match op {
                Op::Put { dest, .. } => Some(dest.clone()),
                Op::Delete { .. } => None,
            })
            .collect()
    }

    /// Commits: writes the manifest (the point of no return), then applies.
    pub fn commit(mut self) -> Result<Vec<String>> {
        // Deletions run last: metadata must stop naming a file before the
        // file disappears.
        let (puts, deletes): (Vec<Op>, Vec<Op>) = self
            .ops
            .drain(..)
            .partition(|op| matches!(op, Op::Put { .. }));
        self.ops = puts.into_iter().chain(deletes).collect();
        let manifest = serde_json::to_vec(&self.ops)
            .map_err(|e| Error::encoding("the transaction manifest", e))?;
        failpoint("before-manifest");
        write_atomic(&self.pending.join(MANIFEST), &manifest)?;
        self.committed = true;
        failpoint("after-manifest");
        let written = self.written();
        apply(&self.repo, &self.pending, &self.ops)?;
        tracing::info!(
            repository = %self.repo.display(),
            written = ?written,
            removed = self.ops.iter().filter(|op| matches!(op, Op::Delete { .. })).count(),
            "repository change committed"
        );
        Ok(written)
    }
}

fn apply(repo: &Path, pending: &Path, ops: &[Op]) -> Result<()> {
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Put { src, dest } => {
                let from = pending.join(src);
                let to = repo.join(dest);
                // Already moved by an interrupted earlier run.
                if !from.exists() {
                    continue;
                }
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent)
                        .context(|| format!("creating {}", parent.display()))?;
                }
                fs::rename(&from, &to).context(|| format!("moving {} into place", to.display()))?;
                if let Some(parent) = to.parent() {
                    sync_dir(parent);
                }
            }
            Op::Delete { dest } => {
                let path = repo.join(dest);
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(format!("removing {}", path.display()), e)),
                }
            }
        }
        failpoint(&format!("after-op-{}", i + 1));
    }
    fs::remove_dir_all(pending).context(|| format!("removing {}", pending.display()))?;
    Ok(())
}

/// What [`recover`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was pending.
    Clean,
    /// An interrupted change had not reached its commit point: discarded.
    RolledBack,
    /// An interrupted change had committed: finished.
    RolledForward,
}

/// Finishes or discards a change interrupted by a crash. Call under the lock.
pub fn recover(repo: &Path) -> Result<Recovery> {
    let pending = repo.join(PENDING_DIR);
    if !pending.exists() {
        return Ok(Recovery::Clean);
    }
    let manifest = pending.join(MANIFEST);
    match fs::read(&manifest) {
        Ok(bytes) => {
            let ops: Vec<Op> =
                serde_json::from_slice(&bytes).map_err(|source| Error::MalformedJson {
                    file: manifest.display().to_string(),
                    source,
                })?;
            for op in &ops {
                let (Op::Put { dest, .. } | Op::Delete { dest }) = op;
                if dest.split('/').any(|c| c == ".." || c.is_empty()) {
                    return Err(Error::InvalidMetadata {
                        file: manifest.display().to_string(),
                        reason: format!("refusing path '{dest}'"),
                    });
                }
            }
            apply(repo, &pending, &ops)?;
            tracing::warn!(
                repository = %repo.display(),
                "an interrupted change had committed: finished it"
            );
            Ok(Recovery::RolledForward)
        }
        Err(_) => {
            fs::remove_dir_all(&pending).context(|| format!("removing {}", pending.display()))?;
            tracing::warn!(
                repository = %repo.display(),
                "an interrupted change had not committed: discarded it"
            );
            Ok(Recovery::RolledBack)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_applies_in_order_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("old.txt"), b"old").unwrap();
        let mut tx = Transaction::begin(dir.path()).unwrap();
        tx.delete("old.txt");
        tx.put_bytes("metadata/a.json", b"a").unwrap();
        let written = tx.commit().unwrap();
        assert_eq!(written, vec!["metadata/a.json"]);
        assert_eq!(fs::read(dir.path().join("metadata/a.json")).unwrap(), b"a");
        assert!(!dir.path().join("old.txt").exists());
        assert!(!dir.path().join(PENDING_DIR).exists());
    }

    #[test]
    fn uncommitted_pending_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut tx = Transaction::begin(dir.path()).unwrap();
        tx.put_bytes("x", b"new").unwrap();
        // As if the process died before the commit point.
        std::mem::forget(tx);
        assert_eq!(recover(dir.path()).unwrap(), Recovery::RolledBack);
        assert!(!dir.path().join("x").exists());
        assert_eq!(recover(dir.path()).unwrap(), Recovery::Clean);
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let held = RepoLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            RepoLock::acquire(dir.path()),
            Err(Error::Locked(_))
        ));
        drop(held);
        RepoLock::acquire(dir.path()).unwrap();
    }
}
