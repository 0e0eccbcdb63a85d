//! The target as the construction sees it (docs/THEORY.md §3 and §4):
//! each linear layer of a [`Network`] as augmented coefficients over its
//! basis.
//!
//! Biases go through a constant-1 input channel carried through every
//! layer: target layer i gets the bias as the coefficient of the constant
//! channel on the basis's identity element, and (except the last layer) an
//! extra output channel that copies the constant, so every layer of the
//! random network is bias-free as in the paper. Exact zeros (the carried
//! channel) keep no edge. A residual block's add sums the constants of its
//! two paths too (κ = 2 after an identity shortcut, docs/THEORY.md §4.5):
//! the layer that reads a constant κ gets b/κ as its bias coefficient and
//! 1/κ as its copy, so every layer's constant is 1 again.

use super::engine::Coefficients;
use crate::linalg::spectral_norm_upper;
use crate::net::{Basis, FixedOp, Network, Saved};
use crate::ticket::nonneg_channels;
use std::sync::Arc;

/// One target layer as the construction sees it.
#[derive(Clone, Debug)]
pub struct TargetLayer {
    /// The augmented coefficients (bias and carried constant included),
    /// shared with the plans made from them.
    pub coefficients: Arc<Coefficients>,
    /// Which input channels are never negative.
    pub nonneg: Vec<bool>,
    /// The layer's basis.
    pub basis: Arc<dyn Basis>,
    /// Points per channel the layer acts on (1 after pooling).
    pub points: usize,
    /// Points per channel of its output (fewer after a stride).
    pub out_points: usize,
    /// What follows the layer in the target (ReLU, pooling, flatten, a
    /// residual block's fork, swap or add), kept as it is in the ticket;
    /// empty after the last layer.
    pub after: Vec<FixedOp>,
    /// Points per channel of the value each of `after` receives.
    pub after_points: Vec<usize>,
}

impl TargetLayer {
    /// Block q (`[d_out, cols]`) of a matrix stacked like the coefficients.
    pub(crate) fn block<'a>(&self, values: &'a [f64], q: usize, cols: usize) -> &'a [f64] {
        let size = self.coefficients.d_out * cols;
        &values[q * size..(q + 1) * size]
    }

    /// The errors [E⁺, E⁻] = [C − Ĉ⁺, C − Ĉ⁻] of approximations `pos`
    /// and `neg` (flat like the coefficients), E⁻ = 0 on channels that are
    /// never negative (they have no N side).
    pub fn errors(&self, pos: &[f64], neg: &[f64]) -> [Vec<f64>; 2] {
        let (c, cols) = (&self.coefficients.values, self.coefficients.d_in);
        let e_pos = c.iter().zip(pos).map(|(t, a)| t - a).collect();
        let e_neg =
            c.iter().zip(neg).enumerate().map(|(i, (t, a))| if self.nonneg[i % cols] { 0.0 } else { t - a }).collect();
        [e_pos, e_neg]
    }

    /// Σ_q ‖b_q‖·‖M_q‖₂ over the blocks of `values` (flat like the
    /// coefficients), each norm bounded above ([`spectral_norm_upper`]):
    /// an upper bound on ‖Σ_q b_q ⊗ M_q‖.
    pub(crate) fn operator_bound(&self, values: &[f64], cols: usize) -> f64 {
        let rows = self.coefficients.d_out;
        (0..self.coefficients.basis)
            .map(|q| self.basis.element_norm(q) * spectral_norm_upper(self.block(values, q, cols), rows, cols))
            .sum()
    }
}

/// The augmented coefficients of a network's linear layers (see the module
/// docs), or why the network is not one the construction takes.
pub fn augmented_layers(net: &Network, nonneg_input: bool) -> Result<Vec<TargetLayer>, String> {
    let structure = net.structure()?;
    let bias = net.has_bias();
    let last = structure.linear.len() - 1;
    // Points per channel and the constant channel's value κ of the
    // current value, and of those set aside at forks.
    let (mut points, mut kappa) = (net.points, 1.0f64);
    let mut saved = Saved::new();
    let mut out = Vec::new();
    for (i, (l, after)) in structure.linear.iter().zip(&structure.after).enumerate() {
        let size = l.basis.size();
        let a = l.basis.spec().a_spec().build()?;
        let pointwise = a.identity().ok_or_else(|| format!("layer {i}: {} has no pointwise element", a.name()))?;
        let id = match (bias, l.basis.constant_element()) {
            (_, Some(q)) => q,
            (false, None) => 0,
            (true, None) => {
                return Err(format!(
                    "layer {i} ({}) reads padding at some output point with every kernel offset, so no offset \
                     carries the constant channel that brings the biases in",
                    l.basis.name()
                ))
            }
        };
        if bias && i < last {
            check_constant_kept(i, after)?;
        }
        let d_in = l.c_in + usize::from(bias);
        let carry = bias && i < last;
        let d_out = l.c_out + usize::from(carry);
        let mut values = vec![0.0; size * d_out * d_in];
        for q in 0..size {
            for o in 0..l.c_out {
                for j in 0..l.c_in {
                    values[(q * d_out + o) * d_in + j] = f64::from(l.coefficients[(q * l.c_out + o) * l.c_in + j]);
                }
            }
        }
        if bias {
            for o in 0..l.c_out {
                values[(id * d_out + o) * d_in + l.c_in] = l.bias.as_ref().map_or(0.0, |b| f64::from(b[o]) / kappa);
            }
        }
        if carry {
            values[(id * d_out + l.c_out) * d_in + l.c_in] = 1.0 / kappa;
        }
        let nonneg = nonneg_channels(i, d_in, nonneg_input, bias);
        let coefficients = Arc::new(Coefficients { basis: size, a_size: a.size(), pointwise, d_out, d_in, values });
        let (l_points, out_points) = (points, l.basis.out_points(points));
        let basis = l.basis.clone();
        let mut after_points = Vec::with_capacity(after.len());
        (points, kappa) = (out_points, 1.0);
        for op in after {
            after_points.push(points);
            match op {
                FixedOp::Relu => {}
                FixedOp::MeanPool | FixedOp::Flatten => points = 1,
                FixedOp::Pool(p) => points = p.output()[0] * p.output()[1],
                FixedOp::Fork | FixedOp::Swap | FixedOp::Add => {
                    let mut cur = (points, kappa);
                    let branch = op.branch().expect("a branch");
                    saved.run_checked(branch, &mut cur, |c, other| c.1 += other.1);
                    (points, kappa) = cur;
                }
            }
        }
        out.push(TargetLayer {
            coefficients,
            nonneg,
            basis,
            points: l_points,
            out_points,
            after: after.clone(),
            after_points,
        });
    }
    Ok(out)
}

/// Refuses operations that would not keep the carried constant channel
/// constant: an average pooling whose divisor counts padding averages it
/// down at the map's border.
fn check_constant_kept(i: usize, after: &[FixedOp]) -> Result<(), String> {
    for op in after {
        if let FixedOp::Pool(p) = op {
            if p.scales_constants() {
                return Err(format!(
                    "the average pooling after layer {i} counts padding in its divisor, which would scale the \
                     constant channel that carries the biases: use count_include_pad=False"
                ));
            }
        }
    }
    Ok(())
}
