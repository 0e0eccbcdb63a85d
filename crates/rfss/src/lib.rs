//! Random Fixed-Size Subset Sum (RFSS): an exact solver and the sample
//! distributions of the sparse Strong Lottery Ticket Hypothesis
//! (docs/THEORY.md §2).
//!
//! Given samples x_1..x_n, a size k, a target z and a tolerance ε, find a
//! subset S with |S| = k and |Σ_S − z| < ε (mode `within`), or a k-subset
//! minimising |Σ_S − z| (mode `best`). Every answer is exact: `found`
//! (a verified subset), `none` (a proof that no k-subset is within ε) or
//! `unknown` (only when a caller's node or time budget ran out).
//!
//! ```
//! use rfss::{solve, Dist, Instance, Mode, Status};
//!
//! let samples = rfss::draw(Dist::Product, 32, 42, 0);
//! let inst = Instance::new(samples, 8, 0.3, 1e-3).unwrap();
//! let within = solve(&inst, Mode::Within).unwrap();
//! assert_eq!(within.status, Status::Found);
//! assert_eq!(within.subset.len(), 8);
//! assert!(within.gap < 1e-3);
//!
//! let best = solve(&inst, Mode::Best).unwrap();
//! assert!(best.optimal && best.gap <= within.gap);
//! ```
//!
//! # Why these algorithms
//!
//! The public code of the field solves subset sum with a MIP solver or by
//! brute force. Two exact methods do far better here, and each covers the
//! other's weakness (see [`Solver`]):
//! - **Branch and bound on sorted prefix bounds** ([`Solver`], `within`):
//!   with the samples sorted, the range of sums reachable by r more picks
//!   from a suffix is known in O(1), and the last two picks are settled by a
//!   two-pointer scan instead of branching. Above the RFSS threshold
//!   (docs/THEORY.md §2, Theorem 2) good subsets are plentiful and the first dives
//!   find one; far below it the bounds cut almost everything.
//! - **Meet in the middle split by subset size** (`best`, and `within` when
//!   branch and bound stalls near the threshold): exact in
//!   O(2^{n/2}) time and memory, whatever the samples, with no sort (the
//!   per-size lists are built by merging).
//!
//! Sums in the search are plain f64; every reported sum and gap is
//! recomputed with Neumaier's compensated summation, and every cut is
//! widened by a bound on the search's rounding, so rounding never hides a
//! solution by more than that bound.

mod batch;
mod bnb;
pub mod brute;
pub mod constants;
mod dist;
pub mod experiment;
pub mod grid;
mod instance;
#[cfg(feature = "jsonl")]
pub mod jsonl;
mod mitm;
mod solver;
mod sum;
pub mod theory;

pub use batch::solve_batch;
pub use bnb::{Control, Progress};
pub use dist::{draw, rng, symmetric_unit, Dist};
pub use instance::{Instance, InstanceError, Mode};
pub use solver::{solve, Answer, Budget, Solver, Status, MITM_MAX_ENTRIES};
pub use sum::neumaier;
