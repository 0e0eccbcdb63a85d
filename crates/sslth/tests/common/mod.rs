//! Helpers shared by the integration tests.

use sslth::net::LinearWeights;
use sslth::weights::uniform_weight;

/// An MLP with the given widths and weights (and biases, if asked)
/// uniform in [−scale, scale), drawn from `seed`.
pub fn random_mlp(widths: &[usize], seed: u64, scale: f64, bias: bool) -> Vec<LinearWeights> {
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let draw = |n: usize, s: u64| {
                (0..n).map(|t| (scale * uniform_weight(seed, s, t as u64)) as f32).collect::<Vec<_>>()
            };
            LinearWeights {
                d_in: w[0],
                d_out: w[1],
                weight: draw(w[0] * w[1], 100 + i as u64),
                bias: bias.then(|| draw(w[1], 200 + i as u64)),
            }
        })
        .collect();
    layers
}
