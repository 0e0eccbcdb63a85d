//! Training ReLU MLP targets with candle (issue 4, Targets).
//!
//! Seeded and repeatable: initial weights come from the ChaCha streams of
//! [`crate::weights`] (candle's CPU generator cannot be seeded), PyTorch's
//! default `Linear` initialisation U[−1/√in, 1/√in]; the batches are a
//! ChaCha-seeded shuffle; Adam does the rest.

use crate::data::Dataset;
use crate::model::{Dense, Mlp};
use crate::weights::WeightStream;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Widths d_0-d_1-…-d_ℓ; d_0 must match the data and d_ℓ the classes.
    pub arch: Vec<usize>,
    /// Whether layers have biases.
    pub bias: bool,
    /// Passes over the training set.
    pub epochs: usize,
    /// Seed of the initialisation and of the shuffles.
    pub seed: u64,
    /// Adam's learning rate.
    pub lr: f64,
    /// Rows per batch.
    pub batch: usize,
}

/// Streams of the initial weights: far from those of random networks.
const INIT_STREAM: u64 = 1 << 40;

/// The initial target: U[−1/√in, 1/√in] weights and biases.
pub fn init(cfg: &TrainConfig) -> Mlp {
    let layers = cfg
        .arch
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let (d_in, d_out) = (w[0], w[1]);
            let bound = 1.0 / (d_in as f64).sqrt();
            let mut s = WeightStream::new(cfg.seed, INIT_STREAM + i as u64);
            let mut draw = |n: usize| (0..n).map(|_| (s.next_weight() * bound) as f32).collect::<Vec<f32>>();
            let weight = draw(d_in * d_out);
            let bias = cfg.bias.then(|| draw(d_out));
            Dense { d_in, d_out, weight, bias }
        })
        .collect();
    Mlp { layers }
}

/// Trains an MLP on `data`; `progress(epoch, batch, batches, loss)` is
/// called after every batch.
pub fn train(
    data: &Dataset,
    cfg: &TrainConfig,
    mut progress: impl FnMut(usize, usize, usize, f32),
) -> Result<Mlp, String> {
    let classes = usize::from(*data.labels.iter().max().unwrap_or(&0)) + 1;
    if cfg.arch.len() < 2 {
        return Err("the architecture needs at least an input and an output width".into());
    }
    if cfg.arch[0] != data.dim {
        return Err(format!("the architecture takes {} inputs but the data have {}", cfg.arch[0], data.dim));
    }
    if *cfg.arch.last().unwrap() < classes {
        return Err(format!(
            "the architecture has {} outputs but the data have {classes} classes",
            cfg.arch.last().unwrap()
        ));
    }
    let err = |e: candle_core::Error| format!("training failed: {e}");
    let dev = Device::Cpu;
    let start = init(cfg);
    let mut vars = Vec::new();
    for l in &start.layers {
        let w = Var::from_tensor(&Tensor::from_vec(l.weight.clone(), (l.d_out, l.d_in), &dev).map_err(err)?)
            .map_err(err)?;
        let b = match &l.bias {
            Some(b) => Some(Var::from_tensor(&Tensor::from_vec(b.clone(), l.d_out, &dev).map_err(err)?).map_err(err)?),
            None => None,
        };
        vars.push((w, b));
    }
    let all: Vec<Var> = vars.iter().flat_map(|(w, b)| std::iter::once(w.clone()).chain(b.clone())).collect();
    let mut opt = AdamW::new(all, ParamsAdamW { lr: cfg.lr, weight_decay: 0.0, ..Default::default() }).map_err(err)?;

    let x_all = Tensor::from_vec(data.inputs.clone(), (data.len(), data.dim), &dev).map_err(err)?;
    let y_all = Tensor::from_vec(data.labels.iter().map(|&l| u32::from(l)).collect::<Vec<u32>>(), data.len(), &dev)
        .map_err(err)?;
    let mut order: Vec<u32> = (0..data.len() as u32).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed);
    let batches = data.len().div_ceil(cfg.batch);
    for epoch in 0..cfg.epochs {
        order.shuffle(&mut rng);
        for (b, chunk) in order.chunks(cfg.batch).enumerate() {
            let idx = Tensor::from_slice(chunk, chunk.len(), &dev).map_err(err)?;
            let x = x_all.index_select(&idx, 0).map_err(err)?;
            let y = y_all.index_select(&idx, 0).map_err(err)?;
            let mut h = x;
            for (i, (w, bias)) in vars.iter().enumerate() {
                h = h.matmul(&w.as_tensor().t().map_err(err)?).map_err(err)?;
                if let Some(bias) = bias {
                    h = h.broadcast_add(bias.as_tensor()).map_err(err)?;
                }
                if i + 1 < vars.len() {
                    h = h.relu().map_err(err)?;
                }
            }
            let loss = candle_nn::loss::cross_entropy(&h, &y).map_err(err)?;
            opt.backward_step(&loss).map_err(err)?;
            progress(epoch, b, batches, loss.to_dtype(DType::F32).and_then(|l| l.to_scalar::<f32>()).map_err(err)?);
        }
    }
    let mut out = start;
    for (l, (w, b)) in out.layers.iter_mut().zip(&vars) {
        l.weight = w.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(err)?;
        if let Some(b) = b {
            l.bias = Some(b.as_tensor().to_vec1::<f32>().map_err(err)?);
        }
    }
    Ok(out)
}
