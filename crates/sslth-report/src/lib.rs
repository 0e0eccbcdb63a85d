//! What the `sslth` command shows and writes, from the library's typed
//! rows: aligned tables and durations ([`text`]), CSV and Markdown, plots
//! ([`plot`]), and the pages of the experiments (frontier, compare, RFSS
//! phase and coverage, the paper's bounds).
//!
//! This crate computes nothing: every number comes from `rfss` or `sslth`
//! (so the Python package, which returns those rows, gets the same
//! values). It knows nothing of argument parsing; the CLI hands it rows
//! and a folder. Errors are one line of text, as the CLI prints them.

pub mod bounds;
pub mod compare;
pub mod curves;
pub mod frontier;
pub mod phase;
pub mod plot;
pub mod rfss_page;
pub mod text;
