//! Whole jobs that return typed results (`Serialize` structs): plan →
//! build → certify → measure for one target ([`pipeline`]), a ticket
//! measured against its target ([`eval`]), tickets across k
//! ([`frontier`]), constructed against edge-popup tickets ([`compare`]).
//!
//! Invariant: nothing here prints, plots or writes CSV; the CLI and the
//! Python package format the rows.

pub mod eval;
pub mod pipeline;
