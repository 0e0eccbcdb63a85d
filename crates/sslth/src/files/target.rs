//! Target files (docs/FORMAT.md, "Targets"): any [`Network`] as
//! safetensors whose metadata record its whole [`Architecture`]
//! (`architecture`), layer i owning the tensors `{i}.…`.
//!
//! A file without an architecture is read only where one reading is
//! documented, and never by guessing a padding, stride, pooling or
//! activation:
//!
//! - `Linear` layers alone, at 0, 2, 4, … (an `nn.Sequential` MLP with
//!   ReLU between them): read so, and [`TargetInfo::assumed`] says it;
//! - files sslth wrote before it recorded architectures, which carry its
//!   `input` metadata: circular same-size stride-1 convolutions (odd square
//!   kernels) or set layers at 0, 2, 4, … with ReLU between, the pooling
//!   and flatten as modules, then the `Linear` head at every second index
//!   from its first one;
//! - convolution or set tensors otherwise are refused, with one line that
//!   names `sslth.from_torch`.

use super::safetensors::{f32_bytes, format_error, read_safetensors, serialize_typed, tensor_f32, ModelError};
use crate::data::InputShape;
use crate::net::{Architecture, ConvWeights, Kind, LinearWeights, NamedTensor, Network, SetWeights};
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One module's tensors, by role.
#[derive(Default)]
struct Module {
    weight: Option<(Vec<usize>, Vec<f32>)>,
    bias: Option<Vec<f32>>,
    identity: Option<(Vec<usize>, Vec<f32>)>,
    identity_bias: Option<Vec<f32>>,
    mean: Option<(Vec<usize>, Vec<f32>)>,
}

/// Checks that dense layers chain: each takes the previous one's outputs.
fn check_chain(head: &[LinearWeights]) -> Result<(), String> {
    for (i, pair) in head.windows(2).enumerate() {
        if pair[0].d_out != pair[1].d_in {
            return Err(format!(
                "shapes do not chain: layer {} outputs {} values but layer {} takes {}",
                2 * i,
                pair[0].d_out,
                2 * i + 2,
                pair[1].d_in
            ));
        }
    }
    Ok(())
}

/// Reads a target of any [`Kind`] (see the module docs); `shape`, the
/// data's layout, is checked against the target's input.
pub fn load(path: &Path, shape: Option<InputShape>) -> Result<(Network, TargetInfo), ModelError> {
    load_bytes(&read_safetensors(path)?, &path.display().to_string(), shape)
}

/// [`load`] from a file's bytes, named `p` in errors.
pub fn load_bytes(bytes: &[u8], p: &str, shape: Option<InputShape>) -> Result<(Network, TargetInfo), ModelError> {
    let p = p.to_string();
    let st = SafeTensors::deserialize(bytes).map_err(|e| format_error(bytes, &p, e))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| format_error(bytes, &p, e))?;
    let md = header.metadata().clone().unwrap_or_default();
    if md.get("format").is_some_and(|f| f.starts_with("sslth-ticket")) {
        return Err(ModelError::Layout(format!("{p} is a ticket, not a target (the trained network to approximate)")));
    }
    let mut tensors = Vec::new();
    for (name, view) in st.tensors() {
        let values = tensor_f32(&name, &view)?;
        tensors.push((name, view.shape().to_vec(), values));
    }
    from_tensors(tensors, &md, shape).map_err(|e| match e {
        ModelError::Unsupported(m) => ModelError::Unsupported(format!("{p}: {m}")),
        other => ModelError::Layout(format!("{p}: {other}")),
    })
}

/// A target from named tensors `(name, shape, values)` (a `state_dict`)
/// with a file's `__metadata__` map (`architecture`, `input`, `data`,
/// `input_scale`; empty for a PyTorch export), read as the module docs
/// say; `shape`, the data's layout, is checked against the target's input.
/// Errors are one line. This is what Python's `sslth.from_torch` calls
/// with the architecture it traced:
///
/// ```
/// use std::collections::HashMap;
///
/// // A zero-padded stride-2 convolution, a ReLU, a flatten and a linear head.
/// let arch = r#"{"input": {"kind": "image", "channels": 1, "height": 4, "width": 4},
///   "layers": [{"layer": "conv2d", "in_channels": 1, "out_channels": 2, "kernel": [3, 3], "stride": [2, 2],
///               "padding": [1, 1], "dilation": [1, 1], "padding_mode": "zeros", "bias": true},
///              {"layer": "relu"}, {"layer": "flatten"},
///              {"layer": "linear", "in_features": 8, "out_features": 3, "bias": false}]}"#;
/// let tensors = vec![
///     ("0.weight".to_string(), vec![2, 1, 3, 3], vec![0.1; 18]),
///     ("0.bias".to_string(), vec![2], vec![0.0, 0.5]),
///     ("3.weight".to_string(), vec![3, 8], vec![0.2; 24]),
/// ];
/// let md = HashMap::from([("architecture".to_string(), arch.to_string())]);
/// let (net, _) = sslth::files::target::from_tensors(tensors, &md, None).unwrap();
/// // Stride 2 with one pixel of zeros: a 2×2 map per channel, 8 values into the head.
/// assert_eq!(net.forward(&[1.0; 16]).len(), 3);
/// let no_bias = vec![("0.weight".to_string(), vec![2, 1, 3, 3], vec![0.1; 18])];
/// assert!(sslth::files::target::from_tensors(no_bias, &md, None).is_err()); // a tensor missing: refused
/// ```
pub fn from_tensors(
    tensors: Vec<NamedTensor>,
    md: &HashMap<String, String>,
    shape: Option<InputShape>,
) -> Result<(Network, TargetInfo), ModelError> {
    let (net, info) = from_tensors_unchecked(tensors, md, shape).map_err(ModelError::Layout)?;
    // A target is what tickets are built of: refused here, at the import,
    // rather than at every build.
    net.structure().map_err(|e| ModelError::Unsupported(format!("not a network tickets are built of: {e}")))?;
    Ok((net, info))
}

/// [`from_tensors`] before the check that tickets are built of the network.
fn from_tensors_unchecked(
    tensors: Vec<NamedTensor>,
    md: &HashMap<String, String>,
    shape: Option<InputShape>,
) -> Result<(Network, TargetInfo), String> {
    let mut info = TargetInfo::from_metadata(md);
    for (name, shape, values) in &tensors {
        if shape.iter().product::<usize>() != values.len() {
            return Err(format!("tensor {name} has {} values but shape {shape:?}", values.len()));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!("tensor {name} has a non-finite value at flat index {i}"));
        }
    }
    let net = match md.get("architecture") {
        Some(text) => {
            let arch: Architecture = serde_json::from_str(text)
                .map_err(|e| format!("the recorded architecture is not one sslth reads: {e}"))?;
            let named = tensors.into_iter().map(|(name, shape, values)| (name, (shape, values))).collect();
            Network::from_architecture(&arch, named)?
        }
        None => {
            let (convs, sets, head) = sequential_layers(modules_of(tensors)?)?;
            without_architecture(convs, sets, head, md, &mut info)?
        }
    };
    check_data(&net, shape)?;
    Ok((net, info))
}

/// A file's tensors grouped by their `nn.Sequential` module index.
fn modules_of(tensors: Vec<NamedTensor>) -> Result<BTreeMap<usize, Module>, String> {
    let mut modules: BTreeMap<usize, Module> = BTreeMap::new();
    for (name, shape, values) in tensors {
        let parsed = name.split_once('.').and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)));
        let Some((idx, role)) = parsed else {
            return Err(format!(
                "tensor '{name}' is not named N.weight, N.bias, N.identity.weight, N.identity.bias or N.mean.weight \
                 (nn.Sequential layout, docs/FORMAT.md)"
            ));
        };
        let m = modules.entry(idx).or_default();
        match role {
            "weight" => m.weight = Some((shape, values)),
            "bias" => m.bias = Some(values),
            "identity.weight" => m.identity = Some((shape, values)),
            "identity.bias" => m.identity_bias = Some(values),
            "mean.weight" => m.mean = Some((shape, values)),
            _ => {
                return Err(format!(
                    "unknown tensor '{name}': expected N.weight, N.bias, N.identity.weight, N.identity.bias or \
                     N.mean.weight (docs/FORMAT.md)"
                ))
            }
        }
    }
    Ok(modules)
}

/// The modules of a file with no architecture, in the one reading
/// documented for such files (docs/FORMAT.md): equivariant layers
/// (convolutions or set layers) at 0, 2, 4, …, then Linear layers at
/// every second index.
#[allow(clippy::type_complexity)]
fn sequential_layers(
    modules: BTreeMap<usize, Module>,
) -> Result<(Vec<ConvWeights>, Vec<SetWeights>, Vec<LinearWeights>), String> {
    let mut convs = Vec::new();
    let mut sets = Vec::new();
    let mut head = Vec::new();
    let mut head_start = None;
    for (pos, (idx, m)) in modules.into_iter().enumerate() {
        let linear_2d = matches!(&m.weight, Some((s, _)) if s.len() == 2);
        if linear_2d {
            let start = *head_start.get_or_insert(idx);
            let expected = start + 2 * head.len();
            if idx != expected || (convs.is_empty() && sets.is_empty() && start != 0) {
                return Err(format!(
                    "missing layer: expected {}.weight (Linear layers at every second index with ReLU between), \
                     found {idx}",
                    if convs.is_empty() && sets.is_empty() { expected.min(2 * pos) } else { expected }
                ));
            }
            let (shape, weight) = m.weight.unwrap();
            if m.identity.is_some() || m.mean.is_some() || m.identity_bias.is_some() {
                return Err(format!("module {idx} mixes a Linear weight with set-layer tensors"));
            }
            if m.bias.as_ref().is_some_and(|b| b.len() != shape[0]) {
                return Err(format!(
                    "{idx}.bias has {} values but {idx}.weight has {} rows",
                    m.bias.unwrap().len(),
                    shape[0]
                ));
            }
            head.push(LinearWeights { d_in: shape[1], d_out: shape[0], weight, bias: m.bias });
            continue;
        }
        if head_start.is_some() {
            return Err(format!("module {idx} comes after the dense head; only Linear layers may follow it"));
        }
        if idx != 2 * pos {
            return Err(format!(
                "missing layer: expected module {} (equivariant layers at 0, 2, 4, …), found {idx}",
                2 * pos
            ));
        }
        match (m.weight, m.identity, m.mean) {
            (Some((shape, weight)), None, None) => {
                if shape.len() != 4 {
                    return Err(format!("{idx}.weight has shape {shape:?}, expected [out, in] or [out, in, k, k]"));
                }
                convs.push(ConvWeights { shape, weight, bias: m.bias });
            }
            (None, Some((si, identity)), Some((sm, mean))) => {
                if si.len() != 2 || si != sm {
                    return Err(format!(
                        "set layer {idx}: identity.weight {si:?} and mean.weight {sm:?} must both be [out, in]"
                    ));
                }
                if m.bias.is_some() {
                    return Err(format!("set layer {idx}: the bias belongs in {idx}.identity.bias"));
                }
                sets.push(SetWeights { c_in: si[1], c_out: si[0], identity, mean, bias: m.identity_bias });
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                return Err(format!("set layer {idx} needs both {idx}.identity.weight and {idx}.mean.weight"))
            }
            (None, None, None) => return Err(format!("{idx}.bias has no {idx}.weight")),
            _ => return Err(format!("module {idx} mixes a weight with set-layer tensors")),
        }
    }
    Ok((convs, sets, head))
}

/// The network of a file with no architecture: a `Linear`/ReLU
/// `nn.Sequential` (said in `info.assumed`), or sslth's own CNN or set
/// network of before architectures were recorded (told by its `input`
/// metadata); anything else is refused.
fn without_architecture(
    convs: Vec<ConvWeights>,
    sets: Vec<SetWeights>,
    head: Vec<LinearWeights>,
    md: &HashMap<String, String>,
    info: &mut TargetInfo,
) -> Result<Network, String> {
    if !convs.is_empty() && !sets.is_empty() {
        return Err("the file mixes convolutions and set layers".into());
    }
    if head.is_empty() {
        return Err("no Linear layers: a target ends with a dense head".into());
    }
    check_chain(&head)?;
    // Only sslth itself writes `input` without `architecture` (before
    // architectures were recorded): its convolutions were circular,
    // stride 1 and same-size, with global average pooling.
    let recorded: Option<InputShape> = md.get("input").and_then(|s| serde_json::from_str(s).ok());
    Ok(match (convs.is_empty(), sets.is_empty(), recorded) {
        (true, true, _) => {
            info.assumed = Some(
                "the file records no architecture: read as nn.Sequential Linear layers with ReLU between them".into(),
            );
            Network::mlp(&head)
        }
        (false, _, Some(InputShape::Image { height, width, .. })) => Network::cnn(&convs, &head, height, width)?,
        (true, false, Some(InputShape::Set { points, .. })) => Network::deepsets(&sets, &head, points)?,
        _ => {
            return Err(format!(
                "{} tensors but no recorded architecture (a state_dict does not say the padding, stride, pooling or \
                 activation): import the model with sslth.from_torch(model, example_input) and save it",
                if convs.is_empty() { "set-layer" } else { "convolution" }
            ))
        }
    })
}

/// Checks that the data's layout fits a target's input.
fn check_data(net: &Network, shape: Option<InputShape>) -> Result<(), String> {
    match (shape, net.input_shape()) {
        (Some(s), Some(ours)) if s.channels() != ours.channels() => {
            Err(format!("the target takes {} input channels but the data have {}", ours.channels(), s.channels()))
        }
        (Some(s), _) if Kind::of(net) == Kind::Mlp && s.dim() != net.d_in() => {
            Err(format!("the target takes {} input values but the data have {}", net.d_in(), s.dim()))
        }
        _ => Ok(()),
    }
}

/// The file's bytes (see the module docs): the tensors named by the
/// network's [`Architecture`], which the header records in full
/// (`architecture`), with `metadata` and the input layout (`input`, the
/// data's when given, else the network's own).
pub fn to_safetensors(net: &Network, shape: Option<InputShape>, mut metadata: HashMap<String, String>) -> Vec<u8> {
    let (arch, tensors) = net.architecture();
    let tensors =
        tensors.into_iter().map(|(name, shape, values)| (name, Dtype::F32, shape, f32_bytes(&values))).collect();
    if let Some(s) = shape.or(arch.input) {
        metadata.insert("input".into(), serde_json::to_string(&s).expect("shape serialises"));
    }
    metadata.insert("architecture".into(), serde_json::to_string(&arch).expect("architecture serialises"));
    serialize_typed(tensors, metadata)
}

/// A target file of `net` that records what `info` says (its data set and
/// input scale; `format = sslth-target`), as `Model.save` writes one.
pub fn file_bytes(net: &Network, info: &TargetInfo) -> Vec<u8> {
    let mut md = HashMap::from([("format".to_string(), "sslth-target".to_string())]);
    if let Some(d) = &info.data {
        md.insert("data".into(), d.clone());
    }
    if let Some(s) = info.input_scale {
        md.insert("input_scale".into(), s.to_string());
    }
    to_safetensors(net, None, md)
}

/// What a target file says about the data it was trained on (metadata
/// written by `sslth train`; a PyTorch export has none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetInfo {
    /// The data set's name (`digits`, `fashion-mnist`).
    pub data: Option<String>,
    /// Raw input × `input_scale` = the network's input.
    pub input_scale: Option<f64>,
    /// What was assumed to read the file, in words, if anything (a plain
    /// state_dict of `Linear` layers records no architecture).
    pub assumed: Option<String>,
}

impl TargetInfo {
    /// What a target's `__metadata__` map says (empty if nothing).
    pub(crate) fn from_metadata(md: &HashMap<String, String>) -> TargetInfo {
        TargetInfo {
            data: md.get("data").cloned(),
            input_scale: md.get("input_scale").and_then(|s| s.parse().ok()).filter(|v: &f64| v.is_finite() && *v > 0.0),
            assumed: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{ArchLayer, FixedOp, Layer, PaddingMode, PoolKind};
    use crate::weights::uniform_weight;

    fn draw(n: usize, stream: u64) -> Vec<f32> {
        (0..n).map(|i| (0.5 * uniform_weight(3, stream, i as u64)) as f32).collect()
    }

    fn dense(d_in: usize, d_out: usize, s: u64) -> LinearWeights {
        LinearWeights { d_in, d_out, weight: draw(d_in * d_out, s), bias: Some(draw(d_out, s + 100)) }
    }

    /// The file's bytes read back as named tensors with its metadata.
    fn reread(bytes: &[u8]) -> (Vec<crate::net::NamedTensor>, HashMap<String, String>) {
        let st = SafeTensors::deserialize(bytes).unwrap();
        let (_, header) = SafeTensors::read_metadata(bytes).unwrap();
        let tensors = st
            .tensors()
            .into_iter()
            .map(|(n, v)| (n.clone(), v.shape().to_vec(), tensor_f32(&n, &v).unwrap()))
            .collect();
        (tensors, header.metadata().clone().unwrap_or_default())
    }

    /// Written with its architecture, read back to the same function; the
    /// same tensors as a plain PyTorch export (no metadata) refused in one
    /// line that names the way in; with only the `input` sslth wrote before
    /// architectures were recorded, read in that layout.
    fn round_trip(net: &Network, rows: usize) {
        let (tensors, md) = reread(&to_safetensors(net, None, HashMap::new()));
        assert!(md.contains_key("architecture"));
        let (back, info) = from_tensors(tensors.clone(), &md, None).unwrap();
        assert_eq!(info.assumed, None);
        let x = draw(net.d_in() * rows, 11);
        assert_eq!(back.forward_batch(&x, rows), net.forward_batch(&x, rows));
        let e = from_tensors(tensors.clone(), &HashMap::new(), net.input_shape()).unwrap_err().to_string();
        assert!(e.contains("no recorded architecture") && e.contains("sslth.from_torch") && !e.contains('\n'), "{e}");
        // The legacy layout indexes modules as an nn.Sequential with the
        // pooling and flatten as modules: renumber as such.
        let legacy_md: HashMap<String, String> =
            md.iter().filter(|(k, _)| *k == "input").map(|(k, v)| (k.clone(), v.clone())).collect();
        let pool_at = net.layers.iter().position(|l| matches!(l, Layer::MeanPool)).unwrap();
        let extra = usize::from(net.input_shape().is_some_and(|s| matches!(s, InputShape::Image { .. })));
        let legacy: Vec<_> = tensors
            .into_iter()
            .map(|(n, s, v)| {
                let (i, rest) = n.split_once('.').unwrap();
                let i: usize = i.parse().unwrap();
                (format!("{}.{rest}", if i > pool_at { i + extra } else { i }), s, v)
            })
            .collect();
        let (old, _) = from_tensors(legacy, &legacy_md, None).unwrap();
        assert_eq!(old.forward_batch(&x, rows), net.forward_batch(&x, rows));
    }

    #[test]
    fn cnn_and_deepsets_files_round_trip_and_exports_without_architecture_are_refused() {
        let convs = vec![ConvWeights { shape: vec![3, 2, 3, 3], weight: draw(54, 1), bias: Some(draw(3, 2)) }];
        let head = vec![dense(3, 4, 5), dense(4, 2, 6)];
        round_trip(&Network::cnn(&convs, &head, 5, 6).unwrap(), 4);
        let sets =
            vec![SetWeights { c_in: 3, c_out: 3, identity: draw(9, 7), mean: draw(9, 8), bias: Some(draw(3, 9)) }];
        round_trip(&Network::deepsets(&sets, &head, 7).unwrap(), 4);
    }

    #[test]
    fn a_plain_mlp_state_dict_is_read_saying_what_was_assumed() {
        let net = Network::mlp(&[dense(5, 4, 1), dense(4, 3, 2)]);
        let (tensors, _) = reread(&to_safetensors(&net, None, HashMap::new()));
        let (back, info) = from_tensors(tensors, &HashMap::new(), None).unwrap();
        assert!(info.assumed.as_deref().is_some_and(|a| a.contains("Linear layers with ReLU")), "{info:?}");
        let x = draw(5, 3);
        assert_eq!(back.forward(&x), net.forward(&x));
    }

    fn conv(
        in_channels: usize,
        out_channels: usize,
        k: usize,
        stride: usize,
        padding: usize,
        mode: PaddingMode,
    ) -> ArchLayer {
        ArchLayer::Conv2d {
            in_channels,
            out_channels,
            kernel: [k, k],
            stride: [stride, stride],
            padding: [padding, padding],
            dilation: [1, 1],
            padding_mode: mode,
            bias: true,
        }
    }

    /// A zero-padded, strided CNN with a batch norm, max pooling and a
    /// flatten, against the same computation written out by hand (zero
    /// padding, stride 2, the batch norm applied, not folded, in f64).
    #[test]
    fn a_recorded_architecture_runs_as_written_with_its_batch_norm_folded() {
        let arch = Architecture {
            input: Some(InputShape::Image { channels: 1, height: 6, width: 6 }),
            layers: vec![
                conv(1, 2, 3, 2, 1, PaddingMode::Zeros),
                ArchLayer::BatchNorm { features: 2, eps: 1e-5 },
                ArchLayer::Relu,
                ArchLayer::MaxPool2d { kernel: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
                ArchLayer::Flatten,
                ArchLayer::Linear { in_features: 8, out_features: 3, bias: true },
            ],
        };
        let (w, b, lw, lb) = (draw(18, 1), draw(2, 2), draw(24, 3), draw(3, 4));
        let (gamma, beta, mean) = (draw(2, 5), draw(2, 6), draw(2, 7));
        let var: Vec<f32> = draw(2, 8).iter().map(|v| v.abs() + 0.5).collect();
        let mut t: Vec<(String, Vec<usize>, Vec<f32>)> = vec![
            ("0.weight".into(), vec![2, 1, 3, 3], w.clone()),
            ("0.bias".into(), vec![2], b.clone()),
            ("1.weight".into(), vec![2], gamma.clone()),
            ("1.bias".into(), vec![2], beta.clone()),
            ("1.running_mean".into(), vec![2], mean.clone()),
            ("1.running_var".into(), vec![2], var.clone()),
            ("5.weight".into(), vec![3, 8], lw.clone()),
            ("5.bias".into(), vec![3], lb.clone()),
        ];
        let md = HashMap::from([("architecture".to_string(), serde_json::to_string(&arch).unwrap())]);
        let (net, _) = from_tensors(t.clone(), &md, None).unwrap();
        let x = draw(36, 9);
        let f = |v: f32| f64::from(v);
        // conv: 6×6, k 3, stride 2, zero padding 1 → 3×3.
        let mut act = [0.0f64; 2 * 9];
        for o in 0..2 {
            for (i, j) in (0..3).flat_map(|i| (0..3).map(move |j| (i, j))) {
                let mut s = f(b[o]);
                for (a, c) in (0..3).flat_map(|a| (0..3).map(move |c| (a, c))) {
                    let (r, q) = ((2 * i + a) as isize - 1, (2 * j + c) as isize - 1);
                    if (0..6).contains(&r) && (0..6).contains(&q) {
                        s += f(w[o * 9 + a * 3 + c]) * f(x[(r * 6 + q) as usize]);
                    }
                }
                let bn = f(gamma[o]) * (s - f(mean[o])) / (f(var[o]) + 1e-5).sqrt() + f(beta[o]);
                act[o * 9 + i * 3 + j] = bn.max(0.0);
            }
        }
        // max pool 2×2 stride 1 → 2×2, flatten, linear.
        let mut flat = Vec::new();
        for o in 0..2 {
            for (i, j) in (0..2).flat_map(|i| (0..2).map(move |j| (i, j))) {
                let m = [(0, 0), (0, 1), (1, 0), (1, 1)].iter().map(|(a, c)| act[o * 9 + (i + a) * 3 + j + c]);
                flat.push(m.fold(f64::NEG_INFINITY, f64::max));
            }
        }
        let want: Vec<f64> =
            (0..3).map(|o| f(lb[o]) + (0..8).map(|j| f(lw[o * 8 + j]) * flat[j]).sum::<f64>()).collect();
        let got = net.forward(&x);
        assert!(got.iter().zip(&want).all(|(g, w)| (f64::from(*g) - w).abs() < 1e-5), "{got:?} vs {want:?}");
        // Written back: the folded network, the same function, no batch norm.
        let (tensors, md2) = reread(&to_safetensors(&net, None, HashMap::new()));
        assert!(!md2["architecture"].contains("batch_norm"));
        assert_eq!(from_tensors(tensors, &md2, None).unwrap().0.forward(&x), got);
        // A tensor too many, one missing, a wrong shape: one line each.
        t.push(("9.weight".into(), vec![1], vec![0.0]));
        assert!(from_tensors(t.clone(), &md, None).unwrap_err().to_string().contains("9.weight belongs to no layer"));
        t.pop();
        t.remove(1);
        assert!(from_tensors(t.clone(), &md, None).unwrap_err().to_string().contains("missing tensor 0.bias"));
        t[0].1 = vec![2, 1, 9];
        assert!(from_tensors(t, &md, None)
            .unwrap_err()
            .to_string()
            .contains("has shape [2, 1, 9], expected [2, 1, 3, 3]"));
        // The construction sees the convolution and what follows it as written.
        let s = net.structure().unwrap();
        assert!(!s.legacy);
        assert!(
            matches!(&s.after[0][..], [FixedOp::Relu, FixedOp::Pool(p), FixedOp::Flatten] if p.kind == PoolKind::Max)
        );
    }
}
