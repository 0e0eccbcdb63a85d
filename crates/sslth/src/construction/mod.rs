//! The construction (docs/THEORY.md §3–§4, §6): a target [`Network`] as
//! augmented coefficients ([`layers`]), sized ([`sizing`], as [`config`]
//! asks), built pair by
//! pair by the engine ([`engine`]) into a [`Ticket`] ([`build()`]), and
//! certified ([`certificate`] over the input ball, [`tight`] over the
//! data's box).
//!
//! Invariant: the engine touches only coefficients; it never sees a group
//! or a basis element's action, so a new kind of layer adds a basis in
//! [`crate::net`] and nothing here.
//!
//! [`Network`]: crate::net::Network

pub mod build;
pub mod certificate;
mod colex;
pub mod config;
pub mod engine;
pub mod layers;
mod resolution;
pub mod shard;
pub mod sizing;
pub mod stream;
pub mod tight;

pub use build::{build, Ticket};
pub use certificate::{
    approximations, as_pairs, certified_bound, certify, certify_edges, check_target, checked_approximations,
    input_radius, BallStep, Certificate, LayerCertificate,
};
pub use config::{BuildConfig, BuildOptions, Sizing, Tolerance};
pub use engine::{Coefficients, Pair, PairSize};
pub use layers::{augmented_layers, TargetLayer};
pub use shard::{build_shard, merge, pending, shard_rows, Attempt, ShardId, ShardPart};
pub use sizing::{plan, scale_for, LayerPlan, MISS_RATE};
pub use stream::{build_streamed, StreamedPair, StreamedTicket};
pub use tight::{
    certified_share, certify_box, certify_rows, InputBox, LocalCertificates, TightCertificate, DEFAULT_WALK_BUDGET,
};
