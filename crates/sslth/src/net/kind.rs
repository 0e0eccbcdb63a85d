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
    /// Every kind, in the order the tools list them.
    pub const ALL: [Kind; 3] = [Kind::Mlp, Kind::Cnn, Kind::Deepsets];

    /// The kind's name on the command line and in reports: `mlp`, `cnn`
    /// or `deepsets`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mlp => "mlp",
            Kind::Cnn => "cnn",
            Kind::Deepsets => "deepsets",
        }
    }

    /// The names of [`Kind::ALL`].
    pub const NAMES: [&'static str; 3] = ["mlp", "cnn", "deepsets"];

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

impl std::str::FromStr for Kind {
    type Err = String;

    /// The kind named by [`Kind::name`]; any other name is refused.
    fn from_str(name: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| format!("a model kind is mlp, cnn or deepsets, not {name:?}"))
    }
}
