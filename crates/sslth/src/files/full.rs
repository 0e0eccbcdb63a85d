//! Full ticket files (docs/FORMAT.md): the kept weights themselves, in
//! PyTorch naming, runnable without sslth.

use super::digest::{weights_digest, DIGEST_KEY};
use super::safetensors::{f32_bytes, serialize_typed};
use crate::ticket::{random_shapes, SparseNet, TicketMeta};
use safetensors::Dtype;
use std::collections::HashMap;

/// `format` metadata of a full ticket.
pub const FULL: &str = "sslth-ticket-full";

/// A ticket file's metadata: its format, the metadata JSON, a few fields
/// repeated for readers that read no JSON, the weights digest (of the
/// kept weights, [`weights_digest`]) and `extra`.
pub(super) fn metadata(
    meta: &TicketMeta,
    digest: String,
    format: &str,
    extra: Vec<(String, String)>,
) -> HashMap<String, String> {
    let mut m = HashMap::from([
        (DIGEST_KEY.to_string(), digest),
        ("format".to_string(), format.to_string()),
        ("sslth".to_string(), serde_json::to_string(meta).expect("metadata serialises")),
        ("seed".to_string(), meta.seed.to_string()),
        ("density".to_string(), meta.density.to_string()),
        ("certified_error".to_string(), meta.certified_error.map_or("none".to_string(), |e| e.to_string())),
    ]);
    m.extend(extra);
    m
}

/// The bytes of a full ticket: per random layer l (nn.Sequential index 2l),
/// `{2l}.indices` (I32 `[nnz, 2]`, row and column) and `{2l}.values`
/// (F32 `[nnz]`), and `0.bias` (F32) when the target has biases.
pub fn full_bytes(net: &SparseNet, meta: &TicketMeta) -> Vec<u8> {
    // The digest is one sequential pass over every weight: it runs beside
    // the tensors' bytes.
    let (digest, tensors) = rayon::join(
        || weights_digest(net),
        || {
            let mut tensors = Vec::new();
            for (l, layer) in net.layers.iter().enumerate() {
                let idx: Vec<u8> = layer
                    .rows
                    .iter()
                    .zip(&layer.cols)
                    .flat_map(|(&r, &c)| [r as i32, c as i32])
                    .flat_map(i32::to_le_bytes)
                    .collect();
                tensors.push((format!("{}.indices", 2 * l), Dtype::I32, vec![layer.vals.len(), 2], idx));
                tensors.push((format!("{}.values", 2 * l), Dtype::F32, vec![layer.vals.len()], f32_bytes(&layer.vals)));
                if let Some(b) = &layer.bias {
                    tensors.push((format!("{}.bias", 2 * l), Dtype::F32, vec![b.len()], f32_bytes(b)));
                }
            }
            tensors
        },
    );
    serialize_typed(tensors, metadata(meta, digest, FULL, vec![shapes_entry(meta)]))
}

/// The `shapes` metadata: `[out, in]` of each runnable layer (layer 0
/// without the constant column, which is folded into its bias).
pub(super) fn shapes_entry(meta: &TicketMeta) -> (String, String) {
    let shapes: Vec<[usize; 2]> = random_shapes(meta)
        .into_iter()
        .enumerate()
        .map(|(l, [rows, cols])| [rows, cols - usize::from(l == 0 && meta.bias)])
        .collect();
    ("shapes".to_string(), serde_json::to_string(&shapes).expect("shapes serialise"))
}
