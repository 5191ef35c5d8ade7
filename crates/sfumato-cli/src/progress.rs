//! Progress bars on stderr for long runs (hidden when stderr is not a
//! terminal, so logs and pipes stay clean).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing when stderr is not a terminal.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` units of work, labelled `what`.
    pub(crate) fn new(what: &str, total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Progress { bar }
    }

    /// A spinner for work of unknown size, counting `what` done.
    pub(crate) fn spinner(what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg}: {human_pos} candidate windows ({elapsed})",
        ) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        Progress { bar }
    }

    /// A counter for work of unknown size, counting `what` done.
    pub(crate) fn counter(what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {msg}: {human_pos} ({per_sec}, {elapsed})")
        {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        Progress { bar }
    }

    /// Work done so far.
    pub(crate) fn set(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
