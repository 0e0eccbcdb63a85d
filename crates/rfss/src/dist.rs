//! Sample distributions for RFSS instances, drawn from a named seeded
//! generator (ARCHITECTURE.md, Determinism).
//!
//! A distribution implements [`rand::distr::Distribution<f64>`] and never
//! knows which generator feeds it; [`draw`] feeds it from ChaCha8 with a
//! `(seed, stream)` key so that trial `t` of an experiment is reproducible on
//! its own, whatever the thread count.

use rand::distr::Distribution;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::str::FromStr;

/// The sample distributions of docs/THEORY.md §2–§3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dist {
    /// Uniform[−1, 1]: sum-bounded (docs/THEORY.md §2, Lemma 1).
    Uniform,
    /// Standard Gaussian N(0, 1) (rand_distr's ziggurat `StandardNormal`).
    Gauss,
    /// X·Y with X ~ Uniform[0, 1] and Y ~ Uniform[−1, 1], independent: the
    /// samples a_h·B[o, h] of one side of the dense construction (docs/THEORY.md §3.1,
    /// step 4). On the negative side a_h ∈ [−1, 0] and the product has the
    /// same law, since Y is symmetric. Variance 1/9.
    Product,
}

impl Dist {
    /// Every distribution, in the order used by tables.
    pub const ALL: [Dist; 3] = [Dist::Uniform, Dist::Gauss, Dist::Product];

    /// The name used on the command line and in output files.
    pub fn name(self) -> &'static str {
        match self {
            Dist::Uniform => "uniform",
            Dist::Gauss => "gauss",
            Dist::Product => "product",
        }
    }
}

/// Serialised as its name.
impl serde::Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dist {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Dist::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| format!("unknown distribution '{s}' (expected uniform, gauss or product)"))
    }
}

/// A uniform number in [0, 1) from the top 53 bits of one 64-bit word: the
/// same value on every platform for the same generator state.
fn unit<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform[−1, 1) from one 64-bit word (see [`unit`]).
pub fn symmetric_unit<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    2.0 * unit(rng) - 1.0
}

impl Distribution<f64> for Dist {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Uniform => symmetric_unit(rng),
            Dist::Gauss => rand_distr::StandardNormal.sample(rng),
            Dist::Product => {
                let x = unit(rng);
                let y = symmetric_unit(rng);
                x * y
            }
        }
    }
}

/// The generator behind every random sample: ChaCha8 seeded from `seed`,
/// on stream `stream` (one stream per trial or per instance).
pub fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// `n` samples of `dist` from [`rng`]`(seed, stream)`.
pub fn draw(dist: Dist, n: usize, seed: u64, stream: u64) -> Vec<f64> {
    let mut g = rng(seed, stream);
    (0..n).map(|_| dist.sample(&mut g)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(d: Dist) -> (f64, f64, f64, f64) {
        let v = draw(d, 200_000, 7, 0);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (mean, var, lo, hi)
    }

    #[test]
    fn moments_match_the_laws() {
        // Standard errors at 2e5 samples are below 3e-3 for every figure here.
        let (m, v, lo, hi) = moments(Dist::Uniform);
        assert!(m.abs() < 0.01 && (v - 1.0 / 3.0).abs() < 0.01, "{m} {v}");
        assert!(lo >= -1.0 && hi < 1.0);
        let (m, v, _, _) = moments(Dist::Gauss);
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.02, "{m} {v}");
        let (m, v, lo, hi) = moments(Dist::Product);
        assert!(m.abs() < 0.01 && (v - 1.0 / 9.0).abs() < 0.005, "{m} {v}");
        assert!(lo >= -1.0 && hi < 1.0);
    }

    #[test]
    fn product_density_is_log_shaped() {
        // P(|XY| > t) = 1 − t + t·ln t for X ~ U[0,1], |Y| ~ U[0,1].
        let v = draw(Dist::Product, 200_000, 3, 1);
        for t in [0.1f64, 0.3, 0.6] {
            let emp = v.iter().filter(|x| x.abs() > t).count() as f64 / v.len() as f64;
            let exact = 1.0 - t + t * t.ln();
            assert!((emp - exact).abs() < 0.005, "t={t}: {emp} vs {exact}");
        }
    }

    #[test]
    fn seeded_and_stream_separated() {
        assert_eq!(draw(Dist::Gauss, 10, 1, 2), draw(Dist::Gauss, 10, 1, 2));
        assert_ne!(draw(Dist::Uniform, 10, 1, 2), draw(Dist::Uniform, 10, 1, 3));
        assert_ne!(draw(Dist::Uniform, 10, 1, 2), draw(Dist::Uniform, 10, 2, 2));
    }

    #[test]
    fn names_round_trip() {
        for d in Dist::ALL {
            assert_eq!(d.name().parse::<Dist>().unwrap(), d);
        }
        assert!("cauchy".parse::<Dist>().unwrap_err().contains("cauchy"));
    }
}
