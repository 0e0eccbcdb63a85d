//! Building a planned ticket: every target layer's pair from the engine,
//! and the ticket's runnable form and file metadata.

use super::certificate::{certify, Certificate};
use super::engine::{assemble, build_pair, build_rows, pair_blocks, Pair, PairSize, PairSpec};
use super::sizing::{LayerPlan, MAX_N};
use super::tight::{certify_box, TightCertificate};
use crate::net::{BasisSpec, FixedOp, Network};
use crate::ticket::{PairMeta, SparseLayer, SparseNet, TicketMeta};

/// A ticket: the pruned random pairs of every target layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    /// Seed of the random network.
    pub seed: u64,
    /// Whether inputs get a constant-1 channel (the target has biases).
    pub bias: bool,
    /// Whether the first layer assumed x ≥ 0.
    pub nonneg_input: bool,
    /// The pairs, input first.
    pub pairs: Vec<Pair>,
    /// Each pair's basis.
    pub bases: Vec<BasisSpec>,
    /// The operations after pair i, as in the target (none after the last).
    pub between: Vec<Vec<FixedOp>>,
    /// Points per input channel.
    pub points: usize,
}

/// How many times a pair is rebuilt with a larger n when some of its RFSS
/// instances miss their tolerance ([`LayerPlan::repair`]); each raises n
/// by a quarter, so n can grow to about 3.8 times the planned one.
pub const REPAIRS: usize = 6;

/// Builds the ticket of a planned target; `progress` is called once per
/// finished row of each pair's B, and the build stops (`None`) as soon as
/// it returns false.
///
/// Repair: where a plan allows it, a pair with a missed instance is built
/// again with n raised by a quarter (a fresh draw of its blocks, bigger
/// sides), up to [`REPAIRS`] times or [`MAX_N`], until none misses. The
/// sizing aims at few misses, but they sit at the largest coefficients and
/// the smallest sides (a −47.1 on a side of 7 negative products came out as
/// −41.2), where one missed weight changes predictions.
pub fn build(
    net: &Network,
    plans: &[LayerPlan],
    seed: u64,
    nonneg_input: bool,
    progress: &(dyn Fn() -> bool + Sync),
) -> Option<Ticket> {
    let pairs = plans
        .iter()
        .enumerate()
        .map(|(i, p)| repaired(pair_spec(p, i, seed), p, progress))
        .collect::<Option<Vec<_>>>()?;
    Some(Ticket::of_pairs(net, seed, nonneg_input, pairs))
}

/// What the engine needs to build pair `i` of plan `p`.
pub(super) fn pair_spec(p: &LayerPlan, i: usize, seed: u64) -> PairSpec<'_> {
    PairSpec {
        seed,
        layer: i,
        target: &p.target,
        size: p.size,
        nonneg: p.nonneg.clone(),
        weight_eps: p.weight_eps,
        budget_nodes: 2_000_000,
    }
}

/// The repair of [`build`] (see [`repair_sequence`]), building each
/// attempt whole.
fn repaired(mut spec: PairSpec<'_>, p: &LayerPlan, progress: &(dyn Fn() -> bool + Sync)) -> Option<Pair> {
    let built = repair_sequence(p, |n, _, doomed| {
        spec.size.n = n;
        Ok::<_, ()>(match build_unless_missed(&spec, doomed, progress) {
            None => Step::Interrupted,
            Some(None) => Step::Missed,
            Some(Some(pair)) => Step::Built(pair.misses, pair),
        })
    });
    built.expect("building whole never errs")
}

/// What one attempt of a pair's repair sequence gave.
pub(super) enum Step<T> {
    /// The pair at this n, with its missed instances.
    Built(u64, T),
    /// Stopped at a miss (only when told the attempt was doomed).
    Missed,
    /// Stopped by `progress`.
    Interrupted,
}

/// One pair's repair sequence, walked alike by every way of building it
/// (whole, streamed, from shards): the pair at the plan's n, or, if it
/// missed and the plan allows it, the first rebuild with n raised by a
/// quarter ([`next_n`]) that misses nothing (or the last one tried, see
/// [`is_final`]). `attempt(n, i, doomed)` builds attempt i at sample
/// count n; `doomed` says that one miss would send the sequence to
/// the next n, so the attempt may stop at its first missed row
/// ([`Step::Missed`]): what it would have built is never used. `Ok(None)`:
/// interrupted.
pub(super) fn repair_sequence<T, E>(
    p: &LayerPlan,
    mut attempt: impl FnMut(usize, usize, bool) -> Result<Step<T>, E>,
) -> Result<Option<T>, E> {
    let mut n = p.size.n;
    for i in 0.. {
        let doomed = !is_final(p, i, n, 1);
        match attempt(n, i, doomed)? {
            Step::Interrupted => return Ok(None),
            Step::Built(misses, pair) if is_final(p, i, n, misses) => return Ok(Some(pair)),
            Step::Built(..) | Step::Missed => n = next_n(n),
        }
    }
    unreachable!("is_final ends every sequence by attempt REPAIRS")
}

/// The pair of `spec` ([`build_pair`]), or, with `stop_on_miss`, `None` as
/// soon as a block of rows holds a missed instance (rows built 32 at a
/// time). `None` outside: interrupted by `progress`.
fn build_unless_missed(
    spec: &PairSpec<'_>,
    stop_on_miss: bool,
    progress: &(dyn Fn() -> bool + Sync),
) -> Option<Option<Pair>> {
    if !stop_on_miss {
        return build_pair(spec, progress).map(Some);
    }
    let blocks = pair_blocks(spec);
    let total = spec.target.rows();
    let mut rows = Vec::with_capacity(total);
    for start in (0..total).step_by(ROWS_PER_CHECK) {
        let part = build_rows(spec, &blocks, start..(start + ROWS_PER_CHECK).min(total), progress)?;
        if part.iter().any(|r| r.misses > 0) {
            return Some(None);
        }
        rows.extend(part);
    }
    Some(Some(assemble(spec, &blocks, rows)))
}

/// Rows built between two looks for a miss: enough to keep every core
/// busy, few enough to stop early.
pub(super) const ROWS_PER_CHECK: usize = 32;

/// Whether a pair built at repair attempt `attempt` (0: the plan's n) with
/// `n` and `misses` is the ticket's, or is built again with [`next_n`].
fn is_final(p: &LayerPlan, attempt: usize, n: usize, misses: u64) -> bool {
    misses == 0 || !p.repair || n >= MAX_N || attempt >= REPAIRS
}

/// The n of the repair attempt after one at `n`: a quarter more.
pub(super) fn next_n(n: usize) -> usize {
    (n + n.div_ceil(4)).min(MAX_N)
}

/// What a ticket file records besides its weights, for a ticket of `net`
/// (its bases, pooling and points) with `pairs` and (kept edges, random
/// edges, misses) `counts`; see [`Ticket::meta`].
#[allow(clippy::too_many_arguments)]
pub(super) fn ticket_meta(
    net: &Network,
    seed: u64,
    nonneg_input: bool,
    pairs: Vec<PairMeta>,
    (kept, random, misses): (u64, u64, u64),
    certified_error: f64,
    input_scale: Option<f64>,
    data: Option<&str>,
) -> TicketMeta {
    let structure = net.structure().expect("a planned network has a structure");
    let bases: Vec<BasisSpec> = structure.linear.iter().map(|l| l.basis.spec()).collect();
    let pool_after = structure.pool_after().filter(|_| structure.legacy);
    let dense = structure.legacy && bases.iter().all(BasisSpec::is_identity) && pool_after.is_none() && net.points == 1;
    let mut ops = structure.after;
    ops.pop();
    TicketMeta {
        version: if dense {
            1
        } else if structure.legacy {
            2
        } else {
            4
        },
        generator: crate::weights::GENERATOR.to_string(),
        seed,
        bias: net.has_bias(),
        nonneg_input,
        target_widths: net.widths(),
        input_scale,
        data: data.map(String::from),
        bases: if dense { Vec::new() } else { bases },
        pool_after,
        ops: if structure.legacy { Vec::new() } else { ops },
        points: net.points,
        pairs,
        density: kept as f64 / random as f64,
        kept_edges: kept,
        random_edges: random,
        certified_error: Some(certified_error),
        misses,
        layers: Vec::new(),
    }
}

impl Ticket {
    /// The ticket of `net` made of `pairs` (input first).
    pub(super) fn of_pairs(net: &Network, seed: u64, nonneg_input: bool, pairs: Vec<Pair>) -> Ticket {
        let structure = net.structure().expect("a planned network has a structure");
        Ticket {
            seed,
            bias: net.has_bias(),
            nonneg_input,
            pairs,
            bases: structure.linear.iter().map(|l| l.basis.spec()).collect(),
            between: structure.after,
            points: net.points,
        }
    }

    /// Edges of the whole random network.
    pub fn random_edges(&self) -> u64 {
        self.pairs.iter().map(Pair::random_edges).sum()
    }

    /// Edges kept.
    pub fn kept_edges(&self) -> u64 {
        self.pairs.iter().map(Pair::kept_edges).sum()
    }

    /// Edges of the pairs' blocks alone ([`Pair::block_edges`]).
    pub fn block_edges(&self) -> u64 {
        self.pairs.iter().map(Pair::block_edges).sum()
    }

    /// RFSS instances solved and those that missed their tolerance.
    pub fn instances(&self) -> (u64, u64) {
        (self.pairs.iter().map(|p| p.instances).sum(), self.pairs.iter().map(|p| p.misses).sum())
    }

    /// Density: kept / all edges of the random network.
    pub fn density(&self) -> f64 {
        self.kept_edges() as f64 / self.random_edges() as f64
    }

    /// The runnable network: per pair an A layer (stacked rows
    /// `[|B|·H, d_in]`, its edges all on the identity element) and a B
    /// layer (`[|B|·d_out, H]`). With a constant-1 input channel its A
    /// edges become the first layer's bias, so the network takes x itself.
    pub fn to_sparse(&self) -> SparseNet {
        let mut layers = Vec::with_capacity(2 * self.pairs.len());
        for (i, (p, &basis)) in self.pairs.iter().zip(&self.bases).enumerate() {
            let two_n = 2 * p.size.n;
            let fold = i == 0 && self.bias;
            let d_in = p.d_in - usize::from(fold);
            let offset = (p.pointwise * p.hidden()) as u32;
            let mut a = SparseLayer {
                d_out: p.a_size * p.hidden(),
                d_in,
                rows: vec![],
                cols: vec![],
                vals: vec![],
                bias: None,
                basis: basis.a_spec(),
            };
            let mut bias = vec![0.0f32; p.hidden()];
            for &(h, v) in &p.a {
                let j = h as usize / two_n;
                if fold && j == d_in {
                    bias[h as usize] = v;
                } else {
                    a.rows.push(offset + h);
                    a.cols.push(j as u32);
                    a.vals.push(v);
                }
            }
            if fold {
                a.bias = Some(bias);
            }
            layers.push(a);
            layers.push(SparseLayer {
                d_out: p.basis * p.d_out,
                d_in: p.hidden(),
                rows: p.b.iter().map(|e| e.0).collect(),
                cols: p.b.iter().map(|e| e.1).collect(),
                vals: p.b.iter().map(|e| e.2).collect(),
                bias: None,
                basis,
            });
        }
        SparseNet::of_pairs(layers, self.points, &self.between, self.bias)
    }

    /// What a ticket file records besides its weights. Dense tickets are
    /// version 1 (the fields for bases, pooling and points are left out,
    /// so their files are byte for byte those of earlier sslth); another
    /// basis over which A is the same basis, or a mean pooling after a
    /// ReLU, makes version 2; any other operations between layers or a
    /// general convolution version 4 (`ops`), which earlier readers refuse.
    pub fn meta(
        &self,
        net: &Network,
        certified_error: f64,
        input_scale: Option<f64>,
        data: Option<&str>,
    ) -> TicketMeta {
        let pairs = self
            .pairs
            .iter()
            .map(|p| {
                let PairSize { n, k, scale, subsets } = p.size;
                PairMeta { n, k, scale, d_in: p.d_in, rows: p.basis * p.d_out, subsets }
            })
            .collect();
        let counts = (self.kept_edges(), self.random_edges(), self.instances().1);
        ticket_meta(net, self.seed, self.nonneg_input, pairs, counts, certified_error, input_scale, data)
    }

    /// The certified bound (docs/THEORY.md §6) against `net`: every
    /// operator norm is an upper bound by construction (a sum over basis
    /// elements of ‖b_q‖ times a `spectral_norm_upper`), and the
    /// recursion only adds and multiplies them, so the bound is one too.
    pub fn certificate(&self, net: &Network) -> Result<Certificate, String> {
        certify(net, self.nonneg_input, &self.approximations())
    }

    /// What each pair computes, (Ĉ⁺, Ĉ⁻) flat like the augmented
    /// coefficients, as the certificates take it.
    pub fn approximations(&self) -> Vec<(&[f64], &[f64])> {
        self.pairs.iter().map(|p| (&p.approx_pos[..], &p.approx_neg[..])).collect()
    }

    /// The tight certificate against `net` over inputs in [0, `input_max`]
    /// ([`certify_box`]), capped by `ball_bound` (this ticket's
    /// [`Ticket::certificate`] bound), its walks within `walk_budget`.
    pub fn tight_certificate(
        &self,
        net: &Network,
        input_max: f64,
        ball_bound: f64,
        walk_budget: u64,
    ) -> Result<TightCertificate, String> {
        certify_box(net, self.nonneg_input, &self.approximations(), input_max, ball_bound, walk_budget)
    }
}
