//! Sparse strong lottery tickets: a trained network (the *target*), a
//! random network drawn from a seekable generator, and a mask that keeps a
//! few of its edges so that the masked network (the *ticket*) approximates
//! the target within a certified error, with no training
//! (docs/THEORY.md §3–§4).
//!
//! The command-line tool `sslth` and the Python package are two faces of
//! this library: each entry point below is one call.
//!
//! # Entry points
//!
//! **1. A target.** Every target is a [`net::Network`]: dense, circular
//! convolutional or DeepSets layers, read from a safetensors file in
//! PyTorch's `nn.Sequential` naming ([`files::target::load`]) or made from
//! tensors ([`net::Network::mlp`], [`net::Network::cnn`],
//! [`net::Network::deepsets`]).
//!
//! ```
//! use sslth::net::{LinearWeights, Network};
//!
//! let layer = |d_in: usize, d_out: usize| LinearWeights {
//!     d_in,
//!     d_out,
//!     weight: (0..d_in * d_out).map(|i| ((i * 7 % 11) as f32 - 5.0) / 20.0).collect(),
//!     bias: Some(vec![0.05; d_out]),
//! };
//! let target = Network::mlp(&[layer(6, 5), layer(5, 3)]);
//! assert_eq!(target.widths(), vec![6, 5, 3]);
//! assert_eq!(target.forward(&[0.1; 6]).len(), 3);
//! ```
//!
//! **2. Plan** the random network: per layer n (samples per RFSS
//! instance), k (kept edges per instance) and the scale of B
//! ([`construction::plan`], docs/THEORY.md §3.2).
//!
//! **3. Build** the ticket ([`construction::build()`]): one exact RFSS
//! solve per target coefficient and sign side.
//!
//! **4. Certify** it ([`construction::Ticket::certificate`]): an upper
//! bound by construction on sup ‖f(x) − g(x)‖ over ‖x‖ ≤ 1
//! (docs/THEORY.md §6).
//!
//! ```
//! # use sslth::net::{LinearWeights, Network};
//! # let layer = |d_in: usize, d_out: usize| LinearWeights {
//! #     d_in, d_out,
//! #     weight: (0..d_in * d_out).map(|i| ((i * 7 % 11) as f32 - 5.0) / 20.0).collect(),
//! #     bias: Some(vec![0.05; d_out]),
//! # };
//! # let target = Network::mlp(&[layer(6, 5), layer(5, 3)]);
//! use sslth::construction::{build, plan, BuildConfig, Sizing, Tolerance};
//!
//! // k = 4 kept edges per instance, n by the measured miss-rate rule;
//! // every other option as `sslth build` defaults it.
//! let cfg = BuildConfig { seed: 1, sizing: Sizing::K(4), tolerance: Tolerance::Weight(0.01), ..BuildConfig::default() };
//! let plans = plan(&target, &cfg).unwrap();
//! let ticket = build(&target, &plans, cfg.seed, cfg.nonneg_input, &|| true).unwrap();
//! let certificate = ticket.certificate(&target).unwrap();
//! assert!(ticket.kept_edges() < ticket.random_edges());
//! assert!(certificate.bound > 0.0 && certificate.bound < 1.0);
//! ```
//!
//! **5. Save and load** it: full files hold the kept weights
//! ([`files::full_bytes`]), compact ones the seed and the mask
//! ([`files::compact_bytes`]); [`files::read_ticket`] reads either,
//! [`files::verify`] checks one against its regenerated random network
//! (docs/FORMAT.md).
//!
//! **6. Run** it: [`ticket::SparseNet::forward_batch`] on rows, or
//! [`files::Runnable`] for whatever a file holds, target or ticket (a
//! dense compact ticket runs from its subset streams without holding its
//! kept edges: [`files::CompactStreams::forward_batch`]).
//!
//! ```
//! # use sslth::net::{LinearWeights, Network};
//! # use sslth::construction::{build, plan, BuildConfig, Sizing, Tolerance};
//! # let layer = |d_in: usize, d_out: usize| LinearWeights {
//! #     d_in, d_out,
//! #     weight: (0..d_in * d_out).map(|i| ((i * 7 % 11) as f32 - 5.0) / 20.0).collect(),
//! #     bias: Some(vec![0.05; d_out]),
//! # };
//! # let target = Network::mlp(&[layer(6, 5), layer(5, 3)]);
//! # let cfg = BuildConfig { seed: 1, sizing: Sizing::K(4), ..BuildConfig::default() };
//! # let ticket = build(&target, &plan(&target, &cfg).unwrap(), 1, false, &|| true).unwrap();
//! # let certificate = ticket.certificate(&target).unwrap();
//! use sslth::files::{full_bytes, read_ticket, verify, write_atomic, Runnable};
//!
//! let g = ticket.to_sparse();
//! let meta = ticket.meta(&target, certificate.bound, None, None);
//! let path = std::env::temp_dir().join(format!("sslth-doc-{}.safetensors", std::process::id()));
//! write_atomic(&path, &full_bytes(&g, &meta)).unwrap();
//!
//! let loaded = read_ticket(&path).unwrap();
//! assert_eq!(verify(&loaded).mismatches, 0);
//! let x = [0.1f32; 6]; // ‖x‖ ≤ 1, where the certificate holds
//! let from_file = Runnable::load(&path, None).unwrap().forward_batch(&x, 1).unwrap();
//! assert_eq!(from_file, g.forward_batch(&x, 1));
//! let error: f32 = target.forward(&x).iter().zip(&from_file).map(|(a, b)| (a - b).powi(2)).sum();
//! assert!(f64::from(error.sqrt()) <= certificate.bound);
//! # std::fs::remove_file(&path).unwrap();
//! ```
//!
//! The whole job in one call, plan to measurement:
//! [`experiments::pipeline::build_and_measure`]; experiments that return
//! typed rows: [`experiments::frontier`], [`experiments::compare`],
//! [`experiments::demo`]; the seekable generator every random weight comes
//! from: [`weights`].
//!
//! ```
//! use sslth::weights::{uniform_weight, WeightStream};
//!
//! // Weight 1000 of layer 2 is the same whether drawn alone or in order.
//! let mut s = WeightStream::new(7, 2);
//! let in_order: Vec<f64> = (0..1001).map(|_| s.next_weight()).collect();
//! assert_eq!(uniform_weight(7, 2, 1000), in_order[1000]);
//! ```
//!
//! # Layout
//!
//! [`net`] (networks and bases) ← [`ticket`] (runnable tickets, metadata,
//! regeneration) ← [`construction`] (sizing, engine, certificate) ←
//! [`files`] ← [`learn`] (training, edge-popup) ← [`experiments`]; [`data`],
//! [`weights`], [`linalg`] and the AVX2 dispatch (`simd`) are leaves. Nothing here prints, plots or
//! writes CSV (ARCHITECTURE.md).

pub mod construction;
pub mod data;
pub mod error;
pub mod experiments;
pub mod files;
pub mod learn;
pub mod linalg;
pub mod net;
mod simd;
pub mod ticket;
pub mod weights;

pub use error::{Error, Face, Result};
