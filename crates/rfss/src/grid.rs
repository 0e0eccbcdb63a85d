//! Experiments over a grid of (law, k, ε) (docs/THEORY.md §2): the phase
//! transition of every point ([`phase_grid`]) and exact coverage
//! ([`coverage_grid`]), each returned as typed rows, in the order the
//! `sslth rfss phase` and `coverage` commands write them.

use crate::experiment::{self, PhaseSummary, Point};
use crate::{Budget, Dist};
use serde::Serialize;

/// The (law, k, ε) points of an experiment and how each is sampled.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Sample laws.
    pub dists: Vec<Dist>,
    /// Subset sizes.
    pub ks: Vec<usize>,
    /// Tolerances, each in (0, 1).
    pub eps: Vec<f64>,
    /// Sample counts; `None`: [`experiment::default_grid`] per point.
    pub ns: Option<Vec<usize>>,
    /// Trials per grid point (fresh samples and target each).
    pub trials: u64,
    /// Seed of the whole experiment.
    pub seed: u64,
}

impl Grid {
    /// Refuses empty lists, k = 0, ε outside (0, 1), and a given n below
    /// 2k for the largest k (Theorem 2 needs k ≤ n/2).
    pub fn check(&self) -> Result<(), String> {
        if self.dists.is_empty()
            || self.ks.is_empty()
            || self.eps.is_empty()
            || self.ns.as_ref().is_some_and(|n| n.is_empty())
        {
            return Err("empty grid: give at least one distribution, k, eps (and n)".into());
        }
        if let Some(&k) = self.ks.iter().find(|&&k| k == 0) {
            return Err(format!("k must be at least 1, got {k}"));
        }
        if let Some(&e) = self.eps.iter().find(|&&e| !(e > 0.0 && e < 1.0)) {
            return Err(format!("eps must be in (0, 1) (Theorem 2), got {e}"));
        }
        if let Some(ns) = &self.ns {
            let kmax = *self.ks.iter().max().expect("checked non-empty");
            if let Some(&n) = ns.iter().find(|&&n| n < 2 * kmax) {
                return Err(format!("n = {n} is below 2k = {} (Theorem 2 needs k <= n/2)", 2 * kmax));
            }
        }
        Ok(())
    }

    /// The n grid of one (law, k, ε): the given one, or
    /// [`experiment::default_grid`] spanning `span` times the first-moment n.
    pub fn ns_for(&self, dist: Dist, k: usize, eps: f64, span: f64) -> Vec<usize> {
        self.ns.clone().unwrap_or_else(|| experiment::default_grid(dist, k, eps, span))
    }
}

/// A phase experiment: the grid, plus its targets and budget.
#[derive(Clone, Debug)]
pub struct PhaseGrid {
    /// The (law, k, ε) points.
    pub grid: Grid,
    /// One fixed target in every trial instead of z uniform over the range.
    pub fixed_target: Option<f64>,
    /// Fixed targets over the range for the worst-case measurement (0:
    /// none).
    pub worst_targets: usize,
    /// Solver nodes before an instance counts as unknown (a failure).
    pub max_nodes: u64,
    /// Extra (k, ε) points beyond the k × ε grid.
    pub also: Vec<(usize, f64)>,
}

impl PhaseGrid {
    /// [`Grid::check`], and the extra points too: with a given n grid,
    /// every n ≥ 2k of each extra k.
    pub fn check(&self) -> Result<(), String> {
        self.grid.check()?;
        if let Some(ns) = &self.grid.ns {
            for &(k, _) in &self.also {
                if let Some(&n) = ns.iter().find(|&&n| n < 2 * k) {
                    return Err(format!(
                        "n = {n} is below 2k = {} of --also k = {k} (Theorem 2 needs k <= n/2)",
                        2 * k
                    ));
                }
            }
        }
        Ok(())
    }

    /// The points to run with their n grids: by law, then k, then ε from
    /// coarse to fine; each point once.
    fn points(&self) -> Vec<(Dist, usize, f64, Vec<usize>)> {
        let g = &self.grid;
        let mut points: Vec<(usize, Dist, usize, f64)> = g
            .dists
            .iter()
            .enumerate()
            .flat_map(|(i, &d)| {
                let grid = g.ks.iter().flat_map(move |&k| g.eps.iter().map(move |&e| (k, e)));
                grid.chain(self.also.iter().copied()).map(move |(k, e)| (i, d, k, e))
            })
            .collect();
        points.sort_by(|x, y| x.0.cmp(&y.0).then(x.2.cmp(&y.2)).then(y.3.total_cmp(&x.3)));
        points.dedup_by(|x, y| x.0 == y.0 && x.2 == y.2 && x.3 == y.3);
        points.into_iter().map(|(_, d, k, e)| (d, k, e, g.ns_for(d, k, e, 3.0))).collect()
    }

    /// Trials [`phase_grid`] runs (one progress call each).
    pub fn steps(&self) -> u64 {
        let points = self.points();
        let trials = self.grid.trials;
        points.iter().map(|c| c.3.len() as u64 * trials).sum::<u64>()
            + points.len() as u64 * self.worst_targets as u64 * trials
    }
}

/// Runs [`experiment::phase_summary`] at every point of `g`; `progress` is
/// called once per trial. Deterministic for the grid's seed.
pub fn phase_grid(g: &PhaseGrid, progress: &(dyn Fn() + Sync)) -> Result<Vec<PhaseSummary>, String> {
    g.check()?;
    let budget = Budget { max_nodes: Some(g.max_nodes), time_limit: None };
    Ok(g.points()
        .into_iter()
        .map(|(dist, k, eps, ns)| {
            experiment::phase_summary(
                dist,
                k,
                eps,
                &ns,
                g.grid.trials,
                g.fixed_target,
                g.worst_targets,
                g.grid.seed,
                budget,
                progress,
            )
        })
        .collect())
}

/// One measured curve: success shares over n at one (law, k, ε).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Curve {
    /// The law.
    pub dist: Dist,
    /// Subset size.
    pub k: usize,
    /// Tolerance.
    pub eps: f64,
    /// Its points.
    pub points: Vec<Point>,
}

impl Curve {
    /// The phase curve of a summary.
    pub fn of(s: &PhaseSummary) -> Curve {
        Curve { dist: s.dist, k: s.k, eps: s.eps, points: s.points.clone() }
    }
}

/// The (law, k, ε) points of a coverage experiment, in order.
fn coverage_points(g: &Grid) -> Vec<(Dist, usize, f64)> {
    g.dists.iter().flat_map(|&d| g.ks.iter().flat_map(move |&k| g.eps.iter().map(move |&e| (d, k, e)))).collect()
}

/// Trials [`coverage_grid`] runs at most (one progress call each).
pub fn coverage_steps(g: &Grid) -> u64 {
    coverage_points(g).iter().map(|&(d, k, e)| g.ns_for(d, k, e, 30.0).len() as u64 * g.trials).sum()
}

/// Runs [`experiment::coverage`] at every point of `g` (n grids spanning
/// 30 times the first-moment n); `progress` is called once per trial.
pub fn coverage_grid(g: &Grid, max_subsets: u64, progress: &(dyn Fn() + Sync)) -> Result<Vec<Curve>, String> {
    g.check()?;
    Ok(coverage_points(g)
        .into_iter()
        .map(|(dist, k, eps)| {
            let ns = g.ns_for(dist, k, eps, 30.0);
            let points = experiment::coverage(dist, k, eps, &ns, g.trials, g.seed, max_subsets, progress);
            Curve { dist, k, eps, points }
        })
        .collect())
}
