//! Measuring the paper's bounds (docs/THEORY.md §2): success probabilities over
//! fresh random instances, Wilson intervals, the n at which success becomes
//! likely, and exact coverage of a whole target interval.

use crate::theory::{self, SumLaw};
use crate::{draw, rng, symmetric_unit, Budget, Dist, Instance, Mode, Solver, Status};
use rayon::prelude::*;

/// The Wilson score interval (95%, z = 1.96) of `s` successes in `t` trials.
pub fn wilson(s: u64, t: u64) -> (f64, f64) {
    if t == 0 {
        return (0.0, 1.0);
    }
    let (z, t, p) = (1.96f64, t as f64, s as f64 / t as f64);
    let centre = (p + z * z / (2.0 * t)) / (1.0 + z * z / t);
    let half = z * ((p * (1.0 - p) / t + z * z / (4.0 * t * t)).sqrt()) / (1.0 + z * z / t);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// One grid point of an experiment.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Point {
    /// Samples per instance.
    pub n: usize,
    /// Trials run.
    pub trials: u64,
    /// Trials that succeeded.
    pub successes: u64,
    /// Trials the solver could not settle (budget; counted as failures).
    pub unknown: u64,
}

impl Point {
    /// Success share.
    pub fn p(&self) -> f64 {
        self.successes as f64 / self.trials.max(1) as f64
    }

    /// Its Wilson 95% interval.
    pub fn interval(&self) -> (f64, f64) {
        wilson(self.successes, self.trials)
    }
}

/// Where the targets of an experiment come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Targets {
    /// The same z in every trial.
    Fixed(f64),
    /// z uniform in [−r, r], fresh each trial.
    Uniform(f64),
}

/// The paper's target range for k samples of `dist`: [−√k, √k] for
/// Uniform[−1, 1] (Theorem 2), scaled by the sample's standard deviation
/// relative to Uniform[−1, 1]'s (1/√3) for the other laws, so the range
/// covers the same share of the sum's spread.
pub fn target_radius(dist: Dist, k: usize) -> f64 {
    let sd = match dist {
        Dist::Uniform => 1.0 / 3f64.sqrt(),
        Dist::Gauss => 1.0,
        Dist::Product => 1.0 / 3.0,
    };
    (k as f64).sqrt() * sd * 3f64.sqrt()
}

/// Mixes experiment coordinates into one stream number.
fn stream(parts: &[u64]) -> u64 {
    parts.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &p| (h ^ p).wrapping_mul(0x0000_0100_0000_01b3))
}

/// P(some k-subset of n fresh samples is within ε of the target), over
/// `trials` trials for each n in `ns` (`within` mode; trial t of point n
/// draws its samples from stream (n, t) of `seed`, so results do not depend
/// on the thread count). `progress` is called once per finished trial.
#[allow(clippy::too_many_arguments)]
pub fn phase(
    dist: Dist,
    k: usize,
    eps: f64,
    ns: &[usize],
    trials: u64,
    targets: Targets,
    seed: u64,
    budget: Budget,
    progress: &(dyn Fn() + Sync),
) -> Vec<Point> {
    ns.iter()
        .map(|&n| {
            let outcomes: Vec<Status> = (0..trials)
                .into_par_iter()
                .map_init(
                    || Solver::new(budget),
                    |solver, t| {
                        let s = stream(&[n as u64, k as u64, eps.to_bits(), t]);
                        let samples = draw(dist, n, seed, s);
                        let z = match targets {
                            Targets::Fixed(z) => z,
                            Targets::Uniform(r) => r * symmetric_unit(&mut rng(seed ^ 0x5eed, s)),
                        };
                        let inst = Instance { samples, k, target: z, eps };
                        let status = solver.solve(&inst, Mode::Within).map(|a| a.status).unwrap_or(Status::Unknown);
                        progress();
                        status
                    },
                )
                .collect();
            Point {
                n,
                trials,
                successes: outcomes.iter().filter(|&&s| s == Status::Found).count() as u64,
                unknown: outcomes.iter().filter(|&&s| s == Status::Unknown).count() as u64,
            }
        })
        .collect()
}

/// The n grid of one (dist, k, ε) when none is given: 12 geometric steps
/// from max(2k, n₁/2) to `span`·n₁, n₁ the larger first-moment n at z = 0
/// and at the far end of the target range (the hardest target).
pub fn default_grid(dist: Dist, k: usize, eps: f64, span: f64) -> Vec<usize> {
    let law = SumLaw::new(dist, k);
    let n1 = theory::first_moment_n(&law, 0.0, eps) as f64;
    let n1_edge = theory::first_moment_n(&law, target_radius(dist, k), eps) as f64;
    let lo = (n1 / 2.0).max(2.0 * k as f64);
    let hi = (span * n1.max(n1_edge)).max(lo + 11.0);
    let mut ns: Vec<usize> = (0..12).map(|i| (lo * (hi / lo).powf(i as f64 / 11.0)).round() as usize).collect();
    ns.dedup();
    ns
}

/// The worst of several fixed targets at one n (an estimate of Theorem 2's
/// c_thm for the c_hyp at that n).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Worst {
    /// The n measured (the first grid n with P ≥ ½).
    pub n: usize,
    /// n / (log2(k/ε)/H2(k/n)) there.
    pub c_hyp: f64,
    /// The target with the lowest success share.
    pub target: f64,
    /// Its trials.
    pub point: Point,
}

/// What one (law, k, ε) of a phase experiment measured, and what the
/// paper's formulas say there (docs/THEORY.md §2, §5).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PhaseSummary {
    /// Sample law.
    pub dist: Dist,
    /// Subset size.
    pub k: usize,
    /// Tolerance.
    pub eps: f64,
    /// The success curve, targets uniform over the range.
    pub points: Vec<Point>,
    /// P ≥ ½ already at n = 2k, the smallest n Theorem 2 allows: n_50 then
    /// says nothing about c_hyp and is left out.
    pub censored: bool,
    /// n_50 (interpolated), unless censored or never reached.
    pub n50: Option<f64>,
    /// Its 95% range from the Wilson bounds.
    pub n50_interval: (Option<f64>, Option<f64>),
    /// log2(k/ε)/H2(k/n_50).
    pub ratio: Option<f64>,
    /// c_hyp = n_50 / ratio, and its 95% range.
    pub c_hyp: Option<f64>,
    /// The c_hyp range from the n_50 range.
    pub c_hyp_interval: (Option<f64>, Option<f64>),
    /// First-moment n at z = 0.
    pub first_moment_n: u64,
    /// Theorem 2's n with c_hyp = 1.
    pub theorem2_n: u64,
    /// Theorem 5's n with d = 1, on its own range n ≥ k/λ.
    pub theorem5_n: u64,
    /// The worst fixed target, if measured.
    pub worst: Option<Worst>,
}

impl PhaseSummary {
    /// The bits the samples carry at n_50, n·H2(k/n), over the bits
    /// Theorem 5 asks for with d = 1, ½·log2(k/ε): since c_hyp is those
    /// bits over log2(k/ε), this is 2·c_hyp.
    pub fn bits_over_theorem5(&self) -> Option<f64> {
        self.c_hyp.map(|c| 2.0 * c)
    }
}

/// c_hyp at n: n / (log2(k/ε)/H2(k/n)).
fn c_hyp_at(k: usize, eps: f64, n: f64) -> f64 {
    n * theory::h2(k as f64 / n) / (k as f64 / eps).log2()
}

/// Runs the phase experiment of one (law, k, ε) on the grid `ns` with
/// targets uniform over the paper's range (or `fixed`), then, at the first
/// n with P ≥ ½, `worst_targets` fixed targets spread over the range
/// (0: none), and summarises. Deterministic for a seed; `progress` is
/// called once per trial.
#[allow(clippy::too_many_arguments)]
pub fn phase_summary(
    dist: Dist,
    k: usize,
    eps: f64,
    ns: &[usize],
    trials: u64,
    fixed: Option<f64>,
    worst_targets: usize,
    seed: u64,
    budget: Budget,
    progress: &(dyn Fn() + Sync),
) -> PhaseSummary {
    let r = target_radius(dist, k);
    let points =
        phase(dist, k, eps, ns, trials, fixed.map_or(Targets::Uniform(r), Targets::Fixed), seed, budget, progress);
    let censored = points.first().is_some_and(|p| p.p() >= 0.5 && p.n <= 2 * k);
    let n50 = if censored { None } else { n50(&points) };
    let n50_interval = if censored { (None, None) } else { n50_interval(&points) };
    let worst = points.iter().find(|p| p.p() >= 0.5).filter(|_| worst_targets > 0).map(|p| {
        let zs = (0..worst_targets).map(|i| {
            if worst_targets == 1 {
                0.0
            } else {
                -r + 2.0 * r * i as f64 / (worst_targets - 1) as f64
            }
        });
        let (target, point) = zs
            .map(|z| {
                (z, phase(dist, k, eps, &[p.n], trials, Targets::Fixed(z), seed ^ 0x77, budget, progress).remove(0))
            })
            .min_by(|x, y| x.1.p().total_cmp(&y.1.p()))
            .expect("at least one target");
        Worst { n: p.n, c_hyp: c_hyp_at(k, eps, p.n as f64), target, point }
    });
    PhaseSummary {
        dist,
        k,
        eps,
        censored,
        n50,
        n50_interval,
        ratio: n50.map(|n| (k as f64 / eps).log2() / theory::h2(k as f64 / n)),
        c_hyp: n50.map(|n| c_hyp_at(k, eps, n)),
        c_hyp_interval: (n50_interval.0.map(|n| c_hyp_at(k, eps, n)), n50_interval.1.map(|n| c_hyp_at(k, eps, n))),
        first_moment_n: theory::first_moment_n(&SumLaw::new(dist, k), 0.0, eps),
        theorem2_n: theory::theorem2_n(k, eps, 1.0),
        theorem5_n: theory::theorem5_n(k, eps, 1),
        worst,
        points,
    }
}

/// The smallest n at which `share` (of each point) reaches ½, interpolated
/// linearly between the grid points around the first crossing.
fn crossing(points: &[Point], share: impl Fn(&Point) -> f64) -> Option<f64> {
    let first = points.iter().position(|p| share(p) >= 0.5)?;
    if first == 0 {
        return Some(points[0].n as f64);
    }
    let (a, b) = (&points[first - 1], &points[first]);
    let t = (0.5 - share(a)) / (share(b) - share(a));
    Some(a.n as f64 + t * (b.n - a.n) as f64)
}

/// The smallest n at which the success share reaches ½, interpolated
/// linearly between the grid points around the first crossing.
pub fn n50(points: &[Point]) -> Option<f64> {
    crossing(points, Point::p)
}

/// A 95% range for n_50: where the upper and the lower Wilson bounds of the
/// success share cross ½ (`None` for an end the grid does not reach).
pub fn n50_interval(points: &[Point]) -> (Option<f64>, Option<f64>) {
    (crossing(points, |p| p.interval().1), crossing(points, |p| p.interval().0))
}

/// Whether every z in [lo, hi] has a k-subset of `samples` within ε
/// (|Σ_S − z| < ε), decided exactly from all k-subset sums in order: the
/// open ε-windows around consecutive sums must overlap across the whole
/// interval. `None` when C(n, k) exceeds `max_subsets`.
pub fn covers(samples: &[f64], k: usize, eps: f64, lo: f64, hi: f64, max_subsets: u64) -> Option<bool> {
    let n = samples.len();
    if crate::theory::log2_binomial(n as f64, k) > (max_subsets as f64).log2() {
        return None;
    }
    let mut sums = Vec::new();
    crate::brute::for_each_subset(samples, k, |_, s| sums.push(s));
    sums.sort_unstable_by(f64::total_cmp);
    // Every z in [lo, frontier) is covered; is the frontier itself?
    let mut frontier = lo;
    for &s in &sums {
        if s + eps <= frontier {
            continue; // this window ends before the frontier
        }
        if s - eps >= frontier {
            return Some(false); // no window, this or a later one, holds the frontier
        }
        frontier = s + eps;
        if frontier > hi {
            return Some(true);
        }
    }
    Some(false)
}

/// P(every target in [−r, r] is ε-reachable), r = [`target_radius`], over
/// `trials` trials for each n in `ns` (Corollary 1), decided exactly by
/// [`covers`]; points whose C(n, k) exceeds `max_subsets` are left out.
#[allow(clippy::too_many_arguments)]
pub fn coverage(
    dist: Dist,
    k: usize,
    eps: f64,
    ns: &[usize],
    trials: u64,
    seed: u64,
    max_subsets: u64,
    progress: &(dyn Fn() + Sync),
) -> Vec<Point> {
    let r = target_radius(dist, k);
    ns.iter()
        .filter(|&&n| crate::theory::log2_binomial(n as f64, k) <= (max_subsets as f64).log2())
        .map(|&n| {
            let covered: u64 = (0..trials)
                .into_par_iter()
                .map(|t| {
                    let samples = draw(dist, n, seed, stream(&[n as u64, k as u64, eps.to_bits(), t, 1]));
                    let c = covers(&samples, k, eps, -r, r, max_subsets).expect("size checked");
                    progress();
                    u64::from(c)
                })
                .sum();
            Point { n, trials, successes: covered, unknown: 0 }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_summary_is_consistent_and_censors_at_2k() {
        let ns = default_grid(Dist::Uniform, 1, 0.1, 3.0);
        let s = phase_summary(Dist::Uniform, 1, 0.1, &ns, 60, None, 3, 7, Budget::default(), &|| {});
        assert!(!s.censored);
        let n50 = s.n50.unwrap();
        assert!((s.c_hyp.unwrap() - n50 / s.ratio.unwrap()).abs() < 1e-12);
        let (lo, hi) = s.n50_interval;
        assert!(lo.unwrap() <= n50 && n50 <= hi.unwrap());
        let (clo, chi) = s.c_hyp_interval;
        assert!(clo.unwrap() <= s.c_hyp.unwrap() && s.c_hyp.unwrap() <= chi.unwrap());
        // The worst target is measured at the first grid n with P ≥ ½.
        let w = s.worst.as_ref().unwrap();
        assert_eq!(w.n, s.points.iter().find(|p| p.p() >= 0.5).unwrap().n);
        assert!(w.target.abs() <= target_radius(Dist::Uniform, 1) + 1e-12);
        let bits = n50 * theory::h2(1.0 / n50) / (0.5 * 10f64.log2());
        assert!((s.bits_over_theorem5().unwrap() - bits).abs() < 1e-12);
        // k = 8 at ε = 0.1: P ≥ ½ already at n = 16 = 2k, so censored.
        let c = phase_summary(Dist::Uniform, 8, 0.1, &[16, 20], 60, None, 0, 7, Budget::default(), &|| {});
        assert!(c.censored && c.n50.is_none() && c.c_hyp.is_none() && c.worst.is_none());
    }

    #[test]
    fn wilson_hand_values() {
        let (lo, hi) = wilson(50, 100);
        assert!((lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(wilson(0, 10).0, 0.0);
        assert_eq!(wilson(10, 10).1, 1.0);
    }

    /// Coverage by a fine scan of targets: every z on a grid much finer
    /// than ε must have its closest k-sum within ε.
    fn covers_by_scan(samples: &[f64], k: usize, eps: f64, lo: f64, hi: f64) -> bool {
        let mut sums = Vec::new();
        crate::brute::for_each_subset(samples, k, |_, s| sums.push(s));
        let steps = 20_000;
        (0..=steps).all(|i| {
            let z = lo + (hi - lo) * i as f64 / steps as f64;
            sums.iter().any(|s| (s - z).abs() < eps)
        })
    }

    #[test]
    fn exact_coverage_agrees_with_a_fine_scan() {
        let mut agree = [0, 0];
        for t in 0..60u64 {
            let n = 6 + (t % 7) as usize;
            let k = 1 + (t % 3) as usize;
            let samples = draw(Dist::Uniform, n, 5, t);
            let eps = 0.05 + 0.02 * (t % 5) as f64;
            let exact = covers(&samples, k, eps, -0.5, 0.5, 1 << 20).unwrap();
            // The scan can miss a gap narrower than its step (1/20,000):
            // only compare when the answer is robust to a tiny change of ε.
            let wider = covers(&samples, k, eps * 1.001, -0.5, 0.5, 1 << 20).unwrap();
            let narrower = covers(&samples, k, eps * 0.999, -0.5, 0.5, 1 << 20).unwrap();
            if wider == narrower {
                assert_eq!(exact, covers_by_scan(&samples, k, eps, -0.5, 0.5), "trial {t}");
                agree[usize::from(exact)] += 1;
            }
        }
        assert!(agree[0] > 5 && agree[1] > 5, "both outcomes exercised: {agree:?}");
        assert_eq!(covers(&[0.0, 1.0], 1, 0.6, 0.0, 1.0, 10), Some(true));
        assert_eq!(covers(&[0.0, 1.0], 1, 0.5, 0.0, 1.0, 10), Some(false)); // 0.5 is in neither open window
        assert_eq!(covers(&vec![0.0; 40], 20, 0.1, 0.0, 0.0, 1000), None);
    }

    #[test]
    fn phase_matches_enumeration_on_a_tiny_grid() {
        let (k, eps, seed) = (2, 0.02, 3);
        let points =
            phase(Dist::Product, k, eps, &[6, 10], 200, Targets::Uniform(0.5), seed, Budget::default(), &|| {});
        for p in &points {
            // Recount the same trials by brute force.
            let mut hits = 0;
            for t in 0..200u64 {
                let s = stream(&[p.n as u64, k as u64, eps.to_bits(), t]);
                let samples = draw(Dist::Product, p.n, seed, s);
                let z = 0.5 * symmetric_unit(&mut rng(seed ^ 0x5eed, s));
                hits += u64::from(crate::brute::count_within(&samples, k, z, eps) > 0);
            }
            assert_eq!(p.successes, hits, "n {}", p.n);
        }
        assert!(points[1].p() > points[0].p());
        let again = phase(Dist::Product, k, eps, &[6, 10], 200, Targets::Uniform(0.5), seed, Budget::default(), &|| {});
        assert_eq!(points, again);
    }

    #[test]
    fn n50_interpolates() {
        let pts = vec![
            Point { n: 10, trials: 100, successes: 20, unknown: 0 },
            Point { n: 20, trials: 100, successes: 60, unknown: 0 },
        ];
        assert!((n50(&pts).unwrap() - 17.5).abs() < 1e-12);
        assert_eq!(n50(&pts[..1]), None);
        let (lo, hi) = n50_interval(&pts);
        // Wilson bounds: [0.133, 0.289] and [0.502, 0.691]: the upper bound
        // crosses ½ between the points, the lower just at n = 20.
        assert!(lo.unwrap() < 17.5 && 17.5 < hi.unwrap() && hi.unwrap() <= 20.0, "{lo:?} {hi:?}");
    }
}
