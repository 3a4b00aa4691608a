//! Progress events of an update (phase, bytes, rate, time left) and the
//! hand-over of heavy work to a blocking thread that reports through them.

use super::Cancel;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What an update is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UpdatePhase {
    /// Refreshing the signed metadata (no byte counts).
    Checking,
    /// Downloading the plan's files (bytes over the whole plan).
    Downloading,
    /// Applying patches to the cached tar (bytes of the new tar written).
    Patching,
    /// Decompressing the full archive (bytes of the archive read).
    Unpacking,
    /// Extracting the new version beside the install dir and swapping it
    /// in (bytes of the tar read).
    Installing,
}

impl UpdatePhase {
    /// A label for progress bars.
    pub fn label(self) -> &'static str {
        match self {
            UpdatePhase::Checking => "checking",
            UpdatePhase::Downloading => "downloading",
            UpdatePhase::Patching => "applying patches",
            UpdatePhase::Unpacking => "unpacking",
            UpdatePhase::Installing => "installing",
        }
    }
}

/// One progress event.
///
/// ```
/// # fn show(p: &tufa::client::UpdateProgress) {
/// let left = p.eta.map(|d| format!(", {} s left", d.as_secs())).unwrap_or_default();
/// println!("{}: {}/{} bytes at {} B/s{left}", p.phase.label(), p.done, p.total, p.bytes_per_sec);
/// # }
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct UpdateProgress {
    /// The phase the numbers belong to.
    pub phase: UpdatePhase,
    /// File being worked on (target name; empty while checking).
    pub file: String,
    /// Bytes done in this phase (downloads: over all files of the plan).
    pub done: u64,
    /// Bytes of this phase in total.
    pub total: u64,
    /// Recent speed, bytes per second (over the last few seconds).
    pub bytes_per_sec: u64,
    /// Time left in this phase at that speed, once there is one.
    #[serde(serialize_with = "secs")]
    pub eta: Option<Duration>,
}

/// Download progress: the events of [`Updater::download`](super::Updater::download)
/// (phase [`UpdatePhase::Downloading`]).
pub type DownloadProgress = UpdateProgress;

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// How far back the speed is measured: long enough to smooth bursts,
/// short enough to follow a link that changes.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Spacing of the samples the speed is measured on.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Turns byte counts of one phase into events with speed and time left.
pub(crate) struct Meter {
    phase: UpdatePhase,
    total: u64,
    /// (time, bytes done then), oldest first, spanning about `RATE_WINDOW`.
    samples: VecDeque<(Instant, u64)>,
}

impl Meter {
    pub(crate) fn new(phase: UpdatePhase, total: u64) -> Self {
        Meter {
            phase,
            total,
            samples: VecDeque::from([(Instant::now(), 0)]),
        }
    }

    /// The event for `done` bytes of `file`, now.
    pub(crate) fn event(&mut self, file: &str, done: u64) -> UpdateProgress {
        self.event_at(file, done, Instant::now())
    }

    fn event_at(&mut self, file: &str, done: u64, now: Instant) -> UpdateProgress {
        // One sample per tick keeps the window short however small the
        // chunks are; the newest count still decides the figures.
        let fresh = self
            .samples
            .back()
            .is_none_or(|(t, _)| now.duration_since(*t) >= SAMPLE_EVERY);
        if fresh {
            self.samples.push_back((now, done));
        }
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        let (t0, d0) = self.samples.front().copied().unwrap_or((now, done));
        let elapsed = now.duration_since(t0).as_secs_f64();
        // Below a few milliseconds a rate is noise.
        let rate = if elapsed >= 0.005 {
            (done.saturating_sub(d0) as f64 / elapsed) as u64
        } else {
            0
        };
        let eta = (rate > 0)
            .then(|| Duration::from_secs_f64(self.total.saturating_sub(done) as f64 / rate as f64));
        UpdateProgress {
            phase: self.phase,
            file: file.to_string(),
            done,
            total: self.total,
            bytes_per_sec: rate,
            eta,
        }
    }
}

/// Runs `work` on tokio's blocking threads (patching, decompression and
/// extraction take seconds on large releases and must not hold a runtime
/// worker), reporting its byte counts as `phase` events on this task and
/// honouring `cancel`.
///
/// `work` gets a watch to pass down to the engine: it stops the work with
/// an error once `cancel` is set, and hands every few hundred KiB to this
/// task and waits until `progress` has seen it, so that a cancel from the
/// progress callback stops the work at that very point. Whatever error
/// the work then returns becomes [`crate::Error::Cancelled`].
///
/// The log trail follows the work to its thread (the caller's subscriber
/// and span). Dropping the returned future does not stop the work: use
/// `cancel`.
pub(crate) async fn on_blocking_thread<T: Send + 'static>(
    phase: UpdatePhase,
    file: &str,
    total: u64,
    cancel: &Cancel,
    progress: &mut (dyn FnMut(UpdateProgress) + Send),
    work: impl FnOnce(crate::fsutil::Watch<'_>) -> crate::Result<T> + Send + 'static,
) -> crate::Result<T> {
    let (report, mut reports) = tokio::sync::mpsc::channel::<u64>(1);
    let (ack, acks) = std::sync::mpsc::channel::<()>();
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let span = tracing::Span::current();
    let token = cancel.clone();
    // Reports at least every 1 % and at most every 256 KiB.
    let step = (total / 100).max(256 * 1024);
    let handle = tokio::task::spawn_blocking(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            span.in_scope(|| {
                let mut last = 0u64;
                let mut watch = |done: u64| -> std::io::Result<()> {
                    let stop = || std::io::Error::other("cancelled");
                    if token.is_cancelled() {
                        return Err(stop());
                    }
                    if done >= last.saturating_add(step) {
                        last = done;
                        // Waits for the event to be seen; if the task went
                        // away, the work simply goes on unreported.
                        if report.blocking_send(done).is_ok() {
                            let _ = acks.recv();
                        }
                        if token.is_cancelled() {
                            return Err(stop());
                        }
                    }
                    Ok(())
                };
                work(&mut watch)
            })
        })
    });
    let mut meter = Meter::new(phase, total);
    progress(meter.event(file, 0));
    while let Some(done) = reports.recv().await {
        progress(meter.event(file, done.min(total)));
        let _ = ack.send(());
    }
    match handle.await {
        Ok(Ok(out)) => {
            progress(meter.event(file, total));
            Ok(out)
        }
        Ok(Err(_)) if cancel.is_cancelled() => Err(crate::Error::Cancelled),
        Ok(Err(e)) => Err(e),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels a blocking task.
        Err(_) => Err(crate::Error::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_time_left_follow_the_recent_bytes() {
        let t0 = Instant::now();
        let mut m = Meter::new(UpdatePhase::Downloading, 1000);
        m.samples = VecDeque::from([(t0, 0)]);
        let e = m.event_at("f", 100, t0 + Duration::from_secs(1));
        assert_eq!(e.bytes_per_sec, 100);
        assert_eq!(e.eta, Some(Duration::from_secs(9)));
        // Old samples leave the window: the speed is the recent one.
        m.event_at("f", 200, t0 + Duration::from_secs(6));
        let e = m.event_at("f", 700, t0 + Duration::from_secs(11));
        assert_eq!(e.bytes_per_sec, 100, "{e:?}");
        let e = m.event_at("f", 1000, t0 + Duration::from_secs(12));
        assert_eq!(e.eta, Some(Duration::ZERO));
    }

    #[tokio::test]
    async fn work_runs_off_the_runtime_and_its_bytes_are_reported() {
        let cancel = Cancel::new();
        let mut seen = Vec::new();
        let runtime_thread = std::thread::current().id();
        let on_other = on_blocking_thread(
            UpdatePhase::Patching,
            "x",
            4 << 20,
            &cancel,
            &mut |p| seen.push(p.done),
            move |watch| {
                for i in 1..=16u64 {
                    watch(i << 18).expect("not cancelled");
                }
                Ok(std::thread::current().id() != runtime_thread)
            },
        )
        .await
        .unwrap();
        assert!(on_other);
        assert_eq!(seen.first(), Some(&0));
        assert_eq!(seen.last(), Some(&(4 << 20)));
        assert!(seen.len() > 3, "{seen:?}");
    }

    #[tokio::test]
    async fn a_cancel_from_the_progress_callback_stops_the_work_there() {
        let cancel = Cancel::new();
        let c = cancel.clone();
        let stopped_at = on_blocking_thread(
            UpdatePhase::Unpacking,
            "x",
            4 << 20,
            &cancel,
            &mut |p| {
                if p.done >= 1 << 20 {
                    c.cancel()
                }
            },
            |watch| Ok((1..=16u64).find(|i| watch(i << 18).is_err())),
        )
        .await
        .unwrap();
        assert_eq!(stopped_at, Some(4));
    }
}
