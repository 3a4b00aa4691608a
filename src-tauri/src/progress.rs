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
}

/// Forwards progress to the front end, at most every 50 ms per phase.
pub struct EventProgress {
    app: AppHandle,
    cancel: Arc<AtomicBool>,
    phase: Option<(Phase, Option<u64>)>,
    last: Instant,
}

impl EventProgress {
    pub fn new(app: AppHandle, cancel: Arc<AtomicBool>) -> Self {
        cancel.store(false, Ordering::SeqCst);
        EventProgress {
            app,
            cancel,
            phase: None,
            last: Instant::now(),
        }
    }

    fn emit(&self, done: u64, finished: bool) {
        if let Some((phase, total)) = self.phase {
            let _ = self.app.emit(
                "progress",
                ProgressEvent {
                    phase,
                    label: phase.label(),
                    done,
                    total,
                    finished,
                },
            );
        }
    }
}

impl Progress for EventProgress {
    fn start(&mut self, phase: Phase, total: Option<u64>) {
        self.phase = Some((phase, total));
        self.emit(0, false);
    }

    fn advance(&mut self, done: u64) {
        if self.last.elapsed() >= Duration::from_millis(50) {
            self.last = Instant::now();
            self.emit(done, false);
        }
    }

    fn finish(&mut self, _phase: Phase) {
        let total = self.phase.and_then(|(_, t)| t).unwrap_or(0);
        self.emit(total, true);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}
