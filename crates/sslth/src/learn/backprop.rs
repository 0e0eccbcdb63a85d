//! Gradients of a [`Network`]'s parameters under the softmax cross-entropy
//! loss, by reverse-mode differentiation through its own layers:
//! equivariant linear maps over any basis, ReLU and mean pooling.
//!
//! Hand-rolled rather than a tensor library's autograd: the networks are
//! small, one backward rule per layer kind covers dense, convolutional and
//! set networks alike (a basis element has its transpose too,
//! [`Basis::apply_transpose_add`]), and the build of the whole project stays
//! quick.
//! For a layer y_o = Σ_q Σ_j C_q[o, j]·b_q(x_j) + bias_o, the gradients
//! are ∂C_q[o, j] = ⟨∂y_o, b_q(x_j)⟩, ∂bias_o = Σ_points ∂y_o and
//! ∂x_j = Σ_q Σ_o C_q[o, j]·b_qᵀ(∂y_o).
//!
//! Deterministic: rows are taken in fixed chunks (in parallel) and the
//! chunks' sums are added in order, so the result does not depend on the
//! thread count.
//!
//! [`Basis::apply_transpose_add`]: crate::net::Basis::apply_transpose_add

use crate::net::{add_into, Branch, Equivariant, Layer, Network, Pool, PoolKind, Saved};
use rayon::prelude::*;

/// Rows per chunk of a batch.
const CHUNK: usize = 16;

/// Gradients laid out like the network's equivariant layers' parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// ∂loss/∂coefficients, one vector per equivariant layer.
    pub coefficients: Vec<Vec<f32>>,
    /// ∂loss/∂bias, per equivariant layer (None without a bias).
    pub biases: Vec<Option<Vec<f32>>>,
}

impl Gradients {
    fn zeros(net: &Network) -> Gradients {
        let layers = equivariant(net);
        Gradients {
            coefficients: layers.iter().map(|l| vec![0.0; l.coefficients.len()]).collect(),
            biases: layers.iter().map(|l| l.bias.as_ref().map(|b| vec![0.0; b.len()])).collect(),
        }
    }

    fn add(&mut self, other: &Gradients) {
        let add = |a: &mut Vec<f32>, b: &Vec<f32>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        self.coefficients.iter_mut().zip(&other.coefficients).for_each(|(a, b)| add(a, b));
        for (a, b) in self.biases.iter_mut().zip(&other.biases) {
            if let (Some(a), Some(b)) = (a, b) {
                add(a, b);
            }
        }
    }
}

fn equivariant(net: &Network) -> Vec<&Equivariant> {
    net.layers
        .iter()
        .filter_map(|l| match l {
            Layer::Equivariant(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// The mean softmax cross-entropy of `scale`·logits over the rows of `x`
/// (row-major, `labels` one per row) and its gradients.
pub fn loss_and_gradients(net: &Network, x: &[f32], labels: &[u8], scale: f32) -> (f32, Gradients) {
    let d = net.d_in();
    let rows = labels.len();
    let parts: Vec<(f64, Gradients)> = x
        .par_chunks(CHUNK * d)
        .zip(labels.par_chunks(CHUNK))
        .map(|(xs, ys)| {
            let mut g = Gradients::zeros(net);
            let loss = chunk(net, xs, ys, scale, rows as f32, &mut g);
            (loss, g)
        })
        .collect();
    let mut total = Gradients::zeros(net);
    let mut loss = 0.0;
    for (l, g) in &parts {
        loss += l;
        total.add(g);
    }
    ((loss / rows.max(1) as f64) as f32, total)
}

/// A chunk of rows, layer by layer (so a dense layer's weights and
/// gradients are read once for all its rows): adds their gradients (of
/// their losses / `rows`) to `g` and returns the sum of their losses.
fn chunk(net: &Network, xs: &[f32], ys: &[u8], scale: f32, rows: f32, g: &mut Gradients) -> f64 {
    let (inputs, cur) = forward_cached(net, xs);
    // Softmax cross-entropy of scale·logits: ∂/∂logit = scale·(p − onehot).
    let mut loss = 0.0f64;
    let mut grads: Vec<Vec<f32>> = Vec::with_capacity(cur.len());
    for (logits, &y) in cur.iter().zip(ys) {
        let top = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(scale * v));
        let exps: Vec<f32> = logits.iter().map(|&v| (scale * v - top).exp()).collect();
        let sum: f32 = exps.iter().sum();
        loss += f64::from(sum.ln() + top - scale * logits[usize::from(y)]);
        let mut grad: Vec<f32> = exps.iter().map(|e| scale * e / sum / rows).collect();
        grad[usize::from(y)] -= scale / rows;
        grads.push(grad);
    }
    backward(net, &inputs, grads, Some(g));
    loss
}

/// ∂(Σ_o w_o·net(x)_o)/∂x for each row x of `x` (row-major) with its own
/// output weights w (`w` row-major, the outputs of each row): one weighted
/// sum of the outputs differentiated per row, exact on the linear piece
/// of the network that holds x (at a kink, ReLU takes the side of 0 and a
/// maximum its first largest input). Deterministic, as the module says.
pub fn input_gradients(net: &Network, x: &[f32], w: &[f32]) -> Vec<f32> {
    let d = net.d_in();
    let rows = x.len() / d.max(1);
    let d_out = w.len() / rows.max(1);
    x.par_chunks(CHUNK * d)
        .zip(w.par_chunks(CHUNK * d_out))
        .flat_map_iter(|(xs, ws)| {
            let (inputs, _) = forward_cached(net, xs);
            let grads = ws.chunks_exact(d_out).map(<[f32]>::to_vec).collect();
            backward(net, &inputs, grads, None).into_iter().flatten()
        })
        .collect()
}

/// Rows `xs` through `net`, keeping every layer's inputs and their points
/// per channel; returns those and the outputs.
#[allow(clippy::type_complexity)]
fn forward_cached(net: &Network, xs: &[f32]) -> (Vec<(Vec<Vec<f32>>, usize)>, Vec<Vec<f32>>) {
    let mut inputs: Vec<(Vec<Vec<f32>>, usize)> = Vec::with_capacity(net.layers.len());
    let mut cur: Vec<Vec<f32>> = xs.chunks_exact(net.d_in()).map(<[f32]>::to_vec).collect();
    let mut points = net.points;
    // Rows and their points set aside at residual forks.
    let mut saved = Saved::new();
    for layer in &net.layers {
        if let Layer::Branch(b) = layer {
            inputs.push((Vec::new(), points));
            let mut state = (std::mem::take(&mut cur), points);
            saved.run_checked(*b, &mut state, |(v, _), (w, _)| v.iter_mut().zip(&w).for_each(|(a, b)| add_into(a, b)));
            (cur, points) = state;
            continue;
        }
        let next = cur
            .iter()
            .map(|h| match layer {
                Layer::Equivariant(l) => l.apply(h, points),
                Layer::Relu => h.iter().map(|v| v.max(0.0)).collect(),
                Layer::MeanPool => h.chunks_exact(points).map(|c| c.iter().sum::<f32>() / points as f32).collect(),
                Layer::Pool(p) => h.chunks_exact(points).flat_map(|c| p.apply(c)).collect(),
                Layer::Flatten | Layer::Branch(_) => h.clone(),
            })
            .collect();
        inputs.push((std::mem::replace(&mut cur, next), points));
        points = match layer {
            Layer::Equivariant(l) => l.basis.out_points(points),
            Layer::MeanPool | Layer::Flatten => 1,
            Layer::Pool(p) => p.out_points(),
            Layer::Relu | Layer::Branch(_) => points,
        };
    }
    (inputs, cur)
}

/// From the outputs' gradients `grads` back through `net` (its layers'
/// `inputs` from [`forward_cached`]): adds the parameters' gradients to
/// `g` if given, and returns the inputs' gradients. What a fork set aside
/// gets its own gradients, set aside where its add is met (an add passes
/// its gradient to both terms, a swap exchanges the two, a fork sums them).
fn backward(
    net: &Network,
    inputs: &[(Vec<Vec<f32>>, usize)],
    mut grads: Vec<Vec<f32>>,
    mut g: Option<&mut Gradients>,
) -> Vec<Vec<f32>> {
    let mut k = equivariant(net).len();
    let mut saved_grads = Saved::new();
    for (layer, (input, points)) in net.layers.iter().zip(inputs).rev() {
        grads = match layer {
            Layer::Relu => (grads.iter().zip(input))
                .map(|(gr, x)| gr.iter().zip(x).map(|(&d, &v)| if v > 0.0 { d } else { 0.0 }).collect())
                .collect(),
            Layer::MeanPool => (grads.iter())
                .map(|gr| gr.iter().flat_map(|&d| std::iter::repeat_n(d / *points as f32, *points)).collect())
                .collect(),
            Layer::Flatten => grads,
            Layer::Branch(b) => {
                let undo = match b {
                    Branch::Add => Branch::Fork,
                    Branch::Swap => Branch::Swap,
                    Branch::Fork => Branch::Add,
                };
                let mut state = grads;
                saved_grads.run_checked(undo, &mut state, |v: &mut Vec<Vec<f32>>, w| {
                    v.iter_mut().zip(&w).for_each(|(a, b)| add_into(a, b))
                });
                state
            }
            Layer::Pool(pool) => pool_backward(pool, input, *points, &grads),
            Layer::Equivariant(l) => {
                k -= 1;
                let params = g.as_deref_mut().map(|g| (&mut g.coefficients[k][..], g.biases[k].as_deref_mut()));
                linear_backward(l, input, *points, &grads, params)
            }
        };
    }
    grads
}

/// Adds one layer's parameter gradients over the chunk's rows (inputs `x`,
/// output gradients `gy`) to `params` (coefficients, bias) if given, and
/// returns each row's ∂input (see the module docs).
fn linear_backward(
    l: &Equivariant,
    x: &[Vec<f32>],
    p: usize,
    gy: &[Vec<f32>],
    params: Option<(&mut [f32], Option<&mut [f32]>)>,
) -> Vec<Vec<f32>> {
    let (c_in, c_out) = (l.c_in, l.c_out);
    let po = l.basis.out_points(p);
    let (mut gc, gb) = params.map_or((None, None), |(c, b)| (Some(c), b));
    if let Some(gb) = gb {
        for gr in gy {
            for (o, b) in gb.iter_mut().enumerate() {
                *b += gr[o * po..(o + 1) * po].iter().sum::<f32>();
            }
        }
    }
    let mut gx = vec![vec![0.0f32; c_in * p]; x.len()];
    if p == 1 && l.basis.size() == 1 {
        // Dense: per output, one pass over its weights and gradients for
        // all rows (an outer product and a transposed product).
        for o in 0..c_out {
            let row = &l.coefficients[o * c_in..(o + 1) * c_in];
            let mut grow = gc.as_deref_mut().map(|gc| &mut gc[o * c_in..(o + 1) * c_in]);
            for ((xr, gr), gxr) in x.iter().zip(gy).zip(gx.iter_mut()) {
                let d = gr[o];
                if d != 0.0 {
                    if let Some(grow) = grow.as_deref_mut() {
                        grow.iter_mut().zip(xr).for_each(|(g, &v)| *g += d * v);
                    }
                    gxr.iter_mut().zip(row).for_each(|(g, &c)| *g += d * c);
                }
            }
        }
        return gx;
    }
    let mut moved = vec![0.0f32; po];
    for ((xr, gr), gxr) in x.iter().zip(gy).zip(gx.iter_mut()) {
        for q in 0..l.basis.size() {
            for j in 0..c_in {
                if gc.is_some() {
                    moved.iter_mut().for_each(|v| *v = 0.0);
                    l.basis.apply_add(q, 1.0, &xr[j * p..(j + 1) * p], &mut moved);
                }
                for o in 0..c_out {
                    let at = (q * c_out + o) * c_in + j;
                    let gyo = &gr[o * po..(o + 1) * po];
                    if let Some(gc) = gc.as_deref_mut() {
                        gc[at] += gyo.iter().zip(&moved).map(|(a, b)| a * b).sum::<f32>();
                    }
                    let c = l.coefficients[at];
                    if c != 0.0 {
                        l.basis.apply_transpose_add(q, c, gyo, &mut gxr[j * p..(j + 1) * p]);
                    }
                }
            }
        }
    }
    gx
}

/// Each row's ∂input of a pooling layer (inputs `x` of `p` points per
/// channel): an average spreads ∂y over its window, a maximum sends it to
/// the window's first largest input.
fn pool_backward(pool: &Pool, x: &[Vec<f32>], p: usize, gy: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let po = pool.out_points();
    let max = pool.spec().kind == PoolKind::Max;
    x.iter()
        .zip(gy)
        .map(|(xr, gr)| {
            let mut gx = vec![0.0f32; xr.len()];
            for ((xc, gc), gxc) in xr.chunks_exact(p).zip(gr.chunks_exact(po)).zip(gx.chunks_exact_mut(p)) {
                for (t, &d) in gc.iter().enumerate() {
                    let (w, div) = pool.window(t);
                    if max {
                        let best =
                            w.iter().copied().fold(w[0], |b, i| if xc[i as usize] > xc[b as usize] { i } else { b });
                        gxc[best as usize] += d;
                    } else {
                        w.iter().for_each(|&i| gxc[i as usize] += d / div);
                    }
                }
            }
            gx
        })
        .collect()
}

/// Adam (Kingma and Ba) with β = (0.9, 0.999) and ε = 10⁻⁸, over a
/// network's equivariant parameters.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f32,
    step: i32,
    m: Gradients,
    v: Gradients,
}

impl Adam {
    /// Zero moments for `net`'s parameters.
    pub fn new(net: &Network, lr: f64) -> Adam {
        Adam { lr: lr as f32, step: 0, m: Gradients::zeros(net), v: Gradients::zeros(net) }
    }

    /// One step against the gradients `g`.
    pub fn step(&mut self, net: &mut Network, g: &Gradients) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.step += 1;
        let (c1, c2) = (1.0 - B1.powi(self.step), 1.0 - B2.powi(self.step));
        let lr = self.lr;
        let update = |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
            }
        };
        let mut k = 0;
        for layer in &mut net.layers {
            let Layer::Equivariant(l) = layer else { continue };
            update(&mut l.coefficients, &g.coefficients[k], &mut self.m.coefficients[k], &mut self.v.coefficients[k]);
            if let (Some(b), Some(gb), Some(m), Some(v)) =
                (&mut l.bias, &g.biases[k], &mut self.m.biases[k], &mut self.v.biases[k])
            {
                update(b, gb, m, v);
            }
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{ConvWeights, LinearWeights, SetWeights};
    use crate::weights::uniform_weight;

    fn draw(n: usize, stream: u64) -> Vec<f32> {
        (0..n).map(|i| (0.6 * uniform_weight(3, stream, i as u64)) as f32).collect()
    }

    fn loss(net: &Network, x: &[f32], y: &[u8]) -> f64 {
        f64::from(loss_and_gradients(net, x, y, 1.5).0)
    }

    /// Against central differences in every parameter, for a network of
    /// each layer kind (the loss in f32, so a loose tolerance).
    #[test]
    fn gradients_match_finite_differences() {
        let head =
            |d_in: usize| vec![LinearWeights { d_in, d_out: 3, weight: draw(3 * d_in, 1), bias: Some(draw(3, 2)) }];
        let mlp = Network::mlp(&[
            LinearWeights { d_in: 5, d_out: 4, weight: draw(20, 3), bias: Some(draw(4, 4)) },
            head(4).remove(0),
        ]);
        let convs = vec![
            ConvWeights { shape: vec![2, 1, 3, 3], weight: draw(18, 5), bias: Some(draw(2, 6)) },
            ConvWeights { shape: vec![2, 2, 3, 3], weight: draw(36, 7), bias: None },
        ];
        let cnn = Network::cnn(&convs, &head(2), 3, 4).unwrap();
        let sets =
            vec![SetWeights { c_in: 2, c_out: 3, identity: draw(6, 8), mean: draw(6, 9), bias: Some(draw(3, 10)) }];
        let ds = Network::deepsets(&sets, &head(3), 4).unwrap();
        let nets = [("mlp", mlp), ("cnn", cnn), ("deepsets", ds), ("general", general()), ("residual", residual())];
        for (name, net) in nets {
            check_gradients(name, &net);
            check_input_gradients(name, &net);
        }
    }

    /// A zero-padded stride-2 convolution, max and average pooling, a
    /// flatten (the layers PyTorch models bring, docs/FORMAT.md).
    fn general() -> Network {
        let arch: crate::net::Architecture = serde_json::from_str(
            r#"{"input": {"kind": "image", "channels": 1, "height": 6, "width": 6}, "layers": [
                {"layer": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [3, 3], "stride": [2, 2],
                 "padding": [1, 1], "dilation": [1, 1], "padding_mode": "zeros", "bias": true},
                {"layer": "relu"},
                {"layer": "max_pool2d", "kernel": [2, 2], "stride": [1, 1], "padding": [0, 0], "dilation": [1, 1]},
                {"layer": "avg_pool2d", "kernel": [2, 2], "stride": [1, 1], "padding": [0, 0], "count_include_pad": true},
                {"layer": "flatten"},
                {"layer": "linear", "in_features": 2, "out_features": 3, "bias": true}]}"#,
        )
        .unwrap();
        let tensors = [
            ("0.weight", vec![2, 1, 3, 3], 11),
            ("0.bias", vec![2], 12),
            ("5.weight", vec![3, 2], 13),
            ("5.bias", vec![3], 14),
        ]
        .into_iter()
        .map(|(n, shape, s): (&str, Vec<usize>, u64)| (n.to_string(), (shape.clone(), draw(shape.iter().product(), s))))
        .collect();
        Network::from_architecture(&arch, tensors).unwrap()
    }

    /// Residual blocks: a strided one with a 1×1 shortcut (fork, swap,
    /// add), then an identity one (fork, add).
    fn residual() -> Network {
        let conv = |c: usize, k: usize, s: usize, p: usize| {
            format!(
                r#"{{"layer": "conv2d", "in_channels": 2, "out_channels": 2, "kernel": [{k}, {k}], "stride": [{s}, {s}],
                 "padding": [{p}, {p}], "dilation": [1, 1], "padding_mode": "zeros", "bias": {}}}"#,
                c > 0
            )
        };
        let arch: crate::net::Architecture = serde_json::from_str(&format!(
            r#"{{"input": {{"kind": "image", "channels": 1, "height": 6, "width": 6}}, "layers": [
                {{"layer": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [3, 3], "stride": [1, 1],
                 "padding": [1, 1], "dilation": [1, 1], "padding_mode": "zeros", "bias": true}},
                {{"layer": "relu"}},
                {{"layer": "residual", "main": [{}, {{"layer": "relu"}}, {}], "shortcut": [{}]}},
                {{"layer": "relu"}},
                {{"layer": "residual", "main": [{}], "shortcut": []}},
                {{"layer": "relu"}},
                {{"layer": "flatten"}},
                {{"layer": "linear", "in_features": 18, "out_features": 3, "bias": true}}]}}"#,
            conv(1, 3, 2, 1),
            conv(1, 3, 1, 1),
            conv(0, 1, 2, 0),
            conv(1, 3, 1, 1)
        ))
        .unwrap();
        let tensors = [
            ("0.weight", vec![2, 1, 3, 3]),
            ("0.bias", vec![2]),
            ("2.main.0.weight", vec![2, 2, 3, 3]),
            ("2.main.0.bias", vec![2]),
            ("2.main.2.weight", vec![2, 2, 3, 3]),
            ("2.main.2.bias", vec![2]),
            ("2.shortcut.0.weight", vec![2, 2, 1, 1]),
            ("4.main.0.weight", vec![2, 2, 3, 3]),
            ("4.main.0.bias", vec![2]),
            ("7.weight", vec![3, 18]),
            ("7.bias", vec![3]),
        ]
        .into_iter()
        .zip(20..)
        .map(|((n, shape), s)| (n.to_string(), (shape.clone(), draw(shape.iter().product(), s))))
        .collect();
        Network::from_architecture(&arch, tensors).unwrap()
    }

    /// Every parameter's gradient of `net` (named `name` in messages)
    /// against central differences of the loss on 11 rows.
    fn check_gradients(name: &str, net: &Network) {
        let rows = 11;
        let x: Vec<f32> = (0..rows * net.d_in()).map(|i| uniform_weight(4, 0, i as u64) as f32).collect();
        let y: Vec<u8> = (0..rows as u8).map(|r| r % 3).collect();
        let (_, g) = loss_and_gradients(net, &x, &y, 1.5);
        let mut checked = 0;
        for (k, layer) in net.layers.iter().enumerate() {
            let Layer::Equivariant(l) = layer else { continue };
            let e = equivariant(net).iter().position(|m| std::ptr::eq(*m, l)).unwrap();
            let params = l.coefficients.len() + l.bias.as_ref().map_or(0, Vec::len);
            for t in 0..params {
                let nudge = |h: f32| {
                    let mut n = net.clone();
                    let Layer::Equivariant(m) = &mut n.layers[k] else { unreachable!() };
                    match t.checked_sub(m.coefficients.len()) {
                        None => m.coefficients[t] += h,
                        Some(b) => m.bias.as_mut().unwrap()[b] += h,
                    }
                    loss(&n, &x, &y)
                };
                // Max pooling and ReLU are only piecewise smooth: a small step
                // keeps their choices (1e-2 crosses a tie or a kink on the
                // general and residual networks).
                let h = if matches!(name, "general" | "residual") { 1e-3 } else { 1e-2 };
                let numeric = (nudge(h) - nudge(-h)) / (2.0 * f64::from(h));
                let ours = match t.checked_sub(l.coefficients.len()) {
                    None => g.coefficients[e][t],
                    Some(b) => g.biases[e].as_ref().unwrap()[b],
                };
                assert!(
                    (f64::from(ours) - numeric).abs() <= 2e-3 + 2e-2 * numeric.abs(),
                    "{name} layer {k} parameter {t}: {ours} vs {numeric}"
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "{name}");
    }

    /// Each row's ∂(w·net(x))/∂x against central differences of the
    /// forward pass, in f64 sums of f32 outputs.
    fn check_input_gradients(name: &str, net: &Network) {
        let (rows, d) = (5, net.d_in());
        let d_out = net.forward_batch(&vec![0.0; d], 1).len();
        let x: Vec<f32> = (0..rows * d).map(|i| uniform_weight(5, 0, i as u64) as f32).collect();
        let w: Vec<f32> = (0..rows * d_out).map(|i| uniform_weight(6, 0, i as u64) as f32).collect();
        let ours = input_gradients(net, &x, &w);
        assert_eq!(ours.len(), rows * d, "{name}");
        let h = 1e-3f32;
        for r in 0..rows {
            let objective = |i: usize, step: f32| {
                let mut row = x[r * d..(r + 1) * d].to_vec();
                row[i] += step;
                let out = net.forward_batch(&row, 1);
                out.iter().zip(&w[r * d_out..(r + 1) * d_out]).map(|(a, b)| f64::from(a * b)).sum::<f64>()
            };
            for i in 0..d {
                // Piecewise linear: within h of a kink the gradient is one
                // of the two one-sided slopes, else both and the central.
                let at = objective(i, 0.0);
                let slopes = [
                    (objective(i, h) - objective(i, -h)) / (2.0 * f64::from(h)),
                    (objective(i, h) - at) / f64::from(h),
                    (at - objective(i, -h)) / f64::from(h),
                ];
                let g = f64::from(ours[r * d + i]);
                let close = |n: f64| (g - n).abs() <= 2e-3 + 2e-2 * n.abs();
                assert!(slopes.iter().any(|&n| close(n)), "{name} row {r} input {i}: {g} vs {slopes:?}");
            }
        }
    }

    #[test]
    fn gradients_do_not_depend_on_the_thread_count() {
        let net = Network::mlp(&[LinearWeights { d_in: 6, d_out: 4, weight: draw(24, 1), bias: Some(draw(4, 2)) }]);
        let x: Vec<f32> = (0..100 * 6).map(|i| uniform_weight(5, 0, i as u64) as f32).collect();
        let y: Vec<u8> = (0..100u8).map(|r| r % 4).collect();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| loss_and_gradients(&net, &x, &y, 1.0))
        };
        assert_eq!(run(1), run(2));
    }
}
