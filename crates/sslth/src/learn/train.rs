//! Training targets: ReLU MLPs, CNNs of circular convolutions with global
//! average pooling and a dense head, and DeepSets networks with mean
//! pooling and a dense head, all as [`Network`]s trained through their own
//! layers ([`super::backprop`]).
//!
//! Seeded and repeatable: initial weights come from the ChaCha streams of
//! [`crate::weights`], PyTorch's default initialisation
//! U[−1/√fan_in, 1/√fan_in] (fan_in = in·k² for a convolution; each of a
//! set layer's two maps has fan_in = in); the batches are a ChaCha-seeded
//! shuffle; Adam does the rest.

use super::backprop::{loss_and_gradients, Adam};
use crate::data::{Dataset, InputShape};
use crate::net::Kind;
use crate::net::{conv_coefficients, Equivariant, Layer, Network};
use crate::net::{Conv2d, DeepSets, Identity};
use crate::weights::WeightStream;
use crate::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::sync::Arc;

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// The kind of network.
    pub kind: Kind,
    /// Channel widths c_0-c_1-…-c_ℓ; c_0 must match the data (its values
    /// for an MLP, its channels otherwise) and c_ℓ the classes.
    pub arch: Vec<usize>,
    /// For CNNs and DeepSets: the number of equivariant layers before the
    /// pooling (the rest form the dense head).
    pub pool: usize,
    /// Kernel size of convolutions.
    pub kernel: usize,
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

/// A network's channel widths and, for CNN and DeepSets targets, how many
/// equivariant layers come before the pooling (`64-32-10`, `1-8-16:10`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arch {
    /// The widths.
    pub widths: Vec<usize>,
    /// Layers before the pooling.
    pub pool: Option<usize>,
}

/// What `sslth train` and `sslth demo` train: `kind` with the given
/// architecture, or the kind's default for the data (mlp 64-32-10, cnn
/// c-8-16:10, deepsets c-32-32:10), as `(widths, layers before the
/// pooling)`; a pooling is refused for an mlp and required otherwise.
pub fn architecture(kind: Kind, arch: Option<&Arch>, data: &Dataset) -> Result<(Vec<usize>, usize)> {
    let channels = data.shape.channels();
    let default = match kind {
        Kind::Mlp => Arch { widths: vec![64, 32, 10], pool: None },
        Kind::Cnn => Arch { widths: vec![channels, 8, 16, 10], pool: Some(2) },
        Kind::Deepsets => Arch { widths: vec![channels, 32, 32, 10], pool: Some(2) },
    };
    let arch = arch.cloned().unwrap_or(default);
    match (kind, arch.pool) {
        (Kind::Mlp, Some(_)) => Err(Error::Argument("an mlp has no pooling: drop the ':' from `arch`".into())),
        (Kind::Cnn | Kind::Deepsets, None) => {
            Err(Error::Argument("a cnn or deepsets `arch` marks its pooling with ':', e.g. 1-8-16:10".into()))
        }
        _ => Ok((arch.widths, arch.pool.unwrap_or(0))),
    }
}

/// Streams of the initial weights: far from those of random networks.
const INIT_STREAM: u64 = 1 << 40;

/// The initial network: layer i draws from stream INIT_STREAM + i its
/// weights (a set layer: W_id, then W_mean), then its bias.
pub fn init(cfg: &TrainConfig, shape: InputShape) -> Network {
    let equivariant = if cfg.kind == Kind::Mlp { 0 } else { cfg.pool };
    let mut layers = Vec::new();
    let last = cfg.arch.len() - 2;
    for (i, w) in cfg.arch.windows(2).enumerate() {
        let (c_in, c_out) = (w[0], w[1]);
        let mut s = WeightStream::new(cfg.seed, INIT_STREAM + i as u64);
        let mut draw = |n: usize, fan_in: usize| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            (0..n).map(|_| (s.next_weight() * bound) as f32).collect::<Vec<f32>>()
        };
        let (basis, coefficients, fan_in): (Arc<dyn crate::net::Basis>, Vec<f32>, usize) =
            match (i < equivariant, cfg.kind, shape) {
                (true, Kind::Cnn, InputShape::Image { height, width, .. }) => {
                    let k = cfg.kernel;
                    let conv = Conv2d::new(k, height, width).expect("kernel checked before");
                    let fan = c_in * k * k;
                    // PyTorch's [out, in, k, k], then as coefficients [k·k, out, in].
                    let torch = draw(c_out * fan, fan);
                    (Arc::new(conv), conv_coefficients(&torch, c_out, c_in, k * k), fan)
                }
                (true, Kind::Deepsets, _) => {
                    let mut c = draw(c_out * c_in, c_in);
                    c.extend(draw(c_out * c_in, c_in));
                    (Arc::new(DeepSets), c, c_in)
                }
                _ => (Arc::new(Identity), draw(c_out * c_in, c_in), c_in),
            };
        // Equivariant layers start with zero biases: on inputs scaled to
        // ‖x‖ ≤ 1 a pixel is about 1/√(H·W), and U[−1/√fan_in, …] biases
        // drown that signal (a 1-8-16:10 CNN on the digits stayed at chance
        // for 10 epochs; with zero biases it learns).
        let bias = cfg.bias.then(|| if i < equivariant { vec![0.0; c_out] } else { draw(c_out, fan_in) });
        layers.push(Layer::Equivariant(Equivariant { basis, c_in, c_out, coefficients, bias }));
        if i < last {
            layers.push(Layer::Relu);
        }
        if equivariant > 0 && i + 1 == equivariant {
            layers.push(Layer::MeanPool);
        }
    }
    let (channels, points) = match (cfg.kind, shape) {
        (Kind::Mlp, _) => (cfg.arch[0], 1),
        (_, InputShape::Image { channels, height, width }) => (channels, height * width),
        (_, InputShape::Set { features, points }) => (features, points),
    };
    Network { layers, channels, points }
}

/// Checks a configuration against the data before anything is trained.
fn check(data: &Dataset, cfg: &TrainConfig) -> Result<(), String> {
    let classes = usize::from(*data.labels.iter().max().unwrap_or(&0)) + 1;
    if cfg.arch.len() < 2 {
        return Err("the architecture needs at least an input and an output width".into());
    }
    let (want, what) = match (cfg.kind, data.shape) {
        (Kind::Mlp, _) => (data.dim, "inputs"),
        (Kind::Cnn, InputShape::Image { channels, .. }) => (channels, "image channels"),
        (Kind::Deepsets, InputShape::Set { features, .. }) => (features, "set features"),
        (Kind::Cnn, _) => return Err(format!("a CNN needs images; {} are sets", data.name)),
        (Kind::Deepsets, _) => {
            return Err(format!("a DeepSets network needs sets; {} are images (use `data` digit-sets)", data.name))
        }
    };
    if cfg.arch[0] != want {
        return Err(format!("the architecture takes {} inputs but the data have {want} {what}", cfg.arch[0]));
    }
    if *cfg.arch.last().unwrap() < classes {
        return Err(format!(
            "the architecture has {} outputs but the data have {classes} classes",
            cfg.arch.last().unwrap()
        ));
    }
    if cfg.kind != Kind::Mlp && !(1..cfg.arch.len() - 1).contains(&cfg.pool) {
        return Err(
            "a CNN or DeepSets architecture needs equivariant layers, a pooling and a dense head, e.g. 1-8-16:10"
                .into(),
        );
    }
    if cfg.kind == Kind::Cnn {
        Conv2d::new(cfg.kernel, 1, 1)?;
    }
    Ok(())
}

/// Trains a network on `data`; `progress(epoch, batch, batches, loss)` is
/// called after every batch, and returning false stops the training
/// ("interrupted").
pub fn train(
    data: &Dataset,
    cfg: &TrainConfig,
    mut progress: impl FnMut(usize, usize, usize, f32) -> bool,
) -> Result<Network> {
    check(data, cfg).map_err(Error::Argument)?;
    let mut net = init(cfg, data.shape);
    let mut adam = Adam::new(&net, cfg.lr);
    // Equivariant networks train on inputs × s, s = 1/max|x| (pixels then
    // reach 1), and s is folded into the first layer's coefficients
    // afterwards, so the network computes the same function of the scaled
    // inputs. On ‖x‖ ≤ 1 inputs a pixel is about 1/√(H·W) and the first
    // convolution's signal too small for Adam to grow in a few epochs.
    // MLPs train on the inputs as they are (their targets stay as before).
    let boost = match cfg.kind {
        Kind::Mlp => 1.0,
        _ => 1.0 / data.inputs.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(f32::MIN_POSITIVE),
    };
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed);
    let batches = data.len().div_ceil(cfg.batch);
    for epoch in 0..cfg.epochs {
        order.shuffle(&mut rng);
        for (b, chunk) in order.chunks(cfg.batch).enumerate() {
            let x: Vec<f32> = chunk.iter().flat_map(|&r| data.input(r).iter().map(|v| v * boost)).collect();
            let y: Vec<u8> = chunk.iter().map(|&r| data.labels[r]).collect();
            let (loss, grads) = loss_and_gradients(&net, &x, &y, 1.0);
            adam.step(&mut net, &grads);
            if !progress(epoch, b, batches, loss) {
                return Err(Error::Interrupted);
            }
        }
    }
    if boost != 1.0 {
        if let Some(Layer::Equivariant(first)) = net.layers.first_mut() {
            first.coefficients.iter_mut().for_each(|c| *c *= boost);
        }
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The input factor used in training is folded into the first layer:
    /// with a zero learning rate, the trained network on x is the initial
    /// network on x·s, s = 1/max|x|.
    #[test]
    fn the_training_input_factor_is_folded_into_the_first_layer() {
        let shape = InputShape::Image { channels: 1, height: 4, width: 5 };
        let rows = 6;
        let inputs: Vec<f32> = (0..rows * 20).map(|i| (i % 7) as f32 * 0.01).collect();
        let data = Dataset {
            inputs,
            labels: (0..rows as u8).collect(),
            dim: 20,
            scale: 1.0,
            input_max: 1.0,
            name: "test",
            shape,
        };
        let cfg = TrainConfig {
            kind: Kind::Cnn,
            arch: vec![1, 3, 6],
            pool: 1,
            kernel: 3,
            bias: true,
            epochs: 1,
            seed: 2,
            lr: 0.0,
            batch: 3,
        };
        let trained = train(&data, &cfg, |_, _, _, _| true).unwrap();
        let boosted: Vec<f32> = data.inputs.iter().map(|v| v / 0.06).collect();
        let (a, b) = (trained.forward_batch(&data.inputs, rows), init(&cfg, shape).forward_batch(&boosted, rows));
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5), "{a:?} vs {b:?}");
    }
}
