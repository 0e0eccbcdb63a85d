//! The construction engine (docs/THEORY.md §3 and §4): one target layer, written
//! in an equivariant basis as coefficient matrices C_q, becomes a pruned
//! pair of random layers.
//!
//! The odd layer A (hidden width H = 2n·d_in) is pruned to a pointwise map:
//! block j of 2n hidden neurons reads input j only, neuron h computing
//! σ(a_h·x_j). Split by the sign of a_h (P_j: a_h > 0, N_j: a_h < 0), only
//! P_j fires for x_j ≥ 0 and only N_j for x_j < 0, and either way
//! σ(a_h·x_j) = a_h·x_j (the sign trick, §3.1 steps 2–3). Each coefficient
//! C_q[o, j] is then one RFSS instance per side: choose neurons of P_j (or
//! N_j) whose products a_h·B_q[o, h] sum to C_q[o, j] within tolerance
//! (§3.1 step 4): the paper's exactly k, or, as the pair's [`SubsetOrder`]
//! says, the fewest of 1 to 2k (§3.2, "Which size").
//! The pair computes x ↦ Σ_q b_q ⊗ (Ĉ⁺_q x⁺ + Ĉ⁻_q x⁻).
//!
//! Only coefficients are touched, so a group adds a basis and nothing else
//! (ARCHITECTURE.md, one construction engine); dense layers have one basis
//! element. Inputs known to be non-negative (after a ReLU, or a constant
//! bias coordinate) need no N_j side: its neurons never fire and their edges
//! are pruned with no change to the function (§3.2).
//!
//! Random weights: A_q[h, j] is weight (q·H + h)·d_in + j of stream 2i
//! (only q = the identity element is ever kept), and B_q[o, h] is weight
//! (q·d_out + o)·H + h of stream 2i + 1, for pair i ([`crate::weights`]);
//! with one basis element these are the dense layers' h·d_in + j and
//! o·H + h. A is used as drawn, U[−1, 1); B is scaled by the
//! pair's `scale` (the random network's i.i.d. uniform init on
//! [−scale, scale)) when target coefficients lie beyond what k-sums of
//! products reach well.

use crate::ticket::subsets::{binomial, sizes, SubsetOrder};
use crate::weights::{uniform_weight, WeightStream};
use rayon::prelude::*;
use rfss::{Budget, Instance, Mode, Solver, Status};

use super::colex::COLEX_TRIES;
pub use super::colex::{first_in_colex, ColexScratch};

/// A target layer in an equivariant basis: C_q ∈ R^{d_out × d_in} for
/// q < basis, flat at `(q·d_out + o)·d_in + j`.
#[derive(Clone, Debug, PartialEq)]
pub struct Coefficients {
    /// Number of basis elements |B| (1 for dense layers).
    pub basis: usize,
    /// Number of elements of the odd layer A's basis (|B| where A is over
    /// the layer's own basis, 1 where it is pointwise).
    pub a_size: usize,
    /// Index of the identity element of A's basis, which A keeps.
    pub pointwise: usize,
    /// Output channels.
    pub d_out: usize,
    /// Input channels.
    pub d_in: usize,
    /// The coefficients.
    pub values: Vec<f64>,
}

impl Coefficients {
    /// Number of (q, o) rows.
    pub fn rows(&self) -> usize {
        self.basis * self.d_out
    }

    /// The largest |C_q[o, j]|.
    pub fn max_abs(&self) -> f64 {
        self.values.iter().fold(0.0, |m, v| m.max(v.abs()))
    }
}

/// Sizes of one pair: n samples per RFSS instance (2n hidden neurons per
/// input channel), subsets of exactly k, and the scale of B.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairSize {
    /// Hidden neurons per input channel and sign (block of 2n).
    pub n: usize,
    /// Subset size of every RFSS instance.
    pub k: usize,
    /// B is uniform on [−scale, scale).
    pub scale: f64,
    /// Which subset within tolerance an instance keeps.
    #[serde(default)]
    pub subsets: SubsetOrder,
}

/// Everything needed to build one pair.
#[derive(Clone, Debug)]
pub struct PairSpec<'a> {
    /// Seed of the random network.
    pub seed: u64,
    /// Index i of the target layer (random streams 2i and 2i + 1).
    pub layer: usize,
    /// The target coefficients.
    pub target: &'a Coefficients,
    /// n, k and scale.
    pub size: PairSize,
    /// Per input channel: whether it is never negative (no N side).
    pub nonneg: Vec<bool>,
    /// Tolerance per coefficient, in weight units.
    pub weight_eps: f64,
    /// Node budget of each solve (the `within` search, then, if it finds
    /// nothing within tolerance, the `best` search for the closest
    /// subset), so that no instance runs unbounded; an instance whose
    /// budget runs out is a miss like any other (its best subset is used).
    pub budget_nodes: u64,
}

/// A pruned random pair: the kept edges and what they compute.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// Target layer index i.
    pub layer: usize,
    /// Sizes used.
    pub size: PairSize,
    /// Basis size, output and input channels of the target layer.
    pub basis: usize,
    /// Elements of A's basis.
    pub a_size: usize,
    /// Index of A's identity element: A's kept edges are A_pointwise[h, j].
    pub pointwise: usize,
    /// Output channels.
    pub d_out: usize,
    /// Input channels.
    pub d_in: usize,
    /// Kept edges of A_pointwise: (hidden channel h, value); h reads input
    /// channel h / (2n).
    pub a: Vec<(u32, f32)>,
    /// Kept edges of B: (row q·d_out + o, hidden neuron h, value), sorted.
    pub b: Vec<(u32, u32, f32)>,
    /// Ĉ⁺, flat like [`Coefficients::values`], from the kept f32 weights.
    pub approx_pos: Vec<f64>,
    /// Ĉ⁻ (equal to C where the N side is not built).
    pub approx_neg: Vec<f64>,
    /// RFSS instances solved.
    pub instances: u64,
    /// Instances with no k-subset within tolerance (their best subset is
    /// used and its real gap enters every error figure).
    pub misses: u64,
    /// Largest |C − Ĉ±| over all coefficients and sides.
    pub max_weight_error: f64,
}

impl Pair {
    /// Hidden width H = 2n·d_in.
    pub fn hidden(&self) -> usize {
        2 * self.size.n * self.d_in
    }

    /// Edges (equivariant parameters) of the random pair before pruning:
    /// |B_A|·H·d_in + |B|·d_out·H.
    pub fn random_edges(&self) -> u64 {
        random_edges(self.a_size, self.basis, self.hidden(), self.d_in, self.d_out)
    }

    /// Edges kept.
    pub fn kept_edges(&self) -> u64 {
        (self.a.len() + self.b.len()) as u64
    }

    /// Edges of the pair's blocks alone, as Pensia et al. (2020) count a
    /// subset-sum construction's random network: A's pointwise edges (one
    /// per hidden neuron) and all of B, H·(1 + |B|·d_out).
    pub fn block_edges(&self) -> u64 {
        block_edges(self.basis, self.hidden(), self.d_out)
    }
}

/// Edges of a random pair of `hidden` channels, A over a basis of
/// `a_size` elements and B over one of `basis`: |B_A|·H·d_in + |B|·d_out·H.
pub(crate) fn random_edges(a_size: usize, basis: usize, hidden: usize, d_in: usize, d_out: usize) -> u64 {
    hidden as u64 * (a_size * d_in + basis * d_out) as u64
}

/// Edges of a pair's blocks alone ([`Pair::block_edges`]): H·(1 + |B|·d_out).
pub(crate) fn block_edges(basis: usize, hidden: usize, d_out: usize) -> u64 {
    hidden as u64 * (1 + (basis * d_out) as u64)
}

/// The hidden neurons of block j split by the sign of a_h, with a_h.
pub(crate) fn block_sides(seed: u64, layer: usize, c: &Coefficients, n: usize, j: usize) -> [Vec<(u32, f64)>; 2] {
    let mut sides = [Vec::with_capacity(n + n / 2), Vec::with_capacity(n + n / 2)];
    let offset = c.pointwise * 2 * n * c.d_in;
    for t in 0..2 * n {
        let h = j * 2 * n + t;
        let a = f64::from(uniform_weight(seed, 2 * layer as u64, ((offset + h) * c.d_in + j) as u64) as f32);
        if a > 0.0 {
            sides[0].push((h as u32, a));
        } else if a < 0.0 {
            sides[1].push((h as u32, a));
        }
    }
    sides
}

/// What one row (q, o) of B contributes: the unit of work that a build
/// shares among threads, and a sharded build among machines.
#[derive(Clone, Debug, PartialEq)]
pub struct RowResult {
    /// Kept B edges of the row: (hidden neuron h, value), ascending h.
    pub kept: Vec<(u32, f32)>,
    /// Ĉ⁺ of the row's d_in coefficients.
    pub pos: Vec<f64>,
    /// Ĉ⁻ of the row's coefficients.
    pub neg: Vec<f64>,
    /// RFSS instances solved.
    pub instances: u64,
    /// Instances missed.
    pub misses: u64,
    /// Largest |C − Ĉ±| of the row.
    pub max_err: f64,
}

/// The hidden neurons of every block of a pair, split by sign
/// (`block_sides`): what every row of B needs.
pub type Blocks = Vec<[Vec<(u32, f64)>; 2]>;

/// `block_sides` of every input channel of the pair.
pub fn pair_blocks(spec: &PairSpec<'_>) -> Blocks {
    (0..spec.target.d_in)
        .into_par_iter()
        .map(|j| block_sides(spec.seed, spec.layer, spec.target, spec.size.n, j))
        .collect()
}

/// Builds one pair (docs/THEORY.md §3.1), rows of B in parallel; the
/// result does not depend on the thread count. `progress` is called once
/// per finished row; when it returns false the build stops early and
/// returns `None`.
pub fn build_pair(spec: &PairSpec<'_>, progress: &(dyn Fn() -> bool + Sync)) -> Option<Pair> {
    let blocks = pair_blocks(spec);
    let rows = build_rows(spec, &blocks, 0..spec.target.rows(), progress)?;
    Some(assemble(spec, &blocks, rows))
}

/// The rows `rows` of the pair's B (each row's RFSS instances), in
/// parallel; `progress` as in [`build_pair`].
pub fn build_rows(
    spec: &PairSpec<'_>,
    blocks: &Blocks,
    rows: std::ops::Range<usize>,
    progress: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<RowResult>> {
    let c = spec.target;
    let PairSize { n, k, scale, subsets } = spec.size;
    let hidden = 2 * n * c.d_in;
    let b_stream = 2 * spec.layer as u64 + 1;
    rows.into_par_iter()
        .map_init(
            || {
                let solver = Solver::new(Budget { max_nodes: Some(spec.budget_nodes), time_limit: None });
                (solver, ColexScratch::default(), Vec::new(), vec![0.0f64; hidden])
            },
            |(solver, scratch, samples, brow), r| {
                let mut s = WeightStream::new(spec.seed, b_stream);
                s.seek((r * hidden) as u64);
                for v in brow.iter_mut() {
                    *v = f64::from((s.next_weight() * scale) as f32);
                }
                let mut out = RowResult {
                    kept: Vec::new(),
                    pos: vec![0.0; c.d_in],
                    neg: vec![0.0; c.d_in],
                    instances: 0,
                    misses: 0,
                    max_err: 0.0,
                };
                for (j, sides) in blocks.iter().enumerate() {
                    let target = c.values[r * c.d_in + j];
                    for (side, members) in sides.iter().enumerate() {
                        let approx = if side >= crate::ticket::sides(spec.nonneg[j]) || target == 0.0 {
                            // No N side, or an exact zero: no edge, no error.
                            target
                        } else {
                            let instance = (k, target, spec.weight_eps);
                            let sum = solve_side(solver, scratch, samples, members, brow, instance, subsets, &mut out);
                            out.max_err = out.max_err.max((target - sum).abs());
                            sum
                        };
                        if side == 0 {
                            out.pos[j] = approx;
                        } else {
                            out.neg[j] = approx;
                        }
                    }
                }
                out.kept.sort_unstable_by_key(|e| e.0);
                progress().then_some(out)
            },
        )
        .collect()
}

/// One side's RFSS instance of a row: a subset of the side's products
/// `a · brow[h]` within `eps` of `target`, of the first size in `order`
/// that holds one (docs/THEORY.md §3.2, "Which size"), each size's first
/// in colex order, else the exact solver's; the closest subset of any of
/// its sizes, counted as a miss, when no size does. Its edges are pushed
/// onto `out.kept`; returns its sum.
#[allow(clippy::too_many_arguments)]
fn solve_side(
    solver: &mut Solver,
    scratch: &mut ColexScratch,
    samples: &mut Vec<f64>,
    members: &[(u32, f64)],
    brow: &[f64],
    (k, target, eps): (usize, f64, f64),
    order: SubsetOrder,
    out: &mut RowResult,
) -> f64 {
    out.instances += 1;
    if members.is_empty() {
        // A block with no neuron of this sign: nothing to keep.
        out.misses += 1;
        return 0.0;
    }
    samples.clear();
    samples.extend(members.iter().map(|&(h, a)| a * brow[h as usize]));
    let m = samples.len();
    let inst = |size: usize| Instance { samples: samples.to_vec(), k: size, target, eps };
    let mut found = None;
    for size in sizes(order, k, m) {
        if let Some(subset) = first_in_colex(scratch, samples, size, target, eps) {
            found = Some(subset.to_vec());
            break;
        }
        // The colex walk saw every subset of this size when there are no
        // more than it tries: then the solver would find none either.
        if binomial(m, size).is_none_or(|count| count > COLEX_TRIES) {
            let ans = solver.solve(&inst(size), Mode::Within).expect("valid instance");
            if ans.status == Status::Found {
                found = Some(ans.subset);
                break;
            }
        }
    }
    // A miss keeps the closest subset of any of its sizes (the first size
    // in the order among equally close ones).
    let subset = found.unwrap_or_else(|| {
        out.misses += 1;
        let best = sizes(order, k, m).map(|size| solver.solve(&inst(size), Mode::Best).expect("valid instance"));
        best.reduce(|a, b| if b.gap < a.gap { b } else { a }).expect("a side of one sample or more").subset
    });
    let mut sum = 0.0;
    for &i in &subset {
        let (h, a) = members[i];
        out.kept.push((h, brow[h as usize] as f32));
        sum += a * brow[h as usize];
    }
    sum
}

/// The pair from all its rows, in order (as [`build_rows`] gives them):
/// B's kept edges row by row, A's kept edges exactly the hidden neurons
/// some row of B uses.
pub fn assemble(spec: &PairSpec<'_>, blocks: &Blocks, rows: Vec<RowResult>) -> Pair {
    let c = spec.target;
    let hidden = 2 * spec.size.n * c.d_in;

    let mut used = vec![false; hidden];
    let mut pair = Pair {
        layer: spec.layer,
        size: spec.size,
        basis: c.basis,
        a_size: c.a_size,
        pointwise: c.pointwise,
        d_out: c.d_out,
        d_in: c.d_in,
        a: Vec::new(),
        b: Vec::new(),
        approx_pos: Vec::with_capacity(c.values.len()),
        approx_neg: Vec::with_capacity(c.values.len()),
        instances: 0,
        misses: 0,
        max_weight_error: 0.0,
    };
    for (r, row) in rows.into_iter().enumerate() {
        for &(h, v) in &row.kept {
            used[h as usize] = true;
            pair.b.push((r as u32, h, v));
        }
        pair.approx_pos.extend(row.pos);
        pair.approx_neg.extend(row.neg);
        pair.instances += row.instances;
        pair.misses += row.misses;
        pair.max_weight_error = pair.max_weight_error.max(row.max_err);
    }
    for block in blocks {
        for &(h, a) in block.iter().flatten() {
            if used[h as usize] {
                pair.a.push((h, a as f32));
            }
        }
    }
    pair.a.sort_unstable_by_key(|e| e.0);
    pair
}
