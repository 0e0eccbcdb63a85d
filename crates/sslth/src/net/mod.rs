//! Networks and bases (docs/THEORY.md §4): every target is a [`Network`]
//! of typed layers, its linear layers equivariant maps Σ_q b_q ⊗ C_q over
//! a [`Basis`] (the identity for dense layers, kernel offsets for circular
//! convolutions, identity and mean for set layers).
//!
//! This module knows nothing of files, random networks or tickets.

mod arch;
mod basis;
mod branch;
mod conv;
mod kind;
mod network;
mod pool;
mod structure;

pub use arch::{ArchLayer, Architecture, NamedTensor, Tensors};
pub use basis::{Basis, BasisSpec, Conv2d, DeepSets, Identity};
pub use branch::{Branch, Saved};
pub use conv::{Conv, ConvGeometry, PaddingMode};
pub use kind::Kind;
pub(crate) use network::add_into;
pub use network::{
    conv_coefficients, conv_weight, dot, ConvWeights, Equivariant, Layer, LinearWeights, Network, SetWeights,
};
pub use pool::{Pool, PoolKind, PoolSpec, Window};
pub use structure::{FixedOp, Structure};
