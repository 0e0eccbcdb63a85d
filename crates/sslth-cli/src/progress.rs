//! Progress bars for long work: shown on a terminal, hidden under `--json`;
//! when stderr is not a terminal (a log, CI), a plain line every
//! [`LOG_EVERY`] instead, so that long work is never silent
//! (ARCHITECTURE.md, Long work).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sslth::experiments::Progress;
use std::io::IsTerminal;

/// How often a bar writes its line where stderr is not a terminal.
pub const LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// A bar of `len` steps labelled `what`, drawn where a person watches, and
/// logged every [`LOG_EVERY`] where stderr is not a terminal (unless
/// `quiet`); work shorter than that prints nothing.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    if !quiet && !std::io::stderr().is_terminal() {
        // indicatif draws nothing off a terminal: a thread of its own
        // writes the line, and ends with the bar (finished or dropped).
        let weak = pb.downgrade();
        std::thread::spawn(move || loop {
            std::thread::sleep(LOG_EVERY);
            let Some(pb) = weak.upgrade() else { return };
            if pb.is_finished() {
                return;
            }
            // A repaired build re-runs rows: past the length, no percentage.
            let (pos, len) = (pb.position(), pb.length().unwrap_or(0));
            let share = if pos <= len && len > 0 {
                format!(" ({:.0}%)", 100.0 * pos as f64 / len as f64)
            } else {
                String::new()
            };
            let msg = pb.message();
            let note = if msg == pb.prefix() { String::new() } else { format!(", {msg}") };
            let total = if len == 0 { " steps".to_string() } else { format!("/{len}") };
            eprintln!("{}: {pos}{total}{share} after {}{note}", pb.prefix(), indicatif::HumanDuration(pb.elapsed()));
        });
    }
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb.set_prefix(what.to_string());
    pb
}

/// A counter of steps whose number is not known ahead (`what`: N steps,
/// elapsed time), shown and logged as [`bar`] is.
pub fn counter(what: &str, quiet: bool) -> ProgressBar {
    let pb = bar(0, what, quiet);
    pb.set_style(ProgressStyle::with_template("{msg:>12} {pos} steps {elapsed_precise}").expect("valid template"));
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
