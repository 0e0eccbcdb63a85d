//! Sparse strong lottery tickets: networks with seekable random weights and
//! the tickets found in them (docs/THEORY.md §3–§4).
//!
//! ```
//! use sslth::weights::{uniform_weight, WeightStream};
//!
//! // Weight 1000 of layer 2 is the same whether drawn alone or in order.
//! let mut s = WeightStream::new(7, 2);
//! let in_order: Vec<f64> = (0..1001).map(|_| s.next_weight()).collect();
//! assert_eq!(uniform_weight(7, 2, 1000), in_order[1000]);
//! ```

pub mod construction;
pub mod data;
pub mod experiments;
pub mod files;
pub mod learn;
pub mod linalg;
pub mod net;
pub mod ticket;
pub mod weights;
