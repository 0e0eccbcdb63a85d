//! Progress bars for long work: shown on a terminal, hidden under `--json`
//! or when stderr is not a terminal (ARCHITECTURE.md, Long work).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sslth::experiments::Progress;
use std::io::IsTerminal;

/// A bar of `len` steps labelled `what`, drawn only where a person watches.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Draws a bar made quiet, from now on, where a person watches (unless
/// `quiet`).
pub fn show(pb: &ProgressBar, quiet: bool) {
    if !quiet && std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::stderr());
    }
}

/// Shows a library experiment's [`Progress`] on `pb`.
pub fn report(pb: &ProgressBar, p: Progress<'_>) {
    match p {
        Progress::Step => pb.inc(1),
        Progress::Note(line) => pb.println(line),
    }
}
