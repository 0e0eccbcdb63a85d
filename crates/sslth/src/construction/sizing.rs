//! Sizing a ticket before it is built (docs/THEORY.md §3.2, Theorem 3 made
//! computable): per target layer, n (samples per RFSS instance), k (kept
//! B edges per instance), the scale of B and the per-coefficient
//! tolerance, from a fixed (n, k), a fixed k with the measured miss-rate
//! rule, or a density.

use super::certificate::input_radius;
use super::engine::{Coefficients, PairSize};
use super::layers::{augmented_layers, TargetLayer};
use crate::linalg::spectral_norm;
use crate::net::Network;
use crate::net::{Basis, FixedOp};
use crate::ticket::{sides, SubsetOrder};
use crate::{Error, Result};
use std::sync::Arc;

use super::config::{BuildConfig, Sizing, Tolerance};
use super::resolution::check_resolution;
pub use super::resolution::resolution;

/// One target layer's coefficients and sizing, decided before building.
#[derive(Clone, Debug)]
pub struct LayerPlan {
    /// The (augmented) target coefficients, shared with the target layer
    /// they come from.
    pub target: Arc<Coefficients>,
    /// Which input channels are never negative.
    pub nonneg: Vec<bool>,
    /// n, k and scale.
    pub size: PairSize,
    /// Tolerance per coefficient.
    pub weight_eps: f64,
    /// Whether the build may raise n when an instance misses its
    /// tolerance (every sizing but an explicit (n, k)).
    pub repair: bool,
    /// The layer's basis.
    pub basis: Arc<dyn Basis>,
    /// Points per channel the layer acts on.
    pub points: usize,
    /// Points per channel of its output.
    pub out_points: usize,
    /// What follows it in the target.
    pub after: Vec<FixedOp>,
    /// Points per channel of the value each of `after` receives.
    pub after_points: Vec<usize>,
}

impl LayerPlan {
    /// The target layer planned (its coefficients shared, not copied).
    pub fn target_layer(&self) -> TargetLayer {
        let (coefficients, basis) = (Arc::clone(&self.target), Arc::clone(&self.basis));
        let (points, out_points, after) = (self.points, self.out_points, self.after.clone());
        let after_points = self.after_points.clone();
        TargetLayer { coefficients, nonneg: self.nonneg.clone(), basis, points, out_points, after, after_points }
    }

    /// Hidden width 2n·d_in.
    pub fn hidden(&self) -> usize {
        2 * self.size.n * self.target.d_in
    }

    /// Edges of the random pair: H·(|B_A|·d_in + |B|·d_out).
    pub fn random_edges(&self) -> u64 {
        let t = &self.target;
        (self.hidden() * (t.a_size * t.d_in + t.basis * t.d_out)) as u64
    }

    /// RFSS instances to solve: one per non-zero coefficient and side.
    pub fn instances(&self) -> u64 {
        LayerShape::new(&self.target, &self.nonneg, None).instances()
    }

    /// Predicted kept edges (see `LayerShape::predicted_kept`).
    pub fn predicted_kept(&self) -> u64 {
        LayerShape::new(&self.target, &self.nonneg, None).predicted_kept(self.size.n, self.size.k)
    }
}

/// What sizing needs of a layer, read from its coefficients once: the
/// largest |C|, the |C| its scale is set by, and per input channel its
/// non-zero coefficients and sides.
struct LayerShape<'a> {
    max_abs: f64,
    scale_at: f64,
    a_size: usize,
    d_in: usize,
    rows: usize,
    nonzero: Vec<u32>,
    nonneg: &'a [bool],
}

impl<'a> LayerShape<'a> {
    /// The shape of coefficients `c`, the scale set by the `quantile` of
    /// their non-zero magnitudes (the largest when `None`).
    fn new(c: &Coefficients, nonneg: &'a [bool], quantile: Option<f64>) -> Self {
        let max_abs = c.max_abs();
        let scale_at = match quantile.filter(|&q| q < 1.0) {
            None => max_abs,
            Some(q) => {
                let mut m: Vec<f32> = c.values.iter().filter(|&&v| v != 0.0).map(|&v| v.abs() as f32).collect();
                if m.is_empty() {
                    0.0
                } else {
                    let at = ((m.len() - 1) as f64 * q).round() as usize;
                    f64::from(*m.select_nth_unstable_by(at, f32::total_cmp).1)
                }
            }
        };
        let mut nonzero = vec![0u32; c.d_in];
        for row in c.values.chunks_exact(c.d_in) {
            for (z, &v) in nonzero.iter_mut().zip(row) {
                *z += u32::from(v != 0.0);
            }
        }
        LayerShape { max_abs, scale_at, a_size: c.a_size, d_in: c.d_in, rows: c.rows(), nonzero, nonneg }
    }

    fn sides(&self, j: usize) -> u64 {
        sides(self.nonneg[j]) as u64
    }

    fn instances(&self) -> u64 {
        self.nonzero.iter().enumerate().map(|(j, &m)| u64::from(m) * self.sides(j)).sum()
    }

    fn random_edges(&self, n: usize) -> u64 {
        (2 * n * self.d_in * (self.a_size * self.d_in + self.rows)) as u64
    }

    /// k B edges per instance, plus one A edge per hidden neuron that some
    /// instance uses: a side of about n neurons serving m instances of k
    /// picks each uses about n·(1 − (1 − k/n)^m) of them.
    fn predicted_kept(&self, n: usize, k: usize) -> u64 {
        let (nf, kf) = (n as f64, k as f64);
        let a: f64 = self
            .nonzero
            .iter()
            .enumerate()
            .map(|(j, &m)| self.sides(j) as f64 * nf * (1.0 - (1.0 - (kf / nf).min(1.0)).powi(m as i32)))
            .sum();
        self.instances() * k as u64 + a.round() as u64
    }
}

/// The largest |coefficient| that k-sums of products a·b reach at B scale
/// S, in the sense of the paper's range: with samples of standard
/// deviation σ, Theorem 2 covers |z| ≤ √3·σ·√k (that is √k for
/// Uniform[−1, 1]); products |a|·b with |a| ~ U[0, 1], b ~ U[−S, S] have
/// σ = S/3, so the range is S·√(k/3).
pub fn reach(scale: f64, k: usize) -> f64 {
    scale * (k as f64 / 3.0).sqrt()
}

/// Scale of B: k-sums of products a·b have standard deviation √k/3; the
/// targets are kept within one of them. (Two let the largest targets fall
/// beyond the sum of the k largest products of some blocks: on a
/// Fashion-MNIST 784-500-10 target, 6 of 789,511 instances missed by up to
/// 1.4.)
pub fn scale_for(max_abs: f64, k: usize) -> f64 {
    (max_abs / ((k as f64).sqrt() / 3.0)).max(1.0)
}

/// Decides n_i, k_i and the scales (docs/THEORY.md §3.2, Theorem 3 made
/// computable), as [`BuildConfig::sizing`] asks: a fixed (n, k) as given;
/// a subset size k with each n_i the measured rule's ([`measured_n`]); a
/// density D with k the largest whose ticket, so sized, is predicted no
/// denser than D. The tolerance per layer: see `layer_tolerances`.
pub fn plan(net: &Network, cfg: &BuildConfig) -> Result<Vec<LayerPlan>> {
    let layers = augmented_layers(net, cfg.nonneg_input).map_err(Error::Unsupported)?;
    let eps = layer_tolerances(net, &layers, cfg.tolerance)?;
    if let Some(s) = cfg.scale.filter(|s| !(*s > 0.0 && s.is_finite())) {
        return Err(Error::Argument(format!("`scale` must be a finite number > 0, got {s}")));
    }
    if let Some(q) = cfg.scale_quantile.filter(|q| !(*q > 0.0 && *q <= 1.0)) {
        return Err(Error::Argument(format!("`scale_quantile` must be in (0, 1], got {q}")));
    }
    let shapes = layers.iter().map(|l| LayerShape::new(&l.coefficients, &l.nonneg, cfg.scale_quantile)).collect();
    let sizer = Sizer { net, cfg, layers: &layers, shapes, eps };
    let sizes = match cfg.sizing {
        Sizing::Fixed { n, k } => {
            if k == 0 || n == 0 || k > n {
                return Err(Error::Argument(format!("`n` and `k` need 1 <= k <= n, got n = {n}, k = {k}")));
            }
            sizer.check_reach(k)?;
            sizer
                .shapes
                .iter()
                .map(|s| PairSize { n, k, scale: sizer.scale_of(s.scale_at, k), subsets: cfg.subsets })
                .collect()
        }
        Sizing::K(k) => {
            if k == 0 {
                return Err(Error::Argument("`k` must be at least 1".into()));
            }
            if k > MAX_N {
                return Err(Error::Argument(format!(
                    "`k` {k} is more than any side the sizing tries holds ({MAX_N} neurons)"
                )));
            }
            sizer.sizes_at(k)?
        }
        Sizing::Density(d) => sizer.sizes_for_density(d)?,
    };
    let plans = sizer.plans(&sizes);
    check_resolution(net, &plans, cfg).map_err(Error::Argument)?;
    Ok(plans)
}

/// Each layer's per-coefficient tolerance: `Tolerance::Weight(ε)` for
/// every layer; `Tolerance::Network(ε)` gives layer i
/// ε / (ℓ·‖B‖·√(2·d_in·d_out)·Πothers·r), where Πothers bounds how the
/// layer's error is amplified (the product of the other layers' operator
/// norms, each at least 1), r the input radius and ‖B‖ the basis's:
/// Frobenius bounds spectral, so each layer then contributes at most ε/ℓ
/// to first order.
fn layer_tolerances(net: &Network, layers: &[TargetLayer], tolerance: Tolerance) -> Result<Vec<f64>> {
    let ell = layers.len();
    match tolerance {
        Tolerance::Weight(e) if e > 0.0 && e.is_finite() => Ok(vec![e; ell]),
        Tolerance::Network(e) if e > 0.0 && e.is_finite() => {
            let norms: Vec<f64> = layers
                .iter()
                .map(|l| {
                    let c = &l.coefficients;
                    (0..c.basis)
                        .map(|q| {
                            l.basis.element_norm(q) * spectral_norm(l.block(&c.values, q, c.d_in), c.d_out, c.d_in)
                        })
                        .sum()
                })
                .collect();
            let radius = input_radius(net);
            Ok(layers
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let c = &l.coefficients;
                    let others: f64 =
                        norms.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, n)| n.max(1.0)).product();
                    e / (ell as f64 * l.basis.norm() * (2.0 * (c.d_in * c.d_out) as f64).sqrt() * others * radius)
                })
                .collect())
        }
        Tolerance::Weight(e) | Tolerance::Network(e) => {
            Err(Error::Argument(format!("`eps` must be a finite number > 0, got {e}")))
        }
    }
}

/// What sizing one target needs: its layers, their shapes and
/// tolerances, and the configuration.
struct Sizer<'a> {
    net: &'a Network,
    cfg: &'a BuildConfig,
    layers: &'a [TargetLayer],
    shapes: Vec<LayerShape<'a>>,
    eps: Vec<f64>,
}

impl Sizer<'_> {
    /// The plans of these sizes, one per layer.
    fn plans(&self, sizes: &[PairSize]) -> Vec<LayerPlan> {
        self.layers
            .iter()
            .zip(sizes)
            .zip(&self.eps)
            .map(|((l, &size), &weight_eps)| LayerPlan {
                target: Arc::clone(&l.coefficients),
                basis: Arc::clone(&l.basis),
                points: l.points,
                out_points: l.out_points,
                after: l.after.clone(),
                after_points: l.after_points.clone(),
                nonneg: l.nonneg.clone(),
                size,
                weight_eps,
                repair: !matches!(self.cfg.sizing, Sizing::Fixed { .. }),
            })
            .collect()
    }

    /// The scale of a layer whose coefficients set it at `scale_at` (the
    /// largest, or the asked quantile), at k: the user's fixed one, else
    /// [`scale_for`].
    fn scale_of(&self, scale_at: f64, k: usize) -> f64 {
        self.cfg.scale.unwrap_or_else(|| scale_for(scale_at, k))
    }

    /// With a fixed scale, every layer's largest coefficient must lie in
    /// the range its k-sums reach.
    fn check_reach(&self, k: usize) -> Result<()> {
        let Some(s) = self.cfg.scale else { return Ok(()) };
        for (i, shape) in self.shapes.iter().enumerate() {
            if shape.max_abs > reach(s, k) {
                return Err(Error::Argument(format!(
                    "`scale` {s} cannot reach layer {i}'s largest coefficient {:.4} with k = {k}: k-sums reach {:.4}; \
                     use `scale` {:.4} or more",
                    shape.max_abs,
                    reach(s, k),
                    shape.max_abs * (3.0 / k as f64).sqrt()
                )));
            }
        }
        Ok(())
    }

    /// Every layer at subset size k, each n by the measured rule.
    fn sizes_at(&self, k: usize) -> Result<Vec<PairSize>> {
        self.check_reach(k)?;
        let subsets = self.cfg.subsets;
        // A tolerance below float32 resolution would size without bound.
        let provisional: Vec<PairSize> =
            self.shapes.iter().map(|s| PairSize { n: k, k, scale: self.scale_of(s.scale_at, k), subsets }).collect();
        check_resolution(self.net, &self.plans(&provisional), self.cfg).map_err(Error::Argument)?;
        self.layers
            .iter()
            .zip(&self.shapes)
            .zip(&self.eps)
            .enumerate()
            .map(|(i, ((l, shape), &e))| {
                let scale = self.scale_of(shape.scale_at, k);
                let n = measured_n(&l.coefficients, &l.nonneg, self.cfg.seed, i, k, scale, e).ok_or_else(|| {
                    Error::Argument(format!(
                        "layer {i}: no n up to {MAX_N} reaches a miss rate of {MISS_RATE} with `k` = {k}"
                    ))
                })?;
                Ok(PairSize { n, k, scale, subsets })
            })
            .collect()
    }

    /// The predicted density (kept / random edges) of a ticket of these sizes.
    fn density_of(&self, sizes: &[PairSize]) -> f64 {
        let kept: u64 = self.shapes.iter().zip(sizes).map(|(s, z)| s.predicted_kept(z.n, z.k)).sum();
        let all: u64 = self.shapes.iter().zip(sizes).map(|(s, z)| s.random_edges(z.n)).sum();
        kept as f64 / all as f64
    }

    /// The densest ticket of the measured rule that is no denser than
    /// `density`: the largest k whose predicted density is at most it
    /// (density grows with k, since n grows only like log k). k = 1 needs
    /// n in the thousands, so it is tried only when k = 2 is already too
    /// dense.
    fn sizes_for_density(&self, density: f64) -> Result<Vec<PairSize>> {
        if !(density > 0.0 && density <= 1.0) {
            return Err(Error::Argument(format!("`density` must be in (0, 1], got {density}")));
        }
        let mut chosen: Option<Vec<PairSize>> = None;
        for k in 2..=MAX_DENSITY_K {
            // A fixed scale reaches more with larger k.
            if let Err(e) = self.check_reach(k) {
                if k == MAX_DENSITY_K {
                    return Err(e);
                }
                continue;
            }
            let sizes = self.sizes_at(k)?;
            let d = self.density_of(&sizes);
            if d > density {
                break;
            }
            if k == MAX_DENSITY_K {
                return Err(Error::Argument(format!(
                    "`density` {density} is too high for this target: about {:.3}% (k = {k}) is the most the \
                     measured sizing reaches",
                    100.0 * d
                )));
            }
            chosen = Some(sizes);
        }
        if let Some(sizes) = chosen {
            return Ok(sizes);
        }
        let sizes = self.sizes_at(1).map_err(|e| {
            Error::Argument(format!("`density` {density} is too low for this target: even k = 1 is refused ({e})"))
        })?;
        let d = self.density_of(&sizes);
        if d > density {
            return Err(Error::Argument(format!(
                "`density` {density} is too low for this target: about {:.4}% (k = 1) is the least the construction \
                 reaches",
                100.0 * d
            )));
        }
        Ok(sizes)
    }
}

/// The largest k that `--density` sizing tries; a density that k does not
/// exceed is refused as too high (n grows with k, so density levels off).
const MAX_DENSITY_K: usize = 32;

/// The miss rate the measured sizing aims at: at most this share of a
/// layer's RFSS instances are expected to find no k-subset within
/// tolerance (docs/THEORY.md §3.2).
pub const MISS_RATE: f64 = 0.005;

/// The largest n (and side size) the sizing tries.
pub const MAX_N: usize = 1 << 12;

/// Simulated instances per layer; the rule aims at half of [`MISS_RATE`]
/// on them: a margin for their sampling noise (with 400 trials and the
/// full rate, a Fashion-MNIST build missed 1.5% of its instances).
const CALIBRATION_TRIALS: usize = 1000;

/// No block may expect more than this share of its instances to miss: a
/// block's misses are not independent (every row of B shares its
/// neurons), and a side much smaller than the rest misses on most rows,
/// by up to the whole range of its k-sums.
const BLOCK_MISS_CAP: f64 = 4.0 * MISS_RATE;

/// The measured rule's n for layer `i` of the random network of `seed` at
/// subset size k (docs/THEORY.md §3.2): the smallest n at which this
/// network's own blocks, with the side sizes its draws give them, are
/// expected to miss on at most half of [`MISS_RATE`] of the layer's
/// instances, no block above `BLOCK_MISS_CAP`. The miss rate of a side
/// of m neurons is measured by [`side_thresholds`]. A side holds
/// Binomial(2n, ½) neurons, so the smallest sides of a wide layer fall a
/// few standard deviations below n: the side sizes are regenerated, not
/// bounded. (Smallest as found by a scan, and past 64 values by
/// bisection: the condition is monotone in n only up to the draws.)
pub fn measured_n(
    c: &Coefficients,
    nonneg: &[bool],
    seed: u64,
    i: usize,
    k: usize,
    scale: f64,
    eps: f64,
) -> Option<usize> {
    let mut thresholds = side_thresholds(c, k, scale, eps, seed ^ (i as u64) << 32);
    if thresholds.is_empty() {
        return Some(k);
    }
    thresholds.sort_unstable();
    // Share of instances that miss with a side of m neurons.
    let miss_rate = |m: usize| 1.0 - thresholds.partition_point(|&t| t <= m) as f64 / thresholds.len() as f64;
    // Instances per input channel (each of its sides serves one per row).
    let per_column: Vec<(usize, f64)> = (0..c.d_in)
        .map(|j| (j, c.values.chunks_exact(c.d_in).filter(|row| row[j] != 0.0).count() as f64))
        .filter(|&(_, m)| m > 0.0)
        .collect();
    let instances: f64 = per_column.iter().map(|&(j, m)| m * if nonneg[j] { 1.0 } else { 2.0 }).sum();
    // Where the scan starts: no n below it passes, up to sampling noise.
    // Where an input has both sides, one holds at most n neurons, and it
    // may miss at most BLOCK_MISS_CAP: n ≥ that quantile m of the
    // thresholds. Inputs with only a P side may have more than n, by a
    // few of its standard deviations √(n/2); start 3·√m lower.
    let m = thresholds[((1.0 - BLOCK_MISS_CAP) * thresholds.len() as f64) as usize];
    let start = if m == usize::MAX { MAX_N } else { m.saturating_sub((3.0 * (m as f64).sqrt()) as usize).max(k) };
    // The blocks regenerated on all cores, their expected misses summed in
    // column order (the same sum, whatever the thread count).
    let passes = |n: usize| {
        use rayon::prelude::*;
        let terms: Option<Vec<[f64; 2]>> = per_column
            .par_iter()
            .map(|&(j, m)| {
                let sides = crate::construction::engine::block_sides(seed, i, c, n, j);
                let mut terms = [0.0; 2];
                for (side, term) in sides[..if nonneg[j] { 1 } else { 2 }].iter().zip(&mut terms) {
                    let rate = miss_rate(side.len());
                    if rate > BLOCK_MISS_CAP {
                        return None;
                    }
                    *term = m * rate;
                }
                Some(terms)
            })
            .collect();
        let Some(terms) = terms else { return false };
        let mut expected = 0.0;
        for (&(j, _), t) in per_column.iter().zip(&terms) {
            for &term in &t[..if nonneg[j] { 1 } else { 2 }] {
                expected += term;
            }
        }
        expected <= MISS_RATE / 2.0 * instances
    };
    smallest_passing(start, passes)
}

/// The smallest n from `start` up to [`MAX_N`] at which `passes` holds,
/// for a condition monotone in n up to noise: the first 64 values one by
/// one (each call regenerates every block, and most layers pass there),
/// then (k = 1 needs n in the thousands) galloping and bisection. `None`
/// if even [`MAX_N`] fails.
fn smallest_passing(start: usize, passes: impl Fn(usize) -> bool) -> Option<usize> {
    let mut lo = start;
    for n in start..(start + 64).min(MAX_N + 1) {
        if passes(n) {
            return Some(n);
        }
        lo = n;
    }
    let mut step = 64;
    let mut hi = loop {
        let n = lo + step;
        if n > MAX_N {
            return passes(MAX_N).then_some(MAX_N);
        }
        if passes(n) {
            break n;
        }
        lo = n;
        step *= 2;
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if passes(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// For simulated instances like the layer's, the smallest side size at
/// which each finds a subset of products within `eps` of one of the
/// sizes an instance may use ([`crate::ticket::subsets::sizes`];
/// `usize::MAX` if none up to [`MAX_N`]); empty if every coefficient is
/// zero. Each of
/// `CALIBRATION_TRIALS` trials takes a non-zero coefficient of the layer
/// (uniformly over its coefficients, deterministic in `seed`) and draws
/// products a·b as the construction does — |a| and b i.i.d. uniform, b
/// scaled by `scale`, both rounded to f32, from calibration streams that no
/// random network uses (a side's products have the same law whatever its
/// sign). A side of m neurons holds the trial's first m products, so more
/// neurons only add subsets and success never stops once reached: the
/// threshold is found by the exact solver, doubling from 1, then
/// bisection.
pub fn side_thresholds(c: &Coefficients, k: usize, scale: f64, eps: f64, seed: u64) -> Vec<usize> {
    use rayon::prelude::*;
    let nonzero: Vec<f64> = c.values.iter().copied().filter(|&v| v != 0.0).collect();
    if nonzero.is_empty() {
        return Vec::new();
    }
    (0..CALIBRATION_TRIALS)
        .into_par_iter()
        .map_init(
            || rfss::Solver::new(rfss::Budget { max_nodes: Some(200_000), time_limit: None }),
            |solver, t| {
                let u = (crate::weights::uniform_weight(seed, CALIBRATION_STREAM, t as u64) + 1.0) / 2.0;
                let z = nonzero[((u * nonzero.len() as f64) as usize).min(nonzero.len() - 1)];
                let base = (t as u64) << 24;
                let draw = |h: u64| {
                    let a = f64::from(crate::weights::uniform_weight(seed, CALIBRATION_STREAM + 1, base + h) as f32);
                    let b = f64::from(
                        (crate::weights::uniform_weight(seed, CALIBRATION_STREAM + 2, base + h) * scale) as f32,
                    );
                    a.abs() * b
                };
                let mut samples: Vec<f64> = Vec::new();
                // A side of m samples serves when a subset of one of the
                // sizes an instance may use, 1 to min(2k, m), is within
                // eps (whatever the order, which decides only which one
                // is kept).
                let mut found = |m: usize| {
                    while samples.len() < m {
                        samples.push(draw(samples.len() as u64));
                    }
                    crate::ticket::subsets::sizes(SubsetOrder::Fewest, k, m).any(|size| {
                        let inst = rfss::Instance { samples: samples[..m].to_vec(), k: size, target: z, eps };
                        solver.solve(&inst, rfss::Mode::Within).is_ok_and(|a| a.status == rfss::Status::Found)
                    })
                };
                let (mut lo, mut hi) = (1, 1);
                while !found(hi) {
                    lo = hi + 1;
                    hi *= 2;
                    if hi > MAX_N {
                        return usize::MAX;
                    }
                }
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if found(mid) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                hi
            },
        )
        .collect()
}

/// First of the three streams of the calibration's draws: far from every
/// random network's streams (2i, 2i + 1) and from training's (2⁴⁰ + i).
const CALIBRATION_STREAM: u64 = 1 << 41;
