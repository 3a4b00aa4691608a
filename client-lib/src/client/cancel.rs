//! Stopping an update from another thread or task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A cancellation token: the app keeps a clone and calls
/// [`cancel`](Cancel::cancel) from any thread or task; the updater stops
/// soon after, wherever it is (download, patch application, decompression,
/// extraction before the swap), with [`crate::Error::Cancelled`] (see
/// [`UpdateError::is_cancelled`](super::UpdateError::is_cancelled)). What
/// it was writing is removed: the cache keeps only complete, verified
/// files and the install dir the version it had.
///
/// A token stays cancelled until [`reset`](Cancel::reset), so that a
/// cancelled update does not quietly run on; reset it (or give the
/// updater a new token) before the next update.
///
/// ```
/// use tufa::client::Cancel;
/// let cancel = Cancel::new();
/// let for_the_button = cancel.clone();
/// std::thread::spawn(move || for_the_button.cancel()).join().unwrap();
/// assert!(cancel.is_cancelled());
/// cancel.reset();
/// assert!(!cancel.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
}

/// How often a waiting download looks at a flag set from outside (through
/// [`Cancel::from_flag`]), which cannot wake it.
const POLL: Duration = Duration::from_millis(100);

impl Cancel {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// A token over a flag the app already has: setting the flag cancels
    /// (a waiting download notices within a tenth of a second;
    /// [`cancel`](Cancel::cancel) wakes it at once).
    ///
    /// ```
    /// use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
    /// let flag = Arc::new(AtomicBool::new(false));
    /// let cancel = tufa::client::Cancel::from_flag(flag.clone());
    /// flag.store(true, Ordering::SeqCst);
    /// assert!(cancel.is_cancelled());
    /// ```
    pub fn from_flag(flag: Arc<AtomicBool>) -> Self {
        Cancel {
            flag,
            wake: Arc::default(),
        }
    }

    /// Asks the update to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Whether [`cancel`](Cancel::cancel) was called (and not reset).
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Clears the token so that the next update runs.
    pub fn reset(&self) {
        self.flag.store(false, Ordering::SeqCst);
    }

    /// The flag the synchronous work (patching) looks at.
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// `Err(Cancelled)` once cancelled.
    pub(crate) fn check(&self) -> Result<(), crate::Error> {
        if self.is_cancelled() {
            Err(crate::Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Completes once cancelled (for `select!` against a download).
    pub(crate) async fn cancelled(&self) {
        loop {
            // Registered before the flag is read, so a `cancel` between
            // the two still wakes this waiter.
            let woken = self.wake.notified();
            if self.is_cancelled() {
                return;
            }
            let _ = tokio::time::timeout(POLL, woken).await;
        }
    }
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_task_wakes_when_cancelled() {
        let cancel = Cancel::new();
        let c = cancel.clone();
        let waiter = tokio::spawn(async move { c.cancelled().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("task");
        assert!(matches!(cancel.check(), Err(crate::Error::Cancelled)));
    }

    #[tokio::test]
    async fn a_flag_set_from_outside_is_seen_too() {
        let flag = Arc::new(AtomicBool::new(false));
        let cancel = Cancel::from_flag(flag.clone());
        flag.store(true, Ordering::SeqCst);
        tokio::time::timeout(Duration::from_secs(5), cancel.cancelled())
            .await
            .expect("seen");
    }
}
