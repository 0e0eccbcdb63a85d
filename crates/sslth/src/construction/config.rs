//! How a ticket is to be built: the configuration the construction
//! takes ([`BuildConfig`]), and the options both faces take from their
//! users ([`BuildOptions`]), turned into it in one place.

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

/// How to build a ticket.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildConfig {
    /// Seed of the random network.
    pub seed: u64,
    /// Target density (kept / all edges of the random network), in (0, 1].
    pub density: f64,
    /// Error tolerance.
    pub tolerance: Tolerance,
    /// Explicit (n, k) for every layer, overriding the sizing.
    pub n_k: Option<(usize, usize)>,
    /// A fixed subset size k (kept B edges per instance) for every layer,
    /// each n_i the smallest whose measured miss rate is at most
    /// [`MISS_RATE`] (see [`measured_n`]); overrides the density.
    pub k: Option<usize>,
    /// Treat the inputs as non-negative (pixels): no N side in the first
    /// layer, and the certificate holds only for x ≥ 0.
    pub nonneg_input: bool,
    /// One fixed scale S of every B layer (B uniform on [−S, S)), chosen
    /// by the user before seeing the target, so that the random network's
    /// weights do not depend on the target (docs/THEORY.md §3.4). `None`:
    /// a per-layer scale from the target's largest coefficient.
    pub scale: Option<f64>,
    /// With [`Tolerance::Network`], keep a ticket whose certificate exceeds
    /// the tolerance (the report says so) instead of failing.
    pub accept_over_eps: bool,
    /// Keep a ticket some of whose RFSS instances missed their tolerance
    /// even after the build's repair (see [`LayerPlan::repair`]) instead of
    /// failing.
    pub accept_misses: bool,
}

impl BuildConfig {
    /// A build sized for `density` with every weight within `weight_eps`,
    /// and every other option off (no fixed n or k, signed inputs, the
    /// per-layer scale, no accepted misses or excess): what the
    /// experiments start from.
    pub fn for_density(seed: u64, density: f64, weight_eps: f64) -> BuildConfig {
        BuildConfig {
            seed,
            density,
            tolerance: Tolerance::Weight(weight_eps),
            n_k: None,
            k: None,
            nonneg_input: false,
            scale: None,
            accept_over_eps: false,
            accept_misses: false,
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
    /// See [`BuildConfig::accept_over_eps`].
    pub accept_over_eps: bool,
    /// See [`BuildConfig::accept_misses`].
    pub accept_misses: bool,
}

impl BuildOptions {
    /// The configuration, or which options do not go together (one
    /// tolerance of `eps` and `weight_eps`; `k` or `density`; `n` only
    /// with `k`). Ranges are checked by [`plan`](super::plan).
    ///
    /// ```
    /// use sslth::construction::{BuildOptions, Tolerance};
    ///
    /// let cfg = BuildOptions { k: Some(4), weight_eps: Some(0.01), ..BuildOptions::default() }.config().unwrap();
    /// assert_eq!((cfg.k, cfg.tolerance), (Some(4), Tolerance::Weight(0.01)));
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
        if self.k.is_some() && self.density.is_some() {
            return Err(Error::Argument("give `k` or `density`, not both".into()));
        }
        if self.n.is_some() && self.k.is_none() {
            return Err(Error::Argument("`n` needs `k`".into()));
        }
        Ok(BuildConfig {
            seed: self.seed,
            density: self.density.unwrap_or(0.1),
            tolerance,
            n_k: self.n.zip(self.k),
            k: if self.n.is_none() { self.k } else { None },
            nonneg_input: self.nonneg_input,
            scale: self.scale,
            accept_over_eps: self.accept_over_eps,
            accept_misses: self.accept_misses,
        })
    }
}
