//! indicatif progress bars fed by the engine's progress events.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tufa::{Phase, Progress};

/// One bar per phase, on stderr; hidden with --json or without a terminal.
pub struct Bars {
    hidden: bool,
    bar: Option<ProgressBar>,
}

impl Bars {
    pub fn new(json: bool) -> Self {
        Bars {
            hidden: json,
            bar: None,
        }
    }
}

impl Progress for Bars {
    fn start(&mut self, phase: Phase, total: Option<u64>) {
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template(
                    "{msg:>16} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta} {prefix}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => {
                let b = ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{msg:>16} {spinner} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.enable_steady_tick(std::time::Duration::from_millis(120));
                b
            }
        };
        if self.hidden {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_message(phase.label());
        self.bar = Some(bar);
    }

    fn advance(&mut self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }

    /// Upload and check: which file, and how many of them are done.
    fn file(&mut self, name: &str, done: usize, count: usize) {
        if let Some(b) = &self.bar {
            if name.is_empty() {
                b.set_prefix(format!("{done}/{count} files"));
            } else {
                b.set_prefix(format!("{}/{count} {name}", done + 1));
            }
        }
    }

    fn finish(&mut self, _phase: Phase) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
