//! The tight certificate (docs/THEORY.md §6.2): a bound on
//! max ‖f(x) − g(x)‖∞ over the box of inputs the data can hold, by
//! propagating bounds through target and ticket together.
//!
//! Layer by layer we carry a box for the target's activations u and, for
//! the difference δ = û − u between ticket and target, both a box and a
//! pair of affine functions of the input x that bound it from below and
//! above (symbolic intervals, as in differential verification of two
//! networks). A pair computes ẑ = Σ_q b_q ⊗ (Ĉ⁺_q û⁺ − Ĉ⁻_q û⁻) exactly
//! (the approximations recorded by the build or read back from a file's
//! edges), so with E^± = C − Ĉ^± the pre-activation difference is
//! d = ẑ − z = Ĉ⁺ δ − E⁺ u⁺ + E⁻ u⁻ (δ = 0 at the input, and u⁻ = 0 after
//! the input since every later channel is a ReLU output or the constant).
//! At the first layer d is an exact affine function of x; later, Ĉ⁺ δ
//! maps the affine bounds (a lower bound of Ĉ⁺ δ takes δ's lower bounds
//! through positive coefficients and its upper ones through negative
//! coefficients; an upper bound the reverse) and the E terms, small,
//! enter as a box. Boxes
//! of linear maps are bounded in centre–radius form (every basis element
//! has non-negative entries).
//!
//! A ReLU maps the difference d of its inputs to δ' = relu(z + d) − relu(z),
//! which lies between 0 and d: δ' = 0 where both networks are provably
//! inactive, δ' = d where both are provably active, and otherwise
//! 0 ≤ δ' ≤ d (d ≥ 0 throughout), d ≤ δ' ≤ 0 (d ≤ 0 throughout), or
//! μ(d − d_hi) ≤ δ' ≤ λ(d − d_lo) with λ = d_hi/(d_hi − d_lo) and
//! μ = −d_lo/(d_hi − d_lo) (the chords of max(0, d) and min(0, d), the
//! triangle relaxation). Its box is also cut by what the ranges of z and
//! z + d allow. Mean pooling averages boxes and affine bounds alike.
//!
//! Floating point: beside each value we carry an upper bound on the
//! magnitude of the terms summed into it (|M| applied to the inputs'
//! magnitudes), and every box is widened by 10⁻⁹ of it, which covers every
//! rounding error for fewer than 9·10⁶ terms per output and layer
//! (n·2⁻⁵³ < 10⁻⁹). The bound is about the networks' exact arithmetic,
//! like §6's.

use super::layers::{augmented_layers, TargetLayer};
use crate::net::{FixedOp, Network, Pool, PoolKind, Saved};

/// Relative widening for rounding (see the module docs).
const ROUNDING: f64 = 1e-9;
/// A box of values: `lo[i] ≤ v[i] ≤ hi[i]`.
#[derive(Clone, Debug, PartialEq)]
struct Interval {
    lo: Vec<f64>,
    hi: Vec<f64>,
}

impl Interval {
    fn zeros(len: usize) -> Interval {
        Interval { lo: vec![0.0; len], hi: vec![0.0; len] }
    }

    /// The box of the positive parts v⁺ (`sign` 1) or negative parts v⁻
    /// (`sign` −1) of its values.
    fn part(&self, sign: f64) -> Interval {
        let (a, b) = if sign > 0.0 { (&self.lo, &self.hi) } else { (&self.hi, &self.lo) };
        Interval {
            lo: a.iter().map(|&v| (sign * v).max(0.0)).collect(),
            hi: b.iter().map(|&v| (sign * v).max(0.0)).collect(),
        }
    }

    /// The values in both boxes.
    fn intersect(&self, other: &Interval) -> Interval {
        Interval {
            lo: self.lo.iter().zip(&other.lo).map(|(a, b)| a.max(*b)).collect(),
            hi: self.hi.iter().zip(&other.hi).map(|(a, b)| a.min(*b)).collect(),
        }
    }

    fn add(&mut self, other: &Interval) {
        self.lo.iter_mut().zip(&other.lo).for_each(|(a, b)| *a += b);
        self.hi.iter_mut().zip(&other.hi).for_each(|(a, b)| *a += b);
    }

    /// Averages the `points` values of each channel.
    fn mean_pool(&self, points: usize) -> Interval {
        let mean = |v: &[f64]| v.chunks(points).map(|c| c.iter().sum::<f64>() / points as f64).collect::<Vec<_>>();
        Interval { lo: mean(&self.lo), hi: mean(&self.hi) }
    }

    /// Each channel's map of `points` values pooled by windows: averages
    /// are linear with non-negative weights, so they map bounds to bounds.
    fn pool(&self, pool: &Pool, points: usize) -> Interval {
        Interval { lo: pool_values(pool, points, &self.lo), hi: pool_values(pool, points, &self.hi) }
    }

    /// The first `len` values.
    fn truncate(&mut self, len: usize) {
        self.lo.truncate(len);
        self.hi.truncate(len);
    }

    /// The largest |v| in the box.
    fn max_abs(&self) -> f64 {
        self.lo.iter().zip(&self.hi).map(|(l, h)| l.abs().max(h.abs())).fold(0.0, f64::max)
    }
}

/// Each channel's `points` values of `v` pooled by `pool`'s windows (max
/// or average).
fn pool_values(pool: &Pool, points: usize, v: &[f64]) -> Vec<f64> {
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
fn max_pool_difference(pool: &Pool, points: usize, u: &Interval, d: &Interval) -> (Interval, Interval) {
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
fn apply(layer: &TargetLayer, m: &[f64], x: &[f64]) -> Vec<f64> {
    let (d_out, d_in, p) = (layer.coefficients.d_out, layer.coefficients.d_in, layer.points);
    let po = layer.out_points;
    let mut out = vec![0.0; d_out * po];
    for j in 0..d_in {
        let xj = &x[j * p..(j + 1) * p];
        if xj.iter().all(|&v| v == 0.0) {
            continue;
        }
        for q in 0..layer.coefficients.basis {
            for o in 0..d_out {
                let c = m[(q * d_out + o) * d_in + j];
                if c != 0.0 {
                    layer.basis.apply_add_f64(q, c, xj, &mut out[o * po..(o + 1) * po]);
                }
            }
        }
    }
    out
}

/// What the tight certificate carries for one value of the networks: the
/// box of the target's values u, the box and the affine bounds of the
/// difference δ (points per channel are the layer's `after_points`).
#[derive(Clone, Debug)]
struct Bounds {
    u: Interval,
    delta: Interval,
    delta_affine: Affine,
}

/// Affine bounds of values v (one per neuron) in the input x ∈ [0, X]^n:
/// coefficient t of neuron i at `[t·len + i]`, t = n the constant, and a
/// bound on the magnitude of what was summed into each (for rounding).
#[derive(Clone, Debug)]
struct Affine {
    lower: Vec<f64>,
    upper: Vec<f64>,
    magnitude: Vec<f64>,
    len: usize,
}

impl Affine {
    fn zeros(len: usize, terms: usize) -> Affine {
        Affine { lower: vec![0.0; len * terms], upper: vec![0.0; len * terms], magnitude: vec![0.0; len], len }
    }

    /// Adds the bounds of other values, neuron by neuron.
    fn add(&mut self, other: &Affine) {
        let sum = |a: &mut Vec<f64>, b: &Vec<f64>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        sum(&mut self.lower, &other.lower);
        sum(&mut self.upper, &other.upper);
        sum(&mut self.magnitude, &other.magnitude);
    }

    fn terms(&self) -> usize {
        self.lower.len() / self.len.max(1)
    }

    /// The input itself: coordinate i of x (the constant channel's values
    /// are the constant 1).
    fn input(dim: usize, len: usize, x_max: f64) -> Affine {
        let mut a = Affine::zeros(len, dim + 1);
        for i in 0..len {
            let t = if i < dim { i } else { dim };
            a.lower[t * len + i] = 1.0;
            a.upper[t * len + i] = 1.0;
            a.magnitude[i] = if i < dim { x_max } else { 1.0 };
        }
        a
    }

    /// The bounds of M v: lower bounds through M's positive entries and
    /// upper bounds through its negative ones, and the reverse.
    fn linear(&self, layer: &TargetLayer, m: &[f64]) -> Affine {
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
    fn add_box(&mut self, b: &Interval) {
        let at = (self.terms() - 1) * self.len;
        for i in 0..self.len {
            self.lower[at + i] += b.lo[i];
            self.upper[at + i] += b.hi[i];
            self.magnitude[i] += b.lo[i].abs().max(b.hi[i].abs());
        }
    }

    /// The box the bounds allow over x ∈ [0, X]^n, widened for rounding.
    fn concretize(&self, x_max: f64) -> Interval {
        let (n, len) = (self.terms(), self.len);
        let (mut lo, mut hi) = (vec![0.0; len], vec![0.0; len]);
        for i in 0..len {
            let (mut l, mut h) = (self.lower[(n - 1) * len + i], self.upper[(n - 1) * len + i]);
            for t in 0..n - 1 {
                l += x_max * self.lower[t * len + i].min(0.0);
                h += x_max * self.upper[t * len + i].max(0.0);
            }
            let slack = ROUNDING * self.magnitude[i];
            lo[i] = l - slack;
            hi[i] = h + slack;
        }
        Interval { lo, hi }
    }

    /// Affine bounds that are the constants of box `b`.
    fn of_box(b: &Interval, terms: usize) -> Affine {
        let mut a = Affine::zeros(b.lo.len(), terms);
        a.add_box(b);
        a
    }

    /// Each channel's `points` neurons averaged by `pool`'s windows (an
    /// average pooling: non-negative weights keep lower and upper bounds).
    fn avg_pool(&self, pool: &Pool, points: usize) -> Affine {
        let rows =
            |v: &[f64]| -> Vec<f64> { v.chunks(self.len).flat_map(|row| pool_values(pool, points, row)).collect() };
        let len = self.len / points * pool.out_points();
        Affine { lower: rows(&self.lower), upper: rows(&self.upper), magnitude: rows(&self.magnitude), len }
    }

    /// The first `len` neurons.
    fn truncate(&self, len: usize) -> Affine {
        let rows = |v: &[f64]| -> Vec<f64> { v.chunks(self.len).flat_map(|row| row[..len].to_vec()).collect() };
        Affine { lower: rows(&self.lower), upper: rows(&self.upper), magnitude: self.magnitude[..len].to_vec(), len }
    }

    /// Averages the `points` neurons of each channel.
    fn mean_pool(&self, points: usize) -> Affine {
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

/// The box and the affine bounds of δ' = relu(z + d) − relu(z) (see the
/// module docs), from the boxes of z and d and the affine bounds of d.
fn relu_difference(z: &Interval, d: &Interval, da: &Affine) -> (Interval, Affine) {
    let relu = |v: f64| v.max(0.0);
    let (n, len) = (da.terms(), da.len);
    let mut out = Affine::zeros(len, n);
    out.magnitude.clone_from(&da.magnitude);
    let (mut lo, mut hi) = (vec![0.0; len], vec![0.0; len]);
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
        // δ' ≥ a·(lower of d) + b and δ' ≤ c·(upper of d) + e.
        let ((a, b), (c, e)) = if inactive {
            ((0.0, 0.0), (0.0, 0.0))
        } else if active || (dl >= 0.0 && dh <= 0.0) {
            ((1.0, 0.0), (1.0, 0.0))
        } else if dl >= 0.0 {
            ((0.0, 0.0), (1.0, 0.0))
        } else if dh <= 0.0 {
            ((1.0, 0.0), (0.0, 0.0))
        } else {
            let (lambda, mu) = (dh / (dh - dl), -dl / (dh - dl));
            ((mu, -mu * dh), (lambda, -lambda * dl))
        };
        for t in 0..n {
            out.lower[t * len + i] = a * da.lower[t * len + i];
            out.upper[t * len + i] = c * da.upper[t * len + i];
        }
        out.lower[(n - 1) * len + i] += b;
        out.upper[(n - 1) * len + i] += e;
    }
    (Interval { lo, hi }, out)
}

/// The box of Σ_q b_q ⊗ M_q v over v in `x`, widened for rounding.
fn linear_box(layer: &TargetLayer, m: &[f64], x: &Interval) -> Interval {
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

/// The tight certificate of a ticket whose pairs compute `approx[i]` =
/// (Ĉ⁺_i, Ĉ⁻_i) against `net`, over the inputs with every value in
/// [0, `input_max`] (the data's box; see the module docs). Never above
/// `ball_bound`, the §6 bound over a ball holding the box, which bounds
/// the ℓ∞ error too.
pub fn certify_box(
    net: &Network,
    nonneg_input: bool,
    approx: &[(&[f64], &[f64])],
    input_max: f64,
    ball_bound: f64,
) -> Result<TightCertificate, String> {
    if !(input_max.is_finite() && input_max >= 0.0) {
        return Err(format!("the input box [0, {input_max}] is not a box"));
    }
    let layers = augmented_layers(net, nonneg_input)?;
    // The augmented input: the data's box, then the constant channel.
    let (dim, p, bias) = (net.d_in(), net.points, net.has_bias());
    let len = dim + if bias { p } else { 0 };
    let corner = |x: f64| (0..len).map(|i| if i < dim { x } else { 1.0 }).collect();
    let u = Interval { lo: corner(0.0), hi: corner(input_max) };
    let input = Affine::input(dim, len, input_max);
    let mut cur = Bounds { u, delta: Interval::zeros(len), delta_affine: Affine::zeros(len, dim + 1) };
    let mut saved = Saved::new();
    let mut per_layer = Vec::with_capacity(layers.len());
    for (i, (layer, &(pos, neg))) in layers.iter().zip(approx).enumerate() {
        cur = linear_step(layer, i == 0, (pos, neg), &cur, &input, input_max);
        for (op, &points) in layer.after.iter().zip(&layer.after_points) {
            fixed_step(op, points, bias, &mut cur, &mut saved, input_max)?;
        }
        per_layer.push(cur.delta.max_abs());
    }
    let delta = cur.delta;
    let interval_bound = delta.max_abs();
    Ok(TightCertificate {
        bound: interval_bound.min(ball_bound),
        interval_bound,
        layer_bounds: per_layer,
        domain: format!("every input value in [0, {input_max:.6}]"),
        certified_agreement: None,
    })
}

/// The bounds after one layer's linear map: the target's output box z and
/// the difference d = Ĉ⁺ δ − E⁺ u⁺ + E⁻ u⁻ (E± the pairs' errors against
/// the layer's coefficients), as a box and as affine bounds in x, their
/// intersection kept; exact in x on the `first` layer.
fn linear_step(
    layer: &TargetLayer,
    first: bool,
    (pos, neg): (&[f64], &[f64]),
    cur: &Bounds,
    input: &Affine,
    input_max: f64,
) -> Bounds {
    let Bounds { u, delta, delta_affine } = cur;
    let z = linear_box(layer, &layer.coefficients.values, u);
    let [e_pos, e_neg] = layer.errors(pos, neg);
    let minus_e_pos: Vec<f64> = e_pos.iter().map(|v| -v).collect();
    let (u_pos, u_neg) = (u.part(1.0), u.part(-1.0));
    let mut e_box = linear_box(layer, &minus_e_pos, &u_pos);
    e_box.add(&linear_box(layer, &e_neg, &u_neg));
    let mut d_box = e_box.clone();
    d_box.add(&linear_box(layer, pos, delta));
    let d_affine = if first {
        // The input is x itself (x ≥ 0 on the box, so u⁻ = 0): exact.
        input.linear(layer, &minus_e_pos)
    } else {
        let mut a = delta_affine.linear(layer, pos);
        a.add_box(&e_box);
        a
    };
    let d = d_box.intersect(&d_affine.concretize(input_max));
    Bounds { u: z, delta: d, delta_affine: d_affine }
}

/// The bounds after one fixed operation (ReLU, pooling, flatten, a
/// branch's fork, swap or sum) on `points` points, in place.
fn fixed_step(
    op: &FixedOp,
    points: usize,
    bias: bool,
    cur: &mut Bounds,
    saved: &mut Saved<Bounds>,
    input_max: f64,
) -> Result<(), String> {
    let Bounds { u, delta, delta_affine } = cur;
    match op {
        FixedOp::Relu => {
            let (relu_box, relu_affine) = relu_difference(u, delta, delta_affine);
            *delta = relu_box.intersect(&relu_affine.concretize(input_max));
            *delta_affine = relu_affine;
            *u = u.part(1.0);
        }
        FixedOp::MeanPool => {
            *u = u.mean_pool(points);
            *delta = delta.mean_pool(points);
            *delta_affine = delta_affine.mean_pool(points);
        }
        FixedOp::Pool(spec) => {
            let pool = Pool::new(*spec)?;
            if spec.kind == PoolKind::Max {
                (*u, *delta) = max_pool_difference(&pool, points, u, delta);
                *delta_affine = Affine::of_box(delta, delta_affine.terms());
            } else {
                *u = u.pool(&pool, points);
                *delta = delta.pool(&pool, points);
                *delta_affine = delta_affine.avg_pool(&pool, points);
            }
        }
        FixedOp::Flatten => {
            // The carried constant keeps one value (§4.4).
            if bias {
                let kept = u.lo.len() - points + 1;
                u.truncate(kept);
                delta.truncate(kept);
                *delta_affine = delta_affine.truncate(kept);
            }
        }
        FixedOp::Fork | FixedOp::Swap | FixedOp::Add => {
            // The sum of two paths lies in the sums of their boxes
            // and affine bounds (§4.5).
            let branch = op.branch().expect("a branch");
            saved.run_checked(branch, cur, |c, o| {
                c.u.add(&o.u);
                c.delta.add(&o.delta);
                c.delta_affine.add(&o.delta_affine);
            });
        }
    }
    Ok(())
}

/// The share of rows (row-major `outputs`, `classes` per row) whose top
/// logit exceeds the second by more than 2·`bound`: on those rows any
/// network within `bound` in ℓ∞ of this one predicts the same class.
pub fn certified_share(outputs: &[f32], classes: usize, bound: f64) -> f64 {
    if classes == 0 || outputs.is_empty() {
        return 0.0;
    }
    let rows = outputs.len() / classes;
    let certified = outputs
        .chunks_exact(classes)
        .filter(|row| {
            let (mut first, mut second) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
            for &v in row.iter() {
                let v = f64::from(v);
                if v > first {
                    second = first;
                    first = v;
                } else if v > second {
                    second = v;
                }
            }
            classes == 1 || first - second > 2.0 * bound
        })
        .count();
    certified as f64 / rows as f64
}

impl TightCertificate {
    /// Fills in the certified agreement from the target's outputs on the
    /// test rows (row-major, `rows` of them): [`certified_share`].
    pub fn measure_agreement(&mut self, target_outputs: &[f32], rows: usize) {
        let classes = target_outputs.len() / rows.max(1);
        self.certified_agreement = Some(certified_share(target_outputs, classes, self.bound));
    }
}

/// The bound over the data's box (see the module docs), beside the §6
/// bound over the ball.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TightCertificate {
    /// max ‖f(x) − g(x)‖∞ over `domain` is at most this: the smaller of
    /// `interval_bound` and the §6 bound.
    pub bound: f64,
    /// What interval propagation alone gives.
    pub interval_bound: f64,
    /// The largest |δ| interval propagation allows after each layer (after
    /// its ReLU and pooling; the output difference for the last).
    pub layer_bounds: Vec<f64>,
    /// The inputs the bound holds for, in words.
    pub domain: String,
    /// The share of the test rows whose target margin (top logit minus
    /// the second) exceeds 2·`bound`: the ticket provably predicts the
    /// target's class on them and on any input of the domain with such a
    /// margin.
    pub certified_agreement: Option<f64>,
}
