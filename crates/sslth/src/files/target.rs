//! Target files: dense, convolutional and DeepSets networks as safetensors
//! in PyTorch's `nn.Sequential` layout (docs/FORMAT.md, "Target files").
//!
//! Module i of the Sequential owns tensors named `{i}.…`:
//!
//! - `Linear`: `{i}.weight` `[out, in]`, optional `{i}.bias` `[out]`;
//! - `Conv2d` (circular padding (k − 1)/2, stride 1, square odd kernels):
//!   `{i}.weight` `[out, in, k, k]`, optional `{i}.bias` `[out]`;
//! - a set layer y_n = W_id·x_n + W_mean·mean(x) + b, a module with two
//!   `Linear` children: `{i}.identity.weight` `[out, in]`, optional
//!   `{i}.identity.bias`, and `{i}.mean.weight` `[out, in]` (no bias).
//!
//! Equivariant layers (conv or set) sit at 0, 2, 4, … with ReLU between;
//! then come parameter-free modules (pooling, flatten) and the `Linear`
//! head at every second index from its first one. A file with only
//! `Linear` layers is an MLP (at 0, 2, 4, …). Convolutions need the map's
//! size, which the file's `input` metadata gives (written by `sslth train`)
//! or else the data set.

use super::safetensors::{f32_bytes, read_safetensors, serialize_typed, tensor_f32, ModelError};
use crate::data::InputShape;
use crate::net::{conv_weight, BasisSpec, ConvWeights, Kind, Layer, LinearWeights, Network, SetWeights};
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

/// Reads a target of any [`Kind`]. `shape` (the data's layout) sizes
/// convolutions and sets when the file's metadata does not.
pub fn load(path: &Path, shape: Option<InputShape>) -> Result<(Network, TargetInfo), ModelError> {
    let bytes = read_safetensors(path)?;
    let p = path.display().to_string();
    let st = SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Format(p.clone(), e.to_string()))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| ModelError::Format(p.clone(), e.to_string()))?;
    let md = header.metadata().clone().unwrap_or_default();
    if md.get("format").is_some_and(|f| f.starts_with("sslth-ticket")) {
        return Err(ModelError::Layout(format!("{p} is a ticket, not a target (the trained network to approximate)")));
    }
    let mut tensors = Vec::new();
    for (name, view) in st.tensors() {
        let values = tensor_f32(&name, &view)?;
        tensors.push((name, view.shape().to_vec(), values));
    }
    from_tensors(tensors, &md, shape).map_err(|m| ModelError::Layout(format!("{p}: {m}")))
}

/// A target from named tensors `(name, shape, values)` in PyTorch's
/// `nn.Sequential` naming (a `state_dict`), with a file's `__metadata__`
/// map (`input`, `data`, `input_scale`; empty for a PyTorch export).
/// `shape` (the data's layout) sizes convolutions and sets when `metadata`
/// records none. Errors are one line.
pub fn from_tensors(
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    md: &HashMap<String, String>,
    shape: Option<InputShape>,
) -> Result<(Network, TargetInfo), String> {
    let info = TargetInfo::from_metadata(md);
    let mut modules: BTreeMap<usize, Module> = BTreeMap::new();
    for (name, shape, values) in tensors {
        if shape.iter().product::<usize>() != values.len() {
            return Err(format!("tensor {name} has {} values but shape {shape:?}", values.len()));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!("tensor {name} has a non-finite value at flat index {i}"));
        }
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
    if !convs.is_empty() && !sets.is_empty() {
        return Err("the file mixes convolutions and set layers".into());
    }
    if head.is_empty() {
        return Err("no Linear layers: a target ends with a dense head".into());
    }
    check_chain(&head)?;
    let recorded: Option<InputShape> = md.get("input").and_then(|s| serde_json::from_str(s).ok());
    let shape = recorded.or(shape);
    let net = if !convs.is_empty() {
        let Some(InputShape::Image { height, width, .. }) = shape else {
            return Err(
                "a convolutional target needs its image size: the file records none (give the data set, or inputs \
                 shaped [rows, C, H, W])"
                    .into(),
            );
        };
        Network::cnn(&convs, &head, height, width)?
    } else if !sets.is_empty() {
        let Some(InputShape::Set { points, .. }) = shape else {
            return Err(
                "a set target needs its set size: the file records none (give the data set, digit-sets, or inputs \
                 shaped [rows, N, features])"
                    .into(),
            );
        };
        Network::deepsets(&sets, &head, points)?
    } else {
        Network::mlp(&head)
    };
    if let Some(s) = shape.filter(|_| Kind::of(&net) != Kind::Mlp) {
        if s.channels() != net.channels {
            return Err(format!("the target takes {} input channels but the data have {}", net.channels, s.channels()));
        }
    }
    Ok((net, info))
}

/// The file's bytes (see the module docs), f32, with `metadata` and the
/// network's input layout (`input`) in the header.
pub fn to_safetensors(net: &Network, shape: Option<InputShape>, mut metadata: HashMap<String, String>) -> Vec<u8> {
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    let bytes = f32_bytes;
    let mut index = 0usize;
    for layer in &net.layers {
        match layer {
            Layer::Equivariant(l) => {
                let (i, o) = (l.c_in, l.c_out);
                match l.basis.spec() {
                    BasisSpec::Identity => {
                        tensors.push((format!("{index}.weight"), Dtype::F32, vec![o, i], bytes(&l.coefficients)));
                        if let Some(b) = &l.bias {
                            tensors.push((format!("{index}.bias"), Dtype::F32, vec![o], bytes(b)));
                        }
                    }
                    BasisSpec::Conv2d { kernel: k, .. } => {
                        let w = conv_weight(&l.coefficients, o, i, k);
                        tensors.push((format!("{index}.weight"), Dtype::F32, vec![o, i, k, k], bytes(&w)));
                        if let Some(b) = &l.bias {
                            tensors.push((format!("{index}.bias"), Dtype::F32, vec![o], bytes(b)));
                        }
                    }
                    BasisSpec::Deepsets => {
                        let (id, mean) = l.coefficients.split_at(o * i);
                        tensors.push((format!("{index}.identity.weight"), Dtype::F32, vec![o, i], bytes(id)));
                        if let Some(b) = &l.bias {
                            tensors.push((format!("{index}.identity.bias"), Dtype::F32, vec![o], bytes(b)));
                        }
                        tensors.push((format!("{index}.mean.weight"), Dtype::F32, vec![o, i], bytes(mean)));
                    }
                }
                index += 1;
            }
            Layer::Relu => index += 1,
            // Images pool then flatten (two modules); sets pool to [batch, C].
            Layer::MeanPool => index += if Kind::of(net) == Kind::Cnn { 2 } else { 1 },
        }
    }
    if let Some(s) = shape {
        metadata.insert("input".into(), serde_json::to_string(&s).expect("shape serialises"));
    }
    serialize_typed(tensors, metadata)
}

/// What a target file says about the data it was trained on (metadata
/// written by `sslth train`; a PyTorch export has none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetInfo {
    /// The data set's name (`digits`, `fashion-mnist`).
    pub data: Option<String>,
    /// Raw input × `input_scale` = the network's input.
    pub input_scale: Option<f64>,
}

impl TargetInfo {
    /// What a target's `__metadata__` map says (empty if nothing).
    pub(crate) fn from_metadata(md: &HashMap<String, String>) -> TargetInfo {
        TargetInfo {
            data: md.get("data").cloned(),
            input_scale: md.get("input_scale").and_then(|s| s.parse().ok()).filter(|v: &f64| v.is_finite() && *v > 0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::uniform_weight;

    fn draw(n: usize, stream: u64) -> Vec<f32> {
        (0..n).map(|i| (0.5 * uniform_weight(3, stream, i as u64)) as f32).collect()
    }

    fn dense(d_in: usize, d_out: usize, s: u64) -> LinearWeights {
        LinearWeights { d_in, d_out, weight: draw(d_in * d_out, s), bias: Some(draw(d_out, s + 100)) }
    }

    /// Written with its layout recorded, read back; and written as a
    /// PyTorch export would be (no metadata): refused without a layout,
    /// read with the data's.
    fn round_trip(net: &Network, shape: InputShape) -> Network {
        let dir = std::env::temp_dir().join(format!("sslth-target-{}-{}", std::process::id(), net.points));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.safetensors");
        std::fs::write(&path, to_safetensors(net, None, HashMap::new())).unwrap();
        let e = load(&path, None).unwrap_err().to_string();
        assert!(e.contains("records none") && !e.contains('\n'), "{e}");
        let export = load(&path, Some(shape)).unwrap().0;
        std::fs::write(&path, to_safetensors(net, Some(shape), HashMap::new())).unwrap();
        let (back, _) = load(&path, None).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let x = draw(shape.dim(), 11);
        assert_eq!(export.forward(&x), back.forward(&x));
        back
    }

    #[test]
    fn cnn_and_deepsets_files_round_trip() {
        let convs = vec![ConvWeights { shape: vec![3, 2, 3, 3], weight: draw(54, 1), bias: Some(draw(3, 2)) }];
        let head = vec![dense(3, 4, 5), dense(4, 2, 6)];
        let cnn = Network::cnn(&convs, &head, 5, 6).unwrap();
        let shape = InputShape::Image { channels: 2, height: 5, width: 6 };
        let x = draw(2 * 30 * 4, 9);
        assert_eq!(round_trip(&cnn, shape).forward_batch(&x, 4), cnn.forward_batch(&x, 4));
        let sets =
            vec![SetWeights { c_in: 3, c_out: 3, identity: draw(9, 7), mean: draw(9, 8), bias: Some(draw(3, 9)) }];
        let ds = Network::deepsets(&sets, &head, 7).unwrap();
        let shape = InputShape::Set { features: 3, points: 7 };
        let x = draw(21 * 4, 10);
        assert_eq!(round_trip(&ds, shape).forward_batch(&x, 4), ds.forward_batch(&x, 4));
    }
}
