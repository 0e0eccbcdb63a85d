//! Tickets found by training scores: edge-popup (Ramanujan et al., "What's
//! Hidden in a Randomly Weighted Neural Network?", 2020; docs/THEORY.md §7).
//!
//! A chain of random layers is drawn from the same seekable generator as
//! constructed tickets ([`crate::weights`]: weight [o, i] of layer l is
//! `law(u)·scale`, u the draw `o·cols + i` of stream l). Every weight gets
//! a score; the forward pass uses, in every layer, exactly the ⌈D·edges⌉
//! weights of largest |score| (D the density, the fraction KEPT), and the
//! backward pass treats that top-k selection as the identity (the
//! straight-through estimator): the effective weight is
//! W ⊙ (mask + |s| − stop_gradient(|s|)), whose value is W ⊙ mask and whose
//! gradient in s is W ⊙ sign(s) times the upstream one. sslth
//! differentiates the loss in the effective weights W ⊙ mask
//! ([`super::backprop`]) and applies that product itself. The weights never change. Scores follow SGD with
//! momentum and weight decay under a cosine schedule, one learning rate
//! per epoch. The loss reads the logits times a fixed factor
//! ([`PopupConfig::logit_scale`]).
//!
//! Deterministic: the weights, the initial scores (stream 2⁴² + l) and the
//! batch order (ChaCha8 from the seed) are seeded, and the top-k breaks
//! ties to the earlier input, then output.

use super::backprop::loss_and_gradients;
use crate::data::Dataset;
use crate::net::{LinearWeights, Network};
use crate::ticket::RandomLayer;
use crate::weights::{WeightLaw, WeightStream};
use crate::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// First stream of the initial scores: far from random networks' (l),
/// training's (2⁴⁰ + l) and the sizing calibration's (2⁴¹ + …).
const SCORE_STREAM: u64 = 1 << 42;

/// What to train.
#[derive(Clone, Debug)]
pub struct PopupConfig {
    /// The random layers, input first (ReLU between them).
    pub layers: Vec<RandomLayer>,
    /// Layer 0's last column reads a constant 1 (a bias).
    pub bias: bool,
    /// Fraction of every layer's edges kept, in (0, 1].
    pub density: f64,
    /// Passes over the training set.
    pub epochs: usize,
    /// Seed of the weights, the scores and the batch order.
    pub seed: u64,
    /// Initial learning rate (cosine schedule down to 0).
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// Weight decay on the scores.
    pub weight_decay: f64,
    /// Rows per batch.
    pub batch: usize,
    /// The loss reads the logits times this (a softmax temperature): the
    /// ticket's predictions do not depend on it, but its gradients do.
    /// `None`: the factor that gives the initial ticket's logits a root
    /// mean square of 1 (see [`train`]).
    pub logit_scale: Option<f64>,
}

/// A chain of random layers for widths d_0-…-d_ℓ with edge-popup's
/// initialisations (Kaiming, fan-in): uniform on ±√(6/fan_in) (standard
/// deviation √(2/fan_in)), or the signed constant ±√(2/fan_in).
pub fn chain(widths: &[usize], law: WeightLaw) -> Vec<RandomLayer> {
    widths
        .windows(2)
        .map(|w| {
            let fan_in = w[0] as f64;
            let scale = match law {
                WeightLaw::Uniform => (6.0 / fan_in).sqrt(),
                WeightLaw::SignedConstant => (2.0 / fan_in).sqrt(),
            };
            RandomLayer { rows: w[1], cols: w[0], scale, law }
        })
        .collect()
}

/// Edges kept in a layer of `edges` at `density`: ⌈density·edges⌉, at
/// least one.
pub fn kept(edges: usize, density: f64) -> usize {
    ((density * edges as f64).ceil() as usize).clamp(1, edges)
}

/// The 0/1 mask (as f32, ready to multiply) of the `count` entries of
/// largest |score|, ties to the earlier position: a selection for the
/// threshold, then one pass, O(len). |score| is compared through its bits,
/// which order non-negative floats as integers.
pub fn top_mask(scores: &[f32], count: usize) -> Vec<f32> {
    let count = count.min(scores.len());
    if count == 0 {
        return vec![0.0; scores.len()];
    }
    let key = |v: &f32| v.to_bits() & 0x7fff_ffff;
    let mut keys: Vec<u32> = scores.iter().map(key).collect();
    let at = scores.len() - count;
    let (_, &mut threshold, _) = keys.select_nth_unstable(at);
    // Branch-free: everything above the threshold, then as many of the
    // entries equal to it as are still needed, in order.
    let mut mask: Vec<f32> = scores.iter().map(|v| f32::from(u8::from(key(v) > threshold))).collect();
    let above = mask.iter().filter(|&&m| m > 0.0).count();
    let ties = scores.iter().enumerate().filter(|(_, v)| key(v) == threshold).map(|(i, _)| i);
    for i in ties.take(count - above) {
        mask[i] = 1.0;
    }
    mask
}

/// The random weights of layer l, `[rows, cols]` row-major.
pub fn layer_weights(seed: u64, l: usize, layer: &RandomLayer) -> Vec<f32> {
    let mut u = vec![0.0f64; layer.rows * layer.cols];
    WeightStream::new(seed, l as u64).fill(&mut u);
    u.into_iter().map(|u| (layer.law.apply(u) * layer.scale) as f32).collect()
}

/// Checks a configuration against the data before anything is trained.
fn check(data: &Dataset, cfg: &PopupConfig) -> Result<()> {
    if !(cfg.density > 0.0 && cfg.density <= 1.0) {
        return Err(Error::Argument(format!(
            "`density` must be in (0, 1] (the fraction of edges KEPT), got {}",
            cfg.density
        )));
    }
    if cfg.epochs == 0 {
        return Err(Error::Argument("`epochs` must be at least 1".into()));
    }
    let first =
        cfg.layers.first().ok_or_else(|| Error::Argument("the architecture needs at least one layer".into()))?;
    let d_in = first.cols - usize::from(cfg.bias);
    if d_in != data.dim {
        return Err(Error::Argument(format!("the architecture takes {d_in} inputs but the data have {}", data.dim)));
    }
    let classes = usize::from(*data.labels.iter().max().unwrap_or(&0)) + 1;
    let out = cfg.layers.last().expect("non-empty").rows;
    if out < classes {
        return Err(Error::Argument(format!("the architecture has {out} outputs but the data have {classes} classes")));
    }
    Ok(())
}

/// Trains scores on `data` and returns each layer's kept edges (flat
/// indices into its `[rows, cols]` matrix, ascending): the top
/// ⌈density·edges⌉ by |score| after the last step. `progress(epoch,
/// batch, batches, loss)` is called after every batch; returning false
/// stops the training ("interrupted").
pub fn train(
    data: &Dataset,
    cfg: &PopupConfig,
    mut progress: impl FnMut(usize, usize, usize, f32) -> bool,
) -> Result<Vec<Vec<u64>>> {
    check(data, cfg)?;
    // Every layer's weights and scores are held transposed, [cols, rows]
    // (input-major), which fixes the order the top-k breaks ties in.
    let mut weights = Vec::new();
    let mut scores = Vec::new();
    for (l, r) in cfg.layers.iter().enumerate() {
        weights.push(flip(&layer_weights(cfg.seed, l, r), r.rows, r.cols));
        let mut u = vec![0.0f64; r.rows * r.cols];
        WeightStream::new(cfg.seed, SCORE_STREAM + l as u64).fill(&mut u);
        let bound = 1.0 / (r.cols as f64).sqrt();
        let s: Vec<f32> = u.into_iter().map(|u| (u * bound) as f32).collect();
        scores.push(flip(&s, r.rows, r.cols));
    }
    let counts: Vec<usize> = cfg.layers.iter().map(|r| kept(r.rows * r.cols, cfg.density)).collect();
    let mut velocity: Vec<Vec<f32>> = scores.iter().map(|s| vec![0.0; s.len()]).collect();

    let logit_scale = cfg.logit_scale.unwrap_or_else(|| default_logit_scale(data, cfg, &weights, &scores, &counts));
    let cols0 = cfg.layers[0].cols;
    let inputs: Vec<f32> = if cfg.bias {
        data.inputs.chunks_exact(data.dim).flat_map(|row| row.iter().copied().chain([1.0])).collect()
    } else {
        data.inputs.clone()
    };
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed);
    let batches = data.len().div_ceil(cfg.batch);
    let (momentum, decay) = (cfg.momentum as f32, cfg.weight_decay as f32);
    for epoch in 0..cfg.epochs {
        let lr = (0.5 * cfg.lr * (1.0 + (std::f64::consts::PI * epoch as f64 / cfg.epochs as f64).cos())) as f32;
        order.shuffle(&mut rng);
        for (b, chunk) in order.chunks(cfg.batch).enumerate() {
            let x: Vec<f32> = chunk.iter().flat_map(|&r| &inputs[r * cols0..(r + 1) * cols0]).copied().collect();
            let y: Vec<u8> = chunk.iter().map(|&r| data.labels[r]).collect();
            let (loss, grads) = step_gradients(&weights, &scores, &cfg.layers, &counts, &x, &y, logit_scale);
            for ((s, v), g) in scores.iter_mut().zip(velocity.iter_mut()).zip(grads) {
                for ((s, v), g) in s.iter_mut().zip(v.iter_mut()).zip(g) {
                    *v = momentum * *v + g + decay * *s;
                    *s -= lr * *v;
                }
            }
            if !progress(epoch, b, batches, loss) {
                return Err(Error::Interrupted);
            }
        }
    }
    Ok(kept_edges(cfg, &scores, &counts))
}

/// The default logit factor of edge-popup: 1 / the root mean square of the initial
/// ticket's logits on the first 2,048 training rows. sslth's inputs
/// have ‖x‖ ≤ 1 and a random network's gain is whatever its scales
/// make it (Kaiming layers keep the inputs' small size; the
/// construction's B layers, on ±4.2 where Kaiming gives ±0.044 on
/// digits, multiply it), so the raw logits sit far from the softmax's
/// working range: on digits, 64-300-100-10 at density 0.5 for 30
/// epochs, edge-popup reached 47.9% test accuracy on raw logits, 95.5%
/// with the inputs scaled to unit root mean square, 97.2% with this.
fn default_logit_scale(
    data: &Dataset,
    cfg: &PopupConfig,
    weights: &[Vec<f32>],
    scores: &[Vec<f32>],
    counts: &[usize],
) -> f64 {
    let rows = data.len().min(2048);
    let x: Vec<f32> = data.inputs[..rows * data.dim]
        .chunks_exact(data.dim)
        .flat_map(|row| row.iter().copied().chain(cfg.bias.then_some(1.0)))
        .collect();
    let h = masked_network(weights, scores, &cfg.layers, counts).forward_batch(&x, rows);
    let rms = (h.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / h.len().max(1) as f64).sqrt();
    if rms > 0.0 && rms.is_finite() {
        1.0 / rms
    } else {
        1.0
    }
}

/// Each layer's kept edges, the top `counts[l]` by |score|, as ascending
/// flat indices of its `[rows, cols]` matrix (`scores` are `[cols, rows]`).
fn kept_edges(cfg: &PopupConfig, scores: &[Vec<f32>], counts: &[usize]) -> Vec<Vec<u64>> {
    cfg.layers
        .iter()
        .zip(scores)
        .zip(counts)
        .map(|((r, s), &c)| {
            let mut idx: Vec<u64> = top_mask(s, c)
                .into_iter()
                .enumerate()
                .filter(|&(_, keep)| keep > 0.0)
                .map(|(t, _)| ((t % r.rows) * r.cols + t / r.rows) as u64)
                .collect();
            idx.sort_unstable();
            idx
        })
        .collect()
}

/// `[cols, rows]` ↔ `[rows, cols]`: `v` has `from_rows` rows.
fn flip(v: &[f32], from_rows: usize, from_cols: usize) -> Vec<f32> {
    (0..from_rows * from_cols).map(|t| v[(t % from_rows) * from_cols + t / from_rows]).collect()
}

/// The current ticket as a network: each layer's weights W ⊙ M (the top
/// entries by |score|), from the transposed layouts of [`train`].
fn masked_network(weights: &[Vec<f32>], scores: &[Vec<f32>], layers: &[RandomLayer], counts: &[usize]) -> Network {
    let dense: Vec<LinearWeights> = (weights.iter().zip(scores).enumerate())
        .map(|(l, (w, s))| {
            let r = &layers[l];
            let mut effective = top_mask(s, counts[l]);
            effective.iter_mut().zip(w).for_each(|(m, w)| *m *= w);
            LinearWeights { d_in: r.cols, d_out: r.rows, weight: flip(&effective, r.cols, r.rows), bias: None }
        })
        .collect();
    Network::mlp(&dense)
}

/// One batch's loss and the straight-through gradient of every score, all
/// in the transposed layouts of [`train`]: the loss's gradient in the
/// effective weights W ⊙ M times W ⊙ sign(s).
fn step_gradients(
    weights: &[Vec<f32>],
    scores: &[Vec<f32>],
    layers: &[RandomLayer],
    counts: &[usize],
    x: &[f32],
    y: &[u8],
    logit_scale: f64,
) -> (f32, Vec<Vec<f32>>) {
    let net = masked_network(weights, scores, layers, counts);
    let (loss, grads) = loss_and_gradients(&net, x, y, logit_scale as f32);
    let out = (grads.coefficients.iter().zip(weights).zip(scores).enumerate())
        .map(|(l, ((g, w), s))| {
            let g = flip(g, layers[l].rows, layers[l].cols);
            g.iter().zip(w).zip(s).map(|((g, w), s)| g * w * s.signum()).collect()
        })
        .collect();
    (loss, out)
}

/// What the ticket file of a trained configuration records (version 3,
/// docs/FORMAT.md): its chain, the kept counts and the data it was trained
/// on. Run it with [`crate::ticket::regenerate`].
pub fn ticket_meta(cfg: &PopupConfig, masks: &[Vec<u64>], data: &Dataset) -> crate::ticket::TicketMeta {
    let kept: u64 = masks.iter().map(|m| m.len() as u64).sum();
    let random: u64 = cfg.layers.iter().map(|l| (l.rows * l.cols) as u64).sum();
    let mut widths = vec![cfg.layers[0].cols - usize::from(cfg.bias)];
    widths.extend(cfg.layers.iter().map(|l| l.rows));
    crate::ticket::TicketMeta {
        version: 3,
        generator: crate::weights::GENERATOR.to_string(),
        seed: cfg.seed,
        bias: cfg.bias,
        nonneg_input: false,
        target_widths: widths,
        input_scale: Some(data.scale),
        data: Some(data.name.to_string()),
        bases: Vec::new(),
        pool_after: None,
        ops: Vec::new(),
        points: 1,
        pairs: Vec::new(),
        layers: cfg.layers.clone(),
        density: kept as f64 / random as f64,
        kept_edges: kept,
        random_edges: random,
        certified_error: None,
        misses: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against sorting: the top k by |score| with ties to the earlier
    /// position (scores on a grid of quarters, so ties are common).
    #[test]
    fn top_mask_keeps_the_largest_magnitudes() {
        for t in 0..50u64 {
            let n = 1 + (t as usize * 7) % 40;
            let scores: Vec<f32> =
                (0..n).map(|i| (crate::weights::uniform_weight(t, 0, i as u64) * 4.0).round() as f32 / 4.0).collect();
            let count = 1 + (t as usize) % n;
            let mut all: Vec<usize> = (0..n).collect();
            all.sort_by(|&a, &b| scores[b].abs().total_cmp(&scores[a].abs()).then(a.cmp(&b)));
            let mut want = vec![0.0; n];
            for &i in &all[..count] {
                want[i] = 1.0;
            }
            assert_eq!(top_mask(&scores, count), want, "n {n}, count {count}");
        }
    }

    /// The straight-through gradients against finite differences: the
    /// loss of the masked network with one effective weight w·m moved by
    /// ±h gives ∂L/∂(w·m); a score's gradient is that times w·sign(s).
    #[test]
    fn score_gradients_are_the_straight_through_ones() {
        let layers = chain(&[5, 7, 4, 3], WeightLaw::Uniform);
        let counts: Vec<usize> = layers.iter().map(|r| kept(r.rows * r.cols, 0.4)).collect();
        let mut weights = Vec::new();
        let mut scores = Vec::new();
        for (l, r) in layers.iter().enumerate() {
            let w = layer_weights(3, l, r);
            weights.push(flip(&w, r.rows, r.cols));
            scores.push(
                (0..w.len()).map(|t| crate::weights::uniform_weight(4, l as u64, t as u64) as f32).collect::<Vec<_>>(),
            );
        }
        let rows = 6;
        let x: Vec<f32> = (0..rows * 5).map(|t| crate::weights::uniform_weight(5, 0, t as u64) as f32).collect();
        let y: Vec<u8> = (0..rows as u8).map(|i| i % 3).collect();
        let (_, ours) = step_gradients(&weights, &scores, &layers, &counts, &x, &y, 2.5);
        // The masked network with effective weight t of layer l moved by h.
        let loss = |l: usize, t: usize, h: f32| -> f64 {
            let dense: Vec<LinearWeights> = (0..layers.len())
                .map(|k| {
                    let r = &layers[k];
                    let mut e = top_mask(&scores[k], counts[k]);
                    e.iter_mut().zip(&weights[k]).for_each(|(m, w)| *m *= w);
                    if k == l {
                        e[t] += h;
                    }
                    let weight = flip(&e, r.cols, r.rows);
                    LinearWeights { d_in: r.cols, d_out: r.rows, weight, bias: None }
                })
                .collect();
            f64::from(loss_and_gradients(&Network::mlp(&dense), &x, &y, 2.5).0)
        };
        // Entries where the loss has a kink at the point (a hidden unit at
        // exactly 0 on some row: its two one-sided slopes differ) have no
        // single derivative to compare; there must be few.
        let mut kinks = 0;
        for l in 0..layers.len() {
            assert!(ours[l].iter().any(|g| g.abs() > 1e-3), "layer {l} has no gradient to compare");
            for t in 0..ours[l].len() {
                let h = 2e-3;
                let (down, at, up) = (loss(l, t, -h), loss(l, t, 0.0), loss(l, t, h));
                let (left, right) = ((at - down) / f64::from(h), (up - at) / f64::from(h));
                if (left - right).abs() > 1e-3 + 1e-2 * right.abs() {
                    kinks += 1;
                    continue;
                }
                let want = 0.5 * (left + right) * f64::from(weights[l][t] * scores[l][t].signum());
                let got = f64::from(ours[l][t]);
                assert!((got - want).abs() <= 2e-3 + 2e-2 * want.abs(), "layer {l} entry {t}: {got} vs {want}");
            }
        }
        assert!(kinks <= 3, "{kinks} kinks");
    }

    #[test]
    fn kept_is_the_ceiling_of_the_density() {
        assert_eq!(kept(10, 0.05), 1);
        assert_eq!(kept(10, 0.11), 2);
        assert_eq!(kept(10, 1.0), 10);
        assert_eq!(kept(235_200, 0.5), 117_600);
    }
}
