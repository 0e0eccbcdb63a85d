//! safetensors files as sslth reads and writes them: the error type of every
//! file reader, tensors read as f32 with every value checked finite, the
//! header's metadata read alone, and a writer whose bytes are the same on
//! every run.

use safetensors::Dtype;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

/// Why a model file was refused; `Display` is one line.
#[derive(Debug)]
pub enum ModelError {
    /// The file could not be read.
    Io(String, std::io::Error),
    /// The bytes are not a safetensors file.
    Format(String, String),
    /// The file is safetensors but not a network in the expected layout.
    Layout(String),
    /// The file holds a network tickets are not built of.
    Unsupported(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Io(p, e) => write!(f, "cannot read {p}: {e}"),
            ModelError::Format(p, e) => write!(f, "{p} is not a valid safetensors file: {e}"),
            ModelError::Layout(m) | ModelError::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ModelError {}

impl From<ModelError> for crate::Error {
    fn from(e: ModelError) -> crate::Error {
        match e {
            ModelError::Io(path, source) => crate::Error::Io { path: path.into(), writing: false, source },
            ModelError::Unsupported(m) => crate::Error::Unsupported(m),
            other => crate::Error::Invalid(other.to_string()),
        }
    }
}

/// A file safetensors refused, said so a person knows what to do: a
/// `.npy` array given where a model goes, a file cut short, or the
/// reader's own reason.
pub fn format_error(bytes: &[u8], name: &str, e: safetensors::SafeTensorError) -> ModelError {
    use safetensors::SafeTensorError as E;
    let why = if bytes.starts_with(b"\x93NUMPY") {
        "it is a .npy array (inputs), and models are safetensors files".to_string()
    } else {
        match e {
            E::MetadataIncompleteBuffer | E::InvalidHeaderLength => {
                format!(
                    "it looks truncated, ending before the data its header lists ({} bytes; cut short?)",
                    bytes.len()
                )
            }
            e => e.to_string(),
        }
    };
    ModelError::Format(name.to_string(), why)
}

/// The values of a tensor as f32, from f32 or f64 data; other dtypes are
/// refused.
pub fn tensor_f32(name: &str, view: &safetensors::tensor::TensorView<'_>) -> Result<Vec<f32>, ModelError> {
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
pub fn read_safetensors(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|e| ModelError::Io(path.display().to_string(), e))
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

/// Little-endian bytes of f32 values.
pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A named tensor to write: name, dtype, shape and little-endian bytes.
pub type TensorBytes = (String, Dtype, Vec<usize>, Vec<u8>);

/// Serialises named tensors `(name, dtype, shape, little-endian bytes)`
/// with `metadata` in the header, as the safetensors format: an 8-byte
/// little-endian header length, the JSON header (padded with spaces to a
/// multiple of 8), then the data in the given order. Written here rather
/// than by the `safetensors` crate so that the header's key order, and so
/// the file's bytes, are the same on every run.
pub fn serialize_typed(tensors: Vec<TensorBytes>, metadata: HashMap<String, String>) -> Vec<u8> {
    let specs: Vec<TensorSpec> = tensors.iter().map(|(n, d, s, _)| (n.clone(), *d, s.clone())).collect();
    for ((name, dtype, shape), (_, _, _, bytes)) in specs.iter().zip(&tensors) {
        assert_eq!(bytes.len(), shape.iter().product::<usize>() * dtype.bitsize() / 8, "tensor {name}");
    }
    let mut out = header_bytes(&specs, metadata);
    for (_, _, _, bytes) in &tensors {
        out.extend_from_slice(bytes);
    }
    out
}

/// A tensor's entry in a file: name, dtype and shape.
pub type TensorSpec = (String, Dtype, Vec<usize>);

/// The start of a file of tensors `specs` (their data to follow in this
/// order) with `metadata`: the 8-byte header length and the header, as
/// [`serialize_typed`] writes them.
pub fn header_bytes(specs: &[TensorSpec], metadata: HashMap<String, String>) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let meta: BTreeMap<String, String> = metadata.into_iter().collect();
    header.insert("__metadata__".into(), serde_json::json!(meta));
    let mut offset = 0usize;
    for (name, dtype, shape) in specs {
        let len = shape.iter().product::<usize>() * dtype.bitsize() / 8;
        let dt = serde_json::to_value(dtype).expect("dtype serialises");
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": dt, "shape": shape, "data_offsets": [offset, offset + len]}),
        );
        offset += len;
    }
    // serde_json's Map keeps keys sorted (no preserve_order feature).
    let mut text = serde_json::to_string(&header).expect("header serialises").into_bytes();
    while text.len() % 8 != 0 {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len());
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out
}
