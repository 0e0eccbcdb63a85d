//! Seekable random weights keyed by (seed, layer, index) (ARCHITECTURE.md,
//! Determinism).
//!
//! Weight `index` of layer `layer` is Uniform[−1, 1) drawn from the 64-bit
//! word at position `index` of ChaCha8 stream `layer` seeded with `seed`
//! (`rand_chacha` 0.9, `seed_from_u64`). Any weight can be regenerated
//! without storing the network, and no result depends on the order or the
//! thread in which weights are drawn.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Name of the generator, recorded in ticket files.
pub const GENERATOR: &str = "chacha8-u64-uniform[-1,1)";

/// How a random layer's weights follow from the generator's Uniform[−1, 1)
/// draws u, before the layer's scale multiplies them (docs/FORMAT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightLaw {
    /// u itself: uniform on [−scale, scale).
    Uniform,
    /// The sign of u (+1 for u ≥ 0): ±scale, each with probability ½
    /// (edge-popup's "signed constant" initialisation).
    SignedConstant,
}

impl WeightLaw {
    /// Both laws, in the order the tools list them.
    pub const ALL: [WeightLaw; 2] = [WeightLaw::Uniform, WeightLaw::SignedConstant];

    /// The law's name on the command line and in files: `uniform` or
    /// `signed-constant`.
    pub fn name(self) -> &'static str {
        match self {
            WeightLaw::Uniform => "uniform",
            WeightLaw::SignedConstant => "signed-constant",
        }
    }

    /// The names of [`WeightLaw::ALL`].
    pub const NAMES: [&'static str; 2] = ["uniform", "signed-constant"];

    /// The law of a name given by [`WeightLaw::name`].
    pub fn parse(name: &str) -> Result<WeightLaw, String> {
        WeightLaw::ALL
            .into_iter()
            .find(|l| l.name() == name)
            .ok_or_else(|| format!("weights must be uniform or signed-constant, got {name:?}"))
    }

    /// The weight of draw u, before scaling.
    pub fn apply(self, u: f64) -> f64 {
        match self {
            WeightLaw::Uniform => u,
            WeightLaw::SignedConstant if u < 0.0 => -1.0,
            WeightLaw::SignedConstant => 1.0,
        }
    }
}

/// The weights of one layer, read in order from a chosen position.
#[derive(Clone, Debug)]
pub struct WeightStream {
    rng: ChaCha8Rng,
}

impl WeightStream {
    /// The stream of layer `layer` for `seed`, at weight 0.
    pub fn new(seed: u64, layer: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(layer);
        WeightStream { rng }
    }

    /// Moves to weight `index` (each weight is one 64-bit word, two 32-bit
    /// words of ChaCha's counter).
    pub fn seek(&mut self, index: u64) {
        self.rng.set_word_pos(u128::from(index) * 2);
    }

    /// The next weight, Uniform[−1, 1).
    pub fn next_weight(&mut self) -> f64 {
        rfss::symmetric_unit(&mut self.rng)
    }

    /// Fills `out` with the next `out.len()` weights.
    pub fn fill(&mut self, out: &mut [f64]) {
        for w in out {
            *w = self.next_weight();
        }
    }
}

/// Weight `index` of layer `layer` for `seed`, drawn alone.
pub fn uniform_weight(seed: u64, layer: u64, index: u64) -> f64 {
    let mut s = WeightStream::new(seed, layer);
    s.seek(index);
    s.next_weight()
}

/// The weights at `indices` (ascending) of layer `layer`: reads forward
/// through short gaps and seeks across long ones, so a dense row costs one
/// word a weight and scattered weights one seek each.
pub fn weights_at(seed: u64, layer: u64, indices: &[u64]) -> Vec<f64> {
    let mut s = WeightStream::new(seed, layer);
    let mut pos = 0u64;
    let mut out = Vec::with_capacity(indices.len());
    for (t, &i) in indices.iter().enumerate() {
        assert!(t == 0 || i > indices[t - 1], "indices must ascend");
        if t == 0 || i - pos > 64 {
            s.seek(i);
        } else {
            for _ in pos..i {
                s.next_weight();
            }
        }
        out.push(s.next_weight());
        pos = i + 1;
    }
    out
}

impl std::str::FromStr for WeightLaw {
    type Err = String;

    /// See [`WeightLaw::parse`].
    fn from_str(name: &str) -> Result<WeightLaw, String> {
        WeightLaw::parse(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeking_matches_reading_in_order() {
        let mut s = WeightStream::new(3, 5);
        let mut all = vec![0.0; 300];
        s.fill(&mut all);
        for i in [0u64, 1, 7, 8, 63, 64, 255, 299] {
            assert_eq!(uniform_weight(3, 5, i), all[i as usize], "index {i}");
        }
        let mut t = WeightStream::new(3, 5);
        t.seek(100);
        let mut tail = vec![0.0; 200];
        t.fill(&mut tail);
        assert_eq!(&tail[..], &all[100..]);
    }

    #[test]
    fn gathering_matches_single_draws() {
        let idx = [0u64, 1, 5, 70, 71, 500, 100_000];
        let got = weights_at(4, 2, &idx);
        for (&i, &w) in idx.iter().zip(&got) {
            assert_eq!(w, uniform_weight(4, 2, i));
        }
    }

    #[test]
    fn layers_and_seeds_are_independent_streams() {
        let a: Vec<f64> = (0..8).map(|i| uniform_weight(1, 0, i)).collect();
        let b: Vec<f64> = (0..8).map(|i| uniform_weight(1, 1, i)).collect();
        let c: Vec<f64> = (0..8).map(|i| uniform_weight(2, 0, i)).collect();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|w| (-1.0..1.0).contains(w)));
    }

    #[test]
    fn uniform_mean_and_variance() {
        let mut s = WeightStream::new(9, 0);
        let mut v = vec![0.0; 100_000];
        s.fill(&mut v);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.01 && (var - 1.0 / 3.0).abs() < 0.01, "{mean} {var}");
    }
}
