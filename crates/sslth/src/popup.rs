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
//! gradient in s is W ⊙ sign(s) times the upstream one. The weights never
//! change. Scores follow SGD with momentum and weight decay under a cosine
//! schedule, one learning rate per epoch.
//!
//! Deterministic: the weights, the initial scores (stream 2⁴² + l) and the
//! batch order (ChaCha8 from the seed) are seeded, and the top-k breaks
//! ties by index.

use crate::data::Dataset;
use crate::ticket::RandomLayer;
use crate::weights::{WeightLaw, WeightStream};
use candle_core::{DType, Device, Tensor, Var};
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
    /// See [`logit_scale`].
    pub logit_scale: f64,
}

/// The default [`PopupConfig::logit_scale`]: 1 / the root mean square of
/// the training inputs' coordinates. sslth's inputs are scaled to ‖x‖ ≤ 1,
/// so a coordinate is about 1/√d, and random weights never grow them:
/// without the factor the logits stay near 0 and the loss almost flat
/// (digits, 64-300-100-10 at density 0.5, 30 epochs: 47.9% test accuracy
/// at factor 1, 93.3% at 8, 97.8% at 32; Fashion-MNIST after 2 epochs:
/// 70.8%, 82.0% and 85.1% at 8, 32 and 128). For a bias-free ReLU network
/// the factor is the same as scaling the inputs to unit root mean square,
/// which is how edge-popup's own data pipelines feed it.
pub fn logit_scale(data: &Dataset) -> f64 {
    let sq: f64 = data.inputs.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    let rms = (sq / data.inputs.len().max(1) as f64).sqrt();
    if rms > 0.0 {
        1.0 / rms
    } else {
        1.0
    }
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

/// The `count` flat indices of largest |score| (ties to the smaller
/// index), ascending.
pub fn top_k(scores: &[f32], count: usize) -> Vec<u64> {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    let key = |i: &u32| scores[*i as usize].abs();
    if count < order.len() {
        order.select_nth_unstable_by(count, |a, b| key(b).total_cmp(&key(a)).then(a.cmp(b)));
        order.truncate(count);
    }
    let mut idx: Vec<u64> = order.into_iter().map(u64::from).collect();
    idx.sort_unstable();
    idx
}

fn err(e: candle_core::Error) -> String {
    format!("edge-popup training failed: {e}")
}

/// The random weights of layer l, `[rows, cols]` row-major.
pub fn layer_weights(seed: u64, l: usize, layer: &RandomLayer) -> Vec<f32> {
    let mut u = vec![0.0f64; layer.rows * layer.cols];
    WeightStream::new(seed, l as u64).fill(&mut u);
    u.into_iter().map(|u| (layer.law.apply(u) * layer.scale) as f32).collect()
}

/// Checks a configuration against the data before anything is trained.
fn check(data: &Dataset, cfg: &PopupConfig) -> Result<(), String> {
    if !(cfg.density > 0.0 && cfg.density <= 1.0) {
        return Err(format!("--density must be in (0, 1] (the fraction of edges KEPT), got {}", cfg.density));
    }
    if cfg.epochs == 0 {
        return Err("--epochs must be at least 1".into());
    }
    let first = cfg.layers.first().ok_or("the architecture needs at least one layer")?;
    let d_in = first.cols - usize::from(cfg.bias);
    if d_in != data.dim {
        return Err(format!("the architecture takes {d_in} inputs but the data have {}", data.dim));
    }
    let classes = usize::from(*data.labels.iter().max().unwrap_or(&0)) + 1;
    let out = cfg.layers.last().expect("non-empty").rows;
    if out < classes {
        return Err(format!("the architecture has {out} outputs but the data have {classes} classes"));
    }
    Ok(())
}

/// Trains scores on `data` and returns each layer's kept edges (flat
/// indices into its `[rows, cols]` matrix, ascending): the top
/// ⌈density·edges⌉ by |score| after the last step. `progress(epoch,
/// batch, batches, loss)` is called after every batch.
pub fn train(
    data: &Dataset,
    cfg: &PopupConfig,
    mut progress: impl FnMut(usize, usize, usize, f32),
) -> Result<Vec<Vec<u64>>, String> {
    check(data, cfg)?;
    let dev = Device::Cpu;
    let weights: Vec<Tensor> = cfg
        .layers
        .iter()
        .enumerate()
        .map(|(l, r)| Tensor::from_vec(layer_weights(cfg.seed, l, r), (r.rows, r.cols), &dev))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let scores: Vec<Var> = cfg
        .layers
        .iter()
        .enumerate()
        .map(|(l, r)| {
            let mut u = vec![0.0f64; r.rows * r.cols];
            WeightStream::new(cfg.seed, SCORE_STREAM + l as u64).fill(&mut u);
            let bound = 1.0 / (r.cols as f64).sqrt();
            let s: Vec<f32> = u.into_iter().map(|u| (u * bound) as f32).collect();
            Var::from_tensor(&Tensor::from_vec(s, (r.rows, r.cols), &dev)?)
        })
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let counts: Vec<usize> = cfg.layers.iter().map(|r| kept(r.rows * r.cols, cfg.density)).collect();
    let mut velocity: Vec<Tensor> = scores.iter().map(|s| s.zeros_like()).collect::<Result<_, _>>().map_err(err)?;

    let cols0 = cfg.layers[0].cols;
    let inputs: Vec<f32> = if cfg.bias {
        data.inputs.chunks_exact(data.dim).flat_map(|row| row.iter().copied().chain([1.0])).collect()
    } else {
        data.inputs.clone()
    };
    let x_all = Tensor::from_vec(inputs, (data.len(), cols0), &dev).map_err(err)?;
    let y_all = Tensor::from_vec(data.labels.iter().map(|&l| u32::from(l)).collect::<Vec<u32>>(), data.len(), &dev)
        .map_err(err)?;
    let mut order: Vec<u32> = (0..data.len() as u32).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed);
    let batches = data.len().div_ceil(cfg.batch);
    let masks = |scores: &[Var]| -> Result<Vec<Vec<u64>>, String> {
        scores
            .iter()
            .zip(&counts)
            .map(|(s, &c)| Ok(top_k(&s.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(err)?, c)))
            .collect()
    };
    for epoch in 0..cfg.epochs {
        let lr = 0.5 * cfg.lr * (1.0 + (std::f64::consts::PI * epoch as f64 / cfg.epochs as f64).cos());
        order.shuffle(&mut rng);
        for (b, chunk) in order.chunks(cfg.batch).enumerate() {
            let idx = Tensor::from_slice(chunk, chunk.len(), &dev).map_err(err)?;
            let mut h = x_all.index_select(&idx, 0).map_err(err)?;
            let y = y_all.index_select(&idx, 0).map_err(err)?;
            let kept_now = masks(&scores)?;
            for (l, ((w, s), kept_l)) in weights.iter().zip(&scores).zip(&kept_now).enumerate() {
                let r = &cfg.layers[l];
                let mut m = vec![0.0f32; r.rows * r.cols];
                for &i in kept_l {
                    m[i as usize] = 1.0;
                }
                let mask = Tensor::from_vec(m, (r.rows, r.cols), &dev).map_err(err)?;
                let a = s.as_tensor().abs().map_err(err)?;
                let straight = (mask + (&a - a.detach()).map_err(err)?).map_err(err)?;
                let effective = (w * straight).map_err(err)?;
                h = h.matmul(&effective.t().map_err(err)?).map_err(err)?;
                if l + 1 < weights.len() {
                    h = h.relu().map_err(err)?;
                }
            }
            let loss = candle_nn::loss::cross_entropy(&(h * cfg.logit_scale).map_err(err)?, &y).map_err(err)?;
            let grads = loss.backward().map_err(err)?;
            // SGD with momentum and weight decay, by hand: candle's SGD has
            // neither.
            for (s, v) in scores.iter().zip(velocity.iter_mut()) {
                let Some(g) = grads.get(s.as_tensor()) else { continue };
                let g = (g + (s.as_tensor() * cfg.weight_decay).map_err(err)?).map_err(err)?;
                *v = ((&*v * cfg.momentum).map_err(err)? + g).map_err(err)?;
                s.set(&(s.as_tensor() - (&*v * lr).map_err(err)?).map_err(err)?).map_err(err)?;
            }
            progress(epoch, b, batches, loss.to_dtype(DType::F32).and_then(|l| l.to_scalar::<f32>()).map_err(err)?);
        }
    }
    masks(&scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against sorting: the top k by |score| with ties to the smaller index.
    #[test]
    fn top_k_keeps_the_largest_magnitudes() {
        for t in 0..50u64 {
            let n = 1 + (t as usize * 7) % 40;
            let scores: Vec<f32> =
                (0..n).map(|i| (crate::weights::uniform_weight(t, 0, i as u64) * 4.0).round() as f32 / 4.0).collect();
            let count = 1 + (t as usize) % n;
            let mut all: Vec<usize> = (0..n).collect();
            all.sort_by(|&a, &b| scores[b].abs().total_cmp(&scores[a].abs()).then(a.cmp(&b)));
            let mut want: Vec<u64> = all[..count].iter().map(|&i| i as u64).collect();
            want.sort_unstable();
            assert_eq!(top_k(&scores, count), want, "n {n}, count {count}");
        }
    }

    #[test]
    fn kept_is_the_ceiling_of_the_density() {
        assert_eq!(kept(10, 0.05), 1);
        assert_eq!(kept(10, 0.11), 2);
        assert_eq!(kept(10, 1.0), 10);
        assert_eq!(kept(235_200, 0.5), 117_600);
    }
}
