//! Back-substitution (docs/THEORY.md §6.2): the forward pass records,
//! step by step, how each value of target and ticket is bounded by the
//! values of the step before (a [`Tape`]); a linear function of the last
//! values is then bounded by walking the tape backwards, choosing at each
//! relaxed operation the line that bounds the function from above for its
//! coefficient's sign, down to the input, where the box bounds it.
//!
//! Forward affine bounds choose each neuron's lines once for every later
//! use; walking back chooses them per bounded function, so what the
//! paths of two layers share cancels before any relaxation (the idea of
//! CROWN and DeepPoly). On a network with one hidden ReLU layer both give
//! the same bound.

use super::super::layers::TargetLayer;
use super::relax::{apply_transposed as transpose, Interval, Lines, ROUNDING};
use super::InputBox;
use crate::net::{Branch, Pool};
use rayon::prelude::*;

/// The ticket's error term at a linear step: −E⁺ u as a linear map of the
/// target's inputs u (where they are never negative), or a box.
pub(super) enum ErrorTerm {
    /// −E⁺, flat like the layer's coefficients.
    Linear(Vec<f64>),
    /// The box of −E⁺ u⁺ + E⁻ u⁻.
    Box(Interval),
}

/// A bound of one value of a max pooling: a value of the window or a
/// constant.
#[derive(Clone, Copy, Debug)]
pub(super) enum PoolBound {
    /// The value at this (flat) index before the pooling.
    Value(usize),
    /// A constant.
    Constant(f64),
}

/// One recorded operation, from the values (u, δ) before it to those
/// after it.
pub(super) enum Op {
    /// Linear layer `layer`: z = C u, d = Ĉ⁺ δ + the error term.
    Linear { layer: usize, error: ErrorTerm },
    /// A ReLU: lines of u' in z and of δ' in d.
    Relu { u: Vec<Lines>, delta: Vec<Lines> },
    /// The mean of each channel's `points` values.
    MeanPool { points: usize },
    /// Average pooling by windows of channels of `points` values.
    AvgPool { pool: Pool, points: usize },
    /// Max pooling: each output's lower and upper bounds, for u and δ.
    MaxPool { len: usize, u: Vec<[PoolBound; 2]>, delta: Vec<[PoolBound; 2]> },
    /// The first `kept` of `len` values.
    Flatten { kept: usize, len: usize },
    /// A residual block's fork, swap or add.
    Branch(Branch),
}

/// An operation with the magnitudes of what was summed into the values
/// after it (forward pass's; they bound the rounding of the walk back).
pub(super) struct Step {
    pub(super) op: Op,
    pub(super) magnitude_u: Vec<f64>,
    pub(super) magnitude_delta: Vec<f64>,
}

/// The recorded forward pass over one region.
pub(super) struct Tape<'a> {
    pub(super) layers: &'a [TargetLayer],
    pub(super) approx: &'a [(&'a [f64], &'a [f64])],
    pub(super) region: &'a InputBox,
    /// Values of the augmented input (the region's, then the constant
    /// channel's ones).
    pub(super) input_len: usize,
    pub(super) steps: Vec<Step>,
}

/// Coefficients of a linear function of the values (u, δ) at one step.
#[derive(Clone)]
struct Coefficients {
    u: Vec<f64>,
    delta: Vec<f64>,
}

impl Tape<'_> {
    /// An upper bound of Σ `u`·u + Σ `delta`·δ over the region, for the
    /// values after the last recorded step, widened for rounding.
    pub(super) fn upper(&self, u: Vec<f64>, delta: Vec<f64>) -> f64 {
        let mut at = Coefficients { u, delta };
        let mut saved: Vec<Coefficients> = Vec::new();
        let (mut constant, mut magnitude) = (0.0, 0.0);
        for (index, step) in self.steps.iter().enumerate().rev() {
            // Rounding in the step's own sums, scaled by what they feed.
            magnitude += dot_abs(&at.u, &step.magnitude_u) + dot_abs(&at.delta, &step.magnitude_delta);
            let before = |len: usize| Coefficients { u: vec![0.0; len], delta: vec![0.0; len] };
            at = match &step.op {
                Op::Linear { layer, error } => {
                    let l = &self.layers[*layer];
                    let mut u = transpose(l, &l.coefficients.values, &at.u);
                    match error {
                        ErrorTerm::Linear(m) => add(&mut u, &transpose(l, m, &at.delta)),
                        ErrorTerm::Box(b) => constant += box_upper(&at.delta, b, &mut magnitude),
                    }
                    Coefficients { u, delta: transpose(l, self.approx[*layer].0, &at.delta) }
                }
                Op::Relu { u, delta } => {
                    constant += through_lines(&mut at.u, u, &mut magnitude);
                    constant += through_lines(&mut at.delta, delta, &mut magnitude);
                    at
                }
                Op::MeanPool { points } => {
                    let spread = |v: &[f64]| v.iter().flat_map(|&c| vec![c / *points as f64; *points]).collect();
                    Coefficients { u: spread(&at.u), delta: spread(&at.delta) }
                }
                Op::AvgPool { pool, points } => Coefficients {
                    u: pool_transpose(pool, *points, &at.u),
                    delta: pool_transpose(pool, *points, &at.delta),
                },
                Op::MaxPool { len, u, delta } => {
                    let mut b = before(*len);
                    constant += max_pool_back(&at.u, u, &mut b.u, &mut magnitude);
                    constant += max_pool_back(&at.delta, delta, &mut b.delta, &mut magnitude);
                    b
                }
                Op::Flatten { kept, len } => {
                    let mut b = before(*len);
                    b.u[..*kept].copy_from_slice(&at.u);
                    b.delta[..*kept].copy_from_slice(&at.delta);
                    b
                }
                // Backwards, an add hands its coefficients to the value it
                // popped, a swap swaps back and a fork joins the two. A walk
                // that starts inside a block finds the value set aside
                // without coefficients (zeros): a swap then meets an empty
                // stack, and a fork has nothing to join.
                Op::Branch(Branch::Add) => {
                    saved.push(at.clone());
                    at
                }
                Op::Branch(Branch::Swap) => match saved.last_mut() {
                    Some(top) => std::mem::replace(top, at),
                    None => {
                        saved.push(at);
                        before(index.checked_sub(1).map_or(self.input_len, |i| self.steps[i].magnitude_u.len()))
                    }
                },
                Op::Branch(Branch::Fork) => {
                    if let Some(other) = saved.pop() {
                        add(&mut at.u, &other.u);
                        add(&mut at.delta, &other.delta);
                    }
                    at
                }
            };
        }
        // The input: δ = 0, u the region's values then the constant ones.
        let dim = self.region.lo.len();
        for (i, &c) in at.u.iter().enumerate().take(self.input_len) {
            let term = if i < dim { (c * self.region.lo[i]).max(c * self.region.hi[i]) } else { c };
            constant += term;
            magnitude += term.abs();
        }
        constant + ROUNDING * (magnitude + constant.abs())
    }

    /// The box of δ (`of_delta`) or of u that walking back gives for every
    /// value after the last step (walks run in parallel, each on its own).
    pub(super) fn walked_box(&self, len: usize, of_delta: bool) -> Interval {
        let side = |sign: f64, i: usize| {
            let mut e = vec![0.0; len];
            e[i] = sign;
            if of_delta {
                self.upper(vec![0.0; len], e)
            } else {
                self.upper(e, vec![0.0; len])
            }
        };
        let rows: Vec<(f64, f64)> = (0..len).into_par_iter().map(|i| (-side(-1.0, i), side(1.0, i))).collect();
        Interval { lo: rows.iter().map(|r| r.0).collect(), hi: rows.iter().map(|r| r.1).collect() }
    }

    /// Multiply-adds of one walk back through every recorded linear layer
    /// (about; what [`Tape::walked_box`] costs per bound).
    pub(super) fn walk_cost(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match s.op {
                Op::Linear { layer, .. } => {
                    self.layers[layer].coefficients.values.len() * self.layers[layer].out_points
                }
                _ => 0,
            })
            .sum()
    }

    /// A lower bound of v_c − v_o over the region for the values v after
    /// the last step (`len` of them) of the target (u), the error (δ) or
    /// the ticket (u + δ), as `of` says.
    pub(super) fn difference_lower(&self, len: usize, c: usize, o: usize, of: Values) -> f64 {
        let mut e = vec![0.0; len];
        e[c] = -1.0;
        e[o] = 1.0;
        let zeros = vec![0.0; len];
        -match of {
            Values::Target => self.upper(e, zeros),
            Values::Error => self.upper(zeros, e),
            Values::Ticket => self.upper(e.clone(), e),
        }
    }
}

/// Which values a walk bounds.
#[derive(Clone, Copy, Debug)]
pub(super) enum Values {
    /// The target's, u.
    Target,
    /// The ticket's error, δ.
    Error,
    /// The ticket's, u + δ.
    Ticket,
}

fn add(a: &mut [f64], b: &[f64]) {
    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
}

fn dot_abs(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum()
}

/// The upper bound of Σ c·v over v in box `b`.
fn box_upper(c: &[f64], b: &Interval, magnitude: &mut f64) -> f64 {
    let mut sum = 0.0;
    for (i, &ci) in c.iter().enumerate() {
        let term = (ci * b.lo[i]).max(ci * b.hi[i]);
        sum += term;
        *magnitude += term.abs();
    }
    sum
}

/// Replaces each coefficient on a value after the lines by its
/// coefficient on the value before (the upper line for a positive
/// coefficient, the lower for a negative one); returns the constant.
fn through_lines(c: &mut [f64], lines: &[Lines], magnitude: &mut f64) -> f64 {
    let mut sum = 0.0;
    for (ci, l) in c.iter_mut().zip(lines) {
        let (slope, offset) = if *ci >= 0.0 { l.hi } else { l.lo };
        let term = *ci * offset;
        sum += term;
        *magnitude += term.abs();
        *ci *= slope;
    }
    sum
}

/// Coefficients through a max pooling (see [`PoolBound`]) into `before`;
/// returns the constant.
fn max_pool_back(c: &[f64], bounds: &[[PoolBound; 2]], before: &mut [f64], magnitude: &mut f64) -> f64 {
    let mut sum = 0.0;
    for (&ci, b) in c.iter().zip(bounds) {
        match b[usize::from(ci >= 0.0)] {
            PoolBound::Value(j) => before[j] += ci,
            PoolBound::Constant(v) => {
                sum += ci * v;
                *magnitude += (ci * v).abs();
            }
        }
    }
    sum
}

/// The transpose of an average pooling of channels of `points` values.
fn pool_transpose(pool: &Pool, points: usize, c: &[f64]) -> Vec<f64> {
    let out_points = pool.out_points();
    let mut before = vec![0.0; c.len() / out_points * points];
    for (cs, bs) in c.chunks_exact(out_points).zip(before.chunks_exact_mut(points)) {
        for (t, &ct) in cs.iter().enumerate() {
            let (w, div) = pool.window(t);
            for &i in w {
                bs[i as usize] += ct / f64::from(div);
            }
        }
    }
    before
}
