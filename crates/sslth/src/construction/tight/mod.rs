//! The tight certificate (docs/THEORY.md §6.2): a bound on
//! max ‖f(x) − g(x)‖∞ over the box of inputs the data can hold, by
//! propagating bounds through target and ticket together.
//!
//! Layer by layer we carry a box and affine bounds in x for the target's
//! activations u (a ReLU relaxed by its chord above and by v or 0 below,
//! every box cut by what the affine bounds allow) and, for
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
//! coefficients; an upper bound the reverse), and so does −E⁺ u with the
//! target's own affine bounds of u where u is never negative (else the E
//! terms enter as a box). Boxes
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
//! The pass is recorded as it goes (`back.rs`), and each output's
//! difference is bounded once more by walking the record back from the
//! output (back-substitution), which picks every relaxation's line per
//! bounded function rather than once per neuron.
//!
//! Floating point: beside each value we carry an upper bound on the
//! magnitude of the terms summed into it (|M| applied to the inputs'
//! magnitudes), and every box is widened by 10⁻⁹ of it, which covers every
//! rounding error for fewer than 9·10⁶ terms per output and layer
//! (n·2⁻⁵³ < 10⁻⁹). The bound is about the networks' exact arithmetic,
//! like §6's.

mod back;
mod local;
mod relax;

use super::layers::{augmented_layers, TargetLayer};
use crate::net::{FixedOp, Network, Pool, PoolKind, Saved};
use back::{ErrorTerm, Op, PoolBound, Step, Tape, Values};
pub use local::{certify_rows, LocalCertificates};
use rayon::prelude::*;
pub use relax::InputBox;
use relax::{linear_box, max_pool_difference, relu_difference, relu_value, Affine, Interval};

/// What the tight certificate carries for one value of the networks: the
/// box of the target's values u, the box and the affine bounds of the
/// difference δ (points per channel are the layer's `after_points`).
#[derive(Clone, Debug)]
struct Bounds {
    u: Interval,
    u_affine: Affine,
    delta: Interval,
    delta_affine: Affine,
}

/// The tight certificate of a ticket whose pairs compute `approx[i]` =
/// (Ĉ⁺_i, Ĉ⁻_i) against `net`, over the inputs with every value in
/// [0, `input_max`] (the data's box; see the module docs). Never above
/// `ball_bound`, the §6 bound over a ball holding the box, which bounds
/// the ℓ∞ error too. `walk_budget`: see [`DEFAULT_WALK_BUDGET`].
pub fn certify_box(
    net: &Network,
    nonneg_input: bool,
    approx: &[(&[f64], &[f64])],
    input_max: f64,
    ball_bound: f64,
    walk_budget: u64,
) -> Result<TightCertificate, String> {
    if !(input_max.is_finite() && input_max >= 0.0) {
        return Err(format!("the input box [0, {input_max}] is not a box"));
    }
    let layers = augmented_layers(net, nonneg_input)?;
    let region = InputBox::uniform(net.d_in(), input_max);
    let reach = propagate(net, &layers, approx, &region, walk_budget)?;
    let interval_bound = reach.bound;
    let bound = interval_bound.min(ball_bound);
    Ok(TightCertificate {
        bound,
        interval_bound,
        margin_shifts: reach.margin_shifts(bound),
        layer_bounds: reach.layer_bounds,
        domain: format!("every input value in [0, {input_max:.6}]"),
        box_edge: input_max,
        certified_agreement: None,
    })
}

/// What propagating bounds over a region gives.
pub(crate) struct Reach<'a> {
    /// max ‖f(x) − g(x)‖∞ over the region is at most this.
    pub(crate) bound: f64,
    /// The largest |δ| after each layer.
    pub(crate) layer_bounds: Vec<f64>,
    /// The target's outputs over the region: each within (lo, hi).
    pub(crate) outputs: (Vec<f64>, Vec<f64>),
    /// Affine bounds of the target's outputs in the input.
    outputs_affine: Affine,
    /// The box of the outputs' differences δ = g − f.
    errors: Interval,
    /// The recorded pass, to bound functions of the outputs by walking
    /// back.
    tape: Tape<'a>,
    /// Most multiply-adds of walks a group of them may take.
    walk_budget: u64,
}

impl Reach<'_> {
    /// Whether target and ticket both give class `c` on the whole `region`
    /// (the region propagated): the target's margin f_c − f_o over every
    /// other output o is bounded below (from the boxes, the affine bounds,
    /// where what the two outputs share cancels, and by walking back) and
    /// must be positive, and so must the ticket's g_c − g_o: more than
    /// 2·`bound` in the target's, or walked back as one function of both
    /// networks, or the target's less the largest δ_o − δ_c the boxes
    /// allow.
    pub(crate) fn beats_all(&self, c: usize, region: &InputBox) -> bool {
        let (lo, hi) = &self.outputs;
        let len = lo.len();
        (0..len).filter(|&o| o != c).all(|o| {
            let mut target = (lo[c] - hi[o]).max(self.outputs_affine.difference_lower(c, o, region));
            if target > 2.0 * self.bound {
                return true;
            }
            target = target.max(self.tape.difference_lower(len, c, o, Values::Target));
            target > 0.0
                && (target > 2.0 * self.bound
                    || target - (self.errors.hi[o] - self.errors.lo[c]) > 0.0
                    || self.tape.difference_lower(len, c, o, Values::Ticket) > 0.0)
        })
    }

    /// For each class c (row) and output o (column), an upper bound of
    /// δ_o − δ_c over the region: how far the ticket's margin g_c − g_o may
    /// fall below the target's. The boxes' δ_o,hi − δ_c,lo, at most
    /// 2·`cap`, cut by walking δ_o − δ_c back where that stays within the
    /// walk budget (one walk a pair); 0 on the diagonal.
    pub(crate) fn margin_shifts(&self, cap: f64) -> Vec<Vec<f64>> {
        let (lo, hi) = (&self.errors.lo, &self.errors.hi);
        let len = lo.len();
        let walk = within(len * len.saturating_sub(1), self.tape.walk_cost(), self.walk_budget);
        (0..len)
            .into_par_iter()
            .map(|c| {
                (0..len)
                    .map(|o| {
                        if o == c {
                            return 0.0;
                        }
                        let shift = (hi[o] - lo[c]).min(2.0 * cap);
                        if walk {
                            shift.min(-self.tape.difference_lower(len, c, o, Values::Error))
                        } else {
                            shift
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Bounds through target and ticket together over `region` (see the
/// module docs), `layers` the target's augmented layers.
pub(crate) fn propagate<'a>(
    net: &Network,
    layers: &'a [TargetLayer],
    approx: &'a [(&'a [f64], &'a [f64])],
    region: &'a InputBox,
    walk_budget: u64,
) -> Result<Reach<'a>, String> {
    region.check()?;
    // The augmented input: the region, then the constant channel.
    let (dim, p, bias) = (net.d_in(), net.points, net.has_bias());
    if region.lo.len() != dim {
        return Err(format!("a region of {} inputs for a network of {dim}", region.lo.len()));
    }
    let len = dim + if bias { p } else { 0 };
    let side = |v: &[f64]| (0..len).map(|i| if i < dim { v[i] } else { 1.0 }).collect();
    let u = Interval { lo: side(&region.lo), hi: side(&region.hi) };
    let input = Affine::input(region, len);
    let mut cur =
        Bounds { u, u_affine: input.clone(), delta: Interval::zeros(len), delta_affine: Affine::zeros(len, dim + 1) };
    let mut saved = Saved::new();
    let mut layer_bounds = Vec::with_capacity(layers.len());
    let mut tape = Tape { layers, approx, region, input_len: len, steps: Vec::new() };
    let mut relus_before = 0;
    for (i, (layer, &(pos, neg))) in layers.iter().zip(approx).enumerate() {
        let error;
        (cur, error) = linear_step(layer, i == 0, (pos, neg), &cur, &input, region);
        tape.steps.push(step(Op::Linear { layer: i, error }, &cur));
        for (op, &points) in layer.after.iter().zip(&layer.after_points) {
            if *op == FixedOp::Relu {
                if relus_before >= 2 && within(4 * cur.u.lo.len(), tape.walk_cost(), walk_budget) {
                    walk_back_before_relu(&tape, &mut cur)?;
                }
                relus_before += 1;
            }
            if let Some(recorded) = fixed_step(op, points, bias, &mut cur, &mut saved, region)? {
                tape.steps.push(step(recorded, &cur));
            }
        }
        layer_bounds.push(cur.delta.max_abs());
    }
    // The outputs' differences bounded once more by walking back. Both
    // bounds hold, so they overlap: where they do not, one is wrong.
    cur.delta = cut(&cur.delta, &tape.walked_box(cur.delta.lo.len(), true))?;
    if let Some(last) = layer_bounds.last_mut() {
        *last = cur.delta.max_abs();
    }
    Ok(Reach {
        bound: cur.delta.max_abs(),
        layer_bounds,
        outputs: (cur.u.lo, cur.u.hi),
        outputs_affine: cur.u_affine,
        errors: cur.delta,
        tape,
        walk_budget,
    })
}

/// The default of the walk budget: the most multiply-adds one group of
/// walks back may take — the four walks a neuron of the inputs of one
/// ReLU layer, or the margin shifts' walk a pair of outputs. A group over
/// it is not walked (the forward bounds, or the boxes, stand alone), so
/// the bound is the same on every machine. Walks run about 2·10⁸
/// multiply-adds a second on one core (measured on the 90 margin walks of
/// a 784-500-10 ticket), on every core at once.
pub const DEFAULT_WALK_BUDGET: u64 = 100_000_000_000;

/// Whether `walks` walks of `cost` multiply-adds each fit in `budget`.
fn within(walks: usize, cost: usize, budget: u64) -> bool {
    (walks as u128) * (cost as u128) <= u128::from(budget)
}

/// Cuts the boxes of a ReLU's inputs, z and d, by walking each value back
/// (a ReLU with two or more before it: after one, the walk gives the
/// forward bounds).
fn walk_back_before_relu(tape: &Tape, cur: &mut Bounds) -> Result<(), String> {
    let len = cur.u.lo.len();
    cur.u = cut(&cur.u, &tape.walked_box(len, false))?;
    cur.delta = cut(&cur.delta, &tape.walked_box(len, true))?;
    Ok(())
}

/// The values in both boxes, two bounds of the same values: both hold,
/// so they overlap; where they do not, one is wrong.
fn cut(forward: &Interval, walked: &Interval) -> Result<Interval, String> {
    let both = forward.intersect(walked);
    match (0..both.lo.len()).find(|&i| both.lo[i] > both.hi[i]) {
        Some(i) => Err(format!(
            "value {i}: walking back bounds it in [{}, {}], outside the forward pass's [{}, {}] (a bug in the certificate)",
            walked.lo[i], walked.hi[i], forward.lo[i], forward.hi[i]
        )),
        None => Ok(both),
    }
}

/// `op` recorded with the magnitudes of the values after it.
fn step(op: Op, cur: &Bounds) -> Step {
    let size = |m: &[f64], b: &Interval| -> Vec<f64> {
        m.iter().zip(b.lo.iter().zip(&b.hi)).map(|(&m, (l, h))| m.max(l.abs()).max(h.abs())).collect()
    };
    Step {
        op,
        magnitude_u: size(&cur.u_affine.magnitude, &cur.u),
        magnitude_delta: size(&cur.delta_affine.magnitude, &cur.delta),
    }
}

/// The bounds after one layer's linear map: the target's output box z and
/// the difference d = Ĉ⁺ δ − E⁺ u⁺ + E⁻ u⁻ (E± the pairs' errors against
/// the layer's coefficients), as a box and as affine bounds in x, their
/// intersection kept; exact in x on the `first` layer. Also how the
/// error term was bounded (for the tape).
fn linear_step(
    layer: &TargetLayer,
    first: bool,
    (pos, neg): (&[f64], &[f64]),
    cur: &Bounds,
    input: &Affine,
    region: &InputBox,
) -> (Bounds, ErrorTerm) {
    let Bounds { u, u_affine, delta, delta_affine } = cur;
    // The target's pre-activations: the box of the box, cut by the affine
    // bounds (which keep what inputs the values share).
    let z_affine = u_affine.linear(layer, &layer.coefficients.values);
    let z = linear_box(layer, &layer.coefficients.values, u).intersect(&z_affine.concretize(region));
    let [e_pos, e_neg] = layer.errors(pos, neg);
    let minus_e_pos: Vec<f64> = e_pos.iter().map(|v| -v).collect();
    let (u_pos, u_neg) = (u.part(1.0), u.part(-1.0));
    let mut e_box = linear_box(layer, &minus_e_pos, &u_pos);
    e_box.add(&linear_box(layer, &e_neg, &u_neg));
    let mut d_box = e_box.clone();
    d_box.add(&linear_box(layer, pos, delta));
    // Where the inputs are never negative (the region's x ≥ 0 on the
    // first layer), u⁻ = 0 and −E⁺ u is linear in u: its affine bounds
    // keep what it shares with the target's values.
    let (d_affine, error) = if first {
        // δ = 0 and u = x: exact.
        (input.linear(layer, &minus_e_pos), ErrorTerm::Linear(minus_e_pos))
    } else {
        let mut a = delta_affine.linear(layer, pos);
        let error = if u.lo.iter().all(|&v| v >= 0.0) {
            a.add(&u_affine.linear(layer, &minus_e_pos));
            ErrorTerm::Linear(minus_e_pos)
        } else {
            a.add_box(&e_box);
            ErrorTerm::Box(e_box)
        };
        (a, error)
    };
    let d = d_box.intersect(&d_affine.concretize(region));
    (Bounds { u: z, u_affine: z_affine, delta: d, delta_affine: d_affine }, error)
}

/// The bounds after one fixed operation (ReLU, pooling, flatten, a
/// branch's fork, swap or sum) on `points` points, in place; the
/// operation as the tape records it (none for a flatten that drops
/// nothing).
fn fixed_step(
    op: &FixedOp,
    points: usize,
    bias: bool,
    cur: &mut Bounds,
    saved: &mut Saved<Bounds>,
    region: &InputBox,
) -> Result<Option<Op>, String> {
    let Bounds { u, u_affine, delta, delta_affine } = cur;
    let recorded = match op {
        FixedOp::Relu => {
            let (relu_box, delta_lines) = relu_difference(u, delta);
            let u_lines = relu_value(u);
            *delta_affine = delta_affine.through(&delta_lines);
            *delta = relu_box.intersect(&delta_affine.concretize(region));
            *u_affine = u_affine.through(&u_lines);
            *u = u.part(1.0).intersect(&u_affine.concretize(region));
            Op::Relu { u: u_lines, delta: delta_lines }
        }
        FixedOp::MeanPool => {
            *u = u.mean_pool(points);
            *u_affine = u_affine.mean_pool(points);
            *delta = delta.mean_pool(points);
            *delta_affine = delta_affine.mean_pool(points);
            Op::MeanPool { points }
        }
        FixedOp::Pool(spec) => {
            let pool = Pool::new(*spec)?;
            if spec.kind == PoolKind::Max {
                let len = u.lo.len();
                let (pooled_u, pooled_delta) = max_pool_difference(&pool, points, u, delta);
                let (bounds_u, bounds_delta) = max_pool_bounds(&pool, points, u, delta, &pooled_u, &pooled_delta);
                (*u, *delta) = (pooled_u, pooled_delta);
                *delta_affine = Affine::of_box(delta, delta_affine.terms());
                *u_affine = Affine::of_box(u, u_affine.terms());
                Op::MaxPool { len, u: bounds_u, delta: bounds_delta }
            } else {
                *u = u.pool(&pool, points);
                *u_affine = u_affine.avg_pool(&pool, points);
                *delta = delta.pool(&pool, points);
                *delta_affine = delta_affine.avg_pool(&pool, points);
                Op::AvgPool { pool, points }
            }
        }
        FixedOp::Flatten => {
            // The carried constant keeps one value (§4.4).
            if !bias {
                return Ok(None);
            }
            let len = u.lo.len();
            let kept = len - points + 1;
            u.truncate(kept);
            *u_affine = u_affine.truncate(kept);
            delta.truncate(kept);
            *delta_affine = delta_affine.truncate(kept);
            Op::Flatten { kept, len }
        }
        FixedOp::Fork | FixedOp::Swap | FixedOp::Add => {
            // The sum of two paths lies in the sums of their boxes
            // and affine bounds (§4.5).
            let branch = op.branch().expect("a branch");
            saved.run_checked(branch, cur, |c, o| {
                c.u.add(&o.u);
                c.u_affine.add(&o.u_affine);
                c.delta.add(&o.delta);
                c.delta_affine.add(&o.delta_affine);
            });
            Op::Branch(branch)
        }
    };
    Ok(Some(recorded))
}

/// The bounds a max pooling's outputs take in the walk back: below, the
/// value of the window with the largest lower bound (the maximum is at
/// least it); above, that value where it provably is the maximum, else
/// the pooled box's edge. The difference δ' is at least δ_j where u_j is
/// provably u's maximum and at most δ_k where u_k + δ_k is provably
/// u + δ's, else within the pooled box's edges.
fn max_pool_bounds(
    pool: &Pool,
    points: usize,
    u: &Interval,
    delta: &Interval,
    pooled_u: &Interval,
    pooled_delta: &Interval,
) -> (Vec<[PoolBound; 2]>, Vec<[PoolBound; 2]>) {
    let t_lo: Vec<f64> = u.lo.iter().zip(&delta.lo).map(|(a, b)| a + b).collect();
    let t_hi: Vec<f64> = u.hi.iter().zip(&delta.hi).map(|(a, b)| a + b).collect();
    // The index of the window's largest lower bound, and whether it is
    // at least every other value's upper bound.
    let top = |lo: &[f64], hi: &[f64], w: &[usize]| -> (usize, bool) {
        let best = *w.iter().max_by(|&&a, &&b| lo[a].total_cmp(&lo[b])).expect("windows are not empty");
        (best, w.iter().all(|&i| i == best || hi[i] <= lo[best]))
    };
    let (mut bounds_u, mut bounds_delta) = (Vec::new(), Vec::new());
    let out_points = pool.out_points();
    for ch in 0..u.lo.len() / points {
        for t in 0..out_points {
            let at = ch * out_points + t;
            let w: Vec<usize> = pool.window(t).0.iter().map(|&i| ch * points + i as usize).collect();
            let (j, wins) = top(&u.lo, &u.hi, &w);
            let above = if wins { PoolBound::Value(j) } else { PoolBound::Constant(pooled_u.hi[at]) };
            bounds_u.push([PoolBound::Value(j), above]);
            // Where u's maximum is u_j, max(u + δ) ≥ u_j + δ_j: δ' ≥ δ_j;
            // where u + δ's is at k, max(u) ≥ u_k: δ' ≤ δ_k.
            let (k, ticket_wins) = top(&t_lo, &t_hi, &w);
            bounds_delta.push([
                if wins { PoolBound::Value(j) } else { PoolBound::Constant(pooled_delta.lo[at]) },
                if ticket_wins { PoolBound::Value(k) } else { PoolBound::Constant(pooled_delta.hi[at]) },
            ]);
        }
    }
    (bounds_u, bounds_delta)
}

/// The share of rows (row-major `outputs`, `classes` per row) whose top
/// logit f_c exceeds every other f_o by more than `shift(c, o)`: on those
/// rows any network whose margins g_c − g_o fall at most that far below
/// f_c − f_o predicts the same class (a shift of 2·β for every pair covers
/// any network within β of this one in ℓ∞).
pub fn certified_share(outputs: &[f32], classes: usize, shift: impl Fn(usize, usize) -> f64) -> f64 {
    if classes == 0 || outputs.is_empty() {
        return 0.0;
    }
    let rows = outputs.len() / classes;
    let certified = outputs
        .chunks_exact(classes)
        .filter(|row| {
            let top = (0..classes).fold(0, |best, i| if row[i] > row[best] { i } else { best });
            let f = |i: usize| f64::from(row[i]);
            (0..classes).all(|o| o == top || f(top) - f(o) > shift(top, o))
        })
        .count();
    certified as f64 / rows as f64
}

impl TightCertificate {
    /// Fills in the certified agreement from the target's outputs on the
    /// test rows (row-major, `rows` of them): [`certified_share`] with the
    /// certificate's margin shifts.
    pub fn measure_agreement(&mut self, target_outputs: &[f32], rows: usize) {
        let classes = target_outputs.len() / rows.max(1);
        let shifts = &self.margin_shifts;
        let shift = |c: usize, o: usize| shifts.get(c).and_then(|r| r.get(o)).copied().unwrap_or(f64::INFINITY);
        self.certified_agreement = Some(certified_share(target_outputs, classes, shift));
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
    /// Row c, column o: the most the ticket's margin g_c − g_o falls below
    /// the target's f_c − f_o over `domain` (an upper bound of δ_o − δ_c,
    /// δ = g − f; at most 2·`bound`; 0 on the diagonal).
    pub margin_shifts: Vec<Vec<f64>>,
    /// The largest |δ| interval propagation allows after each layer (after
    /// its ReLU and pooling; the output difference for the last).
    pub layer_bounds: Vec<f64>,
    /// The inputs the bound holds for, in words.
    pub domain: String,
    /// The box's edge: the bound holds for every input with each value in
    /// [0, `box_edge`] (network units).
    pub box_edge: f64,
    /// The share of the test rows on which the target's top logit f_c
    /// beats every other f_o by more than `margin_shifts[c][o]`: the
    /// ticket provably predicts the target's class on them and on any
    /// input of the domain with such margins.
    pub certified_agreement: Option<f64>,
}
