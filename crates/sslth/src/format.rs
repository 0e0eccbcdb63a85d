//! Ticket files (docs/FORMAT.md): *full* (the kept weights, runnable
//! without sslth) and *compact* (seed and mask; weights regenerated on
//! load). Both are safetensors files.

use crate::model::{read_safetensors, ModelError};
use crate::sparse::{SparseLayer, SparseNet};
use crate::ticket::{RandomLayer, TicketMeta};
use crate::weights::weights_at;
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

/// `format` metadata of a full ticket.
pub const FULL: &str = "sslth-ticket-full";
/// `format` metadata of a compact ticket.
pub const COMPACT: &str = "sslth-ticket-compact";

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
        .flat_map(|(i, p)| [[meta.basis(i).size() * p.hidden(), p.d_in], [p.rows, p.hidden()]])
        .collect()
}

/// The identity element of pair i's basis: the A layer's bias (the folded
/// constant column) sits in its block of rows.
fn identity_of(meta: &TicketMeta, i: usize) -> usize {
    meta.basis(i).build().map_or(0, |b| b.identity())
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
fn layer_weight(meta: &TicketMeta, l: usize) -> impl Fn(f64) -> f64 {
    let r = &random_layers(meta)[l];
    let (law, scale) = (r.law, r.scale);
    move |u| law.apply(u) * scale
}

/// Kept edges of `net` as flat indices into the random layers' `[out, in]`
/// matrices (layer 0's bias is its constant-1 column), per layer, ascending.
fn flat_indices(net: &SparseNet, meta: &TicketMeta) -> Vec<Vec<u64>> {
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
    let shapes = random_shapes(meta);
    let layers = indices
        .par_iter()
        .enumerate()
        .map(|(l, idx)| {
            let [rows, cols] = shapes[l];
            let weight = layer_weight(meta, l);
            // In chunks, each seeking once, so the work spreads over threads.
            let vals: Vec<f32> = idx
                .par_chunks(1 << 16)
                .flat_map_iter(|c| weights_at(meta.seed, l as u64, c).into_iter().map(|w| weight(w) as f32))
                .collect();
            let fold = l == 0 && meta.bias;
            let basis = meta.basis(l / 2);
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
        })
        .collect();
    net_of(meta, layers)
}

/// The runnable network of `layers` with the metadata's points and pooling.
fn net_of(meta: &TicketMeta, layers: Vec<SparseLayer>) -> SparseNet {
    SparseNet { layers, points: meta.points, pool_after: meta.pool_after.map(|i| 2 * i + 1) }
}

fn metadata(meta: &TicketMeta, format: &str, extra: Vec<(String, String)>) -> HashMap<String, String> {
    let mut m = HashMap::from([
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
        tensors.push((
            format!("{}.values", 2 * l),
            Dtype::F32,
            vec![layer.vals.len()],
            crate::model::f32_bytes(&layer.vals),
        ));
        if let Some(b) = &layer.bias {
            tensors.push((format!("{}.bias", 2 * l), Dtype::F32, vec![b.len()], crate::model::f32_bytes(b)));
        }
    }
    crate::model::serialize_typed(tensors, metadata(meta, FULL, vec![shapes_entry(meta)]))
}

/// The `shapes` metadata: `[out, in]` of each runnable layer (layer 0
/// without the constant column, which is folded into its bias).
fn shapes_entry(meta: &TicketMeta) -> (String, String) {
    let shapes: Vec<[usize; 2]> = random_shapes(meta)
        .into_iter()
        .enumerate()
        .map(|(l, [rows, cols])| [rows, cols - usize::from(l == 0 && meta.bias)])
        .collect();
    ("shapes".to_string(), serde_json::to_string(&shapes).expect("shapes serialise"))
}

/// Packed bits of the flat indices `idx` over `len` positions, LSB first.
fn pack_bits(idx: &[u64], len: u64) -> Vec<u8> {
    let mut bits = vec![0u8; len.div_ceil(8) as usize];
    for &i in idx {
        bits[(i / 8) as usize] |= 1 << (i % 8);
    }
    bits
}

/// LEB128 varints of the gaps between ascending indices (the first index
/// itself, then each index minus the previous one minus one).
fn pack_deltas(idx: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev: Option<u64> = None;
    for &i in idx {
        let mut gap = prev.map_or(i, |p| i - p - 1);
        prev = Some(i);
        loop {
            let byte = (gap & 0x7f) as u8;
            gap >>= 7;
            if gap == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

fn unpack_bits(bytes: &[u8], len: u64) -> Result<Vec<u64>, String> {
    if bytes.len() as u64 != len.div_ceil(8) {
        return Err(format!("bit mask has {} bytes, the layer needs {}", bytes.len(), len.div_ceil(8)));
    }
    let idx: Vec<u64> = (0..len).filter(|&i| bytes[(i / 8) as usize] >> (i % 8) & 1 == 1).collect();
    if (len..bytes.len() as u64 * 8).any(|i| bytes[(i / 8) as usize] >> (i % 8) & 1 == 1) {
        return Err("bit mask has bits set beyond the layer".into());
    }
    Ok(idx)
}

fn unpack_deltas(bytes: &[u8], len: u64) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    let (mut gap, mut shift, mut next) = (0u64, 0u32, 0u64);
    for &b in bytes {
        if shift > 63 {
            return Err("delta mask has an over-long varint".into());
        }
        gap |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            let i = next.checked_add(gap).filter(|&i| i < len).ok_or("delta mask points outside the layer")?;
            out.push(i);
            next = i + 1;
            gap = 0;
            shift = 0;
        }
    }
    if shift != 0 {
        return Err("delta mask ends inside a varint".into());
    }
    Ok(out)
}

/// The bytes of a compact ticket: per random layer l, `{2l}.mask` (U8) and
/// its encoding in the metadata list `masks`; the weights are regenerated
/// on load. Per pair, when its kept edges are the construction's (k of a
/// sign side per RFSS instance, A edges exactly the neurons B uses), the B
/// layer is stored as subset ranks and the A layer derived from it
/// (`subset-ranks`, `from-b`; docs/FORMAT.md); otherwise, and whenever that
/// is not smaller, each layer as packed bits or delta-coded indices,
/// whichever is smaller.
pub fn compact_bytes(net: &SparseNet, meta: &TicketMeta) -> Vec<u8> {
    let shapes = random_shapes(meta);
    let indices = flat_indices(net, meta);
    let mut masks: Vec<(&str, Vec<u8>)> = indices
        .iter()
        .enumerate()
        .map(|(l, idx)| {
            let len = (shapes[l][0] * shapes[l][1]) as u64;
            let (bits, deltas) = (pack_bits(idx, len), pack_deltas(idx));
            if bits.len() <= deltas.len() {
                ("bits", bits)
            } else {
                ("delta-varint", deltas)
            }
        })
        .collect();
    for i in 0..meta.pairs.len() {
        let layout = PairLayout::new(meta, i);
        if let Some(choices) = layout.choices(&indices[2 * i], &indices[2 * i + 1]) {
            let (encoding, ranks) = PairLayout::encode(&choices);
            if ranks.len() < masks[2 * i].1.len() + masks[2 * i + 1].1.len() {
                masks[2 * i] = ("from-b", Vec::new());
                masks[2 * i + 1] = (encoding, ranks);
            }
        }
    }
    let encodings: Vec<&str> = masks.iter().map(|m| m.0).collect();
    let tensors = masks
        .into_iter()
        .enumerate()
        .map(|(l, (_, bytes))| (format!("{}.mask", 2 * l), Dtype::U8, vec![bytes.len()], bytes))
        .collect();
    let extra = vec![("masks".to_string(), serde_json::to_string(&encodings).expect("serialises")), shapes_entry(meta)];
    crate::model::serialize_typed(tensors, metadata(meta, COMPACT, extra))
}

/// What the subset-rank coding of pair i needs, all derived from the
/// metadata and the seed: the sign sides of every block of hidden channels
/// (a_h regenerated), which input channels have an N side, and sizes.
struct PairLayout {
    /// Hidden channels H and the block size 2n.
    hidden: usize,
    two_n: usize,
    d_in: usize,
    rows: usize,
    k: usize,
    /// The first stacked row of A's identity element (A row first + h).
    first: usize,
    /// Per block j: the hidden channels with a_h > 0 and with a_h < 0,
    /// ascending.
    sides: Vec<[Vec<usize>; 2]>,
    /// Per input channel: never negative, so no N side.
    nonneg: Vec<bool>,
}

impl PairLayout {
    fn new(meta: &TicketMeta, i: usize) -> PairLayout {
        let p = &meta.pairs[i];
        let (hidden, two_n) = (p.hidden(), 2 * p.n);
        let first = identity_of(meta, i) * hidden;
        let idx: Vec<u64> = (0..hidden).map(|h| ((first + h) * p.d_in + h / two_n) as u64).collect();
        let a = crate::weights::weights_at(meta.seed, 2 * i as u64, &idx);
        let mut sides = vec![[Vec::new(), Vec::new()]; p.d_in];
        for (h, &w) in a.iter().enumerate() {
            let w = w as f32;
            if w != 0.0 {
                sides[h / two_n][usize::from(w < 0.0)].push(h);
            }
        }
        let nonneg =
            (0..p.d_in).map(|j| i > 0 || meta.nonneg_input || (meta.bias && i == 0 && j == p.d_in - 1)).collect();
        PairLayout { hidden, two_n, d_in: p.d_in, rows: p.rows, k: p.k, first, sides, nonneg }
    }

    /// The instances in stream order: (row, block, side).
    fn instances(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.rows).flat_map(move |r| {
            (0..self.d_in).flat_map(move |j| (0..if self.nonneg[j] { 1 } else { 2 }).map(move |s| (r, j, s)))
        })
    }

    /// A's flat indices for the hidden channels `used` (ascending).
    fn a_indices(&self, used: &[usize]) -> Vec<u64> {
        used.iter().map(|&h| ((self.first + h) * self.d_in + h / self.two_n) as u64).collect()
    }

    /// Every instance's choice in stream order — `None` where it keeps no
    /// edge, else (colex rank, C(m, κ)) — if B's kept edges `b` (flat,
    /// ascending) are the construction's and A's kept edges `a` are derived
    /// from them.
    fn choices(&self, a: &[u64], b: &[u64]) -> Option<Vec<Option<(u64, u64)>>> {
        // Position of every hidden channel in its side.
        let mut place = vec![None; self.hidden];
        for block in &self.sides {
            for (s, side) in block.iter().enumerate() {
                for (pos, &h) in side.iter().enumerate() {
                    place[h] = Some((s, pos));
                }
            }
        }
        let mut chosen: std::collections::HashMap<(usize, usize, usize), Vec<usize>> = Default::default();
        let mut used = vec![false; self.hidden];
        for &e in b {
            let (r, h) = ((e / self.hidden as u64) as usize, (e % self.hidden as u64) as usize);
            let (s, pos) = place[h]?;
            chosen.entry((r, h / self.two_n, s)).or_default().push(pos);
            used[h] = true;
        }
        let used: Vec<usize> = (0..self.hidden).filter(|&h| used[h]).collect();
        if self.a_indices(&used) != a {
            return None;
        }
        let mut out = Vec::new();
        let mut written = 0;
        for key @ (_, j, s) in self.instances() {
            let m = self.sides[j][s].len();
            let kk = self.k.min(m);
            match chosen.get(&key) {
                Some(c) if c.len() == kk => {
                    // Too many subsets for a u64 rank: this pair keeps its bit masks.
                    let count = crate::subsets::binomial(m, kk)?;
                    let mut c = c.clone();
                    c.sort_unstable();
                    out.push(Some((crate::subsets::rank(&c), count)));
                    written += 1;
                }
                Some(_) => return None,
                None => out.push(None),
            }
        }
        // Every kept B edge belongs to an instance the stream visits.
        (written == chosen.len()).then_some(out)
    }

    /// The shorter subset stream of these choices, and its encoding name:
    /// `subset-ranks` (presence bit, rank in ⌈log2 C(m, κ)⌉ bits) or
    /// `subset-ranks-eg` (the order g in 6 bits, then per instance 0 or
    /// rank + 1 in the exponential-Golomb code of order g, g chosen to
    /// minimise the stream).
    fn encode(choices: &[Option<(u64, u64)>]) -> (&'static str, Vec<u8>) {
        use crate::subsets::{exp_golomb_len, width, BitWriter};
        let value = |c: &Option<(u64, u64)>| c.map_or(0, |(r, _)| r + 1);
        let eg_bits = |g: u32| choices.iter().map(|c| exp_golomb_len(value(c), g)).sum::<u64>();
        let g = (0..64).min_by_key(|&g| eg_bits(g)).expect("non-empty range");
        let fixed_bits: u64 = choices.iter().map(|c| 1 + c.map_or(0, |(_, count)| u64::from(width(count)))).sum();
        let mut w = BitWriter::default();
        if 6 + eg_bits(g) < fixed_bits {
            w.write(u64::from(g), 6);
            for c in choices {
                w.write_exp_golomb(value(c), g);
            }
            ("subset-ranks-eg", w.finish())
        } else {
            for c in choices {
                match c {
                    Some((r, count)) => {
                        w.write(1, 1);
                        w.write(*r, width(*count));
                    }
                    None => w.write(0, 1),
                }
            }
            ("subset-ranks", w.finish())
        }
    }

    /// B's and A's flat indices from a subset stream in `encoding`.
    fn decode(&self, bytes: &[u8], encoding: &str) -> Result<(Vec<u64>, Vec<u64>), String> {
        let mut reader = crate::subsets::BitReader::new(bytes);
        let golomb = match encoding {
            "subset-ranks" => None,
            "subset-ranks-eg" => Some(reader.read(6)? as u32),
            other => return Err(format!("unknown subset encoding '{other}'")),
        };
        let mut b = Vec::new();
        let mut used = vec![false; self.hidden];
        for (r, j, s) in self.instances() {
            let side = &self.sides[j][s];
            let kk = self.k.min(side.len());
            let count = || crate::subsets::binomial(side.len(), kk).ok_or("a side too large for subset ranks");
            let rank = match golomb {
                None if reader.read(1)? == 0 => continue,
                None => reader.read(crate::subsets::width(count()?))?,
                Some(g) => match reader.read_exp_golomb(g)? {
                    0 => continue,
                    v => v - 1,
                },
            };
            if rank >= count()? {
                return Err(format!("subset rank {rank} of row {r}, block {j} is not below C({}, {kk})", side.len()));
            }
            for pos in crate::subsets::unrank(rank, side.len(), kk) {
                let h = side[pos];
                used[h] = true;
                b.push((r * self.hidden + h) as u64);
            }
        }
        reader.finish()?;
        b.sort_unstable();
        let used: Vec<usize> = (0..self.hidden).filter(|&h| used[h]).collect();
        Ok((b, self.a_indices(&used)))
    }
}

/// A ticket read from a file.
#[derive(Debug)]
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
    crate::model::header_metadata(path)
        .and_then(|m| m.get("format").cloned())
        .is_some_and(|f| f == FULL || f == COMPACT)
}

/// The most edges a ticket's random network may have (2⁴⁰): far beyond
/// any network sslth builds, small enough that every count fits in u64
/// and no corrupted size makes a reader allocate or loop without end.
const MAX_RANDOM_EDGES: u64 = 1 << 40;

/// Checks that the metadata describe a network sslth could have built:
/// 1 ≤ k ≤ n, non-empty layers, pairs that chain (each pair's rows are the
/// next one's inputs), finite positive scales, and sizes whose products
/// fit (see [`MAX_RANDOM_EDGES`]).
fn check_meta(meta: &TicketMeta) -> Result<(), String> {
    if meta.version == 3 {
        return check_chain(meta);
    }
    if meta.pairs.is_empty() {
        return Err("no layers".into());
    }
    if !(meta.version == 1 || meta.version == 2) {
        return Err(format!("version {} is not one this sslth reads (1, 2 or 3)", meta.version));
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
    for (i, p) in meta.pairs.iter().enumerate() {
        if p.n == 0 || p.k == 0 || p.k > p.n || p.d_in == 0 || p.rows == 0 {
            return Err(format!("pair {i} has n = {}, k = {}, d_in = {}, rows = {}", p.n, p.k, p.d_in, p.rows));
        }
        let basis = meta.basis(i).build().map_err(|e| format!("pair {i}: {e}"))?;
        if p.rows % basis.size() != 0 {
            return Err(format!("pair {i} has {} rows, not a multiple of its basis size {}", p.rows, basis.size()));
        }
        let points = if meta.pool_after.is_some_and(|a| i > a) { 1 } else { meta.points };
        if basis.points().is_some_and(|bp| bp != points) {
            return Err(format!("pair {i}'s basis ({}) does not act on {points} points", basis.name()));
        }
        if !(p.scale.is_finite() && p.scale > 0.0) {
            return Err(format!("pair {i} has scale {}", p.scale));
        }
        let edges = (2 * p.n as u64)
            .checked_mul(p.d_in as u64)
            .and_then(|h| h.checked_mul(basis.size() as u64 * p.d_in as u64 + p.rows as u64))
            .filter(|&e| e <= MAX_RANDOM_EDGES)
            .ok_or_else(|| format!("pair {i} is too large (n = {}, d_in = {}, rows = {})", p.n, p.d_in, p.rows))?;
        total += edges;
        if let Some(next) = meta.pairs.get(i + 1) {
            let channels = p.rows / basis.size();
            if next.d_in != channels {
                return Err(format!("pair {i} gives {channels} channels but pair {} takes {}", i + 1, next.d_in));
            }
        }
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

/// Reads a full or compact ticket.
pub fn read(path: &Path) -> Result<LoadedTicket, ModelError> {
    let bytes = read_safetensors(path)?;
    let p = path.display().to_string();
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| ModelError::Format(p.clone(), e.to_string()))?;
    let md = header.metadata().clone().unwrap_or_default();
    let format = md.get("format").cloned().unwrap_or_default();
    let meta: TicketMeta = md
        .get("sslth")
        .ok_or_else(|| layout(&p, "not a ticket: no sslth metadata (a target? use it with --target)"))
        .and_then(|s| serde_json::from_str(s).map_err(|e| layout(&p, format!("bad sslth metadata: {e}"))))?;
    if meta.generator != crate::weights::GENERATOR {
        return Err(layout(&p, format!("generator '{}' is not supported", meta.generator)));
    }
    check_meta(&meta).map_err(|e| layout(&p, format!("bad sslth metadata: {e}")))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Format(p.clone(), e.to_string()))?;
    let shapes = random_shapes(&meta);
    let get = |name: &str, dtype: Dtype| -> Result<Vec<u8>, ModelError> {
        let t = st.tensor(name).map_err(|_| layout(&p, format!("missing tensor {name}")))?;
        if t.dtype() != dtype {
            return Err(layout(&p, format!("tensor {name} has dtype {:?}, expected {dtype:?}", t.dtype())));
        }
        Ok(t.data().to_vec())
    };
    match format.as_str() {
        COMPACT => {
            let encodings: Vec<String> = md
                .get("masks")
                .and_then(|s| serde_json::from_str(s).ok())
                .ok_or_else(|| layout(&p, "compact ticket without a masks list"))?;
            if encodings.len() != shapes.len() {
                return Err(layout(&p, "masks list does not match the layers"));
            }
            let mut indices: Vec<Vec<u64>> = Vec::new();
            for (l, enc) in encodings.iter().enumerate() {
                let data = get(&format!("{}.mask", 2 * l), Dtype::U8)?;
                let len = (shapes[l][0] * shapes[l][1]) as u64;
                let idx = match (enc.as_str(), encodings.get(l + 1).map(String::as_str)) {
                    ("bits", _) => unpack_bits(&data, len),
                    ("delta-varint", _) => unpack_deltas(&data, len),
                    // Pair l/2's B stream gives both layers; A waits for it.
                    ("from-b", Some("subset-ranks" | "subset-ranks-eg")) if l % 2 == 0 && data.is_empty() => {
                        Ok(Vec::new())
                    }
                    (enc @ ("subset-ranks" | "subset-ranks-eg"), _) if l % 2 == 1 && encodings[l - 1] == "from-b" => {
                        PairLayout::new(&meta, l / 2).decode(&data, enc).map(|(b, a)| {
                            indices[l - 1] = a;
                            b
                        })
                    }
                    ("from-b" | "subset-ranks" | "subset-ranks-eg", _) => {
                        Err("'from-b' must be an A layer's encoding, followed by its B layer's subset ranks".into())
                    }
                    (other, _) => Err(format!("unknown mask encoding '{other}'")),
                }
                .map_err(|e| layout(&p, format!("layer {}: {e}", 2 * l)))?;
                if l == 0 && meta.bias {
                    // The constant column is a bias only on the identity element.
                    let [rows, cols] = shapes[0];
                    let h = rows / meta.basis(0).size();
                    let id = identity_of(&meta, 0);
                    let block = id * h..(id + 1) * h;
                    let stray = idx.iter().find(|&&i| {
                        i % cols as u64 == cols as u64 - 1 && !block.contains(&((i / cols as u64) as usize))
                    });
                    if let Some(i) = stray {
                        return Err(layout(
                            &p,
                            format!("layer 0: mask entry {i} reads the constant channel outside the identity element"),
                        ));
                    }
                }
                indices.push(idx);
            }
            Ok(LoadedTicket { net: regenerate(&meta, &indices), meta, compact: true })
        }
        FULL => {
            let mut layers = Vec::new();
            for (l, &[rows, cols]) in shapes.iter().enumerate() {
                let fold = l == 0 && meta.bias;
                let d_in = cols - usize::from(fold);
                let idx = get(&format!("{}.indices", 2 * l), Dtype::I32)?;
                let vals = get(&format!("{}.values", 2 * l), Dtype::F32)?;
                let ints: Vec<i32> = idx.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
                let vals: Vec<f32> = vals.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
                if ints.len() != 2 * vals.len() {
                    return Err(layout(
                        &p,
                        format!("layer {}: {} indices for {} values", 2 * l, ints.len() / 2, vals.len()),
                    ));
                }
                let basis = meta.basis(l / 2);
                let mut layer = SparseLayer { d_out: rows, d_in, rows: vec![], cols: vec![], vals, bias: None, basis };
                for pair in ints.chunks_exact(2) {
                    let (r, c) = (pair[0], pair[1]);
                    if r < 0 || c < 0 || r as usize >= rows || c as usize >= d_in {
                        return Err(layout(&p, format!("layer {}: edge ({r}, {c}) outside [{rows}, {d_in}]", 2 * l)));
                    }
                    layer.rows.push(r as u32);
                    layer.cols.push(c as u32);
                }
                if fold {
                    let b = get(&format!("{}.bias", 2 * l), Dtype::F32)?;
                    let b: Vec<f32> = b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
                    if b.len() != rows / basis.size() {
                        let want = rows / basis.size();
                        return Err(layout(&p, format!("0.bias has {} values, expected {want}", b.len())));
                    }
                    layer.bias = Some(b);
                }
                if layer.vals.iter().chain(layer.bias.iter().flatten()).any(|v| !v.is_finite()) {
                    return Err(layout(&p, format!("layer {} has a non-finite weight", 2 * l)));
                }
                layers.push(layer);
            }
            Ok(LoadedTicket { net: net_of(&meta, layers), meta, compact: false })
        }
        other => Err(layout(&p, format!("format '{other}' is not a ticket format"))),
    }
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
    let shapes = random_shapes(&t.meta);
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
    let random: u64 = shapes.iter().map(|s| (s[0] * s[1]) as u64).sum();
    let density = kept as f64 / random as f64;
    Verification {
        checked: indices.iter().map(|i| i.len() as u64).sum(),
        mismatches,
        kept_edges: kept,
        density,
        density_matches: kept == t.meta.kept_edges
            && random == t.meta.random_edges
            && (density - t.meta.density).abs() <= 1e-12,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_streams_round_trip_and_refuse_what_is_not_a_stream() {
        use crate::model::{Dense, Mlp};
        let draw = |n: usize, s: u64| -> Vec<f32> {
            (0..n).map(|i| (0.5 * crate::weights::uniform_weight(4, s, i as u64)) as f32).collect()
        };
        let mlp = Mlp {
            layers: vec![
                Dense { d_in: 5, d_out: 4, weight: draw(20, 1), bias: Some(draw(4, 2)) },
                Dense { d_in: 4, d_out: 3, weight: draw(12, 3), bias: Some(draw(3, 4)) },
            ],
        };
        let net = crate::network::Network::from_mlp(&mlp);
        let cfg = crate::ticket::BuildConfig {
            seed: 8,
            density: 1.0,
            tolerance: crate::ticket::Tolerance::Weight(1e-2),
            n_k: Some((16, 4)),
            k: None,
            nonneg_input: false,
            scale: None,
            accept_over_eps: false,
        };
        let t = crate::ticket::build(&net, &crate::ticket::plan(&net, &cfg).unwrap(), 8, false, &|| {});
        let meta = t.meta(&net, 1.0, None, None);
        let idx = flat_indices(&t.to_sparse(), &meta);
        for i in 0..meta.pairs.len() {
            let layout = PairLayout::new(&meta, i);
            let (a, b) = (&idx[2 * i], &idx[2 * i + 1]);
            let choices = layout.choices(a, b).expect("a built ticket is the construction's");
            let (encoding, bytes) = PairLayout::encode(&choices);
            assert_eq!(encoding, "subset-ranks-eg", "colex-first choices have small ranks");
            // Both encodings decode to the kept edges.
            let mut fixed = crate::subsets::BitWriter::default();
            for c in &choices {
                fixed.write(u64::from(c.is_some()), 1);
                if let Some((r, count)) = c {
                    fixed.write(*r, crate::subsets::width(*count));
                }
            }
            let fixed = fixed.finish();
            assert!(bytes.len() < fixed.len());
            for (enc, bytes) in [("subset-ranks-eg", &bytes), ("subset-ranks", &fixed)] {
                assert_eq!(layout.decode(bytes, enc).unwrap(), (b.clone(), a.clone()));
                let mut longer = bytes.clone();
                longer.push(0);
                assert!(layout.decode(&longer, enc).unwrap_err().contains("left over"));
                assert!(layout.decode(&bytes[..bytes.len() - 1], enc).unwrap_err().contains("ends early"));
            }
            // One B edge fewer, or an A edge of an unused neuron: not a
            // stream of choices, so the pair keeps its bit masks.
            assert!(layout.choices(a, &b[..b.len() - 1]).is_none());
            let mut more = a.clone();
            more.push(a.last().unwrap() + 1);
            assert!(layout.choices(&more, b).is_none());
        }
    }

    #[test]
    fn mask_encodings_round_trip() {
        let idx = vec![0u64, 1, 2, 9, 130, 131, 20_000, 1 << 33];
        let len = (1u64 << 33) + 5;
        assert_eq!(unpack_deltas(&pack_deltas(&idx), len).unwrap(), idx);
        let small = vec![0u64, 3, 8, 15];
        assert_eq!(unpack_bits(&pack_bits(&small, 16), 16).unwrap(), small);
        assert!(unpack_bits(&[0xff, 0xff], 12).unwrap_err().contains("beyond"));
        assert!(unpack_deltas(&[0x80], 10).unwrap_err().contains("inside a varint"));
        assert!(unpack_deltas(&[20], 10).unwrap_err().contains("outside"));
    }
}
