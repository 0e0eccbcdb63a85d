//! A ticket's random network, regenerated from its metadata and seed
//! (docs/FORMAT.md, "The random network"): the shapes and laws of its
//! layers, and the sparse network whose kept edges are given by index.

use super::meta::{RandomLayer, TicketMeta};
use super::sparse::{SparseLayer, SparseNet};
use crate::weights::weights_at;
use rayon::prelude::*;

/// Shapes `[rows, in]` of the 2ℓ random layers in stacked rows (row
/// q·out + o for basis element q; `[|B|·H, d_in]` and `[|B|·d_out, H]`),
/// the constant-1 input column included in layer 0.
pub fn random_shapes(meta: &TicketMeta) -> Vec<[usize; 2]> {
    if !meta.layers.is_empty() {
        return meta.layers.iter().map(|l| [l.rows, l.cols]).collect();
    }
    meta.pairs
        .iter()
        .enumerate()
        .flat_map(|(i, p)| [[meta.layer_basis(2 * i).size() * p.hidden(), p.d_in], [p.rows, p.hidden()]])
        .collect()
}

/// The identity element of pair i's A basis: A's kept edges, and the
/// first layer's bias (the folded constant column), sit in its block of
/// rows.
pub(crate) fn identity_of(meta: &TicketMeta, i: usize) -> usize {
    meta.layer_basis(2 * i).build().ok().and_then(|b| b.identity()).unwrap_or(0)
}

/// The random network of a ticket as a chain of layers: a version-3
/// ticket's own, or a constructed ticket's pairs as A (uniform, scale 1)
/// and B (uniform, the pair's scale) layers.
pub fn random_layers(meta: &TicketMeta) -> Vec<RandomLayer> {
    if !meta.layers.is_empty() {
        return meta.layers.clone();
    }
    random_shapes(meta)
        .into_iter()
        .enumerate()
        .map(|(l, [rows, cols])| RandomLayer {
            rows,
            cols,
            scale: if l % 2 == 1 { meta.pairs[l / 2].scale } else { 1.0 },
            law: crate::weights::WeightLaw::Uniform,
        })
        .collect()
}

/// Random layer `l`'s weight for the generator's draw u.
pub(crate) fn layer_weight(meta: &TicketMeta, l: usize) -> impl Fn(f64) -> f64 {
    let r = &random_layers(meta)[l];
    let (law, scale) = (r.law, r.scale);
    move |u| law.apply(u) * scale
}

/// Kept edges of `net` as flat indices into the random layers' `[out, in]`
/// matrices (layer 0's bias is its constant-1 column), per layer, ascending.
pub fn flat_indices(net: &SparseNet, meta: &TicketMeta) -> Vec<Vec<u64>> {
    let shapes = random_shapes(meta);
    net.layers
        .iter()
        .zip(&shapes)
        .map(|(l, &[_, cols])| {
            let mut idx: Vec<u64> =
                l.rows.iter().zip(&l.cols).map(|(&r, &c)| r as u64 * cols as u64 + c as u64).collect();
            if let Some(b) = &l.bias {
                let (c, first) = ((cols - 1) as u64, (identity_of(meta, 0) * b.len()) as u64);
                idx.extend(
                    b.iter().enumerate().filter(|(_, &v)| v != 0.0).map(|(h, _)| (first + h as u64) * cols as u64 + c),
                );
            }
            idx.sort_unstable();
            idx
        })
        .collect()
}

/// The sparse net whose kept edges are `indices` (per random layer, flat,
/// ascending), with weights regenerated from the seed.
pub fn regenerate(meta: &TicketMeta, indices: &[Vec<u64>]) -> SparseNet {
    let layers = indices.par_iter().enumerate().map(|(l, idx)| regenerate_layer(meta, l, idx)).collect();
    net_of(meta, layers)
}

/// Random layer `l` of a ticket with kept edges `idx` (flat, ascending),
/// weights regenerated from the seed; layer 0's constant column folded
/// into its bias.
pub fn regenerate_layer(meta: &TicketMeta, l: usize, idx: &[u64]) -> SparseLayer {
    let [rows, cols] = random_shapes(meta)[l];
    let weight = layer_weight(meta, l);
    // In chunks, each seeking once, so the work spreads over threads.
    let vals: Vec<f32> = idx
        .par_chunks(1 << 16)
        .flat_map_iter(|c| weights_at(meta.seed, l as u64, c).into_iter().map(|w| weight(w) as f32))
        .collect();
    let fold = l == 0 && meta.bias;
    let basis = meta.layer_basis(l);
    let mut layer = SparseLayer {
        d_out: rows,
        d_in: cols - usize::from(fold),
        rows: vec![],
        cols: vec![],
        vals: vec![],
        bias: None,
        basis,
    };
    let channels = rows / basis.size();
    let mut bias = vec![0.0f32; channels];
    for (&i, &v) in idx.iter().zip(&vals) {
        let (r, c) = ((i / cols as u64) as usize, (i % cols as u64) as usize);
        if fold && c == cols - 1 {
            // check_fold made sure r is in the identity block.
            bias[r % channels] = v;
        } else {
            layer.rows.push(r as u32);
            layer.cols.push(c as u32);
            layer.vals.push(v);
        }
    }
    if fold {
        layer.bias = Some(bias);
    }
    layer
}

/// The runnable network of `layers` with the metadata's points and the
/// operations between its pairs (a chain of random layers: ReLU between).
pub fn net_of(meta: &TicketMeta, layers: Vec<SparseLayer>) -> SparseNet {
    if !meta.layers.is_empty() {
        return SparseNet::dense(layers);
    }
    let between: Vec<_> = (0..meta.pairs.len()).map(|i| meta.between(i)).collect();
    SparseNet::of_pairs(layers, meta.points, &between, meta.bias)
}
