//! Tickets of one target across subset sizes k (docs/THEORY.md §5,
//! docs/results/frontier.md): each k sized by the measured rule, and per
//! ticket kept and random edges per target weight, misses, compact bits
//! per target weight beside Theorem 5's floor, accuracy, agreement, errors
//! and build time; with the paper's two curves in the same plane.

use super::pipeline::build_and_measure;
use super::Progress;
use crate::construction::{augmented_layers, scale_for, BuildConfig, Tolerance};
use crate::data::Dataset;
use crate::files::compact_bytes;
use crate::net::Network;
use serde::Serialize;

/// What `frontier` builds.
#[derive(Clone, Debug)]
pub struct FrontierConfig {
    /// Tolerance of every weight.
    pub weight_eps: f64,
    /// Subset sizes to build.
    pub ks: Vec<usize>,
    /// Treat the inputs as non-negative (no N side in the first layer).
    pub nonneg_input: bool,
    /// Seed of the random networks.
    pub seed: u64,
}

impl FrontierConfig {
    /// Refuses an empty k list, k = 0, and a tolerance that is not a
    /// positive finite number.
    pub fn check(&self) -> Result<(), String> {
        if self.ks.is_empty() || self.ks.contains(&0) {
            return Err("--ks needs subset sizes of at least 1".into());
        }
        if !(self.weight_eps > 0.0 && self.weight_eps.is_finite()) {
            return Err(format!("--weight-eps must be a finite number > 0, got {}", self.weight_eps));
        }
        Ok(())
    }
}

/// One ticket of the frontier.
#[derive(Clone, Debug, Serialize)]
pub struct FrontierRow {
    /// Subset size.
    pub k: usize,
    /// n of each layer.
    pub n: Vec<usize>,
    /// Kept / random edges.
    pub density: f64,
    /// Kept edges per target weight.
    pub kept_per_weight: f64,
    /// Edges of the random network per target weight.
    pub random_per_weight: f64,
    /// Edges of the pairs' blocks alone per target weight.
    pub block_random_per_weight: f64,
    /// RFSS instances that missed their tolerance.
    pub misses: u64,
    /// RFSS instances.
    pub instances: u64,
    /// Bits of the compact file per target weight.
    pub compact_bits_per_weight: f64,
    /// Theorem 5's floor for one coefficient: log2(√k / 2ε).
    pub theorem5_floor_bits: f64,
    /// Test accuracy of the ticket.
    pub ticket_accuracy: f64,
    /// Test accuracy of the target.
    pub target_accuracy: f64,
    /// Fraction of test rows where ticket and target predict alike.
    pub agreement: f64,
    /// Largest measured ‖f(x) − g(x)‖ on the test rows.
    pub max_error: f64,
    /// Certified bound.
    pub certified: f64,
    /// Wall-clock seconds of the build (plan included).
    pub build_seconds: f64,
}

/// Points (kept, random) per target weight.
pub type Curve = Vec<(f64, f64)>;

/// The frontier of one target.
#[derive(Clone, Debug, Serialize)]
pub struct Frontier {
    /// One row per k that could be built, in the order asked.
    pub rows: Vec<FrontierRow>,
    /// The target's weights (biases not counted).
    pub target_weights: usize,
    /// Theorem 2 at c = 1 for k = 1 … 32 (see [`theory_curves`]).
    pub theorem2: Curve,
    /// Theorem 5 per weight (d = 1) for k = 1 … 32.
    pub theorem5: Curve,
}

/// Builds a ticket of `net` for every k of `cfg` and measures it on
/// `test`. `progress` gets a step per k, and a note for a k that could not
/// be built (which is left out); no k built is an error. `go_on` is asked
/// after every built row, and returning false stops the run
/// ("interrupted").
pub fn frontier(
    net: &Network,
    test: &Dataset,
    cfg: &FrontierConfig,
    progress: &dyn Fn(Progress<'_>),
    go_on: &(dyn Fn() -> bool + Sync),
) -> Result<Frontier, String> {
    cfg.check()?;
    let weights = net.weight_count() as f64;
    let mut rows = Vec::new();
    for &k in &cfg.ks {
        let bcfg = BuildConfig {
            seed: cfg.seed,
            density: 1.0,
            tolerance: Tolerance::Weight(cfg.weight_eps),
            n_k: None,
            k: Some(k),
            nonneg_input: cfg.nonneg_input,
            scale: None,
            accept_over_eps: false,
            accept_misses: false,
        };
        let built = match build_and_measure(net, &bcfg, Some(test), Some(test.scale), |_| {}, go_on) {
            Ok(b) => b,
            Err(_) if !go_on() => return Err("interrupted".into()),
            Err(e) => {
                progress(Progress::Note(&format!("k = {k}: {e}")));
                progress(Progress::Step);
                continue;
            }
        };
        let compact = compact_bytes(&built.net, &built.meta);
        let (instances, misses) = built.instances();
        let c = built.comparison.as_ref().expect("measured on the test rows");
        rows.push(FrontierRow {
            k,
            n: built.meta.pairs.iter().map(|p| p.n).collect(),
            density: built.ticket.density(),
            kept_per_weight: built.ticket.kept_edges() as f64 / weights,
            random_per_weight: built.ticket.random_edges() as f64 / weights,
            block_random_per_weight: built.ticket.block_edges() as f64 / weights,
            misses,
            instances,
            compact_bits_per_weight: compact.len() as f64 * 8.0 / weights,
            theorem5_floor_bits: ((k as f64).sqrt() / (2.0 * cfg.weight_eps)).log2(),
            ticket_accuracy: c.ticket_accuracy,
            target_accuracy: c.target_accuracy,
            agreement: c.agreement,
            max_error: c.max_error,
            certified: built.certificate.bound,
            build_seconds: built.build_time.as_secs_f64(),
        });
        progress(Progress::Step);
    }
    if rows.is_empty() {
        return Err("no k could be built".into());
    }
    let (theorem2, theorem5) = theory_curves(net, cfg.nonneg_input, cfg.weight_eps, weights)?;
    Ok(Frontier { rows, target_weights: net.weight_count(), theorem2, theorem5 })
}

/// The paper's two curves in the plane (kept, random) per target weight,
/// for k = 1 … 32 kept B edges per RFSS instance (A edges left out of x):
/// - Theorem 2 at its measured constant (c = 1, docs/results/rfss.md): the
///   construction's dense random network if each layer had
///   n = log2(k/ε′)/H2(k/n);
/// - Theorem 5's lower bound for one coefficient at a time (d = 1, as in
///   the floor of the bits column): each RFSS instance needs
///   n ≥ ½·log2(k/ε′)/H2(k/n) random parameters of its own. (The d × d
///   form bounds targets of spectral norm up to √k, entries far beyond a
///   trained layer's, and would overstate the floor here.)
///
/// ε′ is the tolerance in the units of Theorem 2's Uniform[−1, 1] samples:
/// a layer's products a·b with B on [−S, S) have standard deviation S/3
/// against 1/√3, so ε′ = ε·√3/S, S the scale sslth gives that k
/// (docs/THEORY.md §3.2).
pub fn theory_curves(net: &Network, nonneg: bool, eps: f64, weights: f64) -> Result<(Curve, Curve), String> {
    use rfss::theory::{theorem2_n, theorem5_n};
    let layers = augmented_layers(net, nonneg)?;
    let (mut t2, mut t5) = (Vec::new(), Vec::new());
    for k in 1..=32usize {
        let (mut kept, mut random2, mut random5) = (0.0, 0.0, 0.0);
        for l in &layers {
            let c = &l.coefficients;
            let instances: usize = (0..c.d_in)
                .map(|j| {
                    let nonzero = c.values.chunks_exact(c.d_in).filter(|row| row[j] != 0.0).count();
                    nonzero * if l.nonneg[j] { 1 } else { 2 }
                })
                .sum();
            let eps_rel = eps * 3f64.sqrt() / scale_for(c.max_abs(), k);
            let n = theorem2_n(k, eps_rel, 1.0) as f64;
            kept += (instances * k) as f64;
            random2 += c.basis as f64 * 2.0 * n * c.d_in as f64 * (c.d_in + c.d_out) as f64;
            random5 += (instances as u64 * theorem5_n(k, eps_rel, 1)) as f64;
        }
        t2.push((kept / weights, random2 / weights));
        t5.push((kept / weights, random5 / weights));
    }
    Ok((t2, t5))
}
