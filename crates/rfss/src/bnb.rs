//! Depth-first branch and bound over the sorted samples (docs/THEORY.md §2).
//!
//! The samples are sorted ascending, so for a node that still has to pick r
//! of the positions j..n, the smallest reachable addition is the prefix sum
//! of x_j..x_{j+r−1} and the largest is the sum of the last r samples: both
//! O(1) from prefix sums. A node whose interval misses [z − radius, z + radius]
//! is cut. The last two picks are not branched on: one pick is a binary
//! search for the residual, two picks are the classic two-pointer scan for
//! the pair closest to the residual, so each leaf settles a whole suffix.
//!
//! One engine serves both modes: in `within` the radius is ε and the search
//! stops at the first verified hit; in `best` the radius is the incumbent's
//! gap and shrinks as better subsets are found.

use crate::sum::neumaier;
use std::time::Instant;

/// A node or time budget for one search, and an optional observer called
/// every [`OBSERVE_EVERY`] nodes that may stop it.
pub(crate) struct Limits<'o> {
    pub nodes: u64,
    pub deadline: Option<Instant>,
    /// The observer and when the solve started.
    pub observer: Option<(Observer<'o>, Instant)>,
}

/// A search's observer (see [`crate::Solver::solve_observed`]).
pub(crate) type Observer<'o> = &'o mut dyn FnMut(&Progress) -> Control;

/// Nodes between two calls of a search's observer (about a millisecond).
pub(crate) const OBSERVE_EVERY: u64 = 1 << 16;

/// What a running search reports to its observer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Nodes visited so far.
    pub nodes: u64,
    /// Gap of the best verified k-subset so far (∞ before the first).
    pub best_gap: f64,
    /// Time since the solve started.
    pub elapsed: std::time::Duration,
}

/// An observer's answer: go on, or stop now (the solve then returns the
/// best subset so far, not proved optimal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep searching.
    Continue,
    /// Stop with the best so far.
    Stop,
}

/// How a search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Every node was explored or cut (for `within`: no hit exists).
    Exhausted,
    /// `within` only: a verified subset with gap < ε.
    Hit,
    /// The budget ran out.
    OutOfBudget,
}

pub(crate) struct Search<'a, 'o> {
    xs: &'a [f64],
    pre: &'a [f64],
    z: f64,
    eps: f64,
    slack: f64,
    best_mode: bool,
    radius: f64,
    stack: Vec<u32>,
    /// Sorted positions of the best verified subset seen.
    pub best: Vec<u32>,
    /// Its verified gap (∞ until a leaf is reached).
    pub best_gap: f64,
    /// Nodes visited.
    pub nodes: u64,
    limits: Limits<'o>,
    end: Option<End>,
    stopped: bool,
}

impl<'a, 'o> Search<'a, 'o> {
    /// A search over sorted samples `xs` with prefix sums `pre`.
    /// `slack` widens every cut by the rounding error of the prefix sums.
    pub fn new(
        xs: &'a [f64],
        pre: &'a [f64],
        z: f64,
        eps: f64,
        slack: f64,
        best_mode: bool,
        limits: Limits<'o>,
    ) -> Self {
        Search {
            xs,
            pre,
            z,
            eps,
            slack,
            best_mode,
            radius: if best_mode { f64::INFINITY } else { eps },
            stack: Vec::with_capacity(64),
            best: Vec::new(),
            best_gap: f64::INFINITY,
            nodes: 0,
            limits,
            end: None,
            stopped: false,
        }
    }

    /// Whether the observer stopped the search.
    pub fn stopped_by_observer(&self) -> bool {
        self.stopped
    }

    /// Runs the search for a k-subset and says how it ended.
    pub fn run(&mut self, k: usize) -> End {
        self.node(0, k, 0.0);
        self.end.unwrap_or(End::Exhausted)
    }

    fn node(&mut self, start: usize, r: usize, cur: f64) {
        self.nodes += 1;
        if self.nodes > self.limits.nodes
            || (self.nodes & 1023 == 0 && self.limits.deadline.is_some_and(|d| Instant::now() >= d))
        {
            self.end = Some(End::OutOfBudget);
            return;
        }
        if self.nodes % OBSERVE_EVERY == 0 {
            if let Some((observe, started)) = self.limits.observer.as_mut() {
                let p = Progress { nodes: self.nodes, best_gap: self.best_gap, elapsed: started.elapsed() };
                if observe(&p) == Control::Stop {
                    self.end = Some(End::OutOfBudget);
                    self.stopped = true;
                    return;
                }
            }
        }
        match r {
            1 => self.leaf1(start, cur),
            2 => self.leaf2(start, cur),
            _ => {
                let (xs, pre, n) = (self.xs, self.pre, self.xs.len());
                // The largest sum of r − 1 picks after any j ≤ n − r.
                let hi_tail = pre[n] - pre[n - (r - 1)];
                for j in start..=n - r {
                    let rad = self.radius + self.slack;
                    let residual = self.z - cur - xs[j];
                    if pre[j + r] - pre[j + 1] - residual > rad {
                        break; // the smallest completion overshoots, and grows with j
                    }
                    if residual - hi_tail > rad {
                        continue; // the largest completion falls short
                    }
                    self.stack.push(j as u32);
                    self.node(j + 1, r - 1, cur + xs[j]);
                    self.stack.pop();
                    if self.end.is_some() {
                        return;
                    }
                }
            }
        }
    }

    /// One pick left: the sample closest to the residual, by binary search.
    fn leaf1(&mut self, start: usize, cur: f64) {
        let residual = self.z - cur;
        let tail = &self.xs[start..];
        let p = tail.partition_point(|&x| x < residual);
        let mut cand = [None, None];
        if p < tail.len() {
            cand[0] = Some(p);
        }
        if p > 0 {
            cand[1] = Some(p - 1);
        }
        let best = cand
            .into_iter()
            .flatten()
            .min_by(|&a, &b| (tail[a] - residual).abs().total_cmp(&(tail[b] - residual).abs()));
        if let Some(q) = best {
            let gap = (tail[q] - residual).abs();
            self.offer(&[(start + q) as u32], gap);
        }
    }

    /// Two picks left: the pair closest to the residual, by the two-pointer
    /// scan of a sorted suffix.
    fn leaf2(&mut self, start: usize, cur: f64) {
        let residual = self.z - cur;
        let xs = self.xs;
        let (mut lo, mut hi) = (start, xs.len() - 1);
        let mut best = (f64::INFINITY, lo, hi);
        let good_enough = if self.best_mode { 0.0 } else { self.eps - self.slack };
        while lo < hi {
            let d = xs[lo] + xs[hi] - residual;
            if d.abs() < best.0 {
                best = (d.abs(), lo, hi);
                if best.0 < good_enough {
                    break;
                }
            }
            if d < 0.0 {
                lo += 1;
            } else {
                hi -= 1;
            }
        }
        if best.0.is_finite() {
            self.offer(&[best.1 as u32, best.2 as u32], best.0);
        }
    }

    /// Verifies a leaf with compensated summation and keeps it if it beats
    /// the incumbent.
    fn offer(&mut self, last: &[u32], computed_gap: f64) {
        if computed_gap >= self.best_gap + self.slack {
            return;
        }
        let xs = self.xs;
        let sum = neumaier(self.stack.iter().chain(last).map(|&p| xs[p as usize]));
        let gap = (sum - self.z).abs();
        if gap < self.best_gap {
            self.best_gap = gap;
            self.best.clear();
            self.best.extend_from_slice(&self.stack);
            self.best.extend_from_slice(last);
            if self.best_mode {
                self.radius = gap;
            } else if gap < self.eps {
                self.end = Some(End::Hit);
            }
        }
    }
}
