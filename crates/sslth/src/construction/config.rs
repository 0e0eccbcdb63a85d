//! How a ticket is to be built: the configuration the construction
//! takes ([`BuildConfig`]), and the options both faces take from their
//! users ([`BuildOptions`]), turned into it in one place.

use super::tight::DEFAULT_WALK_BUDGET;
use crate::ticket::SubsetOrder;
use crate::{Error, Result};

/// The tolerance asked for.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Tolerance {
    /// Every coefficient within this of its target (weight units).
    Weight(f64),
    /// A bound on sup over ‖x‖ ≤ 1 of ‖f(x) − g(x)‖, split into per-layer
    /// weight tolerances (see [`super::plan`]).
    Network(f64),
}

/// How the random network is sized: one of three ways, so that no two
/// can be asked at once.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Sizing {
    /// The densest ticket (kept / all edges of the random network) no
    /// denser than this, in (0, 1]: the largest k whose ticket, sized by
    /// the measured rule, stays under it.
    Density(f64),
    /// A subset size k (kept B edges per instance) for every layer, each
    /// n_i the smallest whose measured miss rate is at most
    /// [`MISS_RATE`](super::MISS_RATE) (the measured rule of [`plan`](super::plan)).
    K(usize),
    /// This n and k for every layer, as given: no measured sizing, no
    /// repair (misses are kept and counted).
    Fixed {
        /// Samples per RFSS instance.
        n: usize,
        /// Kept edges per instance.
        k: usize,
    },
}

/// How to build a ticket.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildConfig {
    /// Seed of the random network.
    pub seed: u64,
    /// How n and k are chosen.
    pub sizing: Sizing,
    /// Error tolerance.
    pub tolerance: Tolerance,
    /// Treat the inputs as non-negative (pixels): no N side in the first
    /// layer, and the certificate holds only for x ≥ 0.
    pub nonneg_input: bool,
    /// One fixed scale S of every B layer (B uniform on [−S, S)), chosen
    /// by the user before seeing the target, so that the random network's
    /// weights do not depend on the target (docs/THEORY.md §3.4). `None`:
    /// a per-layer scale from the target's largest coefficient.
    pub scale: Option<f64>,
    /// A per-layer scale set by this quantile of the layer's non-zero
    /// |coefficients| instead of the largest (docs/THEORY.md §3.4): the
    /// larger coefficients then need more products (up to 2k) or more
    /// samples. `None`: the largest (the quantile 1).
    #[serde(default)]
    pub scale_quantile: Option<f64>,
    /// With [`Tolerance::Network`], keep a ticket whose certificate exceeds
    /// the tolerance (the report says so) instead of failing.
    pub accept_over_eps: bool,
    /// Keep a ticket some of whose RFSS instances missed their tolerance
    /// even after the build's repair (see `LayerPlan::repair`) instead of
    /// failing.
    pub accept_misses: bool,
    /// How much walking back the tight certificate may do (multiply-adds
    /// per group of walks, [`DEFAULT_WALK_BUDGET`]); the ticket is the same
    /// whatever it is.
    #[serde(default = "default_walk_budget")]
    pub walk_budget: u64,
    /// Which subset within tolerance each instance keeps (docs/THEORY.md
    /// §3.2, "Which size"); configurations written before the choice
    /// existed built [`SubsetOrder::Fixed`].
    #[serde(default)]
    pub subsets: SubsetOrder,
}

fn default_walk_budget() -> u64 {
    DEFAULT_WALK_BUDGET
}

impl BuildConfig {
    /// A build sized for `density` with every weight within `weight_eps`,
    /// the fewest edges per instance, and every other option off (signed
    /// inputs, the per-layer scale, no accepted misses or excess): what
    /// the experiments start from.
    pub fn for_density(seed: u64, density: f64, weight_eps: f64) -> BuildConfig {
        BuildConfig {
            seed,
            sizing: Sizing::Density(density),
            tolerance: Tolerance::Weight(weight_eps),
            nonneg_input: false,
            scale: None,
            scale_quantile: None,
            accept_over_eps: false,
            accept_misses: false,
            walk_budget: DEFAULT_WALK_BUDGET,
            subsets: SubsetOrder::Fewest,
        }
    }
}

impl Default for BuildConfig {
    /// Density 0.1 with every weight within 0.01, seed 0, every other
    /// option off: `sslth build --weight-eps 0.01`.
    fn default() -> BuildConfig {
        BuildConfig::for_density(0, 0.1, 0.01)
    }
}

/// A build's options as both faces take them from their users (`sslth
/// build`'s flags, `sslth.build`'s arguments), each possibly absent: the
/// one place that turns them into a [`BuildConfig`] and refuses what does
/// not go together. Python's `sslth.build(target, **options)` reads its
/// keyword arguments straight into this struct (serde): an unknown name
/// is refused, an absent one takes its default.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuildOptions {
    /// Seed of the random network.
    pub seed: u64,
    /// A fixed subset size (else the density sizes it).
    pub k: Option<usize>,
    /// With `k`: a fixed n for every layer.
    pub n: Option<usize>,
    /// The density ceiling (default 0.1), when `k` is not given.
    pub density: Option<f64>,
    /// Each weight's tolerance.
    pub weight_eps: Option<f64>,
    /// The network's tolerance (exclusive with `weight_eps`).
    pub eps: Option<f64>,
    /// See [`BuildConfig::nonneg_input`].
    pub nonneg_input: bool,
    /// See [`BuildConfig::scale`].
    pub scale: Option<f64>,
    /// See [`BuildConfig::scale_quantile`] (exclusive with `scale`).
    pub scale_quantile: Option<f64>,
    /// See [`BuildConfig::accept_over_eps`].
    pub accept_over_eps: bool,
    /// See [`BuildConfig::accept_misses`].
    pub accept_misses: bool,
    /// See [`BuildConfig::walk_budget`] (default [`DEFAULT_WALK_BUDGET`]).
    pub walk_budget: Option<u64>,
    /// See [`BuildConfig::subsets`] (default [`SubsetOrder::Fewest`]).
    pub subsets: Option<SubsetOrder>,
}

impl BuildOptions {
    /// The configuration, or which options do not go together (one
    /// tolerance of `eps` and `weight_eps`; `k` or `density`; `n` only
    /// with `k`). Ranges are checked by [`plan`](super::plan).
    ///
    /// ```
    /// use sslth::construction::{BuildOptions, Sizing, Tolerance};
    ///
    /// let cfg = BuildOptions { k: Some(4), weight_eps: Some(0.01), ..BuildOptions::default() }.config().unwrap();
    /// assert_eq!((cfg.sizing, cfg.tolerance), (Sizing::K(4), Tolerance::Weight(0.01)));
    /// let both = BuildOptions { k: Some(4), density: Some(0.1), weight_eps: Some(0.01), ..BuildOptions::default() };
    /// assert_eq!(both.config().unwrap_err().to_string(), "give k or density, not both");
    /// ```
    pub fn config(&self) -> Result<BuildConfig> {
        let tolerance = match (self.eps, self.weight_eps) {
            (Some(_), Some(_)) => return Err(Error::Argument("give `eps` or `weight_eps`, not both".into())),
            (Some(e), None) => Tolerance::Network(e),
            (None, Some(e)) => Tolerance::Weight(e),
            (None, None) => {
                return Err(Error::Argument("give `eps` (the network's error) or `weight_eps` (each weight's)".into()))
            }
        };
        if self.scale.is_some() && self.scale_quantile.is_some() {
            return Err(Error::Argument("give `scale` or `scale_quantile`, not both".into()));
        }
        let sizing = match (self.k, self.n, self.density) {
            (Some(_), _, Some(_)) => return Err(Error::Argument("give `k` or `density`, not both".into())),
            (None, Some(_), _) => return Err(Error::Argument("`n` needs `k`".into())),
            (Some(k), Some(n), None) => Sizing::Fixed { n, k },
            (Some(k), None, None) => Sizing::K(k),
            (None, None, density) => Sizing::Density(density.unwrap_or(0.1)),
        };
        Ok(BuildConfig {
            seed: self.seed,
            sizing,
            tolerance,
            nonneg_input: self.nonneg_input,
            scale: self.scale,
            scale_quantile: self.scale_quantile,
            accept_over_eps: self.accept_over_eps,
            accept_misses: self.accept_misses,
            walk_budget: self.walk_budget.unwrap_or(DEFAULT_WALK_BUDGET),
            subsets: self.subsets.unwrap_or(SubsetOrder::Fewest),
        })
    }
}
