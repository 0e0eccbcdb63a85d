//! The kinds of target: which basis a network's first layer is over.

use super::basis::BasisSpec;
use super::network::{Layer, Network};

/// The kinds of target sslth trains and builds tickets for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Dense layers only.
    Mlp,
    /// Convolutions (and pooling), then a dense head.
    Cnn,
    /// Set layers, mean pooling, a dense head.
    Deepsets,
}

impl Kind {
    /// The kind of a network's first layer's basis.
    pub fn of(net: &Network) -> Kind {
        match net.layers.first() {
            Some(Layer::Equivariant(l)) => match l.basis.spec() {
                BasisSpec::Conv2d { .. } | BasisSpec::Conv(_) => Kind::Cnn,
                BasisSpec::Deepsets => Kind::Deepsets,
                BasisSpec::Identity => Kind::Mlp,
            },
            _ => Kind::Mlp,
        }
    }
}
