//! A ticket as PyTorch tensors: the pruned random network as masked dense
//! weights of an `nn.Sequential` (docs/FORMAT.md, "A ticket in PyTorch").
//!
//! Layer l of the ticket is module 2l, a ReLU module 2l + 1 follows every
//! layer but the last. Dense layers are `Linear` (`{i}.weight [out, in]`);
//! convolutional layers are `Conv2d(in, out, k, padding=(k−1)/2,
//! padding_mode='circular', bias=...)` (`{i}.weight [out, in, k, k]`), and
//! the pooling after layer l's ReLU is `AdaptiveAvgPool2d(1)` (module 2l + 2)
//! and `Flatten` (2l + 3), which shifts the later modules by 2. Set layers
//! take the target's naming (`{i}.identity.weight`, `{i}.mean.weight`,
//! `{i}.identity.bias`), and their pooling is one module (a mean over the
//! points), which shifts the later modules by 1. Only the first layer has a
//! bias (the constant-1 channel folded in).

use super::sparse::SparseNet;
use crate::net::{conv_weight, BasisSpec, FixedOp, NamedTensor};

impl SparseNet {
    /// The ticket's tensors in PyTorch naming (see the module docs), for a
    /// ticket of the layout it describes (ReLU between layers, at most one
    /// mean pooling; no general convolution); other tickets are refused.
    pub fn to_state_dict(&self) -> Result<Vec<NamedTensor>, String> {
        let legacy = self
            .ops
            .iter()
            .all(|ops| ops.is_empty() || ops[..] == [FixedOp::Relu] || ops[..] == [FixedOp::Relu, FixedOp::MeanPool]);
        if !legacy || self.layers.iter().any(|l| matches!(l.basis, BasisSpec::Conv(_))) {
            return Err(
                "this ticket's layers (general convolutions, poolings or flattens) have no nn.Sequential state_dict \
                 layout yet"
                    .into(),
            );
        }
        let pool_after = self.ops.iter().position(|ops| ops.contains(&FixedOp::MeanPool));
        let mut out = Vec::new();
        let pool_modules = match self.layers.first().map(|l| l.basis) {
            Some(BasisSpec::Deepsets) => 1,
            _ => 2,
        };
        for (l, layer) in self.layers.iter().enumerate() {
            let shift = if pool_after.is_some_and(|p| l > p) { pool_modules } else { 0 };
            let i = 2 * l + shift;
            let c_out = layer.d_out / layer.basis.size();
            let mut stacked = vec![0.0f32; layer.d_out * layer.d_in];
            for ((&r, &c), &v) in layer.rows.iter().zip(&layer.cols).zip(&layer.vals) {
                stacked[r as usize * layer.d_in + c as usize] = v;
            }
            let bias_name = match layer.basis {
                BasisSpec::Identity => {
                    out.push((format!("{i}.weight"), vec![c_out, layer.d_in], stacked));
                    format!("{i}.bias")
                }
                BasisSpec::Conv2d { kernel, .. } => {
                    let w = conv_weight(&stacked, c_out, layer.d_in, kernel * kernel);
                    out.push((format!("{i}.weight"), vec![c_out, layer.d_in, kernel, kernel], w));
                    format!("{i}.bias")
                }
                BasisSpec::Conv(g) => {
                    let [kh, kw] = g.kernel;
                    let w = conv_weight(&stacked, c_out, layer.d_in, kh * kw);
                    out.push((format!("{i}.weight"), vec![c_out, layer.d_in, kh, kw], w));
                    format!("{i}.bias")
                }
                BasisSpec::Deepsets => {
                    // Stacked row q·c_out + o: q = 0 is the identity, 1 the mean.
                    let mean = stacked.split_off(c_out * layer.d_in);
                    out.push((format!("{i}.identity.weight"), vec![c_out, layer.d_in], stacked));
                    out.push((format!("{i}.mean.weight"), vec![c_out, layer.d_in], mean));
                    format!("{i}.identity.bias")
                }
            };
            if let Some(b) = &layer.bias {
                out.push((bias_name, vec![b.len()], b.clone()));
            }
        }
        Ok(out)
    }
}
