//! Target networks: ReLU MLPs stored as safetensors in PyTorch's
//! `nn.Sequential` layout (docs/THEORY.md §3, the target f).
//!
//! Layer i (0-based) of an ℓ-layer MLP is `Linear` number 2i of the
//! Sequential: tensors `{2i}.weight` of shape `[out, in]` and optionally
//! `{2i}.bias` of shape `[out]`, f32 (f64 is read too), with a ReLU between
//! layers and none after the last. Any file exported from such a PyTorch
//! model is accepted.

use safetensors::Dtype;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

/// One dense layer x ↦ Wx + b.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Input width.
    pub d_in: usize,
    /// Output width.
    pub d_out: usize,
    /// Row-major `[d_out, d_in]`.
    pub weight: Vec<f32>,
    /// `[d_out]`, if the layer has a bias.
    pub bias: Option<Vec<f32>>,
}

impl Dense {
    /// W[o, j].
    pub fn w(&self, o: usize, j: usize) -> f32 {
        self.weight[o * self.d_in + j]
    }

    /// y = Wx + b.
    pub fn apply(&self, x: &[f32], y: &mut [f32]) {
        for (o, out) in y.iter_mut().enumerate() {
            let row = &self.weight[o * self.d_in..(o + 1) * self.d_in];
            *out = dot(row, x) + self.bias.as_ref().map_or(0.0, |b| b[o]);
        }
    }
}

/// A ReLU MLP: f(x) = W_ℓ σ(… σ(W_1 x + b_1) …) + b_ℓ.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Dense>,
}

/// Why a model file was refused; `Display` is one line.
#[derive(Debug)]
pub enum ModelError {
    /// The file could not be read.
    Io(String, std::io::Error),
    /// The bytes are not a safetensors file.
    Format(String, String),
    /// The file is safetensors but not an MLP in the expected layout.
    Layout(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Io(p, e) => write!(f, "cannot read {p}: {e}"),
            ModelError::Format(p, e) => write!(f, "{p} is not a valid safetensors file: {e}"),
            ModelError::Layout(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ModelError {}

/// The values of a tensor as f32, from f32 or f64 data; other dtypes are
/// refused.
pub(crate) fn tensor_f32(name: &str, view: &safetensors::tensor::TensorView<'_>) -> Result<Vec<f32>, ModelError> {
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
        Dtype::F64 => data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        other => {
            return Err(ModelError::Layout(format!(
                "tensor {name} has dtype {other:?}; only F32 and F64 are supported"
            )))
        }
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(ModelError::Layout(format!("tensor {name} has a non-finite value at flat index {i}")));
    }
    Ok(values)
}

/// Reads a whole safetensors file, naming the file in every error.
pub(crate) fn read_safetensors(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|e| ModelError::Io(path.display().to_string(), e))
}

impl Mlp {
    /// Widths d_0-d_1-…-d_ℓ.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.layers[0].d_in];
        w.extend(self.layers.iter().map(|l| l.d_out));
        w
    }

    /// Whether any layer has a bias.
    pub fn has_bias(&self) -> bool {
        self.layers.iter().any(|l| l.bias.is_some())
    }

    /// Number of weights m_t = Σ d_{i−1}·d_i (biases not counted).
    pub fn weight_count(&self) -> usize {
        self.layers.iter().map(|l| l.d_in * l.d_out).sum()
    }

    /// f on a batch (row-major `rows × d_0`), rows in parallel; output
    /// row-major. Each row is computed as by [`Mlp::forward`].
    pub fn forward_batch(&self, inputs: &[f32], rows: usize) -> Vec<f32> {
        use rayon::prelude::*;
        let d0 = self.layers[0].d_in;
        assert_eq!(inputs.len(), rows * d0, "inputs must be rows × d_0");
        inputs.par_chunks(d0).flat_map_iter(|x| self.forward(x)).collect()
    }

    /// f(x): the output logits for one input.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut cur = x.to_vec();
        for (i, l) in self.layers.iter().enumerate() {
            let mut next = vec![0.0; l.d_out];
            l.apply(&cur, &mut next);
            if i + 1 < self.layers.len() {
                next.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            cur = next;
        }
        cur
    }

    /// Checks that widths chain and every value is finite.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.layers.is_empty() {
            return Err(ModelError::Layout("the model has no layers".into()));
        }
        for (i, pair) in self.layers.windows(2).enumerate() {
            if pair[0].d_out != pair[1].d_in {
                return Err(ModelError::Layout(format!(
                    "shapes do not chain: layer {} outputs {} values but layer {} takes {}",
                    2 * i,
                    pair[0].d_out,
                    2 * i + 2,
                    pair[1].d_in
                )));
            }
        }
        Ok(())
    }

    /// Reads a target from a safetensors file in `nn.Sequential` layout.
    pub fn load(path: &Path) -> Result<Mlp, ModelError> {
        Mlp::load_with_info(path).map(|(mlp, _)| mlp)
    }

    /// [`Mlp::load`], and what the file's metadata say about the data, from
    /// one read of the file ([`crate::target::load`], refusing networks
    /// that are not MLPs).
    pub fn load_with_info(path: &Path) -> Result<(Mlp, TargetInfo), ModelError> {
        let (net, info) = crate::target::load(path, None)?;
        let mlp = net.to_mlp().ok_or_else(|| {
            ModelError::Layout(format!("{}: not an MLP (it has convolutions or set layers)", path.display()))
        })?;
        Ok((mlp, info))
    }

    /// The file's bytes: safetensors in `nn.Sequential` layout, f32, with
    /// `metadata` in the header ([`crate::target::to_safetensors`]).
    pub fn to_safetensors(&self, metadata: HashMap<String, String>) -> Vec<u8> {
        crate::target::to_safetensors(&crate::network::Network::from_mlp(self), None, metadata)
    }
}

/// The `__metadata__` map of a safetensors file, read from its header
/// alone (the tensors are not read); `None` if the file cannot be read or
/// has no header map.
pub fn header_metadata(path: &Path) -> Option<HashMap<String, String>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).ok()?;
    let n = u64::from_le_bytes(len);
    if n > 100 << 20 {
        return None;
    }
    let mut h = vec![0u8; n as usize];
    f.read_exact(&mut h).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&h).ok()?;
    let map = v.get("__metadata__")?.as_object()?;
    Some(map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
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

/// Little-endian bytes of f32 values.
pub(crate) fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Serialises named tensors `(name, dtype, shape, little-endian bytes)`
/// with `metadata` in the header, as the safetensors format: an 8-byte
/// little-endian header length, the JSON header (padded with spaces to a
/// multiple of 8), then the data in the given order. Written here rather
/// than by the `safetensors` crate so that the header's key order, and so
/// the file's bytes, are the same on every run.
pub(crate) fn serialize_typed(
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
    metadata: HashMap<String, String>,
) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let meta: BTreeMap<String, String> = metadata.into_iter().collect();
    header.insert("__metadata__".into(), serde_json::json!(meta));
    let mut offset = 0usize;
    for (name, dtype, shape, bytes) in &tensors {
        assert_eq!(bytes.len(), shape.iter().product::<usize>() * dtype.bitsize() / 8, "tensor {name}");
        let dt = serde_json::to_value(dtype).expect("dtype serialises");
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": dt, "shape": shape, "data_offsets": [offset, offset + bytes.len()]}),
        );
        offset += bytes.len();
    }
    // serde_json's Map keeps keys sorted (no preserve_order feature).
    let mut text = serde_json::to_string(&header).expect("header serialises").into_bytes();
    while text.len() % 8 != 0 {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + offset);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    for (_, _, _, bytes) in &tensors {
        out.extend_from_slice(bytes);
    }
    out
}
