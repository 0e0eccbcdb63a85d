//! A network's whole architecture as a target file records it
//! (docs/FORMAT.md, "Architecture"): every layer's kind and its every
//! setting (a convolution's kernel, stride, padding size and mode,
//! dilation, bias; a pooling's kind and windows; the activation), and the
//! input's shape, so that nothing is assumed when the file is read.
//!
//! Layer i of the list owns the tensors named `{i}.…` (`{i}.weight`,
//! `{i}.bias`; a set layer `{i}.identity.weight`, `{i}.identity.bias`,
//! `{i}.mean.weight`; a batch norm `{i}.weight`, `{i}.bias`,
//! `{i}.running_mean`, `{i}.running_var`). A batch norm is folded into the
//! linear layer right before it when the network is read (its eval-mode
//! map is affine per channel), so a network written back records the
//! folded layer and no batch norm.

use super::basis::{BasisSpec, Conv2d, DeepSets, Identity};
use super::conv::{Conv, ConvGeometry, PaddingMode};
use super::network::{conv_coefficients, conv_weight, Equivariant, Layer, Network};
use super::pool::{Pool, PoolKind, PoolSpec, Window};
use crate::data::InputShape;
use std::collections::HashMap;
use std::sync::Arc;

/// One layer of an [`Architecture`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "layer", rename_all = "snake_case", deny_unknown_fields)]
pub enum ArchLayer {
    /// `nn.Linear`: `{i}.weight` `[out, in]`, `{i}.bias` `[out]` if `bias`.
    Linear {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
        /// Whether it has a bias.
        bias: bool,
    },
    /// `nn.Conv2d`: `{i}.weight` `[out, in, k_h, k_w]`, `{i}.bias` `[out]`.
    Conv2d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// `[k_h, k_w]`.
        kernel: [usize; 2],
        /// `[s_h, s_w]`.
        stride: [usize; 2],
        /// Padding on each side, `[p_h, p_w]`.
        padding: [usize; 2],
        /// `[d_h, d_w]`.
        dilation: [usize; 2],
        /// `zeros`, `circular`, `reflect` or `replicate`.
        padding_mode: PaddingMode,
        /// Whether it has a bias.
        bias: bool,
    },
    /// A DeepSets layer y_n = W_id·x_n + W_mean·mean(x) + b.
    Set {
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
        /// Whether it has a bias (`{i}.identity.bias`).
        bias: bool,
    },
    /// `nn.BatchNorm1d`/`nn.BatchNorm2d` in eval mode, folded into the
    /// linear layer before it.
    BatchNorm {
        /// Channels.
        features: usize,
        /// The ε added to the running variance.
        eps: f64,
    },
    /// max(x, 0).
    Relu,
    /// `nn.MaxPool2d` (`ceil_mode=False`).
    MaxPool2d {
        /// `[k_h, k_w]`.
        kernel: [usize; 2],
        /// `[s_h, s_w]`.
        stride: [usize; 2],
        /// `[p_h, p_w]`.
        padding: [usize; 2],
        /// `[d_h, d_w]`.
        dilation: [usize; 2],
    },
    /// `nn.AvgPool2d` (`ceil_mode=False`, no divisor override).
    AvgPool2d {
        /// `[k_h, k_w]`.
        kernel: [usize; 2],
        /// `[s_h, s_w]`.
        stride: [usize; 2],
        /// `[p_h, p_w]`.
        padding: [usize; 2],
        /// Whether padded points count in the divisor.
        count_include_pad: bool,
    },
    /// `nn.AdaptiveMaxPool2d`.
    AdaptiveMaxPool2d {
        /// `[H', W']`.
        output: [usize; 2],
    },
    /// `nn.AdaptiveAvgPool2d`; to `[1, 1]` it is the mean over the map.
    AdaptiveAvgPool2d {
        /// `[H', W']`.
        output: [usize; 2],
    },
    /// The mean over every point of each channel: a set's mean, or an
    /// image's global average (`x.mean((2, 3))`).
    MeanPool,
    /// `torch.flatten(x, 1)` (and `x.view(n, -1)`): channels × points
    /// become one vector, channel-major.
    Flatten,
    /// A residual block y = main(x) + shortcut(x) (the ReLU after the sum
    /// is a layer of its own): `main` convolutions (odd square kernels,
    /// same-size padding, only the first strided) with batch norms and
    /// ReLUs between them, `shortcut` nothing (the identity) or a 1×1
    /// convolution with the first's stride and a batch norm. Tensors
    /// `{i}.main.{j}.…` and `{i}.shortcut.{j}.…`. Read as plain layers
    /// (docs/THEORY.md §4.5): the shortcut's x⁺ and x⁻ are carried through
    /// the main path on each convolution's centre offset and added by its
    /// last, so a file written back records those layers.
    Residual {
        /// The main path.
        main: Vec<ArchLayer>,
        /// The shortcut (empty: the identity).
        shortcut: Vec<ArchLayer>,
    },
}

impl ArchLayer {
    /// The layer's name in messages (`conv2d`, `max_pool2d`, …).
    pub fn name(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("layer").and_then(|n| n.as_str()).map(str::to_string))
            .unwrap_or_default()
    }
}

/// A network's architecture: its input's shape (none for a vector) and
/// its layers in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Images `[C, H, W]` or sets; `None` when the input is a vector (its
    /// length is the first linear layer's input).
    pub input: Option<InputShape>,
    /// The layers, input first.
    pub layers: Vec<ArchLayer>,
}

/// A tensor as a state_dict lists it: `(name, shape, values)`.
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// Named tensors `(shape, values)`, as a state_dict holds them.
pub type Tensors = HashMap<String, (Vec<usize>, Vec<f32>)>;

/// What flows between layers while an architecture is read.
#[derive(Clone, Copy, Debug)]
enum Flow {
    /// A vector of this many values.
    Vector(usize),
    /// Channels of H×W maps.
    Image { channels: usize, height: usize, width: usize },
    /// Channels over the points of a set.
    Set { channels: usize, points: usize },
}

/// Takes tensor `name` of `shape` out of `tensors`.
fn take(tensors: &mut Tensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
    let (got, values) = tensors.remove(name).ok_or_else(|| format!("missing tensor {name} (shape {shape:?})"))?;
    if got != shape {
        return Err(format!("tensor {name} has shape {got:?}, expected {shape:?}"));
    }
    Ok(values)
}

impl Network {
    /// The network an architecture describes, from its tensors (see the
    /// module docs). Every tensor must be used; errors are one line.
    pub fn from_architecture(arch: &Architecture, mut tensors: Tensors) -> Result<Network, String> {
        let mut flow = match arch.input {
            Some(InputShape::Image { channels, height, width }) => Flow::Image { channels, height, width },
            Some(InputShape::Set { features, points }) => Flow::Set { channels: features, points },
            None => match arch.layers.first() {
                Some(ArchLayer::Linear { in_features, .. }) => Flow::Vector(*in_features),
                _ => {
                    return Err("the architecture records no input shape and does not start with a linear layer".into())
                }
            },
        };
        // A flatten first moves no value of a channel-major row: the network
        // takes vectors.
        let leading = arch.layers.iter().take_while(|l| **l == ArchLayer::Flatten).count();
        if leading > 0 {
            flow = match flow {
                Flow::Image { channels, height, width } => Flow::Vector(channels * height * width),
                Flow::Set { .. } => return Err("layer 0 (flatten): a set has no fixed size to flatten".into()),
                vector => vector,
            };
        }
        let (channels, points) = match flow {
            Flow::Vector(d) => (d, 1),
            Flow::Image { channels, height, width } => (channels, height * width),
            Flow::Set { channels, points } => (channels, points),
        };
        let mut layers: Vec<Layer> = Vec::new();
        let flow = read_layers(&arch.layers[leading..], leading, "", flow, &mut tensors, &mut layers)?;
        if !matches!(flow, Flow::Vector(_) | Flow::Image { height: 1, width: 1, .. }) {
            return Err(
                "the network does not end with a vector (a flatten or a pooling to one point is missing)".into()
            );
        }
        if let Some(name) = tensors.keys().min() {
            return Err(format!("tensor {name} belongs to no layer of the architecture"));
        }
        if !layers.iter().any(|l| matches!(l, Layer::Equivariant(_))) {
            return Err("the architecture has no linear layer".into());
        }
        Ok(Network { layers, channels, points })
    }

    /// The network's architecture and its tensors named as in the module
    /// docs: the inverse of [`Network::from_architecture`] (batch norms
    /// already folded).
    pub fn architecture(&self) -> (Architecture, Vec<NamedTensor>) {
        let mut layers = Vec::new();
        let mut tensors = Vec::new();
        let input = self.input_shape();
        for (i, layer) in self.layers.iter().enumerate() {
            let arch = match layer {
                Layer::Equivariant(l) => {
                    let (o, c) = (l.c_out, l.c_in);
                    let bias = l.bias.is_some();
                    let bias_name = if l.basis.spec() == BasisSpec::Deepsets { "identity.bias" } else { "bias" };
                    let arch = match l.basis.spec() {
                        BasisSpec::Identity => {
                            tensors.push((format!("{i}.weight"), vec![o, c], l.coefficients.clone()));
                            ArchLayer::Linear { in_features: c, out_features: o, bias }
                        }
                        BasisSpec::Deepsets => {
                            let (id, mean) = l.coefficients.split_at(o * c);
                            tensors.push((format!("{i}.identity.weight"), vec![o, c], id.to_vec()));
                            tensors.push((format!("{i}.mean.weight"), vec![o, c], mean.to_vec()));
                            ArchLayer::Set { in_features: c, out_features: o, bias }
                        }
                        BasisSpec::Conv2d { kernel: k, .. } => {
                            tensors.push((
                                format!("{i}.weight"),
                                vec![o, c, k, k],
                                conv_weight(&l.coefficients, o, c, k * k),
                            ));
                            let p = k / 2;
                            ArchLayer::Conv2d {
                                in_channels: c,
                                out_channels: o,
                                kernel: [k, k],
                                stride: [1, 1],
                                padding: [p, p],
                                dilation: [1, 1],
                                padding_mode: PaddingMode::Circular,
                                bias,
                            }
                        }
                        BasisSpec::Conv(g) => {
                            let [kh, kw] = g.kernel;
                            tensors.push((
                                format!("{i}.weight"),
                                vec![o, c, kh, kw],
                                conv_weight(&l.coefficients, o, c, kh * kw),
                            ));
                            ArchLayer::Conv2d {
                                in_channels: c,
                                out_channels: o,
                                kernel: g.kernel,
                                stride: g.stride,
                                padding: g.padding,
                                dilation: g.dilation,
                                padding_mode: g.padding_mode,
                                bias,
                            }
                        }
                    };
                    if let Some(b) = &l.bias {
                        tensors.push((format!("{i}.{bias_name}"), vec![o], b.clone()));
                    }
                    arch
                }
                Layer::Relu => ArchLayer::Relu,
                Layer::MeanPool => ArchLayer::MeanPool,
                Layer::Flatten => ArchLayer::Flatten,
                Layer::Pool(p) => {
                    let spec = p.spec();
                    match (spec.kind, spec.window) {
                        (PoolKind::Max, Window::Fixed { kernel, stride, padding, dilation, .. }) => {
                            ArchLayer::MaxPool2d { kernel, stride, padding, dilation }
                        }
                        (PoolKind::Avg, Window::Fixed { kernel, stride, padding, count_include_pad, .. }) => {
                            ArchLayer::AvgPool2d { kernel, stride, padding, count_include_pad }
                        }
                        (PoolKind::Max, Window::Adaptive { output }) => ArchLayer::AdaptiveMaxPool2d { output },
                        (PoolKind::Avg, Window::Adaptive { output }) => ArchLayer::AdaptiveAvgPool2d { output },
                    }
                }
            };
            layers.push(arch);
        }
        (Architecture { input, layers }, tensors)
    }

    /// The input's shape as the first layer that knows it says: images
    /// from a convolution's or pooling's map, sets from a set layer;
    /// `None` for a vector.
    pub fn input_shape(&self) -> Option<InputShape> {
        let channels = self.channels;
        match self.layers.first()? {
            Layer::Equivariant(l) => match l.basis.spec() {
                BasisSpec::Identity => None,
                BasisSpec::Deepsets => Some(InputShape::Set { features: channels, points: self.points }),
                BasisSpec::Conv2d { height, width, .. } | BasisSpec::Conv(ConvGeometry { height, width, .. }) => {
                    Some(InputShape::Image { channels, height, width })
                }
            },
            Layer::Pool(p) => Some(InputShape::Image { channels, height: p.spec().height, width: p.spec().width }),
            _ => None,
        }
    }
}

/// Reads `arch_layers` (layer `first` on, tensors named `{prefix}{i}.…`)
/// from `flow` into `layers`; returns what flows out.
fn read_layers(
    arch_layers: &[ArchLayer],
    first: usize,
    prefix: &str,
    mut flow: Flow,
    tensors: &mut Tensors,
    layers: &mut Vec<Layer>,
) -> Result<Flow, String> {
    for (i, layer) in (first..).zip(arch_layers) {
        let at = |m: String| format!("layer {prefix}{i} ({}): {m}", layer.name());
        let bias = |tensors: &mut Tensors, has: bool, name: &str, n: usize| {
            has.then(|| take(tensors, &format!("{prefix}{i}.{name}"), &[n])).transpose().map_err(at)
        };
        let next = match (layer, flow) {
            (&ArchLayer::Linear { in_features, out_features, bias: b }, Flow::Vector(d)) => {
                if d != in_features {
                    return Err(at(format!("takes {in_features} inputs but receives {d}")));
                }
                let weight = take(tensors, &format!("{prefix}{i}.weight"), &[out_features, in_features]).map_err(at)?;
                let bias = bias(tensors, b, "bias", out_features)?;
                layers.push(Layer::Equivariant(Equivariant {
                    basis: Arc::new(Identity),
                    c_in: in_features,
                    c_out: out_features,
                    coefficients: weight,
                    bias,
                }));
                Flow::Vector(out_features)
            }
            (
                &ArchLayer::Conv2d {
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    padding,
                    dilation,
                    padding_mode,
                    bias: b,
                },
                Flow::Image { channels, height, width },
            ) => {
                if channels != in_channels {
                    return Err(at(format!("takes {in_channels} channels but receives {channels}")));
                }
                let geometry = ConvGeometry { kernel, stride, padding, dilation, padding_mode, height, width };
                let [ho, wo] = geometry.output().map_err(at)?;
                let shape = [out_channels, in_channels, kernel[0], kernel[1]];
                let weight = take(tensors, &format!("{prefix}{i}.weight"), &shape).map_err(at)?;
                let bias = bias(tensors, b, "bias", out_channels)?;
                let taps = kernel[0] * kernel[1];
                let coefficients = conv_coefficients(&weight, out_channels, in_channels, taps);
                layers.push(Layer::Equivariant(Equivariant {
                    basis: conv_basis(geometry)?,
                    c_in: in_channels,
                    c_out: out_channels,
                    coefficients,
                    bias,
                }));
                Flow::Image { channels: out_channels, height: ho, width: wo }
            }
            (&ArchLayer::Set { in_features, out_features, bias: b }, Flow::Set { channels, points }) => {
                if channels != in_features {
                    return Err(at(format!("takes {in_features} features but receives {channels}")));
                }
                let shape = [out_features, in_features];
                let mut coefficients = take(tensors, &format!("{prefix}{i}.identity.weight"), &shape).map_err(at)?;
                coefficients.extend(take(tensors, &format!("{prefix}{i}.mean.weight"), &shape).map_err(at)?);
                let bias = bias(tensors, b, "identity.bias", out_features)?;
                layers.push(Layer::Equivariant(Equivariant {
                    basis: Arc::new(DeepSets),
                    c_in: in_features,
                    c_out: out_features,
                    coefficients,
                    bias,
                }));
                Flow::Set { channels: out_features, points }
            }
            (&ArchLayer::BatchNorm { features, eps }, flow) => {
                let Some(Layer::Equivariant(prev)) = layers.last_mut() else {
                    return Err(at(
                        "a batch norm is folded into the linear layer (Linear, Conv2d) right before it, and none \
                         is there"
                            .into(),
                    ));
                };
                if prev.c_out != features {
                    return Err(at(format!("normalises {features} channels but receives {}", prev.c_out)));
                }
                let mut get = |name: &str| take(tensors, &format!("{prefix}{i}.{name}"), &[features]).map_err(at);
                let (gamma, beta, mean, var) =
                    (get("weight")?, get("bias")?, get("running_mean")?, get("running_var")?);
                fold_batch_norm(prev, &gamma, &beta, &mean, &var, eps).map_err(at)?;
                flow
            }
            (ArchLayer::Residual { main, shortcut }, Flow::Image { channels, .. }) => {
                let (mut m, mut sc) = (Vec::new(), Vec::new());
                let out = read_layers(main, 0, &format!("{prefix}{i}.main."), flow, tensors, &mut m).map_err(at)?;
                let short =
                    read_layers(shortcut, 0, &format!("{prefix}{i}.shortcut."), flow, tensors, &mut sc).map_err(at)?;
                let (
                    Flow::Image { channels: c, height: h, width: w },
                    Flow::Image { channels: cs, height: hs, width: ws },
                ) = (out, short)
                else {
                    return Err(at("both paths must give images".into()));
                };
                if (c, h, w) != (cs, hs, ws) {
                    return Err(at(format!(
                        "the main path gives {c} channels of {h}×{w} but the shortcut {cs} of {hs}×{ws}"
                    )));
                }
                layers.extend(residual_layers(m, sc.pop(), channels).map_err(at)?);
                out
            }
            (ArchLayer::Relu, flow) => {
                layers.push(Layer::Relu);
                flow
            }
            (ArchLayer::MeanPool, Flow::Image { channels, .. } | Flow::Set { channels, .. }) => {
                layers.push(Layer::MeanPool);
                Flow::Vector(channels)
            }
            (ArchLayer::Flatten, flow) => {
                layers.push(Layer::Flatten);
                Flow::Vector(match flow {
                    Flow::Vector(d) => d,
                    Flow::Image { channels, height, width } => channels * height * width,
                    Flow::Set { .. } => return Err(at("a set has no fixed size to flatten".into())),
                })
            }
            (pool, Flow::Image { channels, height, width }) if pool_spec(pool, height, width).is_some() => {
                let spec = pool_spec(pool, height, width).expect("checked");
                if spec.window == (Window::Adaptive { output: [1, 1] }) && spec.kind == PoolKind::Avg {
                    // The mean over the map, to a 1×1 map: the same values.
                    layers.push(Layer::MeanPool);
                    Flow::Image { channels, height: 1, width: 1 }
                } else {
                    let pool = Pool::new(spec).map_err(at)?;
                    let [height, width] = pool.output();
                    layers.push(Layer::Pool(Arc::new(pool)));
                    Flow::Image { channels, height, width }
                }
            }
            (_, flow) => {
                let what = match flow {
                    Flow::Vector(d) => format!("a vector of {d} values"),
                    Flow::Image { channels, height, width } => {
                        format!("{channels} channels of {height}×{width} maps")
                    }
                    Flow::Set { channels, .. } => format!("sets of {channels} features"),
                };
                return Err(at(format!("cannot take {what}")));
            }
        };
        flow = next;
    }
    Ok(flow)
}

/// A residual block main(x) + shortcut(x) as plain layers (docs/THEORY.md
/// §4.5): `main` is convolutions with ReLU between (batch norms folded),
/// `shortcut` a 1×1 convolution or none (the identity on `c_in` channels
/// of an H×W map). With one convolution the shortcut is added to its
/// centre offset; with more, the first also outputs S·x and −S·x on its
/// centre offset (S the shortcut), the ReLUs keep their positive parts
/// (S·x)⁺ and (S·x)⁻, each middle convolution copies them on its centre
/// offset, and the last adds (S·x)⁺ − (S·x)⁻ = S·x. The centre offset of
/// an odd square kernel with same-size padding reads point (i·s, j·s):
/// what a 1×1 convolution of stride s reads.
fn residual_layers(main: Vec<Layer>, shortcut: Option<Layer>, c_in: usize) -> Result<Vec<Layer>, String> {
    if main.len() % 2 == 0 {
        return Err("the main path must end with a convolution (a ReLU after the sum is a layer of its own)".into());
    }
    let mut convs: Vec<Equivariant> = Vec::new();
    for (j, l) in main.into_iter().enumerate() {
        match (j % 2, l) {
            (0, Layer::Equivariant(e)) => convs.push(e),
            (1, Layer::Relu) => {}
            (_, l) => {
                return Err(format!(
                    "the main path has {} where it takes convolutions with ReLU between them",
                    l.name()
                ))
            }
        }
    }
    let Some(last) = convs.last() else { return Err("the main path has no convolution".into()) };
    let c_out = last.c_out;
    // The centre offset of each convolution, and the first one's stride.
    let mut stride = [1, 1];
    let mut centres = Vec::new();
    for (j, e) in convs.iter().enumerate() {
        let (k, s, ok) = match e.basis.spec() {
            BasisSpec::Conv2d { kernel, .. } => (kernel, [1, 1], true),
            BasisSpec::Conv(g) => {
                let [k, kw] = g.kernel;
                let same = k == kw && k % 2 == 1 && g.dilation[0] == g.dilation[1];
                (k, g.stride, same && g.padding == [g.dilation[0] * (k / 2); 2])
            }
            other => return Err(format!("the main path's layer {} is {other:?}, not a convolution", 2 * j)),
        };
        if !ok || (j > 0 && s != [1, 1]) {
            return Err(format!(
                "the main path's convolution {j} ({}) is not an odd square kernel with same-size padding{}",
                e.basis.name(),
                if j > 0 { " and stride 1" } else { "" }
            ));
        }
        if j == 0 {
            stride = s;
        }
        centres.push((k / 2) * k + k / 2);
    }
    // The shortcut as a matrix S [c_s, c_in] with a bias.
    let (s_w, s_b, c_s) = match shortcut {
        None => {
            if stride != [1, 1] || c_out != c_in {
                return Err(format!(
                    "an identity shortcut needs a stride-1 main path that keeps the {c_in} channels (it gives {c_out})"
                ));
            }
            let eye = (0..c_in * c_in).map(|t| if t / c_in == t % c_in { 1.0 } else { 0.0 }).collect();
            (eye, None, c_in)
        }
        Some(Layer::Equivariant(e)) => {
            let pointwise = matches!(e.basis.spec(), BasisSpec::Conv(g) if g.kernel == [1, 1] && g.padding == [0, 0] && g.stride == stride);
            if !pointwise {
                return Err(format!(
                    "the shortcut ({}) is not a 1×1 convolution of the main path's stride",
                    e.basis.name()
                ));
            }
            (e.coefficients, e.bias, e.c_out)
        }
        Some(l) => return Err(format!("the shortcut has {}, not one 1×1 convolution", l.name())),
    };
    let n = convs.len();
    let mut out = Vec::new();
    let mut carried_in = 0; // channels of ± S·x the layer reads after its own
    for (j, e) in convs.into_iter().enumerate() {
        let size = e.basis.size();
        let q = centres[j];
        let last = j + 1 == n;
        let carried_out = if last { 0 } else { 2 * c_s };
        let (ci, co) = (e.c_in + carried_in, e.c_out + carried_out);
        let mut c = vec![0.0f32; size * co * ci];
        for qq in 0..size {
            for o in 0..e.c_out {
                for i in 0..e.c_in {
                    c[(qq * co + o) * ci + i] = e.coefficients[(qq * e.c_out + o) * e.c_in + i];
                }
            }
        }
        let mut bias = e.bias.clone().map(|mut b| {
            b.resize(co, 0.0);
            b
        });
        let at = |o: usize, i: usize| (q * co + o) * ci + i;
        if n == 1 {
            // main(x) + S·x in one convolution.
            for o in 0..c_s {
                for i in 0..c_in {
                    c[at(o, i)] += s_w[o * c_in + i];
                }
            }
        } else if j == 0 {
            for t in 0..c_s {
                for i in 0..c_in {
                    c[at(e.c_out + t, i)] = s_w[t * c_in + i];
                    c[at(e.c_out + c_s + t, i)] = -s_w[t * c_in + i];
                }
            }
        } else if !last {
            for t in 0..2 * c_s {
                c[at(e.c_out + t, e.c_in + t)] = 1.0;
            }
        } else {
            for o in 0..c_s {
                c[at(o, e.c_in + o)] += 1.0;
                c[at(o, e.c_in + c_s + o)] -= 1.0;
            }
        }
        // The shortcut's bias: added by the sum (one convolution), or
        // carried as ±b beside S·x.
        if let Some(sb) = &s_b {
            let b = bias.get_or_insert_with(|| vec![0.0; co]);
            for t in 0..c_s {
                if n == 1 {
                    b[t] += sb[t];
                } else if j == 0 {
                    b[e.c_out + t] += sb[t];
                    b[e.c_out + c_s + t] -= sb[t];
                }
            }
        }
        out.push(Layer::Equivariant(Equivariant { basis: e.basis, c_in: ci, c_out: co, coefficients: c, bias }));
        if !last {
            out.push(Layer::Relu);
        }
        carried_in = carried_out;
    }
    Ok(out)
}

/// The basis of a convolution: the circular kernel-offset basis of
/// docs/THEORY.md §4.2 when the convolution is circular, stride 1 and
/// same-size with an odd square kernel (what `sslth train` makes, and what
/// the construction builds tickets for), else the general one
/// ([`Conv`]). Both compute the same function.
fn conv_basis(g: ConvGeometry) -> Result<Arc<dyn super::Basis>, String> {
    let [k, kw] = g.kernel;
    let circular_same = g.padding_mode == PaddingMode::Circular
        && k == kw
        && k % 2 == 1
        && g.stride == [1, 1]
        && g.dilation == [1, 1]
        && g.padding == [k / 2, k / 2];
    Ok(if circular_same { Arc::new(Conv2d::new(k, g.height, g.width)?) } else { Arc::new(Conv::new(g)?) })
}

/// A pooling layer's spec on an H×W map, or `None` for other layers.
fn pool_spec(layer: &ArchLayer, height: usize, width: usize) -> Option<PoolSpec> {
    let (kind, window) = match *layer {
        ArchLayer::MaxPool2d { kernel, stride, padding, dilation } => {
            (PoolKind::Max, Window::Fixed { kernel, stride, padding, dilation, count_include_pad: false })
        }
        ArchLayer::AvgPool2d { kernel, stride, padding, count_include_pad } => {
            (PoolKind::Avg, Window::Fixed { kernel, stride, padding, dilation: [1, 1], count_include_pad })
        }
        ArchLayer::AdaptiveMaxPool2d { output } => (PoolKind::Max, Window::Adaptive { output }),
        ArchLayer::AdaptiveAvgPool2d { output } => (PoolKind::Avg, Window::Adaptive { output }),
        _ => return None,
    };
    Some(PoolSpec { kind, window, height, width })
}

/// Folds an eval-mode batch norm y = γ·(x − μ)/√(σ² + ε) + β into the
/// linear layer before it: output channel o's coefficients times
/// s_o = γ_o/√(σ²_o + ε), its bias (b_o − μ_o)·s_o + β_o (in f64, then
/// rounded once).
fn fold_batch_norm(
    l: &mut Equivariant,
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f64,
) -> Result<(), String> {
    if !(eps.is_finite() && eps >= 0.0) || var.iter().any(|&v| f64::from(v) + eps <= 0.0) {
        return Err(format!("the running variance plus eps {eps} must be positive"));
    }
    let scale: Vec<f64> = (0..l.c_out).map(|o| f64::from(gamma[o]) / (f64::from(var[o]) + eps).sqrt()).collect();
    for (r, row) in l.coefficients.chunks_exact_mut(l.c_in).enumerate() {
        let s = scale[r % l.c_out];
        row.iter_mut().for_each(|v| *v = (f64::from(*v) * s) as f32);
    }
    let old = l.bias.take().unwrap_or_else(|| vec![0.0; l.c_out]);
    l.bias = Some(
        (0..l.c_out)
            .map(|o| ((f64::from(old[o]) - f64::from(mean[o])) * scale[o] + f64::from(beta[o])) as f32)
            .collect(),
    );
    Ok(())
}
