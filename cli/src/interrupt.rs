//! Ctrl-C during `tufa update`: the first one asks the engine to stop,
//! which removes what it was writing and leaves the installed version as
//! it was; a second one ends the process at once.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Exit status after an interrupt (128 + SIGINT, what shells report).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A flag set by the first Ctrl-C, for `UpdaterBuilder::cancel_flag`.
pub fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let set = flag.clone();
        let hits = AtomicUsize::new(0);
        // SAFETY: the action only touches atomics and calls `_exit`, all
        // async-signal-safe.
        let registered = unsafe {
            signal_hook_registry::register(libc::SIGINT, move || {
                if hits.fetch_add(1, Ordering::SeqCst) > 0 {
                    libc::_exit(i32::from(EXIT_INTERRUPTED));
                }
                set.store(true, Ordering::SeqCst);
            })
        };
        if let Err(e) = registered {
            // Ctrl-C then ends the process the usual way.
            tracing::debug!("no Ctrl-C handler: {e}");
        }
    }
    flag
}
