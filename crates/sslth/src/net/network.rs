//! Networks as sequences of typed layers (docs/THEORY.md §4): equivariant
//! linear layers Σ_q b_q ⊗ C_q over any [`Basis`], ReLU, and mean pooling,
//! each with its own forward pass, so dense, convolutional and set networks
//! run through one code path.
//!
//! Activations of one example are channel-major: c channels × P points
//! (P = 1 for dense layers, H·W for images, N for sets).

use super::basis::{Basis, BasisSpec, Conv2d, DeepSets, Identity};
use super::branch::{Branch, Saved};
use super::pool::Pool;
use rayon::prelude::*;
use std::sync::Arc;

/// An equivariant linear layer x ↦ Σ_q b_q ⊗ C_q x + bias, from `c_in` to
/// `c_out` channels.
#[derive(Clone, Debug)]
pub struct Equivariant {
    /// The basis {b_q}.
    pub basis: Arc<dyn Basis>,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// C_q[o, j] at `(q·c_out + o)·c_in + j`.
    pub coefficients: Vec<f32>,
    /// One value per output channel, added at every point.
    pub bias: Option<Vec<f32>>,
}

impl Equivariant {
    /// The layer on one example (`x`: c_in × P, channel-major).
    pub(crate) fn apply(&self, x: &[f32], points: usize) -> Vec<f32> {
        if points == 1 && self.basis.size() == 1 && self.basis.points() == Some(1) {
            // Dense: one vectorised dot product per output ([`dot`]).
            return (0..self.c_out)
                .map(|o| {
                    let row = &self.coefficients[o * self.c_in..(o + 1) * self.c_in];
                    dot(row, x) + self.bias.as_ref().map_or(0.0, |b| b[o])
                })
                .collect();
        }
        let out_points = self.basis.out_points(points);
        let mut y = vec![0.0f32; self.c_out * out_points];
        for (o, out) in y.chunks_exact_mut(out_points.max(1)).enumerate() {
            if let Some(b) = &self.bias {
                out.iter_mut().for_each(|v| *v = b[o]);
            }
            for q in 0..self.basis.size() {
                let row = &self.coefficients[(q * self.c_out + o) * self.c_in..(q * self.c_out + o + 1) * self.c_in];
                for (j, &c) in row.iter().enumerate() {
                    if c != 0.0 {
                        self.basis.apply_add(q, c, &x[j * points..(j + 1) * points], out);
                    }
                }
            }
        }
        y
    }
}

/// One layer of a network.
#[derive(Clone, Debug)]
pub enum Layer {
    /// An equivariant linear layer.
    Equivariant(Equivariant),
    /// max(x, 0), entrywise.
    Relu,
    /// The mean over the points of each channel (global average pooling of
    /// images, the mean of a set): c × P becomes c × 1.
    MeanPool,
    /// Spatial pooling of each channel's map by windows.
    Pool(Arc<Pool>),
    /// c channels × P points become c·P channels × 1 point (channel-major,
    /// as `torch.flatten(x, 1)`; the values do not move).
    Flatten,
    /// Where a residual block's paths fork, change places or join.
    Branch(Branch),
}

impl Layer {
    /// The layer's kind in messages.
    pub fn name(&self) -> String {
        match self {
            Layer::Equivariant(l) => l.basis.name(),
            Layer::Relu => "relu".into(),
            Layer::MeanPool => "mean pooling".into(),
            Layer::Pool(p) => format!("{:?} pooling to {:?}", p.spec().kind, p.output()).to_lowercase(),
            Layer::Flatten => "flatten".into(),
            Layer::Branch(b) => format!("{b:?}").to_lowercase(),
        }
    }
}

/// v += w, entrywise (the join of a residual block's two paths).
pub(crate) fn add_into(v: &mut [f32], w: &[f32]) {
    v.iter_mut().zip(w).for_each(|(a, b)| *a += b);
}

/// Σ a_i·b_i in eight interleaved f32 lanes (vectorised; the same result
/// on every run and thread count).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// A dense layer's tensors as PyTorch's `Linear` stores them: x ↦ Wx + b.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearWeights {
    /// Input width.
    pub d_in: usize,
    /// Output width.
    pub d_out: usize,
    /// W, row-major `[d_out, d_in]`.
    pub weight: Vec<f32>,
    /// `[d_out]`, if the layer has a bias.
    pub bias: Option<Vec<f32>>,
}

/// A convolution's tensors as PyTorch stores them.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvWeights {
    /// `[out, in, k, k]`.
    pub shape: Vec<usize>,
    /// The weight, row-major in that shape.
    pub weight: Vec<f32>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Vec<f32>>,
}

/// A convolution weight in PyTorch's `[out, in, k_h, k_w]` as coefficients
/// C_q[o, j] at `(q·out + o)·in + j`, offset (a, b) being q = a·k_w + b
/// (`taps` = k_h·k_w offsets).
pub fn conv_coefficients(torch: &[f32], c_out: usize, c_in: usize, taps: usize) -> Vec<f32> {
    let mut c = vec![0.0f32; torch.len()];
    for o in 0..c_out {
        for j in 0..c_in {
            for q in 0..taps {
                c[(q * c_out + o) * c_in + j] = torch[(o * c_in + j) * taps + q];
            }
        }
    }
    c
}

/// The inverse of [`conv_coefficients`].
pub fn conv_weight(coefficients: &[f32], c_out: usize, c_in: usize, taps: usize) -> Vec<f32> {
    let mut w = vec![0.0f32; coefficients.len()];
    for o in 0..c_out {
        for j in 0..c_in {
            for q in 0..taps {
                w[(o * c_in + j) * taps + q] = coefficients[(q * c_out + o) * c_in + j];
            }
        }
    }
    w
}

/// A set layer's tensors as a PyTorch module with `identity` and `mean`
/// `Linear` children stores them: y_i = W_id·x_i + W_mean·mean(x) + b.
#[derive(Clone, Debug, PartialEq)]
pub struct SetWeights {
    /// Input channels (features).
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// W_id, row-major `[out, in]`.
    pub identity: Vec<f32>,
    /// W_mean, row-major `[out, in]`.
    pub mean: Vec<f32>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Vec<f32>>,
}

/// A network: layers applied in order to inputs of `channels` × `points`.
#[derive(Clone, Debug)]
pub struct Network {
    /// The layers, input first.
    pub layers: Vec<Layer>,
    /// Input channels.
    pub channels: usize,
    /// Points per input channel.
    pub points: usize,
}

impl Network {
    /// Values per input row: channels × points.
    pub fn d_in(&self) -> usize {
        self.channels * self.points
    }

    /// Channel widths c_0-c_1-…-c_ℓ of the linear layers (the widths of an
    /// MLP).
    pub fn widths(&self) -> Vec<usize> {
        let linear = self.linear();
        let mut w = vec![linear.first().map_or(self.channels, |l| l.c_in)];
        w.extend(linear.iter().map(|l| l.c_out));
        w
    }

    /// Whether any linear layer has a bias.
    pub fn has_bias(&self) -> bool {
        self.linear().iter().any(|l| l.bias.is_some())
    }

    /// Equivariant parameters m_t = Σ |B|·c_in·c_out (biases not counted;
    /// the weights of an MLP).
    pub fn weight_count(&self) -> usize {
        self.linear().iter().map(|l| l.coefficients.len()).sum()
    }

    /// The dense layers' tensors, input first, if the network is a ReLU
    /// MLP (dense layers, ReLU between, no pooling); the inverse of
    /// [`Network::mlp`].
    pub fn linear_weights(&self) -> Option<Vec<LinearWeights>> {
        let s = self.structure().ok()?;
        if !s.legacy || s.pool_after().is_some() || s.linear.iter().any(|l| l.basis.spec() != BasisSpec::Identity) {
            return None;
        }
        let layers = s
            .linear
            .iter()
            .map(|l| LinearWeights {
                d_in: l.c_in,
                d_out: l.c_out,
                weight: l.coefficients.clone(),
                bias: l.bias.clone(),
            })
            .collect();
        Some(layers)
    }

    fn linear(&self) -> Vec<&Equivariant> {
        self.layers
            .iter()
            .filter_map(|l| match l {
                Layer::Equivariant(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    /// The network on one input row (channel-major), output flattened.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        // The values and their points per channel.
        let mut cur = (x.to_vec(), self.points);
        let mut saved = Saved::new();
        for layer in &self.layers {
            let (v, points) = &mut cur;
            match layer {
                Layer::Equivariant(l) => {
                    *v = l.apply(v, *points);
                    *points = l.basis.out_points(*points);
                }
                Layer::Relu => v.iter_mut().for_each(|v| *v = v.max(0.0)),
                Layer::MeanPool => {
                    *v = v.chunks_exact(*points).map(|c| c.iter().sum::<f32>() / *points as f32).collect();
                    *points = 1;
                }
                Layer::Pool(p) => {
                    *v = v.chunks_exact(*points).flat_map(|c| p.apply(c)).collect();
                    *points = p.out_points();
                }
                Layer::Flatten => *points = 1,
                Layer::Branch(b) => saved.run_checked(*b, &mut cur, |(v, _), (w, _)| add_into(v, &w)),
            }
        }
        cur.0
    }

    /// [`Network::forward`] on a batch (row-major `rows × d_in`), rows in
    /// parallel; output row-major.
    pub fn forward_batch(&self, inputs: &[f32], rows: usize) -> Vec<f32> {
        assert_eq!(inputs.len(), rows * self.d_in(), "inputs must be rows × d_in");
        inputs.par_chunks(self.d_in().max(1)).flat_map_iter(|x| self.forward(x)).collect()
    }

    /// A ReLU MLP, f(x) = W_ℓ σ(… σ(W_1 x + b_1) …) + b_ℓ, as a network of
    /// dense (identity-basis) layers. `layers` is not empty.
    pub fn mlp(layers: &[LinearWeights]) -> Network {
        let mlp = layers;
        let last = mlp.len() - 1;
        let mut layers = Vec::new();
        for (i, l) in mlp.iter().enumerate() {
            layers.push(Layer::Equivariant(Equivariant {
                basis: Arc::new(Identity),
                c_in: l.d_in,
                c_out: l.d_out,
                coefficients: l.weight.clone(),
                bias: l.bias.clone(),
            }));
            if i < last {
                layers.push(Layer::Relu);
            }
        }
        Network { layers, channels: mlp[0].d_in, points: 1 }
    }

    /// A DeepSets network on sets of `points` elements with `features`
    /// channels: `layers` are set layers (identity weight `[out, in]`,
    /// mean weight `[out, in]`, bias), each followed by ReLU, then the mean
    /// over the set, then the dense `head`.
    pub fn deepsets(layers: &[SetWeights], head: &[LinearWeights], points: usize) -> Result<Network, String> {
        let mut out = Vec::new();
        let mut c_prev = layers.first().map_or(0, |l| l.c_in);
        let channels = c_prev;
        for (i, l) in layers.iter().enumerate() {
            let n = l.c_in * l.c_out;
            if l.identity.len() != n || l.mean.len() != n || l.bias.as_ref().is_some_and(|b| b.len() != l.c_out) {
                return Err(format!("set layer {i}: the weights do not match [{}, {}]", l.c_out, l.c_in));
            }
            if l.c_in != c_prev {
                return Err(format!("set layer {i} takes {} channels but the previous layer gives {c_prev}", l.c_in));
            }
            let mut coefficients = l.identity.clone();
            coefficients.extend_from_slice(&l.mean);
            out.push(Layer::Equivariant(Equivariant {
                basis: Arc::new(DeepSets),
                c_in: l.c_in,
                c_out: l.c_out,
                coefficients,
                bias: l.bias.clone(),
            }));
            out.push(Layer::Relu);
            c_prev = l.c_out;
        }
        if head.first().is_some_and(|l| l.d_in != c_prev) {
            return Err(format!(
                "the dense head takes {} inputs but the last set layer gives {c_prev} channels",
                head[0].d_in
            ));
        }
        out.push(Layer::MeanPool);
        if !head.is_empty() {
            out.extend(Network::mlp(head).layers);
        }
        Ok(Network { layers: out, channels, points })
    }

    /// A CNN in PyTorch's layout: `convs` are circular, stride-1, same-size
    /// convolutions on `height` ×
    /// `width` maps, each followed by ReLU, then global average pooling,
    /// then the dense layers of `head` (ReLU between them). Kernel offset
    /// (a, b) is basis element a·k + b, so the coefficients are the weight
    /// transposed to `[k·k, out, in]`.
    pub fn cnn(convs: &[ConvWeights], head: &[LinearWeights], height: usize, width: usize) -> Result<Network, String> {
        let mut layers = Vec::new();
        let mut channels = None;
        let mut c_prev = 0;
        for (i, ConvWeights { shape, weight, bias }) in convs.iter().enumerate() {
            let &[c_out, c_in, kh, kw] = &shape[..] else {
                return Err(format!("conv layer {i} has weight shape {shape:?}, expected [out, in, k, k]"));
            };
            if weight.len() != shape.iter().product::<usize>() || bias.as_ref().is_some_and(|b| b.len() != c_out) {
                return Err(format!("conv layer {i}: the weight or bias does not match the shape {shape:?}"));
            }
            if kh != kw {
                return Err(format!("conv layer {i} has a {kh}×{kw} kernel; only square kernels are supported"));
            }
            if i > 0 && c_in != c_prev {
                return Err(format!("conv layer {i} takes {c_in} channels but the previous layer gives {c_prev}"));
            }
            let basis = Conv2d::new(kh, height, width).map_err(|e| format!("conv layer {i}: {e}"))?;
            let coefficients = conv_coefficients(weight, c_out, c_in, kh * kh);
            channels.get_or_insert(c_in);
            c_prev = c_out;
            layers.push(Layer::Equivariant(Equivariant {
                basis: Arc::new(basis),
                c_in,
                c_out,
                coefficients,
                bias: bias.clone(),
            }));
            layers.push(Layer::Relu);
        }
        if head.first().is_some_and(|l| l.d_in != c_prev) {
            return Err(format!(
                "the dense head takes {} inputs but the last conv gives {c_prev} channels",
                head[0].d_in
            ));
        }
        layers.push(Layer::MeanPool);
        if !head.is_empty() {
            layers.extend(Network::mlp(head).layers);
        }
        Ok(Network { layers, channels: channels.unwrap_or(c_prev), points: height * width })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::uniform_weight;

    fn draw(n: usize, seed: u64, stream: u64) -> Vec<f32> {
        (0..n).map(|i| (0.5 * uniform_weight(seed, stream, i as u64)) as f32).collect()
    }

    fn mlp(widths: &[usize], seed: u64) -> Vec<LinearWeights> {
        widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| LinearWeights {
                d_in: w[0],
                d_out: w[1],
                weight: draw(w[0] * w[1], seed, 10 + i as u64),
                bias: Some(draw(w[1], seed, 20 + i as u64)),
            })
            .collect()
    }

    /// The textbook MLP: y = W x + b per layer, ReLU between, in f64.
    fn textbook(layers: &[LinearWeights], x: &[f32]) -> Vec<f32> {
        let mut cur: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        for (i, l) in layers.iter().enumerate() {
            cur = (0..l.d_out)
                .map(|o| {
                    let s: f64 = (0..l.d_in).map(|j| f64::from(l.weight[o * l.d_in + j]) * cur[j]).sum();
                    let y = s + l.bias.as_ref().map_or(0.0, |b| f64::from(b[o]));
                    if i + 1 < layers.len() {
                        y.max(0.0)
                    } else {
                        y
                    }
                })
                .collect();
        }
        cur.iter().map(|&v| v as f32).collect()
    }

    #[test]
    fn a_dense_network_is_the_mlp() {
        let m = mlp(&[7, 6, 5, 3], 1);
        let net = Network::mlp(&m);
        assert_eq!(net.linear_weights().unwrap(), m);
        let x = draw(7 * 20, 2, 0);
        let a = net.forward_batch(&x, 20);
        let b: Vec<f32> = x.chunks(7).flat_map(|r| textbook(&m, r)).collect();
        assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-5), "{a:?} vs {b:?}");
    }

    /// A 2-conv CNN on 6×5 maps with a dense head, from PyTorch-layout
    /// weights.
    fn cnn() -> Network {
        let convs = vec![
            ConvWeights { shape: vec![4, 2, 3, 3], weight: draw(4 * 2 * 9, 3, 0), bias: Some(draw(4, 3, 1)) },
            ConvWeights { shape: vec![3, 4, 3, 3], weight: draw(3 * 4 * 9, 3, 2), bias: Some(draw(3, 3, 3)) },
        ];
        Network::cnn(&convs, &mlp(&[3, 5, 2], 4), 6, 5).unwrap()
    }

    #[test]
    fn cnn_output_matches_a_direct_convolution() {
        let net = cnn();
        let x = draw(2 * 30, 5, 0);
        // The first conv by the textbook formula with circular indices.
        let Layer::Equivariant(c) = &net.layers[0] else { panic!() };
        let w = |o: usize, j: usize, a: usize, b: usize| c.coefficients[((a * 3 + b) * 4 + o) * 2 + j];
        let mut first = vec![0.0f32; 4 * 30];
        for o in 0..4 {
            for (i, jj) in (0..6).flat_map(|i| (0..5).map(move |jj| (i, jj))) {
                let mut s = c.bias.as_ref().unwrap()[o];
                for j in 0..2 {
                    for a in 0..3 {
                        for b in 0..3 {
                            s += w(o, j, a, b) * x[j * 30 + ((i + a + 5) % 6) * 5 + (jj + b + 4) % 5];
                        }
                    }
                }
                first[o * 30 + i * 5 + jj] = s;
            }
        }
        let got = c.apply(&x, 30);
        assert!(got.iter().zip(&first).all(|(p, q)| (p - q).abs() < 1e-5));
    }

    #[test]
    fn cnn_is_invariant_to_circular_shifts_and_refuses_bad_shapes() {
        let net = cnn();
        let x = draw(2 * 30, 6, 0);
        let shift = |v: &[f32], s: usize, t: usize| -> Vec<f32> {
            (0..60).map(|u| v[(u / 30) * 30 + ((u % 30 / 5 + s) % 6) * 5 + (u % 5 + t) % 5]).collect()
        };
        let y = net.forward(&x);
        for (s, t) in [(1, 0), (0, 2), (4, 3)] {
            let ys = net.forward(&shift(&x, s, t));
            assert!(y.iter().zip(&ys).all(|(a, b)| (a - b).abs() < 1e-5), "shift ({s}, {t})");
        }
        let conv =
            |shape: Vec<usize>| vec![ConvWeights { weight: vec![0.0; shape.iter().product()], shape, bias: None }];
        let even = conv(vec![4, 2, 2, 2]);
        assert!(Network::cnn(&even, &mlp(&[4, 2], 1), 6, 5).unwrap_err().to_string().contains("odd"));
        let rect = conv(vec![4, 2, 3, 1]);
        assert!(Network::cnn(&rect, &mlp(&[4, 2], 1), 6, 5).unwrap_err().to_string().contains("square"));
        let mut short = conv(vec![4, 2, 3, 3]);
        short[0].weight.pop();
        assert!(Network::cnn(&short, &mlp(&[4, 2], 1), 6, 5).unwrap_err().to_string().contains("does not match"));
        let wide = conv(vec![4, 2, 3, 3]);
        assert!(Network::cnn(&wide, &mlp(&[5, 2], 1), 6, 5).unwrap_err().to_string().contains("head takes 5"));
    }
}
