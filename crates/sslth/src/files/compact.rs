//! Compact ticket files (docs/FORMAT.md): the seed, the shapes and the
//! mask, coded per pair as subset ranks where the kept edges are the
//! construction's, else as packed bits or delta-coded indices; the weights
//! are regenerated on load.

use super::digest::weights_digest;
use super::full::{metadata, shapes_entry};
use super::safetensors::serialize_typed;
use crate::ticket::subsets;
use crate::ticket::{flat_indices, identity_of, nonneg_channels, random_shapes, sides, SparseNet, TicketMeta};
use rayon::prelude::*;
use safetensors::Dtype;

/// `format` metadata of a compact ticket.
pub const COMPACT: &str = "sslth-ticket-compact";

/// Packed bits of the flat indices `idx` over `len` positions, LSB first.
fn pack_bits(idx: &[u64], len: u64) -> Vec<u8> {
    let mut bits = vec![0u8; len.div_ceil(8) as usize];
    for &i in idx {
        bits[(i / 8) as usize] |= 1 << (i % 8);
    }
    bits
}

/// The gaps [`pack_deltas`] codes: the first index itself, then each
/// index minus the previous one minus one.
fn gap(idx: &[u64], t: usize) -> u64 {
    if t == 0 {
        idx[0]
    } else {
        idx[t] - idx[t - 1] - 1
    }
}

/// Bytes of `gap` as an unsigned LEB128 varint.
pub(super) fn varint_len(gap: u64) -> usize {
    (64 - gap.leading_zeros()).div_ceil(7).max(1) as usize
}

/// The length of [`pack_deltas`]'s bytes, without making them.
pub(super) fn deltas_len(idx: &[u64]) -> usize {
    (0..idx.len()).into_par_iter().map(|t| varint_len(gap(idx, t))).sum()
}

/// LEB128 varints of the gaps between ascending indices (the first index
/// itself, then each index minus the previous one minus one).
fn pack_deltas(idx: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in 0..idx.len() {
        let mut gap = gap(idx, t);
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

pub(super) fn unpack_bits(bytes: &[u8], len: u64) -> Result<Vec<u64>, String> {
    if bytes.len() as u64 != len.div_ceil(8) {
        return Err(format!("bit mask has {} bytes, the layer needs {}", bytes.len(), len.div_ceil(8)));
    }
    let idx: Vec<u64> = (0..len).filter(|&i| bytes[(i / 8) as usize] >> (i % 8) & 1 == 1).collect();
    if (len..bytes.len() as u64 * 8).any(|i| bytes[(i / 8) as usize] >> (i % 8) & 1 == 1) {
        return Err("bit mask has bits set beyond the layer".into());
    }
    Ok(idx)
}

pub(super) fn unpack_deltas(bytes: &[u8], len: u64) -> Result<Vec<u64>, String> {
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
    // The digest is one sequential pass over every weight: it runs beside
    // the masks' coding.
    let (digest, masks) = rayon::join(|| weights_digest(net), || compact_masks(net, meta));
    pack_file(meta, masks, digest)
}

/// The file of `masks` (per random layer, its encoding and bytes) with
/// the weights `digest`.
pub(super) fn pack_file(meta: &TicketMeta, masks: Vec<(&str, Vec<u8>)>, digest: String) -> Vec<u8> {
    let encodings: Vec<&str> = masks.iter().map(|m| m.0).collect();
    let tensors = masks
        .into_iter()
        .enumerate()
        .map(|(l, (_, bytes))| (format!("{}.mask", 2 * l), Dtype::U8, vec![bytes.len()], bytes))
        .collect();
    let extra = vec![("masks".to_string(), serde_json::to_string(&encodings).expect("serialises")), shapes_entry(meta)];
    serialize_typed(tensors, metadata(meta, digest, COMPACT, extra))
}

/// Packed bits or delta varints, whichever is smaller (`bits` when equal),
/// for a layer of `len` positions whose delta code takes `deltas` bytes:
/// (bits chosen, bytes).
pub(super) fn plain_choice(len: usize, deltas: usize) -> (bool, usize) {
    let bits = len.div_ceil(8);
    (bits <= deltas, bits.min(deltas))
}

/// The plain mask of kept flat indices `idx` over `len` positions, in the
/// encoding `plain_choice` picked.
pub(super) fn plain_mask(bits: bool, idx: &[u64], len: usize) -> (&'static str, Vec<u8>) {
    if bits {
        ("bits", pack_bits(idx, len as u64))
    } else {
        ("delta-varint", pack_deltas(idx))
    }
}

/// The masks of [`compact_bytes`]: per random layer, its encoding and bytes.
fn compact_masks(net: &SparseNet, meta: &TicketMeta) -> Vec<(&'static str, Vec<u8>)> {
    let shapes = random_shapes(meta);
    let indices = flat_indices(net, meta);
    let len = |l: usize| shapes[l][0] * shapes[l][1];
    // Per layer, packed bits or delta varints, whichever is smaller (their
    // sizes first: only the bytes written are made).
    let plain: Vec<(bool, usize)> =
        indices.par_iter().enumerate().map(|(l, idx)| plain_choice(len(l), deltas_len(idx))).collect();
    let ranked: Vec<Option<(&str, Vec<u8>)>> = (0..meta.pairs.len())
        .map(|i| {
            let layout = PairLayout::new(meta, i);
            let choices = layout.choices(&indices[2 * i], &indices[2 * i + 1])?;
            let (encoding, ranks) = layout.encode(&choices);
            (ranks.len() < plain[2 * i].1 + plain[2 * i + 1].1).then_some((encoding, ranks))
        })
        .collect();
    let plain_mask = |l: usize| plain_mask(plain[l].0, &indices[l], len(l));
    // Layers of no pair (a popup ticket has none) are plain too.
    let mut masks: Vec<(&str, Vec<u8>)> = Vec::new();
    for (i, ranks) in ranked.into_iter().enumerate() {
        match ranks {
            Some(r) => masks.extend([("from-b", Vec::new()), r]),
            None => masks.extend([plain_mask(2 * i), plain_mask(2 * i + 1)]),
        }
    }
    masks.extend((masks.len()..indices.len()).map(plain_mask));
    masks
}

/// The bits of an instance's `subset-ranks` code: its value v (0 for no
/// choice, else its number + 1) as a presence bit and the number in
/// ⌈log2 count⌉ bits, `count` the κ-subsets of its side; `None` if the
/// number is not below it (the fixed width cannot hold it).
pub(super) fn fixed_bits(v: u64, count: Option<u64>) -> Option<u64> {
    match v {
        0 => Some(1),
        v => count.filter(|&c| v - 1 < c).map(|c| 1 + u64::from(subsets::width(c))),
    }
}

/// Writes the `subset-ranks` code of [`fixed_bits`], if there is one.
pub(super) fn write_fixed(w: &mut subsets::BitWriter, v: u64, count: Option<u64>) -> Option<()> {
    fixed_bits(v, count)?;
    w.write(u64::from(v > 0), 1);
    if let (v @ 1.., Some(c)) = (v, count) {
        w.write(v - 1, subsets::width(c));
    }
    Some(())
}

/// Which subset stream is shorter, given the exponential-Golomb stream's
/// bits (`eg_bits`, the 6-bit order not counted) and the `subset-ranks`
/// stream's (`None` where some choice does not fit it): whether the
/// exponential-Golomb one is taken (ties go to the fixed width), and the
/// taken stream's length in bits.
pub(super) fn shorter_stream(eg_bits: u64, fixed_bits: Option<u64>) -> (bool, u64) {
    match fixed_bits {
        Some(fixed) if fixed <= 6 + eg_bits => (false, fixed),
        _ => (true, 6 + eg_bits),
    }
}

/// One row read from a subset stream: per instance its code value (0 for
/// no choice, else rank + 1), and the row's kept hidden channels, ascending.
pub(super) type RowCodes = (Vec<u64>, Vec<usize>);

/// The exponential-Golomb order that makes a stream of these code values
/// (value, occurrences) shortest, the first if several tie, and that
/// stream's length in bits (the 6-bit order not counted).
pub(super) fn golomb_order(counts: &[(u64, u64)]) -> (u32, u64) {
    let eg_bits = |g: u32| counts.iter().map(|&(v, n)| n * subsets::exp_golomb_len(v, g)).sum::<u64>();
    let g = (0..64).min_by_key(|&g| eg_bits(g)).expect("non-empty range");
    (g, eg_bits(g))
}

/// One RFSS instance's choice: none (it keeps no edge), or its subset's
/// colex rank and the number of subsets, C(m, κ).
type Choice = Option<(u64, u64)>;

/// What the subset-rank coding of pair i needs, all derived from the
/// metadata and the seed: the sign sides of every block of hidden channels
/// (a_h regenerated), which input channels have an N side, and sizes.
pub(super) struct PairLayout {
    /// Hidden channels H and the block size 2n.
    hidden: usize,
    two_n: usize,
    d_in: usize,
    rows: usize,
    k: usize,
    /// How the instances' choices are numbered.
    order: subsets::SubsetOrder,
    /// The first stacked row of A's identity element (A row first + h).
    first: usize,
    /// Per block j: the hidden channels with a_h > 0 and with a_h < 0,
    /// ascending.
    sides: Vec<[Vec<usize>; 2]>,
    /// Per input channel: never negative, so no N side.
    nonneg: Vec<bool>,
    /// Per block and side: C(m, κ), if it fits in u64.
    counts: Vec<[Option<u64>; 2]>,
    /// Per block and side: the choices of every size, if they fit in u64.
    totals: Vec<[Option<u64>; 2]>,
    /// Binomials up to the largest side and k.
    binomials: subsets::Binomials,
}

impl PairLayout {
    pub(super) fn new(meta: &TicketMeta, i: usize) -> PairLayout {
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
        let nonneg = nonneg_channels(i, p.d_in, meta.nonneg_input, meta.bias);
        let counts = sides.iter().map(|b| b.each_ref().map(|s| subsets::binomial(s.len(), p.k.min(s.len())))).collect();
        let largest = sides.iter().flatten().map(Vec::len).max().unwrap_or(0);
        let binomials = subsets::Binomials::new(largest, subsets::largest_size(p.k).min(largest));
        let totals = sides.iter().map(|b| b.each_ref().map(|s| binomials.choices(p.subsets, p.k, s.len()))).collect();
        let (d_in, rows, k, order) = (p.d_in, p.rows, p.k, p.subsets);
        PairLayout { hidden, two_n, d_in, rows, k, order, first, sides, nonneg, counts, totals, binomials }
    }

    /// A's flat indices for the hidden channels `used` (ascending).
    pub(super) fn a_indices(&self, used: &[usize]) -> Vec<u64> {
        used.iter().map(|&h| ((self.first + h) * self.d_in + h / self.two_n) as u64).collect()
    }

    /// Every instance's choice in stream order — `None` where it keeps no
    /// edge, else (colex rank, C(m, κ)) — if B's kept edges `b` (flat,
    /// ascending) are the construction's and A's kept edges `a` are derived
    /// from them.
    fn choices(&self, a: &[u64], b: &[u64]) -> Option<Vec<Choice>> {
        // Position of every hidden channel in its side.
        let mut place = vec![None; self.hidden];
        for block in &self.sides {
            for (s, side) in block.iter().enumerate() {
                for (pos, &h) in side.iter().enumerate() {
                    place[h] = Some((s, pos));
                }
            }
        }
        let mut used = vec![false; self.hidden];
        b.iter().for_each(|&e| used[(e % self.hidden as u64) as usize] = true);
        let used: Vec<usize> = (0..self.hidden).filter(|&h| used[h]).collect();
        if self.a_indices(&used) != a || b.last().is_some_and(|&e| e >= (self.rows * self.hidden) as u64) {
            return None;
        }
        // Row by row on all cores (b is ascending, so a row's edges are one
        // run, in ascending block order), concatenated in stream order.
        let start = |r: usize| b.partition_point(|&e| e < (r * self.hidden) as u64);
        let rows: Option<Vec<Vec<Choice>>> = (0..self.rows)
            .into_par_iter()
            .map(|r| {
                let edges = &b[start(r)..start(r + 1)];
                let mut out = Vec::new();
                let mut at = 0;
                for j in 0..self.d_in {
                    let mut chosen: [Vec<usize>; 2] = Default::default();
                    while at < edges.len() && (edges[at] as usize - r * self.hidden) / self.two_n == j {
                        let (s, pos) = place[edges[at] as usize - r * self.hidden]?;
                        chosen[s].push(pos);
                        at += 1;
                    }
                    for (s, c) in chosen.iter_mut().enumerate() {
                        let m = self.sides[j][s].len();
                        if s >= sides(self.nonneg[j]) {
                            // An edge on a side the stream never visits.
                            if !c.is_empty() {
                                return None;
                            }
                        } else if c.is_empty() {
                            out.push(None);
                        } else {
                            // Too many subsets for a u64 number, or a size
                            // that is not one of the instance's: this pair
                            // keeps its bit masks.
                            let count = self.counts[j][s]?;
                            self.totals[j][s]?;
                            c.sort_unstable();
                            out.push(Some((self.binomials.number(self.order, self.k, m, c)?, count)));
                        }
                    }
                }
                Some(out)
            })
            .collect();
        Some(rows?.concat())
    }

    /// The shorter subset stream of these choices, and its encoding name:
    /// `subset-ranks` (presence bit, rank in ⌈log2 C(m, κ)⌉ bits; only
    /// when every choice is a κ-subset, its number below C(m, κ)) or
    /// `subset-ranks-eg` (the order g in 6 bits, then per instance 0 or
    /// number + 1 in the exponential-Golomb code of order g, g chosen to
    /// minimise the stream).
    fn encode(&self, choices: &[Choice]) -> (&'static str, Vec<u8>) {
        use subsets::BitWriter;
        let value = |c: &Choice| c.map_or(0, |(r, _)| r + 1);
        // The stream's length at each order g, from how often each value
        // occurs (colex-first ranks are few and small): sorted, then runs.
        let mut values: Vec<u64> = choices.par_iter().map(value).collect();
        values.par_sort_unstable();
        let runs: Vec<(u64, u64)> = values.chunk_by(|x, y| x == y).map(|run| (run[0], run.len() as u64)).collect();
        let (g, eg_bits) = golomb_order(&runs);
        let fixed_bits: Option<u64> = choices.par_iter().map(|c| fixed_bits(value(c), c.map(|(_, n)| n))).sum();
        let mut w = BitWriter::default();
        if shorter_stream(eg_bits, fixed_bits).0 {
            w.write(u64::from(g), 6);
            for c in choices {
                w.write_exp_golomb(value(c), g);
            }
            (self.encoding(true), w.finish())
        } else {
            for c in choices {
                write_fixed(&mut w, value(c), c.map(|(_, n)| n)).expect("every number below its count");
            }
            (self.encoding(false), w.finish())
        }
    }

    /// This pair's encoding of a subset stream, exponential-Golomb or
    /// fixed width: [`subset_encoding`] in the pair's order.
    pub(super) fn encoding(&self, golomb: bool) -> &'static str {
        self.order.encoding(golomb)
    }

    /// Whether `encoding` is a subset stream in this pair's order, and if
    /// so whether exponential-Golomb; an error if it is one in the other
    /// order (a file whose metadata and masks disagree).
    pub(super) fn golomb_of(&self, encoding: &str) -> Result<bool, String> {
        match subsets::SubsetOrder::of_encoding(encoding) {
            Some((order, golomb)) if order == self.order => Ok(golomb),
            Some((order, _)) => Err(format!(
                "encoding '{encoding}' numbers subsets in the {} order, but the pair records {}",
                order.name(),
                self.order.name()
            )),
            None => Err(format!("unknown subset encoding '{encoding}'")),
        }
    }

    /// B's and A's flat indices from a subset stream in `encoding`.
    pub(super) fn decode(&self, bytes: &[u8], encoding: &str) -> Result<(Vec<u64>, Vec<u64>), String> {
        let mut reader = subsets::BitReader::new(bytes);
        let golomb = match self.golomb_of(encoding)? {
            false => None,
            true => Some(reader.read(6)? as u32),
        };
        let mut b = Vec::new();
        let mut used = vec![false; self.hidden];
        for r in 0..self.rows {
            for h in self.read_row(&mut reader, golomb, r)?.1 {
                used[h] = true;
                b.push((r * self.hidden + h) as u64);
            }
        }
        reader.finish()?;
        let used: Vec<usize> = (0..self.hidden).filter(|&h| used[h]).collect();
        Ok((b, self.a_indices(&used)))
    }

    /// Row r's codes, read from `reader` (exponential-Golomb of order g, or
    /// `subset-ranks` when `golomb` is `None`): per instance 0 for no
    /// choice or its rank + 1, and the row's kept hidden channels,
    /// ascending.
    pub(super) fn read_row(
        &self,
        reader: &mut subsets::BitReader<'_>,
        golomb: Option<u32>,
        r: usize,
    ) -> Result<RowCodes, String> {
        let mut kept = Vec::new();
        let values = self.read_codes(reader, golomb, r, Some(&mut kept))?;
        kept.sort_unstable();
        Ok((values, kept))
    }

    /// Row r's code values (0 for an instance that keeps nothing, else its
    /// rank + 1), each rank checked against its side's count; with `kept`,
    /// each subset's hidden channels appended to it, unsorted.
    pub(super) fn read_codes(
        &self,
        reader: &mut subsets::BitReader<'_>,
        golomb: Option<u32>,
        r: usize,
        mut kept: Option<&mut Vec<usize>>,
    ) -> Result<Vec<u64>, String> {
        let mut values = Vec::new();
        for j in 0..self.d_in {
            for s in 0..sides(self.nonneg[j]) {
                let side = &self.sides[j][s];
                let kk = self.k.min(side.len());
                let count = || self.counts[j][s].ok_or("a side too large for subset ranks");
                // `subset-ranks` holds κ-subsets only; the exponential-Golomb
                // code numbers every size the instance may use.
                // (The choices of all sizes may exceed u64 where C(m, κ)
                // does not: a `subset-ranks` stream needs only the latter.)
                let total = || self.totals[j][s].ok_or("a side too large for subset ranks");
                let (number, bound) = match golomb {
                    None if reader.read(1)? == 0 => (None, 0),
                    None => (Some(reader.read(subsets::width(count()?))?), count()?.min(total().unwrap_or(u64::MAX))),
                    Some(g) => (reader.read_exp_golomb(g)?.checked_sub(1), total()?),
                };
                let Some(number) = number else {
                    values.push(0);
                    continue;
                };
                if number >= bound {
                    return Err(format!(
                        "subset number {number} of row {r}, block {j} is beyond its choices (C({}, {kk}){})",
                        side.len(),
                        if golomb.is_some() { " and the other sizes" } else { "" }
                    ));
                }
                values.push(number + 1);
                if let Some(kept) = kept.as_deref_mut() {
                    let members = self.binomials.members(self.order, self.k, side.len(), number);
                    kept.extend(members.ok_or("a side too large for subset ranks")?.into_iter().map(|pos| side[pos]));
                }
            }
        }
        Ok(values)
    }

    /// Reads past row codes without decoding their subsets (as
    /// [`Self::read_row`] reads them).
    pub(super) fn skip_row(&self, reader: &mut subsets::BitReader<'_>, golomb: Option<u32>) -> Result<(), String> {
        for j in 0..self.d_in {
            for s in 0..sides(self.nonneg[j]) {
                match golomb {
                    None if reader.read(1)? == 1 => {
                        let count = self.counts[j][s].ok_or("a side too large for subset ranks")?;
                        reader.read(subsets::width(count))?;
                    }
                    None => {}
                    Some(g) => {
                        reader.read_exp_golomb(g)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Per instance of a row, in stream order, C(m, κ): the κ-subsets a
    /// `subset-ranks` code numbers (`None` beyond u64).
    pub(super) fn row_counts(&self) -> Vec<Option<u64>> {
        (0..self.d_in).flat_map(|j| self.counts[j][..sides(self.nonneg[j])].to_vec()).collect()
    }

    /// Hidden channels H.
    pub(super) fn hidden(&self) -> usize {
        self.hidden
    }

    /// Rows of B.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }
}

#[cfg(test)]
mod tests;
