//! Many instances at once, in parallel, with output independent of the
//! thread count.

use crate::instance::{Instance, InstanceError, Mode};
use crate::solver::{Answer, Budget, Solver};
use rayon::prelude::*;

/// Solves every `(instance, mode)` pair on rayon's pool, one [`Solver`] per
/// worker. Answers come back in input order and do not depend on the number
/// of threads (each instance is solved on its own, deterministically),
/// unless a time limit is set.
pub fn solve_batch(items: &[(Instance, Mode)], budget: Budget) -> Vec<Result<Answer, InstanceError>> {
    items.par_iter().with_min_len(64).map_init(|| Solver::new(budget), |s, (inst, mode)| s.solve(inst, *mode)).collect()
}
