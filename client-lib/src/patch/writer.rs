//! Writes a BSDIFF40 stream from a sequence of operations on the new
//! tar, in order: "take these bytes from the old tar at this offset, plus
//! this difference" and "these bytes are new". Control entries are
//! merged and seeks computed here, so callers think in offsets only.
//!
//! The diff and extra blocks are compressed on their own threads while
//! the caller is still matching, which overlaps bzip2 with the search.

use super::format::{encode_int, Header, HEADER_LEN};
use crate::{Error, Result};
use std::io::Write;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

enum Chunk {
    Bytes(Vec<u8>),
    Zeros(u64),
}

/// One bzip2 block fed from a channel on its own thread.
struct Compressor {
    tx: Option<SyncSender<Chunk>>,
    handle: Option<JoinHandle<std::io::Result<Vec<u8>>>>,
}

impl Compressor {
    fn start() -> Self {
        let (tx, rx) = sync_channel::<Chunk>(32);
        let handle = std::thread::spawn(move || {
            let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            let zeros = vec![0u8; 64 * 1024];
            for chunk in rx {
                match chunk {
                    Chunk::Bytes(b) => enc.write_all(&b)?,
                    Chunk::Zeros(mut n) => {
                        while n > 0 {
                            let k = n.min(zeros.len() as u64) as usize;
                            enc.write_all(&zeros[..k])?;
                            n -= k as u64;
                        }
                    }
                }
            }
            enc.finish()
        });
        Compressor {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    fn send(&self, chunk: Chunk) -> Result<()> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| Error::patch_creation("patch already finished"))?;
        tx.send(chunk)
            .map_err(|_| Error::patch_creation("the patch compressor stopped"))
    }

    fn finish(mut self) -> Result<Vec<u8>> {
        drop(self.tx.take());
        let handle = self
            .handle
            .take()
            .ok_or_else(|| Error::patch_creation("patch already finished"))?;
        handle
            .join()
            .map_err(|_| Error::patch_creation("the patch compressor panicked"))?
            .map_err(|e| Error::patch_creation(format!("compressing the patch: {e}")))
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Builds a patch from operations given in the order of the new file.
pub struct PatchWriter {
    control: Vec<u8>,
    diff: Compressor,
    extra: Compressor,
    /// Old offset where the pending entry's diff run starts.
    old_cursor: i64,
    /// The entry being built: (diff length, extra length).
    pending: Option<(u64, u64)>,
    new_len: u64,
    buffered: Vec<u8>,
}

const SEND_AT: usize = 1 << 20;

impl Default for PatchWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PatchWriter {
    pub fn new() -> Self {
        PatchWriter {
            control: Vec::new(),
            diff: Compressor::start(),
            extra: Compressor::start(),
            old_cursor: 0,
            pending: None,
            new_len: 0,
            buffered: Vec::new(),
        }
    }

    /// Bytes of output described so far.
    pub fn new_len(&self) -> u64 {
        self.new_len
    }

    fn push_control(&mut self, add: u64, copy: u64, seek: i64) {
        let mut entry = [0u8; 24];
        encode_int(add as i64, &mut entry[0..8]);
        encode_int(copy as i64, &mut entry[8..16]);
        encode_int(seek, &mut entry[16..24]);
        self.control.extend_from_slice(&entry);
    }

    /// Starts (or extends) a run that reads the old file at `old_off`.
    fn start_diff_run(&mut self, old_off: u64, len: u64) {
        let old_off = old_off as i64;
        match self.pending {
            Some((add, 0)) if self.old_cursor + add as i64 == old_off => {
                self.pending = Some((add + len, 0));
                return;
            }
            Some((add, copy)) => {
                let seek = old_off - (self.old_cursor + add as i64);
                self.push_control(add, copy, seek);
            }
            None if old_off != self.old_cursor => {
                self.push_control(0, 0, old_off - self.old_cursor);
            }
            None => {}
        }
        self.old_cursor = old_off;
        self.pending = Some((len, 0));
    }

    fn flush_diff_bytes(&mut self) -> Result<()> {
        if !self.buffered.is_empty() {
            let bytes = std::mem::take(&mut self.buffered);
            self.diff.send(Chunk::Bytes(bytes))?;
        }
        Ok(())
    }

    /// The next `diff.len()` output bytes are the old bytes at `old_off`
    /// plus `diff` (bytewise, wrapping).
    pub fn diff(&mut self, old_off: u64, diff: &[u8]) -> Result<()> {
        if diff.is_empty() {
            return Ok(());
        }
        self.start_diff_run(old_off, diff.len() as u64);
        self.buffered.extend_from_slice(diff);
        if self.buffered.len() >= SEND_AT {
            self.flush_diff_bytes()?;
        }
        self.new_len += diff.len() as u64;
        Ok(())
    }

    /// The next `len` output bytes equal the old bytes at `old_off`.
    pub fn same(&mut self, old_off: u64, len: u64) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        self.start_diff_run(old_off, len);
        self.flush_diff_bytes()?;
        self.diff.send(Chunk::Zeros(len))?;
        self.new_len += len;
        Ok(())
    }

    /// The next output bytes are `bytes`, not taken from the old file.
    pub fn extra(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let (add, copy) = self.pending.unwrap_or((0, 0));
        self.pending = Some((add, copy + bytes.len() as u64));
        self.extra.send(Chunk::Bytes(bytes.to_vec()))?;
        self.new_len += bytes.len() as u64;
        Ok(())
    }

    /// Writes the patch; returns its size.
    pub fn finish(mut self, mut out: impl Write) -> Result<u64> {
        if let Some((add, copy)) = self.pending.take() {
            self.push_control(add, copy, 0);
        }
        self.flush_diff_bytes()?;
        let control = {
            let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            enc.write_all(&self.control)
                .and_then(|_| enc.finish())
                .map_err(|e| Error::patch_creation(format!("compressing the patch: {e}")))?
        };
        let new_size = self.new_len;
        let PatchWriter { diff, extra, .. } = self;
        let diff = diff.finish()?;
        let extra = extra.finish()?;
        let header = Header {
            control_len: control.len() as u64,
            diff_len: diff.len() as u64,
            new_size,
        };
        let io = |e: std::io::Error| Error::patch_creation(format!("writing the patch: {e}"));
        out.write_all(&header.to_bytes()).map_err(io)?;
        out.write_all(&control).map_err(io)?;
        out.write_all(&diff).map_err(io)?;
        out.write_all(&extra).map_err(io)?;
        out.flush().map_err(io)?;
        Ok(HEADER_LEN + (control.len() + diff.len() + extra.len()) as u64)
    }
}
