//! What the construction takes of a network (docs/THEORY.md §4): its
//! linear layers, in order, and the fixed operations between them.

use super::basis::BasisSpec;
use super::branch::{Branch, Saved};
use super::network::{Equivariant, Layer, Network};
use super::pool::PoolSpec;

/// A layer without parameters, as it sits between the linear layers of a
/// network the construction takes and between the pairs of its ticket
/// (where it is kept as it is: docs/THEORY.md §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FixedOp {
    /// max(x, 0).
    Relu,
    /// The mean over each channel's points.
    MeanPool,
    /// Spatial pooling by windows.
    Pool(PoolSpec),
    /// Channels × points become one vector (a flatten of one point per
    /// channel is no operation and is not listed).
    Flatten,
    /// A residual block begins: the current value is also set aside
    /// ([`Branch::Fork`]).
    Fork,
    /// The main path ends: its value and the one set aside change places
    /// ([`Branch::Swap`]).
    Swap,
    /// The paths join: the value set aside is added ([`Branch::Add`]).
    Add,
}

impl FixedOp {
    /// The operation as a [`Branch`], if it is one.
    pub fn branch(&self) -> Option<Branch> {
        match self {
            FixedOp::Fork => Some(Branch::Fork),
            FixedOp::Swap => Some(Branch::Swap),
            FixedOp::Add => Some(Branch::Add),
            _ => None,
        }
    }
}

/// The linear layers of a network the construction accepts and what sits
/// between them: linear layers with at least one ReLU between each and
/// the next, any poolings and flattens among those ReLUs, and a linear
/// layer last (docs/THEORY.md §4).
#[derive(Debug)]
pub struct Structure<'a> {
    /// The linear layers, input first.
    pub linear: Vec<&'a Equivariant>,
    /// The operations after linear layer i, in order (none after the last).
    pub after: Vec<Vec<FixedOp>>,
    /// Whether the network is of the form tickets had before
    /// architectures were recorded (docs/FORMAT.md versions 1 and 2): ReLU
    /// alone between linear layers, at most once followed by a mean
    /// pooling, and no general convolution.
    pub legacy: bool,
}

impl Structure<'_> {
    /// The linear layer after whose ReLU a mean pooling comes, in a legacy
    /// structure.
    pub fn pool_after(&self) -> Option<usize> {
        self.after.iter().position(|ops| ops.contains(&FixedOp::MeanPool))
    }
}

impl Network {
    /// The linear layers and what sits between them ([`Structure`]), or
    /// why the network is not of the form the construction takes. (Long:
    /// one arm per layer kind, each with the refusal that kind needs.)
    pub fn structure(&self) -> Result<Structure<'_>, String> {
        let mut linear: Vec<&Equivariant> = Vec::new();
        let mut after: Vec<Vec<FixedOp>> = Vec::new();
        // Points and channels of the current value, and whether a ReLU
        // came after the last linear layer on its path.
        let mut cur = (self.points, self.channels, false);
        let mut saved = Saved::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let (points, channels, relu) = &mut cur;
            let op = match layer {
                Layer::Equivariant(l) => {
                    if l.basis.points().is_some_and(|p| p != *points) {
                        return Err(format!(
                            "layer {i} ({}) acts on {} points per channel but receives {points}",
                            l.basis.name(),
                            l.basis.points().unwrap_or(0)
                        ));
                    }
                    if *channels != l.c_in {
                        return Err(format!("layer {i} takes {} channels but receives {channels}", l.c_in));
                    }
                    if !linear.is_empty() && !*relu {
                        return Err(format!(
                            "layer {i} ({}) follows the linear layer before it with no ReLU between: tickets are \
                             built of ReLU networks",
                            l.basis.name()
                        ));
                    }
                    linear.push(l);
                    after.push(Vec::new());
                    cur = (l.basis.out_points(*points), l.c_out, false);
                    continue;
                }
                Layer::Relu => {
                    *relu = true;
                    FixedOp::Relu
                }
                Layer::MeanPool => {
                    *points = 1;
                    FixedOp::MeanPool
                }
                Layer::Pool(p) => {
                    if p.in_points() != *points {
                        return Err(format!(
                            "layer {i} ({}) pools {} points but receives {points}",
                            layer.name(),
                            p.in_points()
                        ));
                    }
                    *points = p.out_points();
                    FixedOp::Pool(p.spec())
                }
                // Flattening one point per channel moves no value.
                Layer::Flatten if *points == 1 => continue,
                Layer::Flatten => {
                    *channels *= *points;
                    *points = 1;
                    FixedOp::Flatten
                }
                Layer::Branch(b) => {
                    let mut joined = Ok(());
                    let at = |e: String| format!("layer {i}: {e}");
                    saved
                        .run(*b, &mut cur, |c, other| {
                            if (c.0, c.1) != (other.0, other.1) {
                                joined = Err(format!(
                                    "adds {} channels of {} points to {} of {}",
                                    other.1, other.0, c.1, c.0
                                ));
                            }
                            c.2 = false;
                        })
                        .map_err(at)?;
                    joined.map_err(at)?;
                    match b {
                        Branch::Fork => FixedOp::Fork,
                        Branch::Swap => FixedOp::Swap,
                        Branch::Add => FixedOp::Add,
                    }
                }
            };
            match after.last_mut() {
                Some(ops) => ops.push(op),
                None => return Err(format!("layer {i} ({}) comes before the first linear layer", layer.name())),
            }
        }
        if !saved.is_empty() {
            return Err("a residual block forks and never joins".into());
        }
        if after.last().is_none_or(|ops| !ops.is_empty()) {
            return Err("the network must end with a linear layer".into());
        }
        let last = after.len() - 1;
        let between = |i: usize, ops: &Vec<FixedOp>| {
            i == last || ops == &[FixedOp::Relu] || ops == &[FixedOp::Relu, FixedOp::MeanPool]
        };
        let legacy = after.iter().enumerate().all(|(i, ops)| between(i, ops))
            && after.iter().filter(|ops| ops.contains(&FixedOp::MeanPool)).count() <= 1
            && linear.iter().all(|l| !matches!(l.basis.spec(), BasisSpec::Conv(_)));
        Ok(Structure { linear, after, legacy })
    }
}
