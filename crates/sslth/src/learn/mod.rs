//! Learning: gradients through a network's own layers ([`backprop`]),
//! targets trained by gradient descent ([`train`]) and tickets found by
//! training scores instead of weights ([`popup`], edge-popup,
//! docs/THEORY.md §7).

pub mod backprop;
pub mod popup;
pub mod train;
