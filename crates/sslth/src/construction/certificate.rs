//! The certificate (docs/THEORY.md §6): an upper bound by construction on
//! sup ‖f(x) − g(x)‖ over the input ball, from the target and what each
//! pair of a ticket computes, and the checks that a ticket file belongs to
//! a target.

use super::layers::{augmented_layers, TargetLayer};
use crate::linalg::{spectral_norm_upper, spectral_norm_upper_zero_padded};
use crate::net::{BasisSpec, Branch, FixedOp, Network, Pool, Saved};
use crate::ticket::{SparseNet, TicketMeta};

/// Radius of the augmented input ball: ‖x‖ ≤ 1, plus the constant channel
/// (1 at each of the P input points) when the target has biases.
pub fn input_radius(net: &Network) -> f64 {
    if net.has_bias() {
        (1.0 + net.points as f64).sqrt()
    } else {
        1.0
    }
}

/// The certified bound (docs/THEORY.md §6) of a ticket whose pairs compute
/// `approx[i]` = (Ĉ⁺_i, Ĉ⁻_i) (flat like the augmented coefficients) against
/// the target `net`; see `Ticket::certificate`. Ĉ⁻ is ignored on
/// channels that are never negative.
pub fn certify(net: &Network, nonneg_input: bool, approx: &[(&[f64], &[f64])]) -> Result<Certificate, String> {
    let layers = augmented_layers(net, nonneg_input)?;
    let certified = layers.iter().zip(approx).map(|(l, &(pos, neg))| {
        let [e_pos, e_neg] = l.errors(pos, neg);
        certify_layer(l, || target_norm(l), e_pos, e_neg)
    });
    Ok(finish_certificate(net, nonneg_input, certified.collect()))
}

/// ‖Σ_q b_q ⊗ C_q‖ of a target layer, bounded above.
pub fn target_norm(l: &TargetLayer) -> f64 {
    l.operator_bound(&l.coefficients.values, l.coefficients.d_in)
}

/// The certificate of one layer from its errors E⁺ = C − Ĉ⁺ and E⁻
/// ([`TargetLayer::errors`], flat like the coefficients), with the
/// operator norms of what follows it ([`TargetLayer::after`]: a mean
/// pooling's 1/√P, the Lipschitz bound of any other pooling); `target`
/// gives [`target_norm`] (computed
/// here, beside the error norms of a small layer, or earlier by a caller
/// that holds no errors yet). Where E⁻ = 0 (no input channel of the layer
/// is ever negative), ‖[E⁺ E⁻]‖ = ‖E⁺‖ and one bound serves both, computed
/// on E⁺ padded in place ([`spectral_norm_upper_zero_padded`]: the same
/// bits as on [E⁺ E⁻]); otherwise the four norms are bounded apart.
pub fn certify_layer(
    l: &TargetLayer,
    target: impl FnOnce() -> f64 + Send,
    e_pos: Vec<f64>,
    e_neg: Vec<f64>,
) -> LayerCertificate {
    let c = &l.coefficients;
    let (cols, rows) = (c.d_in, c.d_out);
    // Small layers bound their norms two at a time on two threads (each is
    // deterministic, so the order changes nothing); large ones one after
    // the other, each already on all cores, to hold one Gram matrix at a
    // time.
    let par = c.values.len() < 1 << 22;
    // The joint blocks' norms give both the coefficient error (their
    // maximum) and the joint operator bound (their Σ_q ‖b_q‖·‖·‖).
    let (joint_norms, target_norm, err_pos, err_neg) = if e_neg.iter().all(|&v| v == 0.0) {
        drop(e_neg);
        let stored = cols.next_multiple_of(4);
        let padded = pad_rows(e_pos, cols, stored);
        let joint = || -> Vec<f64> {
            (0..c.basis)
                .map(|q| spectral_norm_upper_zero_padded(l.block(&padded, q, stored), rows, stored, 2 * cols))
                .collect()
        };
        let (joint_norms, target_norm) = join_if(par, joint, target);
        // ‖E⁺‖ = ‖[E⁺ 0]‖: the joint bound (below) is a bound on it too.
        (joint_norms, target_norm, None, 0.0)
    } else {
        let mut joint = Vec::with_capacity(2 * e_pos.len());
        for r in 0..c.rows() {
            joint.extend_from_slice(&e_pos[r * cols..(r + 1) * cols]);
            joint.extend_from_slice(&e_neg[r * cols..(r + 1) * cols]);
        }
        let joint_norms = || -> Vec<f64> {
            (0..c.basis).map(|q| spectral_norm_upper(l.block(&joint, q, 2 * cols), rows, 2 * cols)).collect()
        };
        let ((joint_norms, target_norm), (err_pos, err_neg)) = join_if(
            par,
            || join_if(par, joint_norms, target),
            || join_if(par, || l.operator_bound(&e_pos, cols), || l.operator_bound(&e_neg, cols)),
        );
        (joint_norms, target_norm, Some(err_pos), err_neg)
    };
    let err_joint = joint_norms.iter().enumerate().map(|(q, n)| l.basis.element_norm(q) * n).sum();
    LayerCertificate {
        err_pos: err_pos.unwrap_or(err_joint),
        err_neg,
        err_joint,
        target_norm,
        coefficient_error: joint_norms.iter().copied().fold(0.0, f64::max),
        basis_norm: l.basis.norm(),
        pool: l.after.iter().position(|op| *op == FixedOp::MeanPool).map(|at| l.after_points[at]),
        pooling_lipschitz: pooling_lipschitz(&l.after),
        steps: ball_steps(l),
    }
}

/// What the operations after a layer do to the ball recursion: a mean
/// pooling over P points scales by 1/√P (its operator norm), another
/// pooling by its Lipschitz bound; ReLU and flatten are 1-Lipschitz and map
/// 0 to 0.
fn ball_steps(l: &TargetLayer) -> Vec<BallStep> {
    let steps = l.after.iter().zip(&l.after_points).filter_map(|(op, &points)| match op {
        FixedOp::Relu | FixedOp::Flatten => None,
        FixedOp::MeanPool => Some(BallStep::Scale(1.0 / (points as f64).sqrt())),
        FixedOp::Pool(spec) => Some(BallStep::Scale(Pool::new(*spec).map_or(f64::INFINITY, |p| p.lipschitz()))),
        FixedOp::Fork | FixedOp::Swap | FixedOp::Add => op.branch().map(BallStep::Branch),
    });
    steps.collect()
}

/// The product of the ℓ2 Lipschitz bounds of the window poolings in `ops`
/// ([`crate::net::Pool::lipschitz`]), if there is one; ReLU and flatten
/// are 1-Lipschitz and map 0 to 0.
fn pooling_lipschitz(ops: &[FixedOp]) -> Option<f64> {
    let pools: Vec<f64> = ops
        .iter()
        .filter_map(|op| match op {
            FixedOp::Pool(spec) => Some(Pool::new(*spec).map_or(f64::INFINITY, |p| p.lipschitz())),
            _ => None,
        })
        .collect();
    (!pools.is_empty()).then(|| pools.iter().product())
}

/// `a` and `b`, on two threads when `par`, else one after the other.
fn join_if<A: Send, B: Send>(par: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    if par {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// `m` (rows `cols` long) with every row widened to `stored` by zeros, in
/// the same allocation where the allocator can grow it.
fn pad_rows(mut m: Vec<f64>, cols: usize, stored: usize) -> Vec<f64> {
    if stored == cols || cols == 0 {
        return m;
    }
    let rows = m.len() / cols;
    m.resize(rows * stored, 0.0);
    // Back to front, so no row is overwritten before it moves.
    for r in (0..rows).rev() {
        m.copy_within(r * cols..(r + 1) * cols, r * stored);
        m[r * stored + cols..(r + 1) * stored].fill(0.0);
    }
    m
}

/// The certificate of a target from its layers' ([`certify_layer`], input
/// first): the bound of [`certified_bound`] over the input ball, and the
/// domain in words.
pub fn finish_certificate(net: &Network, nonneg_input: bool, layers: Vec<LayerCertificate>) -> Certificate {
    let radius = input_radius(net);
    let bound = certified_bound(&layers, radius);
    let ball =
        if net.points == 1 { "|x|_2 <= 1".to_string() } else { format!("|x|_2 <= 1 (all {} values)", net.d_in()) };
    let domain = if nonneg_input {
        format!("every x >= 0 (each coordinate) with {ball}")
    } else {
        format!("every x with {ball}")
    };
    Certificate { layers, input_radius: radius, bound, domain }
}

/// Checks that a ticket file's metadata describe a ticket of `net`: as many
/// pairs as linear layers, each over the same basis (kind and sizes), the
/// same pooling, points, bias and (augmented) widths. The first difference
/// is the error.
pub fn check_target(meta: &TicketMeta, net: &Network) -> Result<(), String> {
    let s = net.structure()?;
    if s.linear.len() != meta.pairs.len() {
        return Err(format!(
            "the ticket has {} pairs but the target {} linear layers",
            meta.pairs.len(),
            s.linear.len()
        ));
    }
    for (i, l) in s.linear.iter().enumerate() {
        let (ours, theirs) = (meta.basis(i), l.basis.spec());
        if ours != theirs {
            let name = |b: BasisSpec| b.build().map(|b| b.name()).unwrap_or_else(|e| e);
            return Err(format!(
                "basis mismatch: the ticket's pair {i} is over {} but the target's layer {i} over {}",
                name(ours),
                name(theirs)
            ));
        }
    }
    for (i, ops) in s.after.iter().enumerate() {
        let ours = meta.between(i);
        if &ours != ops {
            return Err(format!(
                "the ticket has {ours:?} after pair {i} but the target {ops:?} after its layer {i} (padding, stride, \
                 pooling and activations must be the target's)"
            ));
        }
    }
    if meta.points != net.points || meta.bias != net.has_bias() {
        return Err(format!(
            "the ticket takes {} points per channel (bias {}) but the target {} (bias {})",
            meta.points,
            meta.bias,
            net.points,
            net.has_bias()
        ));
    }
    for (i, (l, p)) in augmented_layers(net, meta.nonneg_input)?.iter().zip(&meta.pairs).enumerate() {
        let c = &l.coefficients;
        if (c.d_in, c.rows()) != (p.d_in, p.rows) {
            return Err(format!(
                "the ticket's pair {i} maps {} inputs to {} rows but the target's layer {i} {} to {}",
                p.d_in,
                p.rows,
                c.d_in,
                c.rows()
            ));
        }
    }
    Ok(())
}

/// What each pair of a runnable ticket computes, read back from its kept
/// edges (docs/THEORY.md §3.1, §4): Ĉ^±_q[o, j] = Σ a_h·B_q[o, h] over the
/// kept B edges of the hidden channels h of block j (h / 2n = j) whose kept
/// A weight a_h is positive (Ĉ⁺) or negative (Ĉ⁻). Refuses A edges that are
/// not the construction's: off the identity element or outside their block.
pub fn approximations(net: &SparseNet, meta: &TicketMeta) -> Result<Vec<[Vec<f64>; 2]>, String> {
    let mut out = Vec::new();
    for (i, p) in meta.pairs.iter().enumerate() {
        let a_basis = meta.layer_basis(2 * i).build()?;
        let (hidden, two_n) = (p.hidden(), 2 * p.n);
        let (a_layer, b_layer) = (&net.layers[2 * i], &net.layers[2 * i + 1]);
        let id = a_basis.identity().ok_or_else(|| format!("pair {i}: {} has no identity element", a_basis.name()))?;
        let first = id * hidden;
        let mut a = vec![0.0f64; hidden];
        for ((&r, &c), &v) in a_layer.rows.iter().zip(&a_layer.cols).zip(&a_layer.vals) {
            let h = (r as usize).checked_sub(first).filter(|&h| h < hidden && h / two_n == c as usize);
            let h = h.ok_or_else(|| format!("pair {i}: A edge ({r}, {c}) is not one the construction keeps"))?;
            a[h] = f64::from(v);
        }
        if let Some(bias) = &a_layer.bias {
            // The folded constant channel, the last input of pair 0.
            for (h, &v) in bias.iter().enumerate().filter(|(_, &v)| v != 0.0) {
                if h / two_n != p.d_in - 1 {
                    return Err(format!("pair {i}: a bias on hidden channel {h}, outside the constant's block"));
                }
                a[h] = f64::from(v);
            }
        }
        let (mut pos, mut neg) = (vec![0.0f64; p.rows * p.d_in], vec![0.0f64; p.rows * p.d_in]);
        for ((&r, &h), &w) in b_layer.rows.iter().zip(&b_layer.cols).zip(&b_layer.vals) {
            let (h, r) = (h as usize, r as usize);
            let at = r * p.d_in + h / two_n;
            let term = a[h] * f64::from(w);
            if a[h] > 0.0 {
                pos[at] += term;
            } else if a[h] < 0.0 {
                neg[at] += term;
            }
        }
        out.push([pos, neg]);
    }
    Ok(out)
}

/// What each pair of a ticket file computes ([`approximations`]), after
/// [`check_target`] found it a ticket of `target`.
pub fn checked_approximations(
    target: &Network,
    net: &SparseNet,
    meta: &TicketMeta,
) -> Result<Vec<[Vec<f64>; 2]>, String> {
    check_target(meta, target)?;
    approximations(net, meta)
}

/// The certificate of a ticket given by its kept edges and metadata (as a
/// file holds it), recomputed from those edges against `target`
/// ([`checked_approximations`]).
pub fn certify_edges(target: &Network, net: &SparseNet, meta: &TicketMeta) -> Result<Certificate, String> {
    let approx = checked_approximations(target, net, meta)?;
    certify(target, meta.nonneg_input, &as_pairs(&approx))
}

/// Borrowed (Ĉ⁺, Ĉ⁻) per pair, as [`certify`] takes them.
pub fn as_pairs(approx: &[[Vec<f64>; 2]]) -> Vec<(&[f64], &[f64])> {
    approx.iter().map(|[p, n]| (&p[..], &n[..])).collect()
}

/// The recursion of docs/THEORY.md §6 on per-layer norms: e_0 = 0,
/// F_0 = `radius`, e_i = ‖C_i‖·e_{i−1} + ‖[E⁺ E⁻]_i‖·(F_{i−1} + e_{i−1}),
/// F_i = ‖C_i‖·F_{i−1}; a mean pooling over P points after layer i
/// divides both by √P (its operator norm), other poolings multiply both by
/// their Lipschitz bound (§4.4), and a residual block's add sums the two
/// paths' e and F (§4.5); returns e_ℓ. Every operation rounds up by at
/// most one ulp, covered by a final factor 1 + 1e-12 (ℓ is far below 10³).
pub fn certified_bound(layers: &[LayerCertificate], radius: f64) -> f64 {
    // (F, e) of the current value, and of the values set aside at forks.
    let mut cur = (radius, 0.0);
    let mut saved = Saved::new();
    for l in layers {
        let (f, e) = &mut cur;
        *e = l.target_norm * *e + l.err_joint * (*f + *e);
        *f *= l.target_norm;
        for step in &l.steps {
            match *step {
                BallStep::Scale(s) => cur = (cur.0 * s, cur.1 * s),
                BallStep::Branch(b) => saved.run_checked(b, &mut cur, |c, o| *c = (c.0 + o.0, c.1 + o.1)),
            }
        }
    }
    cur.1 * (1.0 + 1e-12)
}

/// What an operation after a layer does to the (F, e) of the ball
/// recursion ([`certified_bound`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BallStep {
    /// Both multiplied by this factor (a pooling).
    Scale(f64),
    /// A residual block's fork, swap or add.
    Branch(Branch),
}

/// Certified errors of one layer: upper bounds on operator norms, each
/// Σ_q ‖b_q‖·‖M_q‖₂ over the basis (for one element, ‖M‖₂ itself).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerCertificate {
    /// ‖Σ_q b_q ⊗ (C_q − Ĉ⁺_q)‖ (bounded above; with no N side, the
    /// joint bound `err_joint`, which bounds it too).
    pub err_pos: f64,
    /// ‖Σ_q b_q ⊗ (C_q − Ĉ⁻_q)‖ over the channels that can be negative.
    pub err_neg: f64,
    /// ‖Σ_q b_q ⊗ [C_q − Ĉ⁺_q, C_q − Ĉ⁻_q]‖, which bounds the layer's
    /// error at ‖x‖ = 1; at most `basis_norm · coefficient_error`.
    pub err_joint: f64,
    /// ‖Σ_q b_q ⊗ C_q‖ of the augmented target layer.
    pub target_norm: f64,
    /// max_q ‖[C_q − Ĉ⁺_q, C_q − Ĉ⁻_q]‖₂: the coefficient error.
    pub coefficient_error: f64,
    /// ‖B‖ of the layer's basis.
    pub basis_norm: f64,
    /// Points averaged by a mean pooling after this layer, if any.
    pub pool: Option<usize>,
    /// The product of the Lipschitz bounds of the window poolings after
    /// this layer (max, average, adaptive), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooling_lipschitz: Option<f64>,
    /// What the operations after this layer do to the recursion, in order.
    #[serde(skip)]
    pub steps: Vec<BallStep>,
}

/// The end-to-end bound: for every x in `domain` (‖x‖ ≤ 1, and x ≥ 0 too
/// when the first layer assumed it), ‖f(x) − g(x)‖ ≤ `bound` (see
/// [`certified_bound`]; F_0 is the input radius, √2 with the constant
/// coordinate).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Certificate {
    /// Per layer.
    pub layers: Vec<LayerCertificate>,
    /// Radius of the (augmented) input ball.
    pub input_radius: f64,
    /// The bound on the output error.
    pub bound: f64,
    /// The inputs the bound holds for, in words.
    pub domain: String,
}
