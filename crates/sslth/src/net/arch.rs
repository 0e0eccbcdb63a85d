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
use super::branch::Branch;
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
    /// is a layer of its own): `main` and `shortcut` are layers of this
    /// table (the shortcut none: the identity) that give the same shape,
    /// e.g. ResNet's basic block. Tensors `{i}.main.{j}.…` and
    /// `{i}.shortcut.{j}.…`. Read as a fork, the main path, a swap, the
    /// shortcut and an add ([`crate::net::Branch`], docs/THEORY.md §4.5).
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
#[derive(Clone, Copy, Debug, PartialEq)]
enum Flow {
    /// A vector of this many values.
    Vector(usize),
    /// Channels of H×W maps.
    Image { channels: usize, height: usize, width: usize },
    /// Channels over the points of a set.
    Set { channels: usize, points: usize },
}

impl Flow {
    /// What flows, in messages.
    fn name(&self) -> String {
        match self {
            Flow::Vector(d) => format!("a vector of {d} values"),
            Flow::Image { channels, height, width } => format!("{channels} channels of {height}×{width} maps"),
            Flow::Set { channels, .. } => format!("sets of {channels} features"),
        }
    }
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
        let mut tensors = Vec::new();
        let layers = write_layers(&self.layers, "", &mut tensors);
        (Architecture { input: self.input_shape(), layers }, tensors)
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

/// `layers` as architecture layers (tensors named `{prefix}{i}.…` added
/// to `tensors`): a fork, a main path, a swap, a shortcut and an add
/// become one residual block. (Long: one arm per layer kind, the inverse
/// of [`read_layers`] arm by arm.)
fn write_layers(layers: &[Layer], prefix: &str, tensors: &mut Vec<NamedTensor>) -> Vec<ArchLayer> {
    let mut out = Vec::new();
    let mut rest = layers;
    while let Some((layer, tail)) = rest.split_first() {
        let i = out.len();
        rest = tail;
        let arch = match layer {
            Layer::Equivariant(l) => {
                let (o, c) = (l.c_out, l.c_in);
                let bias = l.bias.is_some();
                let bias_name = if l.basis.spec() == BasisSpec::Deepsets { "identity.bias" } else { "bias" };
                let arch = match l.basis.spec() {
                    BasisSpec::Identity => {
                        tensors.push((format!("{prefix}{i}.weight"), vec![o, c], l.coefficients.clone()));
                        ArchLayer::Linear { in_features: c, out_features: o, bias }
                    }
                    BasisSpec::Deepsets => {
                        let (id, mean) = l.coefficients.split_at(o * c);
                        tensors.push((format!("{prefix}{i}.identity.weight"), vec![o, c], id.to_vec()));
                        tensors.push((format!("{prefix}{i}.mean.weight"), vec![o, c], mean.to_vec()));
                        ArchLayer::Set { in_features: c, out_features: o, bias }
                    }
                    BasisSpec::Conv2d { kernel: k, .. } => {
                        tensors.push((
                            format!("{prefix}{i}.weight"),
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
                            format!("{prefix}{i}.weight"),
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
                    tensors.push((format!("{prefix}{i}.{bias_name}"), vec![o], b.clone()));
                }
                arch
            }
            Layer::Branch(_) => {
                let (main, shortcut, after) = split_block(rest);
                rest = after;
                ArchLayer::Residual {
                    main: write_layers(main, &format!("{prefix}{i}.main."), tensors),
                    shortcut: write_layers(shortcut, &format!("{prefix}{i}.shortcut."), tensors),
                }
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
        out.push(arch);
    }
    out
}

/// The layers of a residual block after its fork: the main path, the
/// shortcut (empty when there is no swap) and the layers after its add.
fn split_block(layers: &[Layer]) -> (&[Layer], &[Layer], &[Layer]) {
    let (mut depth, mut swap) = (0usize, None);
    for (j, l) in layers.iter().enumerate() {
        match l {
            Layer::Branch(Branch::Fork) => depth += 1,
            Layer::Branch(Branch::Swap) if depth == 0 => swap = Some(j),
            Layer::Branch(Branch::Add) if depth == 0 => {
                let main_end = swap.unwrap_or(j);
                let short = swap.map_or(&layers[j..j], |s| &layers[s + 1..j]);
                return (&layers[..main_end], short, &layers[j + 1..]);
            }
            Layer::Branch(Branch::Add) => depth -= 1,
            _ => {}
        }
    }
    (layers, &[], &[])
}

/// Reads `arch_layers` (layer `first` on, tensors named `{prefix}{i}.…`)
/// from `flow` into `layers`; returns what flows out. (Long: one arm per
/// row of docs/FORMAT.md's layer table, all threading the same flowing
/// shape; split, the table would be scattered over as many functions.)
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
            (ArchLayer::Residual { main, shortcut }, flow) => {
                layers.push(Layer::Branch(Branch::Fork));
                let out = read_layers(main, 0, &format!("{prefix}{i}.main."), flow, tensors, layers).map_err(at)?;
                let short = if shortcut.is_empty() {
                    flow
                } else {
                    layers.push(Layer::Branch(Branch::Swap));
                    read_layers(shortcut, 0, &format!("{prefix}{i}.shortcut."), flow, tensors, layers).map_err(at)?
                };
                if out != short {
                    return Err(at(format!("the main path gives {} but the shortcut {}", out.name(), short.name())));
                }
                layers.push(Layer::Branch(Branch::Add));
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
            (_, flow) => return Err(at(format!("cannot take {}", flow.name()))),
        };
        flow = next;
    }
    Ok(flow)
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
