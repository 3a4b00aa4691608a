//! Engine progress as window events (`progress`), with cancellation.

use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter};
use tufa::{Phase, Progress};

#[derive(Clone, Serialize)]
struct ProgressEvent {
    phase: Phase,
    label: &'static str,
    done: u64,
    total: Option<u64>,
    finished: bool,
    /// The file being worked on, in phases of many files (upload, check).
    file: Option<String>,
    /// Files done of `files_total` (0 of 0 in phases of one stream).
    files_done: usize,
    files_total: usize,
}

/// Forwards progress to the front end, at most every 50 ms per phase.
pub struct EventProgress {
    app: AppHandle,
    cancel: Arc<AtomicBool>,
    phase: Option<(Phase, Option<u64>)>,
    /// (name, done, count) of the current file.
    file: Option<(String, usize, usize)>,
    /// Bytes done in the current phase.
    done: u64,
    last: Instant,
}

impl EventProgress {
    pub fn new(app: AppHandle, cancel: Arc<AtomicBool>) -> Self {
        cancel.store(false, Ordering::SeqCst);
        EventProgress {
            app,
            cancel,
            phase: None,
            file: None,
            done: 0,
            last: Instant::now(),
        }
    }

    fn emit(&self, done: u64, finished: bool) {
        if let Some((phase, total)) = self.phase {
            let (file, files_done, files_total) = match &self.file {
                Some((name, done, count)) => {
                    (Some(name.clone()).filter(|n| !n.is_empty()), *done, *count)
                }
                None => (None, 0, 0),
            };
            let _ = self.app.emit(
                "progress",
                ProgressEvent {
                    phase,
                    label: phase.label(),
                    done,
                    total,
                    finished,
                    file,
                    files_done,
                    files_total,
                },
            );
        }
    }
}

impl Progress for EventProgress {
    fn start(&mut self, phase: Phase, total: Option<u64>) {
        self.phase = Some((phase, total));
        self.file = None;
        self.done = 0;
        self.emit(0, false);
    }

    fn advance(&mut self, done: u64) {
        self.done = done;
        if self.last.elapsed() >= Duration::from_millis(50) {
            self.last = Instant::now();
            self.emit(done, false);
        }
    }

    fn finish(&mut self, _phase: Phase) {
        let total = self.phase.and_then(|(_, t)| t).unwrap_or(0);
        self.emit(total, true);
    }

    fn file(&mut self, name: &str, done: usize, count: usize) {
        self.file = Some((name.to_string(), done, count));
        // A new file is shown at once unless files fly by (many small
        // ones): then the next tick shows where it got.
        if self.last.elapsed() >= Duration::from_millis(50) {
            self.last = Instant::now();
            self.emit(self.done, false);
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}
