//! What a ticket file records besides its weights (docs/FORMAT.md): the
//! generator, seed, pairs or random layers, and the target's shape.

use super::SubsetOrder;
use crate::net::{BasisSpec, FixedOp};

/// One pair as a ticket file records it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairMeta {
    /// Samples per instance (blocks of 2n hidden neurons).
    pub n: usize,
    /// Subset size.
    pub k: usize,
    /// B is uniform on [−scale, scale).
    pub scale: f64,
    /// Input channels, the constant-1 coordinate included.
    pub d_in: usize,
    /// Output rows (basis size × output channels, the carried constant
    /// included).
    pub rows: usize,
    /// Which subset an instance keeps, which also numbers the choices in
    /// a compact file; absent for [`SubsetOrder::Fixed`].
    #[serde(default, skip_serializing_if = "SubsetOrder::is_fixed")]
    pub subsets: SubsetOrder,
}

impl PairMeta {
    /// Hidden width 2n·d_in.
    pub fn hidden(&self) -> usize {
        2 * self.n * self.d_in
    }
}

/// One random layer of a version-3 ticket: weight [o, i] is
/// `law(u)·scale`, u the generator's draw `o·cols + i` of stream l for
/// layer l.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RandomLayer {
    /// Outputs.
    pub rows: usize,
    /// Inputs (layer 0's constant-1 column included when `bias`).
    pub cols: usize,
    /// The weights' scale.
    pub scale: f64,
    /// How weights follow from the draws.
    pub law: crate::weights::WeightLaw,
}

/// Everything a ticket file records besides its weights (docs/FORMAT.md).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TicketMeta {
    /// Format version: 1 for dense tickets, 2 with other bases or a mean
    /// pooling, 3 for a chain of random layers (`layers`), 4 for a target
    /// with any other operations between its layers (`ops`) or general
    /// convolutions.
    pub version: u32,
    /// The random generator (see [`crate::weights`]).
    pub generator: String,
    /// Seed of the random network.
    pub seed: u64,
    /// Whether the target has biases (a constant-1 input coordinate).
    pub bias: bool,
    /// Whether the first layer assumed x ≥ 0.
    pub nonneg_input: bool,
    /// The target's widths d_0-…-d_ℓ.
    pub target_widths: Vec<usize>,
    /// The factor that maps raw data to the network's inputs, if known.
    pub input_scale: Option<f64>,
    /// The data set the ticket was measured on, if any (absent in files
    /// written before it was recorded).
    #[serde(default)]
    pub data: Option<String>,
    /// Each pair's basis (version 2); empty for dense tickets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bases: Vec<BasisSpec>,
    /// Mean pooling after pair i's ReLU (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_after: Option<usize>,
    /// Version 4: the operations after pair i's B layer (ReLU, pooling,
    /// flatten, in the target's order), for every pair but the last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<Vec<FixedOp>>,
    /// Points per input channel (versions 2 and 4: H·W of images, N of
    /// sets).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub points: usize,
    /// Per target layer (versions 1 and 2; empty in version 3).
    #[serde(default)]
    pub pairs: Vec<PairMeta>,
    /// Version 3, a ticket found in a chain of random layers rather than
    /// constructed (`sslth popup`): each random layer in order, ReLU
    /// between them; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<RandomLayer>,
    /// kept / random edges.
    pub density: f64,
    /// Kept edges.
    pub kept_edges: u64,
    /// Edges of the random network.
    pub random_edges: u64,
    /// Certified sup over the unit ball of ‖f(x) − g(x)‖ (none for a
    /// ticket with no target, version 3).
    pub certified_error: Option<f64>,
    /// RFSS instances that missed their tolerance.
    pub misses: u64,
}

/// Which input channels of pair `i` (of `d_in`, the constant last with
/// `bias`) are never negative and so have no N side: all of them after the
/// first pair (ReLU outputs and the carried constant), all of pair 0's
/// with `nonneg_input`, and the constant channel.
pub fn nonneg_channels(i: usize, d_in: usize, nonneg_input: bool, bias: bool) -> Vec<bool> {
    (0..d_in).map(|j| i > 0 || nonneg_input || (bias && j + 1 == d_in)).collect()
}

/// Sign sides, and so RFSS instances per non-zero coefficient, of an input
/// channel: P alone if it is never negative, else P and N.
pub fn sides(nonneg: bool) -> usize {
    if nonneg {
        1
    } else {
        2
    }
}

fn one() -> usize {
    1
}

fn is_one(v: &usize) -> bool {
    *v == 1
}

impl TicketMeta {
    /// Pair i's basis (identity when the file lists none).
    pub fn basis(&self, i: usize) -> BasisSpec {
        self.bases.get(i).copied().unwrap_or(BasisSpec::Identity)
    }

    /// The basis of random layer l: pair l/2's A basis for even l, its own
    /// for odd l.
    pub fn layer_basis(&self, l: usize) -> BasisSpec {
        let b = self.basis(l / 2);
        if l % 2 == 0 {
            b.a_spec()
        } else {
            b
        }
    }

    /// The operations after pair i's B layer: version 4 lists them; before
    /// it they were a ReLU, then the mean pooling where `pool_after` says.
    pub fn between(&self, i: usize) -> Vec<FixedOp> {
        if i + 1 >= self.pairs.len() {
            return Vec::new();
        }
        if let Some(ops) = self.ops.get(i) {
            return ops.clone();
        }
        let mut ops = vec![FixedOp::Relu];
        if self.pool_after == Some(i) {
            ops.push(FixedOp::MeanPool);
        }
        ops
    }
}
