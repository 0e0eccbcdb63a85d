//! The exact RFSS solver: answers, statuses, budgets (docs/THEORY.md §2).

use crate::bnb::{Control, End, Limits, Progress, Search};
use crate::instance::{Instance, InstanceError, Mode};
use crate::mitm;
use crate::sum::neumaier;
use std::fmt;
use std::time::{Duration, Instant};

/// Meet in the middle is used while its lists hold at most this many
/// entries in all (16 bytes each: 128 MiB).
pub const MITM_MAX_ENTRIES: f64 = (1u64 << 23) as f64;

/// In `within`, branch and bound may spend 1/BNB_SHARE of meet in the
/// middle's cost (nodes against list entries) before meet in the middle
/// takes over.
const BNB_SHARE: f64 = 4.0;

/// In `best`, branch and bound runs alone when its unpruned enumeration
/// costs at most BNB_FACTOR times meet in the middle (measured: at n = 32,
/// k = 4 it is 3× faster, at n = 24, k = 6 3× slower).
const BNB_FACTOR: f64 = 5.0;

/// Work of a branch and bound with no cut: C(n, k−2) two-pointer leaves of
/// up to n steps (n steps when k = 1).
fn bnb_enumeration(n: usize, k: usize) -> f64 {
    let r = k.saturating_sub(2);
    (0..r).fold(n as f64, |c, i| c * (n - i) as f64 / (i + 1) as f64)
}

/// Which method starts, with how many nodes (0: meet in the middle at once). `within`: branch and
/// bound, which settles most instances in a few nodes; where meet in
/// the middle fits, only with a share of that method's cost, and meet
/// in the middle finishes what it leaves. `best`: branch and bound
/// alone where even its unpruned enumeration is cheap (small k), meet
/// in the middle otherwise.
fn first_budget(n: usize, k: usize, best_mode: bool, mitm_fits: bool, mitm_cost: f64, node_budget: u64) -> u64 {
    if !mitm_fits {
        node_budget
    } else if best_mode {
        if bnb_enumeration(n, k) <= BNB_FACTOR * mitm_cost {
            node_budget
        } else {
            0
        }
    } else {
        node_budget.min(((mitm_cost / BNB_SHARE) as u64).max(256))
    }
}

/// How an answer was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "jsonl", derive(serde::Serialize))]
#[cfg_attr(feature = "jsonl", serde(rename_all = "lowercase"))]
pub enum Status {
    /// A k-subset with |Σ_S − z| < ε is returned.
    Found,
    /// Proved: no k-subset has |Σ_S − z| < ε.
    None,
    /// The budget ran out before either could be shown.
    Unknown,
}

impl Status {
    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Status::Found => "found",
            Status::None => "none",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An optional limit on the work of one solve. A solve that hits it answers
/// [`Status::Unknown`] (or `Found` if a good subset was already verified).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// Most search nodes (branch-and-bound nodes plus meet-in-the-middle
    /// list entries). Deterministic.
    pub max_nodes: Option<u64>,
    /// Most wall-clock time. Not deterministic: the answer may depend on the
    /// machine's speed.
    pub time_limit: Option<Duration>,
}

/// The solver's answer to one instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Found, none (proved) or unknown.
    pub status: Status,
    /// The returned k-subset: 0-based indices into the samples, ascending.
    /// With `Found` its gap is < ε; with `optimal` no k-subset is closer;
    /// otherwise it is the closest subset the search verified.
    pub subset: Vec<usize>,
    /// Σ_S, recomputed with compensated summation.
    pub sum: f64,
    /// |Σ_S − z|, from the recomputed sum.
    pub gap: f64,
    /// Whether no k-subset has a smaller gap (up to the rounding of the
    /// search's sums, ≤ 8·(n+2)·2⁻⁵³·Σ|x_i|).
    pub optimal: bool,
    /// Search nodes spent (branch-and-bound nodes plus meet-in-the-middle
    /// entries).
    pub nodes: u64,
}

impl Answer {
    /// Whether the returned subset is within ε (`status == Found`).
    pub fn found(&self) -> bool {
        self.status == Status::Found
    }
}

/// A reusable solver: keeps its buffers between instances, so a thread
/// solving many small instances does not allocate for each.
///
/// # Algorithm
///
/// Samples are sorted with their indices, and prefix sums give the smallest
/// and largest sum of any r picks from a suffix in O(1).
/// - A target outside [sum of the k smallest, sum of the k largest] is
///   settled at once: the extreme subset is optimal.
/// - `best`: branch and bound with a shrinking radius when even its
///   unpruned enumeration is cheap (small k), otherwise meet in the middle
///   by subset size ([`crate`] docs), exact, O(2^{n/2}) time and memory;
///   above [`MITM_MAX_ENTRIES`] (n > 46 or so) branch and bound alone.
/// - `within`: branch and bound with radius ε, which above the RFSS
///   threshold finds a subset within a few dozen nodes; if it has not
///   settled the instance after a quarter of meet in the middle's cost,
///   meet in the middle finishes it, so the worst case stays O(2^{n/2})
///   where that fits in memory.
#[derive(Debug)]
pub struct Solver {
    budget: Budget,
    mitm_max_entries: f64,
    order: Vec<(f64, u32)>,
    xs: Vec<f64>,
    pre: Vec<f64>,
    lists: mitm::Buffers,
}

impl Solver {
    /// A solver with the given budget ([`Budget::default`]: unlimited).
    pub fn new(budget: Budget) -> Self {
        Solver {
            budget,
            mitm_max_entries: MITM_MAX_ENTRIES,
            order: Vec::new(),
            xs: Vec::new(),
            pre: Vec::new(),
            lists: Default::default(),
        }
    }

    /// Caps the meet-in-the-middle lists at `entries` (16 bytes each);
    /// instances that need more are solved by branch and bound alone
    /// (default [`MITM_MAX_ENTRIES`]; 0 disables meet in the middle).
    pub fn with_mitm_max_entries(mut self, entries: f64) -> Self {
        self.mitm_max_entries = entries;
        self
    }

    /// Solves one instance exactly (docs/THEORY.md §2, "Problem"), after checking
    /// it.
    pub fn solve(&mut self, inst: &Instance, mode: Mode) -> Result<Answer, InstanceError> {
        self.solve_inner(inst, mode, None)
    }

    /// As [`Solver::solve`], calling `observer` about every millisecond of
    /// branch and bound (every 2¹⁶ nodes) with the search's progress; when
    /// it answers [`Control::Stop`] the solve ends at once with the best
    /// subset so far (`optimal` false, status `unknown` unless that subset
    /// is within ε). Meet in the middle, bounded by
    /// [`MITM_MAX_ENTRIES`], is not observed.
    pub fn solve_observed(
        &mut self,
        inst: &Instance,
        mode: Mode,
        observer: &mut dyn FnMut(&Progress) -> Control,
    ) -> Result<Answer, InstanceError> {
        self.solve_inner(inst, mode, Some(observer))
    }

    fn solve_inner(
        &mut self,
        inst: &Instance,
        mode: Mode,
        observer: Option<&mut dyn FnMut(&Progress) -> Control>,
    ) -> Result<Answer, InstanceError> {
        inst.validate()?;
        let observer = observer.map(|o| (o, Instant::now()));
        let (n, k, z, eps) = (inst.n(), inst.k, inst.target, inst.eps);
        let deadline = self.budget.time_limit.map(|t| Instant::now() + t);
        let node_budget = self.budget.max_nodes.unwrap_or(u64::MAX);

        let slack = self.sort_and_sum(inst);
        let (xs, pre) = (&self.xs[..], &self.pre[..]);

        // Targets beyond the extreme sums: the extreme subset is optimal.
        if z >= pre[n] - pre[n - k] {
            return Ok(self.answer(inst, (n - k..n).map(|p| p as u32).collect(), true, 0));
        }
        if z <= pre[k] {
            return Ok(self.answer(inst, (0..k).map(|p| p as u32).collect(), true, 0));
        }

        let mitm_cost = mitm::cost(n, k);
        let mitm_fits = n <= 128 && mitm_cost <= self.mitm_max_entries && mitm_cost <= node_budget as f64;

        let best_mode = mode == Mode::Best;
        let first = first_budget(n, k, best_mode, mitm_fits, mitm_cost, node_budget);
        if first == 0 && deadline.is_none_or(|d| Instant::now() < d) {
            let (best, _) = mitm::closest(xs, k, z, &mut self.lists);
            return Ok(self.answer(inst, best, true, mitm_cost as u64));
        }
        let mut s = Search::new(xs, pre, z, eps, slack, best_mode, Limits { nodes: first, deadline, observer });
        let end = s.run(k);
        let stopped = s.stopped_by_observer();
        let spent = s.nodes.min(first);
        let best = if s.best.is_empty() { self.any_subset(k, z, eps, slack) } else { s.best };
        Ok(match end {
            End::Hit => self.answer_with(inst, best, Status::Found, false, spent),
            End::Exhausted if best_mode => self.answer(inst, best, true, spent),
            End::Exhausted => self.answer_with(inst, best, Status::None, false, spent),
            End::OutOfBudget
                if !stopped
                    && mitm_fits
                    && spent as f64 + mitm_cost <= node_budget as f64
                    && deadline.is_none_or(|d| Instant::now() < d) =>
            {
                let (best, _) = mitm::closest(xs, k, z, &mut self.lists);
                self.answer(inst, best, true, spent + mitm_cost as u64)
            }
            End::OutOfBudget => {
                let mut a = self.answer(inst, best, false, spent);
                if !a.found() {
                    a.status = Status::Unknown;
                }
                a
            }
        })
    }

    /// Sorts the samples (ties by index) into `order` and `xs`, their
    /// prefix sums into `pre`; returns the slack of a sum's rounding, a
    /// bound on the error of any subset sum computed from them.
    fn sort_and_sum(&mut self, inst: &Instance) -> f64 {
        self.order.clear();
        self.order.extend(inst.samples.iter().enumerate().map(|(i, &x)| (x, i as u32)));
        self.order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.xs.clear();
        self.xs.extend(self.order.iter().map(|p| p.0));
        self.pre.clear();
        self.pre.push(0.0);
        let mut acc = 0.0;
        for &x in &self.xs {
            acc += x;
            self.pre.push(acc);
        }
        let abs_sum: f64 = self.xs.iter().map(|x| x.abs()).sum();
        8.0 * (inst.n() as f64 + 2.0) * f64::EPSILON * 0.5 * abs_sum + f64::MIN_POSITIVE
    }

    /// Some k-subset, from the first dive of a best-mode search.
    fn any_subset(&self, k: usize, z: f64, eps: f64, slack: f64) -> Vec<u32> {
        let limits = Limits { nodes: k as u64, deadline: None, observer: None };
        let mut s = Search::new(&self.xs, &self.pre, z, eps, slack, true, limits);
        s.run(k);
        s.best
    }

    /// The answer for sorted positions `best`; its status follows from the
    /// verified gap (found iff < ε) when the subset is optimal.
    fn answer(&self, inst: &Instance, best: Vec<u32>, optimal: bool, nodes: u64) -> Answer {
        let mut a = self.answer_with(inst, best, Status::None, optimal, nodes);
        if a.gap < inst.eps {
            a.status = Status::Found;
        }
        a
    }

    fn answer_with(&self, inst: &Instance, best: Vec<u32>, status: Status, optimal: bool, nodes: u64) -> Answer {
        let mut subset: Vec<usize> = best.iter().map(|&p| self.order[p as usize].1 as usize).collect();
        subset.sort_unstable();
        let sum = neumaier(subset.iter().map(|&i| inst.samples[i]));
        let gap = (sum - inst.target).abs();
        Answer { status, subset, sum, gap, optimal, nodes }
    }
}

/// Solves one instance with an unlimited budget (see [`Solver`]).
pub fn solve(inst: &Instance, mode: Mode) -> Result<Answer, InstanceError> {
    Solver::new(Budget::default()).solve(inst, mode)
}
