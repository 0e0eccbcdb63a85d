//! Tickets as they run and as files describe them, whoever made them (the
//! construction or edge-popup): the runnable sparse network
//! ([`SparseNet`]), the metadata ([`TicketMeta`]) and the random network
//! regenerated from its seed ([`regenerate`]).
//!
//! This module knows nothing of targets, sizing or file bytes.

mod meta;
mod random;
mod sparse;
mod state_dict;

pub use meta::{nonneg_channels, sides, PairMeta, RandomLayer, TicketMeta};
pub(crate) use random::identity_of;
pub use random::{flat_indices, net_of, random_layers, random_shapes, regenerate};
pub use sparse::{SparseLayer, SparseNet};
pub use state_dict::NamedTensor;
