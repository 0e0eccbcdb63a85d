//! A ticket as PyTorch tensors: the pruned random network as masked dense
//! weights of an `nn.Sequential` (docs/FORMAT.md, "A ticket in PyTorch").
//!
//! Layer l of the ticket is module 2l, a ReLU module 2l + 1 follows every
//! layer but the last. Dense layers are `Linear` (`{i}.weight [out, in]`);
//! convolutional layers are `Conv2d(in, out, k, padding=(k−1)/2,
//! padding_mode='circular', bias=...)` (`{i}.weight [out, in, k, k]`), and
//! the pooling after layer l's ReLU is `AdaptiveAvgPool2d(1)` (module 2l + 2)
//! and `Flatten` (2l + 3), which shifts the later modules by 2. Only the
//! first layer has a bias (`0.bias`, the constant-1 channel folded in).

use super::sparse::{SparseLayer, SparseNet};
use crate::net::{conv_weight, BasisSpec};

/// A tensor in PyTorch naming: name, shape, row-major values.
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

impl SparseNet {
    /// The ticket's tensors in PyTorch naming (see the module docs); set
    /// layers, which PyTorch has no module for, are refused.
    pub fn to_state_dict(&self) -> Result<Vec<NamedTensor>, String> {
        let mut out = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            let shift = if self.pool_after.is_some_and(|p| l > p) { 2 } else { 0 };
            let i = 2 * l + shift;
            let (shape, weight) = dense_weight(layer)?;
            out.push((format!("{i}.weight"), shape, weight));
            if let Some(b) = &layer.bias {
                out.push((format!("{i}.bias"), vec![b.len()], b.clone()));
            }
        }
        Ok(out)
    }
}

/// A layer's kept edges as a dense weight in PyTorch's shape, zeros
/// elsewhere.
fn dense_weight(l: &SparseLayer) -> Result<(Vec<usize>, Vec<f32>), String> {
    let size = l.basis.size();
    let c_out = l.d_out / size;
    let mut stacked = vec![0.0f32; l.d_out * l.d_in];
    for ((&r, &c), &v) in l.rows.iter().zip(&l.cols).zip(&l.vals) {
        stacked[r as usize * l.d_in + c as usize] = v;
    }
    match l.basis {
        BasisSpec::Identity => Ok((vec![c_out, l.d_in], stacked)),
        BasisSpec::Conv2d { kernel, .. } => {
            Ok((vec![c_out, l.d_in, kernel, kernel], conv_weight(&stacked, c_out, l.d_in, kernel)))
        }
        BasisSpec::Deepsets => Err("a set layer has no PyTorch module: to_state_dict takes dense and \
                                    convolutional tickets"
            .into()),
    }
}
