//! Reading a ticket file, full or compact, of any version, with every
//! size checked before anything is allocated; and `verify`.

use super::compact::{unpack_bits, unpack_deltas, PairLayout, COMPACT};
use super::full::FULL;
use super::safetensors::{format_error, header_metadata, read_safetensors, ModelError};
use crate::net::{BasisSpec, FixedOp, Pool, Saved};
use crate::ticket::{flat_indices, identity_of, net_of, random_shapes, regenerate, SparseLayer, SparseNet, TicketMeta};
use safetensors::{Dtype, SafeTensors};
use std::path::Path;

/// A ticket read from a file.
#[derive(Clone, Debug)]
pub struct LoadedTicket {
    /// The runnable network.
    pub net: SparseNet,
    /// Its metadata.
    pub meta: TicketMeta,
    /// Whether the file was compact.
    pub compact: bool,
}

fn layout(p: &str, m: impl std::fmt::Display) -> ModelError {
    ModelError::Layout(format!("{p}: {m}"))
}

/// Whether a safetensors file is a ticket (has sslth ticket metadata);
/// reads the header only.
pub fn is_ticket(path: &Path) -> bool {
    header_metadata(path).and_then(|m| m.get("format").cloned()).is_some_and(|f| f == FULL || f == COMPACT)
}

/// The most edges a ticket's random network may have (2⁴⁰): far beyond
/// any network sslth builds, small enough that every count fits in u64
/// and no corrupted size makes a reader allocate or loop without end.
const MAX_RANDOM_EDGES: u64 = 1 << 40;

/// Checks that the metadata describe a network sslth could have built:
/// 1 ≤ k ≤ n, non-empty layers, pairs that chain (each pair's rows are the
/// next one's inputs), finite positive scales, and sizes whose products
/// fit (see [`MAX_RANDOM_EDGES`]). (Long: a list of independent checks,
/// each with its own one-line refusal.)
fn check_meta(meta: &TicketMeta) -> Result<(), String> {
    if meta.version == 3 {
        return check_chain(meta);
    }
    if meta.pairs.is_empty() {
        return Err("no layers".into());
    }
    if !matches!(meta.version, 1 | 2 | 4) {
        return Err(format!("version {} is not one this sslth reads (1 to 4)", meta.version));
    }
    if meta.version == 4 && (meta.ops.len() + 1 != meta.pairs.len() || meta.pool_after.is_some()) {
        return Err(format!(
            "version 4 needs the operations after every pair but the last ({} for {} pairs) and no pool_after",
            meta.ops.len(),
            meta.pairs.len()
        ));
    }
    if meta.version != 4 && (!meta.ops.is_empty() || meta.bases.iter().any(|b| matches!(b, BasisSpec::Conv(_)))) {
        return Err(format!(
            "version {} with operations between pairs or general convolutions: it must say version 4",
            meta.version
        ));
    }
    if !meta.layers.is_empty() {
        return Err(format!("version {} with a chain of layers: it must say version 3", meta.version));
    }
    if !meta.bases.is_empty() && meta.bases.len() != meta.pairs.len() {
        return Err(format!("{} bases for {} pairs", meta.bases.len(), meta.pairs.len()));
    }
    if meta.version == 1 && (!meta.bases.is_empty() || meta.pool_after.is_some() || meta.points != 1) {
        return Err("version 1 (dense) with bases, pooling or points: it must say version 2".into());
    }
    if meta.points == 0 || meta.points > 1 << 24 {
        return Err(format!("{} points per channel", meta.points));
    }
    if meta.pool_after.is_some_and(|i| i + 1 >= meta.pairs.len()) {
        return Err("pooling after the last pair".into());
    }
    let mut total = 0u64;
    // Channels and points per channel of the current value, and whether a
    // ReLU came after the last pair on its path; those set aside at forks.
    let mut cur = (0, meta.points, false);
    let mut saved = Saved::new();
    for (i, p) in meta.pairs.iter().enumerate() {
        if p.n == 0 || p.k == 0 || p.k > p.n || p.d_in == 0 || p.rows == 0 {
            return Err(format!("pair {i} has n = {}, k = {}, d_in = {}, rows = {}", p.n, p.k, p.d_in, p.rows));
        }
        let basis = meta.basis(i).build().map_err(|e| format!("pair {i}: {e}"))?;
        let a_size = meta.layer_basis(2 * i).build().ok().filter(|a| a.identity().is_some()).map(|a| a.size());
        let a_size = a_size.ok_or_else(|| format!("pair {i}'s basis ({}) has no pointwise A layer", basis.name()))?;
        if p.rows % basis.size() != 0 {
            return Err(format!("pair {i} has {} rows, not a multiple of its basis size {}", p.rows, basis.size()));
        }
        if basis.points().is_some_and(|bp| bp != cur.1) {
            return Err(format!("pair {i}'s basis ({}) does not act on {} points", basis.name(), cur.1));
        }
        if i > 0 && (cur.0, cur.2) != (p.d_in, true) {
            return Err(if cur.2 {
                format!("pair {i} takes {} channels but receives {}", p.d_in, cur.0)
            } else {
                format!("no ReLU before pair {i} on its path")
            });
        }
        cur = (p.rows / basis.size(), basis.out_points(cur.1), false);
        let carried = usize::from(meta.bias);
        for op in meta.between(i) {
            let (channels, points, relu) = &mut cur;
            match op {
                FixedOp::Relu => *relu = true,
                FixedOp::MeanPool => *points = 1,
                FixedOp::Pool(spec) => {
                    let pool = Pool::new(spec).map_err(|e| format!("the pooling after pair {i}: {e}"))?;
                    if pool.in_points() != *points {
                        return Err(format!(
                            "the pooling after pair {i} takes {} points but receives {points}",
                            pool.in_points()
                        ));
                    }
                    *points = pool.out_points();
                }
                FixedOp::Flatten => (*channels, *points) = ((*channels - carried) * *points + carried, 1),
                FixedOp::Fork | FixedOp::Swap | FixedOp::Add => {
                    let mut same = true;
                    let branch = op.branch().expect("a branch");
                    saved
                        .run(branch, &mut cur, |c, o| {
                            same = (c.0, c.1) == (o.0, o.1);
                            c.2 = false;
                        })
                        .map_err(|e| format!("after pair {i}: {e}"))?;
                    if !same {
                        return Err(format!("the add after pair {i} sums values of different shapes"));
                    }
                }
            }
        }
        if !(p.scale.is_finite() && p.scale > 0.0) {
            return Err(format!("pair {i} has scale {}", p.scale));
        }
        let edges = (2 * p.n as u64)
            .checked_mul(p.d_in as u64)
            .and_then(|h| h.checked_mul(a_size as u64 * p.d_in as u64 + p.rows as u64))
            .filter(|&e| e <= MAX_RANDOM_EDGES)
            .ok_or_else(|| format!("pair {i} is too large (n = {}, d_in = {}, rows = {})", p.n, p.d_in, p.rows))?;
        total += edges;
    }
    if !saved.is_empty() {
        return Err("a residual block forks after a pair and never joins".into());
    }
    if total > MAX_RANDOM_EDGES {
        return Err(format!("the random network has {total} edges, more than any ticket sslth writes"));
    }
    Ok(())
}

/// Version 3: a chain of random layers, each taking the previous one's
/// outputs (layer 0 its inputs, plus the constant column with `bias`), no
/// pairs, bases or pooling.
fn check_chain(meta: &TicketMeta) -> Result<(), String> {
    if meta.layers.is_empty() || !meta.pairs.is_empty() {
        return Err("version 3 needs a chain of layers and no pairs".into());
    }
    if !meta.bases.is_empty() || meta.pool_after.is_some() || meta.points != 1 {
        return Err("version 3 with bases, pooling or points".into());
    }
    let mut total = 0u64;
    for (l, r) in meta.layers.iter().enumerate() {
        if r.rows == 0 || r.cols == 0 || !(r.scale.is_finite() && r.scale > 0.0) {
            return Err(format!("layer {l} has rows = {}, cols = {}, scale = {}", r.rows, r.cols, r.scale));
        }
        total = total.saturating_add((r.rows as u64).saturating_mul(r.cols as u64));
        if let Some(next) = meta.layers.get(l + 1) {
            if next.cols != r.rows {
                return Err(format!("layer {l} gives {} outputs but layer {} takes {}", r.rows, l + 1, next.cols));
            }
        }
    }
    if meta.bias && meta.layers[0].cols < 2 {
        return Err("layer 0 has no room for the constant column".into());
    }
    if total > MAX_RANDOM_EDGES {
        return Err(format!("the random network has {total} edges, more than any ticket sslth writes"));
    }
    Ok(())
}

/// The checked metadata of the ticket file `p` from its safetensors
/// metadata `md`.
pub(super) fn read_meta(p: &str, md: &std::collections::HashMap<String, String>) -> Result<TicketMeta, ModelError> {
    let meta: TicketMeta = md
        .get("sslth")
        .ok_or_else(|| layout(p, "not a ticket: no sslth metadata (a target? give it as the target)"))
        .and_then(|s| serde_json::from_str(s).map_err(|e| layout(p, format!("bad sslth metadata: {e}"))))?;
    if meta.generator != crate::weights::GENERATOR {
        return Err(layout(p, format!("generator '{}' is not supported", meta.generator)));
    }
    check_meta(&meta).map_err(|e| layout(p, format!("bad sslth metadata: {e}")))?;
    Ok(meta)
}

/// Reads a full or compact ticket.
pub fn read(path: &Path) -> Result<LoadedTicket, ModelError> {
    read_bytes(&read_safetensors(path)?, &path.display().to_string())
}

/// [`read`] from a file's bytes, named `p` in errors.
pub fn read_bytes(bytes: &[u8], p: &str) -> Result<LoadedTicket, ModelError> {
    let p = p.to_string();
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| format_error(bytes, &p, e))?;
    let md = header.metadata().clone().unwrap_or_default();
    let format = md.get("format").cloned().unwrap_or_default();
    let meta = read_meta(&p, &md)?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| format_error(bytes, &p, e))?;
    let file = TicketFile { p: &p, st: &st };
    match format.as_str() {
        COMPACT => read_compact(&file, &md, meta),
        FULL => read_full(&file, meta),
        other => Err(layout(&p, format!("format '{other}' is not a ticket format"))),
    }
}

/// A ticket file's tensors, named `p` in errors.
struct TicketFile<'a> {
    p: &'a str,
    st: &'a SafeTensors<'a>,
}

impl TicketFile<'_> {
    /// Tensor `name`'s bytes, which must have `dtype`.
    fn get(&self, name: &str, dtype: Dtype) -> Result<Vec<u8>, ModelError> {
        let t = self.st.tensor(name).map_err(|_| layout(self.p, format!("missing tensor {name}")))?;
        if t.dtype() != dtype {
            return Err(layout(self.p, format!("tensor {name} has dtype {:?}, expected {dtype:?}", t.dtype())));
        }
        Ok(t.data().to_vec())
    }
}

/// A compact ticket: its masks decoded (docs/FORMAT.md), its weights
/// regenerated from the seed.
fn read_compact(
    file: &TicketFile<'_>,
    md: &std::collections::HashMap<String, String>,
    meta: TicketMeta,
) -> Result<LoadedTicket, ModelError> {
    let (p, get) = (file.p, |name: &str, dtype: Dtype| file.get(name, dtype));
    let shapes = random_shapes(&meta);
    let encodings: Vec<String> = md
        .get("masks")
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| layout(p, "compact ticket without a masks list"))?;
    if encodings.len() != shapes.len() {
        return Err(layout(p, "masks list does not match the layers"));
    }
    // A subset stream's encoding, of either order and code.
    let ranks = |e: &str| crate::ticket::SubsetOrder::of_encoding(e).is_some();
    let mut indices: Vec<Vec<u64>> = Vec::new();
    for (l, enc) in encodings.iter().enumerate() {
        let data = get(&format!("{}.mask", 2 * l), Dtype::U8)?;
        let len = (shapes[l][0] * shapes[l][1]) as u64;
        let idx = match (enc.as_str(), encodings.get(l + 1).map(String::as_str)) {
            ("bits", _) => unpack_bits(&data, len),
            ("delta-varint", _) => unpack_deltas(&data, len),
            // Pair l/2's B stream gives both layers; A waits for it.
            ("from-b", Some(next)) if l % 2 == 0 && data.is_empty() && ranks(next) => Ok(Vec::new()),
            (enc, _) if l % 2 == 1 && encodings[l - 1] == "from-b" && ranks(enc) => {
                PairLayout::new(&meta, l / 2).decode(&data, enc).map(|(b, a)| {
                    indices[l - 1] = a;
                    b
                })
            }
            (enc, _) if enc == "from-b" || ranks(enc) => {
                Err("'from-b' must be an A layer's encoding, followed by its B layer's subset ranks".into())
            }
            (other, _) => Err(format!("unknown mask encoding '{other}'")),
        }
        .map_err(|e| layout(p, format!("layer {}: {e}", 2 * l)))?;
        if l == 0 && meta.bias {
            // The constant column is a bias only on the identity element.
            let [rows, cols] = shapes[0];
            let h = rows / meta.layer_basis(0).size();
            let id = identity_of(&meta, 0);
            let block = id * h..(id + 1) * h;
            let stray = idx
                .iter()
                .find(|&&i| i % cols as u64 == cols as u64 - 1 && !block.contains(&((i / cols as u64) as usize)));
            if let Some(i) = stray {
                return Err(layout(
                    p,
                    format!("layer 0: mask entry {i} reads the constant channel outside the identity element"),
                ));
            }
        }
        indices.push(idx);
    }
    Ok(LoadedTicket { net: regenerate(&meta, &indices), meta, compact: true })
}

/// A full ticket: its kept weights as the file gives them.
fn read_full(file: &TicketFile<'_>, meta: TicketMeta) -> Result<LoadedTicket, ModelError> {
    let (p, get) = (file.p, |name: &str, dtype: Dtype| file.get(name, dtype));
    let shapes = random_shapes(&meta);
    let mut layers = Vec::new();
    for (l, &[rows, cols]) in shapes.iter().enumerate() {
        let fold = l == 0 && meta.bias;
        let d_in = cols - usize::from(fold);
        let idx = get(&format!("{}.indices", 2 * l), Dtype::I32)?;
        let vals = get(&format!("{}.values", 2 * l), Dtype::F32)?;
        let ints: Vec<i32> = idx.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
        let vals: Vec<f32> = vals.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        if ints.len() != 2 * vals.len() {
            return Err(layout(p, format!("layer {}: {} indices for {} values", 2 * l, ints.len() / 2, vals.len())));
        }
        let basis = meta.layer_basis(l);
        let mut layer = SparseLayer { d_out: rows, d_in, rows: vec![], cols: vec![], vals, bias: None, basis };
        for pair in ints.chunks_exact(2) {
            let (r, c) = (pair[0], pair[1]);
            if r < 0 || c < 0 || r as usize >= rows || c as usize >= d_in {
                return Err(layout(p, format!("layer {}: edge ({r}, {c}) outside [{rows}, {d_in}]", 2 * l)));
            }
            layer.rows.push(r as u32);
            layer.cols.push(c as u32);
        }
        if fold {
            let b = get(&format!("{}.bias", 2 * l), Dtype::F32)?;
            let b: Vec<f32> = b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
            if b.len() != rows / basis.size() {
                let want = rows / basis.size();
                return Err(layout(p, format!("0.bias has {} values, expected {want}", b.len())));
            }
            layer.bias = Some(b);
        }
        if layer.vals.iter().chain(layer.bias.iter().flatten()).any(|v| !v.is_finite()) {
            return Err(layout(p, format!("layer {} has a non-finite weight", 2 * l)));
        }
        layers.push(layer);
    }
    Ok(LoadedTicket { net: net_of(&meta, layers), meta, compact: false })
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Verification {
    /// Kept edges checked against the regenerated random network.
    pub checked: u64,
    /// Kept weights that differ from scale × the random weight.
    pub mismatches: u64,
    /// Kept edges counted in the file.
    pub kept_edges: u64,
    /// Density from the file's own edges and the random network's size.
    pub density: f64,
    /// Whether that density and the edge counts match the metadata.
    pub density_matches: bool,
}

/// Regenerates the random network of a loaded ticket and checks that every
/// kept weight is the random one times its layer's scale, and that the
/// mask's density is what the metadata says.
pub fn verify(t: &LoadedTicket) -> Verification {
    let indices = flat_indices(&t.net, &t.meta);
    let fresh = regenerate(&t.meta, &indices);
    let mismatches: u64 = t
        .net
        .layers
        .iter()
        .zip(&fresh.layers)
        .map(|(a, b)| {
            let edges = a.rows.iter().zip(&a.cols).zip(&a.vals);
            let mut stored: Vec<((u32, u32), f32)> = edges.map(|((&r, &c), &v)| ((r, c), v)).collect();
            stored.sort_by_key(|e| e.0);
            let regen = b.rows.iter().zip(&b.cols).zip(&b.vals).map(|((&r, &c), &v)| ((r, c), v));
            let edge_diff =
                stored.iter().zip(regen).filter(|(s, g)| s.0 != g.0 || s.1.to_bits() != g.1.to_bits()).count();
            let bias_diff = match (&a.bias, &b.bias) {
                (Some(x), Some(y)) => x.iter().zip(y).filter(|(p, q)| p.to_bits() != q.to_bits()).count(),
                (None, None) => 0,
                _ => 1,
            };
            (edge_diff + bias_diff) as u64
        })
        .sum();
    let kept: u64 = t.net.layers.iter().map(|l| l.kept() as u64).sum();
    Verification::of_counts(&t.meta, indices.iter().map(|i| i.len() as u64).sum(), mismatches, kept)
}

impl Verification {
    /// What was found: `checked` kept edges regenerated, `mismatches` among
    /// them, `kept` edges counted, the density against the metadata's.
    pub fn of_counts(meta: &TicketMeta, checked: u64, mismatches: u64, kept: u64) -> Verification {
        let random: u64 = random_shapes(meta).iter().map(|s| (s[0] * s[1]) as u64).sum();
        let density = kept as f64 / random as f64;
        Verification {
            checked,
            mismatches,
            kept_edges: kept,
            density,
            density_matches: kept == meta.kept_edges
                && random == meta.random_edges
                && (density - meta.density).abs() <= 1e-12,
        }
    }
}
