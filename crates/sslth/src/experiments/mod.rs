//! Whole jobs that return typed results (`Serialize` structs): plan →
//! build → certify → measure for one target ([`pipeline`]), a ticket
//! measured against its target ([`eval`]), tickets across k
//! ([`frontier`]), constructed against edge-popup tickets ([`compare`]),
//! a certificate attacked ([`attack`]), the paper's bounds ([`bounds`]).
//!
//! Invariant: nothing here prints, plots or writes CSV; the CLI and the
//! Python package format the rows.

pub mod eval;
pub mod frontier;
pub mod pipeline;
pub mod shard;

/// What a long experiment reports while it runs: a finished step (for a
/// progress bar), or a note to show the user (a point that failed and was
/// left out).
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// One step done.
    Step,
    /// A line for the user.
    Note(&'a str),
}
pub mod attack;
pub mod bounds;
pub mod compare;
pub mod demo;
pub mod popup;
pub mod verify;
