//! Tickets as they run and as files describe them, whoever made them (the
//! construction or edge-popup): the runnable sparse network
//! ([`SparseNet`]), the metadata ([`TicketMeta`]) and the random network
//! regenerated from its seed ([`regenerate`]).
//!
//! This module knows nothing of targets, sizing or file bytes.

mod as_network;
mod choices;
mod meta;
pub mod pair_forward;
mod random;
mod sparse;
mod state_dict;
pub mod subsets;

pub use choices::PairChoices;
pub use meta::{nonneg_channels, sides, PairMeta, RandomLayer, TicketMeta};
pub use random::{flat_indices, net_of, random_layers, random_shapes, regenerate, regenerate_layer};
pub(crate) use random::{identity_of, layer_weight};
pub use sparse::{SparseLayer, SparseNet};
pub use subsets::SubsetOrder;
