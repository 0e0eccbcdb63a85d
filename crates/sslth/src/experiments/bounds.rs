//! The paper's formulas as one calculator (`sslth rfss bounds`,
//! `sslth.rfss.bounds`): Theorem 2, Corollaries 1 and 2, Theorem 5, the
//! first-moment prediction per sample law, and, when asked, Theorem 3 for
//! a network's widths and Theorem 4 for a basis or every layer of a target
//! (docs/THEORY.md §2–§5).

use crate::net::{Basis, Network};
use crate::{Error, Result};
use rfss::theory::{self, SumLaw};
use rfss::Dist;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What to compute.
#[derive(Clone, Default)]
pub struct BoundsQuery<'a> {
    /// Subset size k.
    pub k: usize,
    /// Tolerance ε, in (0, 1).
    pub eps: f64,
    /// Samples n (k ≤ n/2); or `density` k/n.
    pub n: Option<usize>,
    /// Density k/n in (0, 1/2], instead of `n`.
    pub density: Option<f64>,
    /// Theorem 2's constant c.
    pub c: f64,
    /// The constant c_amp of Corollaries 1 and 2 and Theorems 3 and 4.
    pub c_amp: f64,
    /// Theorem 5's d (d×d linear maps).
    pub d: usize,
    /// The target z of the first-moment prediction.
    pub target: f64,
    /// Widths d_0-…-d_ℓ for Theorem 3.
    pub widths: Option<Vec<usize>>,
    /// γ′ = k_i/n_i of Theorems 3 and 4, in (0, 1/2].
    pub gamma_prime: f64,
    /// A basis for Theorem 4, with its stacked spaces and layers.
    pub basis: Option<(Arc<dyn Basis>, usize, usize)>,
    /// A target for Theorem 4 per layer.
    pub network: Option<&'a Network>,
}

/// Corollary 2's n and whether its condition on k holds.
#[derive(Clone, Debug, Serialize)]
pub struct Corollary2 {
    /// The n.
    pub n: u64,
    /// Whether k ≥ 2·c_amp·(log2²k + 2·log2 k·log2(1/ε)).
    pub condition_holds: bool,
}

/// The first-moment prediction for one sample law.
#[derive(Clone, Debug, Serialize)]
pub struct FirstMoment {
    /// The n at which the expected number of good subsets reaches 1.
    pub n_expectation_1: u64,
    /// The expected number of good subsets at the query's n.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_good_subsets: Option<f64>,
}

/// Theorem 3 for a network's widths.
#[derive(Clone, Debug, Serialize)]
pub struct Theorem3 {
    /// γ′.
    pub gamma_prime: f64,
    /// c_amp.
    pub c_amp: f64,
    /// Each layer's sizing.
    pub layers: Vec<theory::LayerSizing>,
    /// Random parameters m.
    pub m: f64,
    /// Target weights m_t.
    pub m_t: f64,
    /// m / m_t.
    pub overparameterisation: f64,
    /// Kept edges (at most).
    pub kept: f64,
    /// kept / m.
    pub kept_over_m: f64,
    /// The paper's density γ = ρ·γ′ (ρ the largest width ratio).
    pub paper_density: f64,
}

/// Theorem 4 for one basis.
#[derive(Clone, Debug, Serialize)]
pub struct Theorem4 {
    /// The basis's name.
    pub basis: String,
    /// Its size |B|.
    pub basis_size: usize,
    /// Its operator norm ‖B‖.
    pub basis_norm: f64,
    /// Stacked feature spaces per target layer.
    pub spaces: usize,
    /// Target layers ℓ.
    pub layers: usize,
    /// γ.
    pub gamma: f64,
    /// The hidden width in stacked spaces.
    pub hidden_spaces: f64,
}

/// Theorem 4 for one layer of a target.
#[derive(Clone, Debug, Serialize)]
pub struct Theorem4Layer {
    /// The layer's index among the target's linear layers.
    pub layer: usize,
    /// Its basis.
    pub basis: crate::net::BasisSpec,
    /// |B|.
    pub basis_size: usize,
    /// ‖B‖.
    pub basis_norm: f64,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// The hidden width in stacked spaces (max(c_in, c_out) spaces).
    pub hidden_spaces: f64,
}

/// Everything `bounds` computes.
#[derive(Clone, Debug, Serialize)]
pub struct Bounds {
    /// k.
    pub k: usize,
    /// ε.
    pub eps: f64,
    /// The query's n (from `n` or `density`).
    pub n: Option<usize>,
    /// log2(k/ε)/H2(k/n) at the query's n.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// Theorem 2's n.
    pub theorem2_n: u64,
    /// Corollary 1's n.
    pub corollary1_n: u64,
    /// Corollary 2.
    pub corollary2_n: Corollary2,
    /// Theorem 5's lower bound on n.
    pub theorem5_n: u64,
    /// The first-moment prediction per sample law (by name).
    pub first_moment: BTreeMap<String, FirstMoment>,
    /// Theorem 3 for `widths`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theorem3: Option<Theorem3>,
    /// Theorem 4 for `basis`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theorem4: Option<Theorem4>,
    /// Theorem 4 per layer of `network`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theorem4_layers: Option<Vec<Theorem4Layer>>,
}

/// Computes what `q` asks, or refuses arguments outside the formulas'
/// domain in one line.
///
/// ```
/// use sslth::experiments::bounds::{bounds, BoundsQuery};
///
/// let q = BoundsQuery { k: 4, eps: 0.01, n: Some(40), c: 1.0, c_amp: 1.0, d: 1, ..BoundsQuery::default() };
/// let b = bounds(&q).unwrap();
/// assert_eq!(b.theorem2_n, rfss::theory::theorem2_n(4, 0.01, 1.0));
/// assert!(b.theorem5_n <= b.theorem2_n); // the lower bound is below the upper
/// let zero = BoundsQuery { eps: 0.0, ..q };
/// assert_eq!(bounds(&zero).unwrap_err().to_string(), "eps must be in (0, 1), got 0");
/// ```
pub fn bounds(q: &BoundsQuery<'_>) -> Result<Bounds> {
    let arg = |m: String| Error::Argument(m);
    theory::check_args(q.k, q.eps, &[("c", q.c), ("c_amp", q.c_amp), ("d", q.d as f64)]).map_err(arg)?;
    let k = q.k;
    let n = match (q.n, q.density) {
        (Some(_), Some(_)) => return Err(arg("give `n` or `density`, not both".into())),
        (Some(n), _) if 2 * k > n => {
            return Err(arg(format!("`k` must be <= n/2 (Theorems 2-3 assume it), got k = {k}, n = {n}")))
        }
        (Some(n), _) => Some(n),
        (_, Some(g)) if g > 0.0 && g <= 0.5 => Some((k as f64 / g).round() as usize),
        (_, Some(g)) => return Err(arg(format!("`density` k/n must be in (0, 1/2], got {g}"))),
        _ => None,
    };
    if q.widths.is_some() || q.basis.is_some() || q.network.is_some() {
        theory::check_gamma("gamma_prime", q.gamma_prime).map_err(arg)?;
    }
    let (t2, c2) = (theory::theorem2_n(k, q.eps, q.c), theory::corollary2_n(k, q.eps, q.c_amp));
    let first_moment = Dist::ALL
        .into_iter()
        .map(|dist| {
            let law = SumLaw::new(dist, k);
            let moment = FirstMoment {
                n_expectation_1: theory::first_moment_n(&law, q.target, q.eps),
                expected_good_subsets: n.map(|n| theory::expected_good_subsets(&law, n, q.target, q.eps)),
            };
            (dist.name().to_string(), moment)
        })
        .collect();
    Ok(Bounds {
        k,
        eps: q.eps,
        n,
        ratio: n.map(|n| theory::rfss_ratio(k, n, q.eps)),
        theorem2_n: t2,
        corollary1_n: theory::corollary1_n(k, q.eps, q.c_amp),
        corollary2_n: Corollary2 { n: c2.0, condition_holds: c2.1 },
        theorem5_n: theory::theorem5_n(k, q.eps, q.d),
        first_moment,
        theorem3: q.widths.as_deref().map(|w| theorem3(w, q)).transpose()?,
        theorem4: q.basis.as_ref().map(|(b, spaces, layers)| theorem4(b.as_ref(), *spaces, *layers, q)).transpose()?,
        theorem4_layers: q.network.map(|net| theorem4_layers(net, q)).transpose()?,
    })
}

fn theorem3(widths: &[usize], q: &BoundsQuery<'_>) -> Result<Theorem3> {
    if widths.len() < 2 || widths.contains(&0) {
        return Err(Error::Argument("`widths` needs at least an input and an output width, each at least 1".into()));
    }
    let layers = theory::theorem3(widths, q.eps, q.gamma_prime, q.c_amp);
    let m_t: f64 = widths.windows(2).map(|p| (p[0] * p[1]) as f64).sum();
    let m: f64 = layers.iter().map(|s| s.params).sum();
    let kept: f64 = layers.iter().map(|s| s.kept).sum();
    Ok(Theorem3 {
        gamma_prime: q.gamma_prime,
        c_amp: q.c_amp,
        layers,
        m,
        m_t,
        overparameterisation: m / m_t,
        kept,
        kept_over_m: kept / m,
        paper_density: theory::width_ratio(widths) * q.gamma_prime,
    })
}

fn theorem4(b: &dyn Basis, spaces: usize, layers: usize, q: &BoundsQuery<'_>) -> Result<Theorem4> {
    if spaces == 0 || layers == 0 {
        return Err(Error::Argument("`spaces` and `layers` must be at least 1".into()));
    }
    Ok(Theorem4 {
        basis: b.name(),
        basis_size: b.size(),
        basis_norm: b.norm(),
        spaces,
        layers,
        gamma: q.gamma_prime,
        hidden_spaces: theory::theorem4_n(layers, spaces, b.size(), b.norm(), q.gamma_prime, q.eps, q.c_amp),
    })
}

fn theorem4_layers(net: &Network, q: &BoundsQuery<'_>) -> Result<Vec<Theorem4Layer>> {
    let linear = net.structure().map_err(Error::Unsupported)?.linear;
    let ell = linear.len();
    Ok(linear
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (size, norm) = (l.basis.size(), l.basis.norm());
            let spaces = l.c_in.max(l.c_out);
            Theorem4Layer {
                layer: i,
                basis: l.basis.spec(),
                basis_size: size,
                basis_norm: norm,
                c_in: l.c_in,
                c_out: l.c_out,
                hidden_spaces: theory::theorem4_n(ell, spaces, size, norm, q.gamma_prime, q.eps, q.c_amp),
            }
        })
        .collect())
}
