//! Sparse strong lottery tickets: networks with seekable random weights and
//! the tickets found in them (docs/THEORY.md §3–§4).
//!
//! The seekable generator every random network is drawn from
//! ([`weights`]), the data sets ([`data`]), targets ([`network`],
//! [`train`]), the construction ([`construct`], [`ticket`]), tickets found
//! by training scores instead ([`popup`]), and the ticket files
//! ([`format`]).
//!
//! ```
//! use sslth::weights::{uniform_weight, WeightStream};
//!
//! // Weight 1000 of layer 2 is the same whether drawn alone or in order.
//! let mut s = WeightStream::new(7, 2);
//! let in_order: Vec<f64> = (0..1001).map(|_| s.next_weight()).collect();
//! assert_eq!(uniform_weight(7, 2, 1000), in_order[1000]);
//! ```

pub mod basis;
pub mod construct;
pub mod data;
pub mod eval;
pub mod format;
pub mod io;
pub mod linalg;
pub mod model;
pub mod network;
pub mod npy;
pub mod pipeline;
pub mod popup;
pub mod runnable;
pub mod sparse;
pub mod subsets;
pub mod target;
pub mod ticket;
pub mod train;
pub mod weights;
