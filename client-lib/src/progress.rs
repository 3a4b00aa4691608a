//! Progress reporting for long operations, shared by the CLI and the app.

/// The long-running steps the engine reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Packing the bundle directory into a tar.
    Archive,
    /// Compressing the tar.
    Compress,
    /// Computing the binary patch from the previous release.
    Patch,
    /// Signing and writing metadata.
    Sign,
    /// Uploading the repository to where clients read it (bytes of the
    /// files to publish; files already there count as done).
    Upload,
    /// Checking a published copy: downloading and hashing every target.
    Check,
}

impl Phase {
    /// A label for progress bars.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Archive => "packing bundle",
            Phase::Compress => "compressing",
            Phase::Patch => "computing patch",
            Phase::Sign => "signing",
            Phase::Upload => "uploading",
            Phase::Check => "checking",
        }
    }
}

/// Receives progress of long operations. `total` is `None` when the amount
/// of work is unknown (the UI shows a spinner instead of a bar).
pub trait Progress {
    /// A phase starts.
    fn start(&mut self, phase: Phase, total: Option<u64>);
    /// `done` units (bytes) of the current phase are finished.
    fn advance(&mut self, done: u64);
    /// The current phase is over.
    fn finish(&mut self, phase: Phase);
    /// A phase made of many files (upload, check) starts on its file
    /// `name`, after `done` of its `count` files; `advance` then counts
    /// bytes over the whole phase. Phases of one stream ignore it.
    fn file(&mut self, name: &str, done: usize, count: usize) {
        let _ = (name, done, count);
    }
    /// Whether the user asked to stop. Checked between files and chunks;
    /// the engine then stops with [`Error::Cancelled`](crate::Error::Cancelled)
    /// and leaves nothing behind.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Ignores all progress.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _: Phase, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self, _: Phase) {}
}
