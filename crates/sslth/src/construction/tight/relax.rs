//! The tight certificate's relaxations: boxes of values ([`Interval`]),
//! affine bounds in the input ([`Affine`]), and how linear maps, ReLUs and
//! poolings carry them (see the parent module's docs).

use super::super::layers::TargetLayer;
use crate::net::{Pool, PoolKind};

/// Relative widening for rounding (see the module docs).
pub(super) const ROUNDING: f64 = 1e-9;
/// A box of values: `lo[i] ≤ v[i] ≤ hi[i]`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Interval {
    pub(super) lo: Vec<f64>,
    pub(super) hi: Vec<f64>,
}

impl Interval {
    pub(super) fn zeros(len: usize) -> Interval {
        Interval { lo: vec![0.0; len], hi: vec![0.0; len] }
    }

    /// The box of the positive parts v⁺ (`sign` 1) or negative parts v⁻
    /// (`sign` −1) of its values.
    pub(super) fn part(&self, sign: f64) -> Interval {
        let (a, b) = if sign > 0.0 { (&self.lo, &self.hi) } else { (&self.hi, &self.lo) };
        Interval {
            lo: a.iter().map(|&v| (sign * v).max(0.0)).collect(),
            hi: b.iter().map(|&v| (sign * v).max(0.0)).collect(),
        }
    }

    /// The values in both boxes.
    pub(super) fn intersect(&self, other: &Interval) -> Interval {
        Interval {
            lo: self.lo.iter().zip(&other.lo).map(|(a, b)| a.max(*b)).collect(),
            hi: self.hi.iter().zip(&other.hi).map(|(a, b)| a.min(*b)).collect(),
        }
    }

    pub(super) fn add(&mut self, other: &Interval) {
        self.lo.iter_mut().zip(&other.lo).for_each(|(a, b)| *a += b);
        self.hi.iter_mut().zip(&other.hi).for_each(|(a, b)| *a += b);
    }

    /// Averages the `points` values of each channel.
    pub(super) fn mean_pool(&self, points: usize) -> Interval {
        let mean = |v: &[f64]| v.chunks(points).map(|c| c.iter().sum::<f64>() / points as f64).collect::<Vec<_>>();
        Interval { lo: mean(&self.lo), hi: mean(&self.hi) }
    }

    /// Each channel's map of `points` values pooled by windows: averages
    /// are linear with non-negative weights, so they map bounds to bounds.
    pub(super) fn pool(&self, pool: &Pool, points: usize) -> Interval {
        Interval { lo: pool_values(pool, points, &self.lo), hi: pool_values(pool, points, &self.hi) }
    }

    /// The first `len` values.
    pub(super) fn truncate(&mut self, len: usize) {
        self.lo.truncate(len);
        self.hi.truncate(len);
    }

    /// The largest |v| in the box.
    pub(super) fn max_abs(&self) -> f64 {
        self.lo.iter().zip(&self.hi).map(|(l, h)| l.abs().max(h.abs())).fold(0.0, f64::max)
    }
}

/// Each channel's `points` values of `v` pooled by `pool`'s windows (max
/// or average).
pub(super) fn pool_values(pool: &Pool, points: usize, v: &[f64]) -> Vec<f64> {
    let max = pool.spec().kind == PoolKind::Max;
    let mut out = Vec::with_capacity(v.len() / points * pool.out_points());
    for c in v.chunks_exact(points) {
        for t in 0..pool.out_points() {
            let (w, div) = pool.window(t);
            let vals = w.iter().map(|&i| c[i as usize]);
            out.push(if max { vals.fold(f64::NEG_INFINITY, f64::max) } else { vals.sum::<f64>() / f64::from(div) });
        }
    }
    out
}

/// A max pooling of the target's values u (box `u`) and of the ticket's
/// u + δ (δ in box `d`): the pooled values' box, and the box of
/// δ' = max_W(u + δ) − max_W(u), which lies in [min_W δ, max_W δ] and, from
/// the ranges of the two maxima, in [max_W(u + δ)_lo − max_W(u)_hi,
/// max_W(u + δ)_hi − max_W(u)_lo] (those subtractions widened for
/// rounding).
pub(super) fn max_pool_difference(pool: &Pool, points: usize, u: &Interval, d: &Interval) -> (Interval, Interval) {
    let sum = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x + y).collect::<Vec<_>>();
    let (t_lo, t_hi) = (sum(&u.lo, &d.lo), sum(&u.hi, &d.hi));
    let min_of = |v: &[f64]| -> Vec<f64> {
        let neg: Vec<f64> = v.iter().map(|x| -x).collect();
        pool_values(pool, points, &neg).iter().map(|x| -x).collect()
    };
    let (u_lo, u_hi) = (pool_values(pool, points, &u.lo), pool_values(pool, points, &u.hi));
    let (d_lo, d_hi) = (min_of(&d.lo), pool_values(pool, points, &d.hi));
    let (g_lo, g_hi) = (pool_values(pool, points, &t_lo), pool_values(pool, points, &t_hi));
    let slack = |a: f64, b: f64| ROUNDING * (a.abs() + b.abs());
    let lo = (0..u_lo.len()).map(|i| d_lo[i].max(g_lo[i] - u_hi[i] - slack(g_lo[i], u_hi[i]))).collect();
    let hi = (0..u_lo.len()).map(|i| d_hi[i].min(g_hi[i] - u_lo[i] + slack(g_hi[i], u_lo[i]))).collect();
    (Interval { lo: u_lo, hi: u_hi }, Interval { lo, hi })
}

/// Σ_q b_q ⊗ M_q x for one example `x` (channels × points), M flat like
/// the layer's coefficients; input channels that are all zero are skipped.
pub(super) fn apply(layer: &TargetLayer, m: &[f64], x: &[f64]) -> Vec<f64> {
    act(layer, m, x, false)
}

/// (Σ_q b_q ⊗ M_q)ᵀ y for one example `y` of the layer's outputs (the walk
/// back of `back.rs`).
pub(super) fn apply_transposed(layer: &TargetLayer, m: &[f64], y: &[f64]) -> Vec<f64> {
    act(layer, m, y, true)
}

/// The layer's map (or its transpose) on one example.
fn act(layer: &TargetLayer, m: &[f64], x: &[f64], transposed: bool) -> Vec<f64> {
    let (d_out, d_in) = (layer.coefficients.d_out, layer.coefficients.d_in);
    let (p, po) = (layer.points, layer.out_points);
    let ((n_in, p_in), (n_out, p_out)) = if transposed { ((d_out, po), (d_in, p)) } else { ((d_in, p), (d_out, po)) };
    let mut out = vec![0.0; n_out * p_out];
    for j in 0..n_in {
        let xj = &x[j * p_in..(j + 1) * p_in];
        // The points of the channel that are not zero (a walk back from one
        // neuron starts on one point and spreads a kernel's width a layer).
        let Some(first) = xj.iter().position(|&v| v != 0.0) else { continue };
        let last = xj.iter().rposition(|&v| v != 0.0).unwrap_or(first);
        for q in 0..layer.coefficients.basis {
            for o in 0..n_out {
                let (row, col) = if transposed { (j, o) } else { (o, j) };
                let c = m[(q * d_out + row) * d_in + col];
                if c == 0.0 {
                    continue;
                }
                let y = &mut out[o * p_out..(o + 1) * p_out];
                if transposed {
                    layer.basis.apply_transpose_add_f64(q, c, xj, first..last + 1, y);
                } else {
                    layer.basis.apply_add_f64(q, c, xj, y);
                }
            }
        }
    }
    out
}

/// The inputs a certificate holds on: coordinate i of x in
/// [`lo[i]`, `hi[i]`], with 0 ≤ lo ≤ hi (sub-boxes of the data's box).
#[derive(Clone, Debug, PartialEq)]
pub struct InputBox {
    /// Each coordinate's least value.
    pub lo: Vec<f64>,
    /// Each coordinate's largest value.
    pub hi: Vec<f64>,
}

impl InputBox {
    /// [0, `max`] in each of `dim` coordinates.
    pub fn uniform(dim: usize, max: f64) -> InputBox {
        InputBox { lo: vec![0.0; dim], hi: vec![max; dim] }
    }

    /// The ℓ∞ ball of radius `r` around `x`, within [0, `max`].
    pub fn ball(x: &[f32], r: f64, max: f64) -> InputBox {
        let clip = |v: f64| v.clamp(0.0, max);
        InputBox {
            lo: x.iter().map(|&v| clip(f64::from(v) - r)).collect(),
            hi: x.iter().map(|&v| clip(f64::from(v) + r)).collect(),
        }
    }

    /// Refuses a box that is not one of finite values in 0 ≤ lo ≤ hi.
    pub(super) fn check(&self) -> Result<(), String> {
        let bad =
            self.lo.iter().zip(&self.hi).position(|(&a, &b)| !(a.is_finite() && b.is_finite() && 0.0 <= a && a <= b));
        match bad {
            Some(i) => Err(format!("input {i}: [{}, {}] is not a box of values 0 ≤ lo ≤ hi", self.lo[i], self.hi[i])),
            None => Ok(()),
        }
    }
}

/// Affine bounds of values v (one per neuron) in the input x (in an [`InputBox`]):
/// coefficient t of neuron i at `[t·len + i]`, t = n the constant, and a
/// bound on the magnitude of what was summed into each (for rounding).
#[derive(Clone, Debug)]
pub(super) struct Affine {
    pub(super) lower: Vec<f64>,
    pub(super) upper: Vec<f64>,
    pub(super) magnitude: Vec<f64>,
    pub(super) len: usize,
}

impl Affine {
    pub(super) fn zeros(len: usize, terms: usize) -> Affine {
        Affine { lower: vec![0.0; len * terms], upper: vec![0.0; len * terms], magnitude: vec![0.0; len], len }
    }

    /// Adds the bounds of other values, neuron by neuron.
    pub(super) fn add(&mut self, other: &Affine) {
        let sum = |a: &mut Vec<f64>, b: &Vec<f64>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        sum(&mut self.lower, &other.lower);
        sum(&mut self.upper, &other.upper);
        sum(&mut self.magnitude, &other.magnitude);
    }

    pub(super) fn terms(&self) -> usize {
        self.lower.len() / self.len.max(1)
    }

    /// The input itself: coordinate i of x in `region` (the constant
    /// channel's values, beyond the region's, are the constant 1).
    pub(super) fn input(region: &InputBox, len: usize) -> Affine {
        let dim = region.lo.len();
        let mut a = Affine::zeros(len, dim + 1);
        for i in 0..len {
            let t = if i < dim { i } else { dim };
            a.lower[t * len + i] = 1.0;
            a.upper[t * len + i] = 1.0;
            a.magnitude[i] = if i < dim { region.hi[i] } else { 1.0 };
        }
        a
    }

    /// The bounds of M v: lower bounds through M's positive entries and
    /// upper bounds through its negative ones, and the reverse.
    pub(super) fn linear(&self, layer: &TargetLayer, m: &[f64]) -> Affine {
        let plus: Vec<f64> = m.iter().map(|&v| v.max(0.0)).collect();
        let minus: Vec<f64> = m.iter().map(|&v| v.min(0.0)).collect();
        let abs: Vec<f64> = m.iter().map(|v| v.abs()).collect();
        let (n, len) = (self.terms(), self.len);
        let out_len = layer.coefficients.d_out * layer.out_points;
        let mut out = Affine::zeros(out_len, n);
        out.magnitude = apply(layer, &abs, &self.magnitude);
        for t in 0..n {
            let (l, u) = (&self.lower[t * len..(t + 1) * len], &self.upper[t * len..(t + 1) * len]);
            let sum = |a: Vec<f64>, b: Vec<f64>| a.iter().zip(&b).map(|(x, y)| x + y).collect::<Vec<f64>>();
            let lo = sum(apply(layer, &plus, l), apply(layer, &minus, u));
            let hi = sum(apply(layer, &plus, u), apply(layer, &minus, l));
            out.lower[t * out_len..(t + 1) * out_len].copy_from_slice(&lo);
            out.upper[t * out_len..(t + 1) * out_len].copy_from_slice(&hi);
        }
        out
    }

    /// Adds a box to the constants (its values' magnitudes too).
    pub(super) fn add_box(&mut self, b: &Interval) {
        let at = (self.terms() - 1) * self.len;
        for i in 0..self.len {
            self.lower[at + i] += b.lo[i];
            self.upper[at + i] += b.hi[i];
            self.magnitude[i] += b.lo[i].abs().max(b.hi[i].abs());
        }
    }

    /// A lower bound of v_c − v_o over x in `region`, widened for
    /// rounding: the lower bounds of v_c minus the upper bounds of v_o,
    /// one affine function, concretised (what the two share cancels).
    pub(super) fn difference_lower(&self, c: usize, o: usize, region: &InputBox) -> f64 {
        let (n, len) = (self.terms(), self.len);
        let at = |t: usize| self.lower[t * len + c] - self.upper[t * len + o];
        let mut l = at(n - 1);
        for (t, (&a, &b)) in region.lo.iter().zip(&region.hi).enumerate() {
            l += (at(t) * a).min(at(t) * b);
        }
        l - ROUNDING * (self.magnitude[c] + self.magnitude[o] + l.abs())
    }

    /// The box the bounds allow over x in `region`, widened for rounding.
    pub(super) fn concretize(&self, region: &InputBox) -> Interval {
        let (n, len) = (self.terms(), self.len);
        let (mut lo, mut hi) = (vec![0.0; len], vec![0.0; len]);
        for i in 0..len {
            let (mut l, mut h) = (self.lower[(n - 1) * len + i], self.upper[(n - 1) * len + i]);
            for (t, (&a, &b)) in region.lo.iter().zip(&region.hi).enumerate() {
                let (cl, cu) = (self.lower[t * len + i], self.upper[t * len + i]);
                l += (cl * a).min(cl * b);
                h += (cu * a).max(cu * b);
            }
            let slack = ROUNDING * self.magnitude[i];
            lo[i] = l - slack;
            hi[i] = h + slack;
        }
        Interval { lo, hi }
    }

    /// Affine bounds that are the constants of box `b`.
    pub(super) fn of_box(b: &Interval, terms: usize) -> Affine {
        let mut a = Affine::zeros(b.lo.len(), terms);
        a.add_box(b);
        a
    }

    /// Each channel's `points` neurons averaged by `pool`'s windows (an
    /// average pooling: non-negative weights keep lower and upper bounds).
    pub(super) fn avg_pool(&self, pool: &Pool, points: usize) -> Affine {
        let rows =
            |v: &[f64]| -> Vec<f64> { v.chunks(self.len).flat_map(|row| pool_values(pool, points, row)).collect() };
        let len = self.len / points * pool.out_points();
        Affine { lower: rows(&self.lower), upper: rows(&self.upper), magnitude: rows(&self.magnitude), len }
    }

    /// The first `len` neurons.
    pub(super) fn truncate(&self, len: usize) -> Affine {
        let rows = |v: &[f64]| -> Vec<f64> { v.chunks(self.len).flat_map(|row| row[..len].to_vec()).collect() };
        Affine { lower: rows(&self.lower), upper: rows(&self.upper), magnitude: self.magnitude[..len].to_vec(), len }
    }

    /// Averages the `points` neurons of each channel.
    pub(super) fn mean_pool(&self, points: usize) -> Affine {
        let pool = |v: &[f64]| -> Vec<f64> {
            v.chunks(self.len)
                .flat_map(|row| row.chunks(points).map(|c| c.iter().sum::<f64>() / points as f64))
                .collect()
        };
        Affine {
            lower: pool(&self.lower),
            upper: pool(&self.upper),
            magnitude: pool(&self.magnitude),
            len: self.len / points,
        }
    }
}

/// Lines bounding a value v' after a ReLU by the value v before it:
/// lo.0·v + lo.1 ≤ v' ≤ hi.0·v + hi.1, both slopes in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Lines {
    pub(super) lo: (f64, f64),
    pub(super) hi: (f64, f64),
}

impl Lines {
    const ZERO: Lines = Lines { lo: (0.0, 0.0), hi: (0.0, 0.0) };
    const IDENTITY: Lines = Lines { lo: (1.0, 0.0), hi: (1.0, 0.0) };
}

impl Affine {
    /// The bounds of v' from those of v and the `lines` (non-negative
    /// slopes take lower bounds to lower bounds).
    pub(super) fn through(&self, lines: &[Lines]) -> Affine {
        let (n, len) = (self.terms(), self.len);
        let mut out = Affine::zeros(len, n);
        out.magnitude.clone_from(&self.magnitude);
        for (i, l) in lines.iter().enumerate() {
            for t in 0..n {
                out.lower[t * len + i] = l.lo.0 * self.lower[t * len + i];
                out.upper[t * len + i] = l.hi.0 * self.upper[t * len + i];
            }
            out.lower[(n - 1) * len + i] += l.lo.1;
            out.upper[(n - 1) * len + i] += l.hi.1;
        }
        out
    }
}

/// The box of δ' = relu(z + d) − relu(z) and its lines in d (see the
/// module docs), from the boxes of z and d.
pub(super) fn relu_difference(z: &Interval, d: &Interval) -> (Interval, Vec<Lines>) {
    let relu = |v: f64| v.max(0.0);
    let len = z.lo.len();
    let (mut lo, mut hi) = (vec![0.0; len], vec![0.0; len]);
    let mut lines = Vec::with_capacity(len);
    for i in 0..len {
        let (zl, zh, dl, dh) = (z.lo[i], z.hi[i], d.lo[i], d.hi[i]);
        let inactive = zh <= 0.0 && zh + dh <= 0.0;
        let active = zl >= 0.0 && zl + dl >= 0.0;
        (lo[i], hi[i]) = if inactive {
            (0.0, 0.0)
        } else if active {
            (dl, dh)
        } else {
            // 1-Lipschitz and monotone, intersected with the two ranges.
            (dl.min(0.0).max(relu(zl + dl) - relu(zh)), dh.max(0.0).min(relu(zh + dh) - relu(zl)))
        };
        lines.push(if inactive {
            Lines::ZERO
        } else if active || (dl >= 0.0 && dh <= 0.0) {
            Lines::IDENTITY
        } else if dl >= 0.0 {
            Lines { lo: (0.0, 0.0), hi: (1.0, 0.0) }
        } else if dh <= 0.0 {
            Lines { lo: (1.0, 0.0), hi: (0.0, 0.0) }
        } else {
            let (lambda, mu) = (dh / (dh - dl), -dl / (dh - dl));
            Lines { lo: (mu, -mu * dh), hi: (lambda, -lambda * dl) }
        });
    }
    (Interval { lo, hi }, lines)
}

/// The lines of the target's values after a ReLU, v' = max(0, v), from
/// v's box `z`: v itself where v ≥ 0 on the whole region, 0 where v ≤ 0;
/// otherwise v' ≤ λ(v − z_lo) with λ = z_hi/(z_hi − z_lo) (the chord),
/// and v' ≥ v where z_hi > −z_lo, else v' ≥ 0 (the lower line of the two
/// that leaves the smaller area).
pub(super) fn relu_value(z: &Interval) -> Vec<Lines> {
    let line = |(l, h): (f64, f64)| {
        if h <= 0.0 {
            Lines::ZERO
        } else if l >= 0.0 {
            Lines::IDENTITY
        } else {
            let lambda = h / (h - l);
            Lines { lo: (if h > -l { 1.0 } else { 0.0 }, 0.0), hi: (lambda, -lambda * l) }
        }
    };
    z.lo.iter().zip(&z.hi).map(|(&l, &h)| line((l, h))).collect()
}

/// The box of Σ_q b_q ⊗ M_q v over v in `x`, widened for rounding.
pub(super) fn linear_box(layer: &TargetLayer, m: &[f64], x: &Interval) -> Interval {
    let centre: Vec<f64> = x.lo.iter().zip(&x.hi).map(|(l, h)| 0.5 * (l + h)).collect();
    let radius: Vec<f64> = x.lo.iter().zip(&x.hi).map(|(l, h)| 0.5 * (h - l)).collect();
    let size: Vec<f64> = centre.iter().zip(&radius).map(|(c, r)| c.abs() + r).collect();
    let abs: Vec<f64> = m.iter().map(|v| v.abs()).collect();
    let (zc, zr, zm) = (apply(layer, m, &centre), apply(layer, &abs, &radius), apply(layer, &abs, &size));
    let widen = |i: usize| zr[i] + ROUNDING * (zm[i] + zr[i]);
    Interval {
        lo: (0..zc.len()).map(|i| zc[i] - widen(i)).collect(),
        hi: (0..zc.len()).map(|i| zc[i] + widen(i)).collect(),
    }
}
