//! Tickets without their kept edges in memory (targets of 10⁸ weights):
//! written from a build's choices ([`compact_bytes_of_choices`] and
//! [`write_full_of_choices`], the bytes [`super::compact_bytes`] and
//! [`super::full_bytes`] write) and compact ones read back pair by pair,
//! row block by row block ([`CompactStreams`], for `verify`, `eval` and
//! `predict`). Both walk a pair's subset stream the same way
//! (`walk_rows`): a block of rows decoded and its kept B weights
//! regenerated on all cores while the previous block is consumed in order
//! (the weights digest is one sequential pass).

use super::atomic::write_atomic_with;
use super::compact::{
    deltas_len, fixed_bits, golomb_order, pack_file, plain_choice, plain_mask, shorter_stream, varint_len, write_fixed,
    PairLayout, RowCodes,
};
use super::digest::{Fnv, DIGEST_KEY};
use super::full::{metadata, shapes_entry, FULL};
use super::safetensors::{f32_bytes, header_bytes, header_metadata, read_safetensors, ModelError};
use super::COMPACT;
use crate::ticket::subsets::{BitReader, BitWriter};
use crate::ticket::{layer_weight, random_shapes, regenerate_layer, PairChoices, SparseLayer, TicketMeta};
use crate::weights::weights_at;
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Rows of a pair's subset stream read at a time.
const ROW_BLOCK: usize = 256;

/// A pair's subset stream: its bytes, its code (exponential-Golomb of
/// order g, or `subset-ranks` for `None`) and the bit where each row's
/// codes start (rows + 1 entries, the stream's end last).
pub(super) struct StreamRows<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) golomb: Option<u32>,
    pub(super) starts: &'a [u64],
}

impl PairLayout {
    /// [`PairLayout::read_row`] of `rows`, on all cores, each row checked
    /// to end where the next starts.
    fn read_rows(&self, s: &StreamRows<'_>, rows: std::ops::Range<usize>) -> Result<Vec<RowCodes>, String> {
        self.each_row(s, rows, |reader, r| self.read_row(reader, s.golomb, r))
    }

    /// [`PairLayout::read_codes`] of `rows` without their subsets, as
    /// [`PairLayout::read_rows`].
    fn read_values(&self, s: &StreamRows<'_>, rows: std::ops::Range<usize>) -> Result<Vec<Vec<u64>>, String> {
        self.each_row(s, rows, |reader, r| self.read_codes(reader, s.golomb, r, None))
    }

    /// `read` of each row of `rows` from where it starts, on all cores,
    /// each row checked to end where the next starts.
    fn each_row<T: Send>(
        &self,
        s: &StreamRows<'_>,
        rows: std::ops::Range<usize>,
        read: impl Fn(&mut BitReader<'_>, usize) -> Result<T, String> + Sync,
    ) -> Result<Vec<T>, String> {
        rows.into_par_iter()
            .map(|r| {
                let mut reader = BitReader::at(s.bytes, s.starts[r]);
                let row = read(&mut reader, r)?;
                if reader.position() != s.starts[r + 1] {
                    return Err(format!("row {r}'s codes do not end where the next row's start"));
                }
                Ok(row)
            })
            .collect()
    }

    /// Where each row's codes start in a whole subset stream (after the
    /// 6-bit order of an exponential-Golomb one), and its end, checked to
    /// be the stream's.
    fn row_starts(&self, bytes: &[u8], golomb: Option<u32>) -> Result<Vec<u64>, String> {
        let mut reader = BitReader::new(bytes);
        if golomb.is_some() {
            reader.read(6)?;
        }
        let mut starts = Vec::with_capacity(self.rows() + 1);
        for _ in 0..self.rows() {
            starts.push(reader.position());
            self.skip_row(&mut reader, golomb)?;
        }
        starts.push(reader.position());
        reader.finish()?;
        Ok(starts)
    }
}

/// Adds how often each code value occurs in `block`'s rows to `counts`
/// (its rows tallied on all cores).
fn count_values(counts: &mut HashMap<u64, u64>, block: &RowBlock<'_>) {
    let merge = |mut a: HashMap<u64, u64>, b: HashMap<u64, u64>| {
        b.into_iter().for_each(|(v, n)| *a.entry(v).or_default() += n);
        a
    };
    let tally = |mut c: HashMap<u64, u64>, codes: &RowCodes| {
        codes.0.iter().for_each(|&v| *c.entry(v).or_default() += 1);
        c
    };
    let part = block.rows.par_iter().fold(HashMap::new, tally).reduce(HashMap::new, merge);
    *counts = merge(std::mem::take(counts), part);
}

/// A block of consecutive B rows of a pair, as `walk_rows` gives them:
/// per row its kept hidden channels (ascending) and their regenerated
/// weights.
pub struct RowBlock<'a> {
    /// The first row's index.
    pub start: usize,
    rows: &'a [RowCodes],
    weights: &'a [Vec<f32>],
}

impl<'a> RowBlock<'a> {
    /// Rows in the block.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `start + t`'s kept hidden channels (ascending) and their weights.
    pub fn row(&self, t: usize) -> (&'a [usize], &'a [f32]) {
        (&self.rows[t].1, &self.weights[t])
    }

    /// `(r, kept, weights)` of each row in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'a [usize], &'a [f32])> + '_ {
        (0..self.len()).map(|t| {
            let (kept, w) = self.row(t);
            (self.start + t, kept, w)
        })
    }
}

/// Walks pair `i`'s B rows in order, a block at a time: `visit` gets each
/// block of rows with their codes and the regenerated weights of their
/// kept edges, a block decoded and regenerated on all cores while the
/// previous one is visited.
pub(super) fn walk_rows(
    meta: &TicketMeta,
    i: usize,
    layout: &PairLayout,
    s: &StreamRows<'_>,
    mut visit: impl FnMut(&RowBlock<'_>) + Send,
) -> Result<(), String> {
    let weight = layer_weight(meta, 2 * i + 1);
    let hidden = layout.hidden();
    // Rows `start..`: their codes and kept B weights.
    type Block = (usize, Vec<RowCodes>, Vec<Vec<f32>>);
    let produce = |start: usize| -> Result<Block, String> {
        let rows = layout.read_rows(s, start..(start + ROW_BLOCK).min(layout.rows()))?;
        let weights = rows
            .par_iter()
            .enumerate()
            .map(|(t, (_, kept))| {
                let idx: Vec<u64> = kept.iter().map(|&h| ((start + t) * hidden + h) as u64).collect();
                weights_at(meta.seed, (2 * i + 1) as u64, &idx).into_iter().map(|w| weight(w) as f32).collect()
            })
            .collect();
        Ok((start, rows, weights))
    };
    let mut block = (layout.rows() > 0).then(|| produce(0)).transpose()?;
    while let Some((start, rows, weights)) = block {
        let after = start + ROW_BLOCK;
        let (following, ()) = rayon::join(
            || (after < layout.rows()).then(|| produce(after)).transpose(),
            || visit(&RowBlock { start, rows: &rows, weights: &weights }),
        );
        block = following?;
    }
    Ok(())
}

/// Pair `i`'s part of the weights digest (docs/FORMAT.md), into `fnv` if
/// given: its A layer `a`, its B edge count, then its B edges walked from
/// `stream`, each block of rows also given to `visit`.
#[allow(clippy::too_many_arguments)]
fn digest_pair(
    mut fnv: Option<&mut Fnv>,
    meta: &TicketMeta,
    i: usize,
    layout: &PairLayout,
    stream: &StreamRows<'_>,
    a: &SparseLayer,
    kept_b: u64,
    mut visit: impl FnMut(&RowBlock<'_>) + Send,
) -> Result<(), String> {
    if let Some(f) = fnv.as_deref_mut() {
        f.eat_layer(a);
        f.eat(&kept_b.to_le_bytes());
    }
    walk_rows(meta, i, layout, stream, |block| {
        visit(block);
        if let Some(f) = fnv.as_deref_mut() {
            for (r, kept, weights) in block.iter() {
                for (&h, &w) in kept.iter().zip(weights) {
                    f.eat_edge(r as u32, h as u32, w);
                }
            }
        }
    })
}

/// Pair `i`'s stream held as choices, checked to fit its layout.
fn stream_of<'a>(i: usize, layout: &PairLayout, ch: &'a PairChoices) -> Result<StreamRows<'a>, String> {
    if ch.used.len() != layout.hidden() || ch.row_starts.len() != layout.rows() + 1 {
        return Err(format!("pair {i}: choices of another shape"));
    }
    Ok(StreamRows { bytes: &ch.ranks, golomb: Some(0), starts: &ch.row_starts })
}

/// [`super::compact_bytes`] of a constructed ticket held as choices (one
/// [`PairChoices`] per pair of `meta`, as the streamed build keeps them):
/// the same bytes, made row block by row block from the subset streams
/// and the regenerated weights, never holding the kept edges (except for
/// a pair whose subset ranks are not the smaller encoding, whose B mask is
/// made from its indices). Errors on choices that do not fit the metadata.
pub fn compact_bytes_of_choices(meta: &TicketMeta, choices: &[&PairChoices]) -> Result<Vec<u8>, String> {
    if choices.len() != meta.pairs.len() {
        return Err(format!("{} pairs of choices for {} pairs", choices.len(), meta.pairs.len()));
    }
    let shapes = random_shapes(meta);
    let len = |l: usize| shapes[l][0] * shapes[l][1];
    let mut fnv = Fnv::new();
    let mut masks: Vec<(&str, Vec<u8>)> = Vec::new();
    for (i, ch) in choices.iter().enumerate() {
        let layout = PairLayout::new(meta, i);
        let hidden = layout.hidden();
        let stream = stream_of(i, &layout, ch)?;
        let used: Vec<usize> = (0..hidden).filter(|&h| ch.used[h]).collect();
        let a_idx = layout.a_indices(&used);
        let a = regenerate_layer(meta, 2 * i, &a_idx);
        // B: beside the digest, its delta code's length, how often each
        // code value occurs (the exponential-Golomb order) and the length
        // of its `subset-ranks` stream (`None` if some choice is not a
        // κ-subset).
        let (mut deltas, mut next, mut counts) = (0usize, 0u64, HashMap::new());
        let row_counts = layout.row_counts();
        let mut fixed_bits = Some(0u64);
        digest_pair(Some(&mut fnv), meta, i, &layout, &stream, &a, ch.kept_b, |block| {
            count_values(&mut counts, block);
            fixed_bits = fixed_bits.zip(fixed_len(&row_counts, block)).map(|(a, b)| a + b);
            for (r, kept, _) in block.iter() {
                for &h in kept {
                    let idx = (r * hidden + h) as u64;
                    deltas += varint_len(idx - next);
                    next = idx + 1;
                }
            }
        })?;
        let plain_a = plain_choice(len(2 * i), deltas_len(&a_idx));
        let plain_b = plain_choice(len(2 * i + 1), deltas);
        let mut counts: Vec<(u64, u64)> = counts.into_iter().collect();
        counts.sort_unstable();
        let (g, eg_bits) = golomb_order(&counts);
        let (golomb, ranks_bits) = shorter_stream(eg_bits, fixed_bits);
        let ranks_len = ranks_bits.div_ceil(8) as usize;
        if ranks_len < plain_a.1 + plain_b.1 {
            masks.push(("from-b", Vec::new()));
            masks.push(if golomb {
                (layout.encoding(true), golomb_stream(&layout, &stream, g)?)
            } else {
                (layout.encoding(false), fixed_stream(&layout, &stream, &row_counts)?)
            });
        } else {
            let mut b_idx = Vec::new();
            for (r, (_, kept)) in layout.read_rows(&stream, 0..layout.rows())?.into_iter().enumerate() {
                b_idx.extend(kept.into_iter().map(|h| (r * hidden + h) as u64));
            }
            masks.push(plain_mask(plain_a.0, &a_idx, len(2 * i)));
            masks.push(plain_mask(plain_b.0, &b_idx, len(2 * i + 1)));
        }
    }
    Ok(pack_file(meta, masks, fnv.hex()))
}

/// The weights digest of a ticket held as choices (as
/// [`super::weights_digest`] of its runnable network), and each pair's A
/// layer, read row block by row block.
fn digest_of_choices(meta: &TicketMeta, choices: &[&PairChoices]) -> Result<(String, Vec<SparseLayer>), String> {
    let mut fnv = Fnv::new();
    let mut a_layers = Vec::new();
    for (i, ch) in choices.iter().enumerate() {
        let layout = PairLayout::new(meta, i);
        let stream = stream_of(i, &layout, ch)?;
        let used: Vec<usize> = (0..layout.hidden()).filter(|&h| ch.used[h]).collect();
        let a = regenerate_layer(meta, 2 * i, &layout.a_indices(&used));
        digest_pair(Some(&mut fnv), meta, i, &layout, &stream, &a, ch.kept_b, |_| {})?;
        a_layers.push(a);
    }
    Ok((fnv.hex(), a_layers))
}

/// [`super::full_bytes`] of a constructed ticket held as choices, written
/// to `path` atomically: the same bytes, made row block by row block (the
/// digest, then per layer its indices and its values, each B layer walked
/// from its stream), never holding the kept edges. Returns the file's
/// length.
pub fn write_full_of_choices(path: &Path, meta: &TicketMeta, choices: &[&PairChoices]) -> crate::Result<u64> {
    use crate::Error;
    if choices.len() != meta.pairs.len() {
        return Err(Error::Invalid(format!("{} pairs of choices for {} pairs", choices.len(), meta.pairs.len())));
    }
    let (digest, a_layers) = digest_of_choices(meta, choices).map_err(Error::Invalid)?;
    let mut specs = Vec::new();
    for (i, (a, ch)) in a_layers.iter().zip(choices).enumerate() {
        let (la, lb) = (2 * (2 * i), 2 * (2 * i + 1));
        specs.push((format!("{la}.indices"), Dtype::I32, vec![a.vals.len(), 2]));
        specs.push((format!("{la}.values"), Dtype::F32, vec![a.vals.len()]));
        if let Some(b) = &a.bias {
            specs.push((format!("{la}.bias"), Dtype::F32, vec![b.len()]));
        }
        specs.push((format!("{lb}.indices"), Dtype::I32, vec![ch.kept_b as usize, 2]));
        specs.push((format!("{lb}.values"), Dtype::F32, vec![ch.kept_b as usize]));
    }
    let header = header_bytes(&specs, metadata(meta, digest, FULL, vec![shapes_entry(meta)]));
    let mut failed: Option<String> = None;
    let written = write_atomic_with(path, |f| {
        f.write_all(&header)?;
        for (i, (a, ch)) in a_layers.iter().zip(choices).enumerate() {
            let ints = a.rows.iter().zip(&a.cols).flat_map(|(&r, &c)| [r as i32, c as i32]);
            f.write_all(&ints.flat_map(i32::to_le_bytes).collect::<Vec<u8>>())?;
            f.write_all(&f32_bytes(&a.vals))?;
            if let Some(b) = &a.bias {
                f.write_all(&f32_bytes(b))?;
            }
            // B's indices, then its values: two walks of its stream.
            let layout = PairLayout::new(meta, i);
            let stream = StreamRows { bytes: &ch.ranks, golomb: Some(0), starts: &ch.row_starts };
            // (Its shape was checked by the digest's walk.)
            for values in [false, true] {
                let mut error = None;
                let walked = walk_rows(meta, i, &layout, &stream, |block| {
                    for (r, kept, weights) in block.iter() {
                        let bytes: Vec<u8> = if values {
                            f32_bytes(weights)
                        } else {
                            kept.iter().flat_map(|&h| [r as i32, h as i32]).flat_map(i32::to_le_bytes).collect()
                        };
                        if error.is_none() {
                            error = f.write_all(&bytes).err();
                        }
                    }
                });
                if let Err(e) = walked {
                    failed = Some(e);
                    return Err(std::io::Error::other("the subset stream does not fit the metadata"));
                }
                if let Some(e) = error {
                    return Err(e);
                }
            }
        }
        Ok(())
    });
    match (written, failed) {
        (_, Some(e)) => Err(Error::Invalid(e)),
        (Err(e), None) => Err(Error::write(path, e)),
        (Ok(()), None) => std::fs::metadata(path).map(|m| m.len()).map_err(|e| Error::read(path, e)),
    }
}

/// The length in bits of the `subset-ranks` codes of `block`'s rows, whose
/// instances number `counts` κ-subsets each, or `None` if some choice is
/// not a κ-subset.
fn fixed_len(counts: &[Option<u64>], block: &RowBlock<'_>) -> Option<u64> {
    block
        .rows
        .par_iter()
        .map(|(values, _)| values.iter().zip(counts).map(|(&v, &count)| fixed_bits(v, count)).sum::<Option<u64>>())
        .sum()
}

/// The `subset-ranks` stream of a pair's rows, whose every choice is a
/// κ-subset (`counts` as [`fixed_len`]'s).
fn fixed_stream(layout: &PairLayout, s: &StreamRows<'_>, counts: &[Option<u64>]) -> Result<Vec<u8>, String> {
    let mut w = BitWriter::default();
    for start in (0..layout.rows()).step_by(ROW_BLOCK) {
        let rows = layout.read_values(s, start..(start + ROW_BLOCK).min(layout.rows()))?;
        for values in &rows {
            for (&v, &count) in values.iter().zip(counts) {
                write_fixed(&mut w, v, count).ok_or("a choice that is not a κ-subset in a `subset-ranks` stream")?;
            }
        }
    }
    Ok(w.finish())
}

/// The `subset-ranks-eg` stream of order `g` of a pair's rows.
fn golomb_stream(layout: &PairLayout, s: &StreamRows<'_>, g: u32) -> Result<Vec<u8>, String> {
    let mut w = BitWriter::default();
    w.write(u64::from(g), 6);
    for start in (0..layout.rows()).step_by(ROW_BLOCK) {
        let rows = layout.read_values(s, start..(start + ROW_BLOCK).min(layout.rows()))?;
        let codes: Vec<BitWriter> = rows
            .par_iter()
            .map(|values| {
                let mut c = BitWriter::default();
                values.iter().for_each(|&v| c.write_exp_golomb(v, g));
                c
            })
            .collect();
        codes.iter().for_each(|c| w.append(c));
    }
    Ok(w.finish())
}

/// A compact ticket whose every pair is stored as subset ranks, read
/// without its kept edges: its metadata, the digest it records, and per
/// pair its stream (its kept edges and weights follow from these and the
/// seed, row by row, through `CompactStreams::walk_pair`).
pub struct CompactStreams {
    /// The metadata.
    pub meta: TicketMeta,
    /// The weights digest the file records, if any.
    pub recorded_digest: Option<String>,
    pairs: Vec<PairStream>,
}

impl std::fmt::Debug for CompactStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes: usize = self.pairs.iter().map(|p| p.bytes.len()).sum();
        write!(f, "CompactStreams {{ widths: {:?}, stream bytes: {bytes} }}", self.meta.target_widths)
    }
}

/// One pair of a [`CompactStreams`]: its layout, its stream's bytes and
/// code, and where each row starts.
struct PairStream {
    layout: PairLayout,
    bytes: Vec<u8>,
    golomb: Option<u32>,
    starts: Vec<u64>,
}

/// What [`CompactStreams::walk`] gives per pair.
pub struct PairWalk<'a> {
    /// The pair's A layer as it runs (layer 0's constant column folded into
    /// its bias).
    pub a: &'a SparseLayer,
    /// Per hidden channel, its A weight a_h as an f64 (0 where not kept).
    pub a_weights: &'a [f64],
    /// Block size 2n: hidden channel h reads input channel h / 2n.
    pub two_n: usize,
}

impl CompactStreams {
    /// Reads the compact ticket at `path` if it is one whose every pair is
    /// subset-rank coded (as `sslth build --compact` writes large
    /// tickets); `Ok(None)` for any other ticket (read it whole).
    pub fn read(path: &Path) -> Result<Option<CompactStreams>, ModelError> {
        let p = path.display().to_string();
        // The header alone decides (a full ticket of 10⁸ weights is 6 GB);
        // a file that is not one is left to the whole reader's errors.
        let Some(md) = header_metadata(path) else { return Ok(None) };
        if md.get("format").map(String::as_str) != Some(COMPACT) {
            return Ok(None);
        }
        let meta = super::ticket_read::read_meta(&p, &md)?;
        let encodings: Vec<String> = md.get("masks").and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let ranked = |i: usize| {
            encodings.get(2 * i).map(String::as_str) == Some("from-b")
                && encodings.get(2 * i + 1).is_some_and(|e| crate::ticket::SubsetOrder::of_encoding(e).is_some())
        };
        if meta.pairs.is_empty() || encodings.len() != 2 * meta.pairs.len() || !(0..meta.pairs.len()).all(ranked) {
            return Ok(None);
        }
        let bytes = read_safetensors(path)?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| super::safetensors::format_error(&bytes, &p, e))?;
        let mut pairs = Vec::new();
        for i in 0..meta.pairs.len() {
            // Random layer l is module 2l: A of pair i is 4i, B is 4i + 2.
            let bad = |e: String| ModelError::Format(p.clone(), format!("layer {}: {e}", 4 * i + 2));
            let name = format!("{}.mask", 4 * i + 2);
            let data = st.tensor(&name).map_err(|_| bad(format!("missing tensor {name}")))?.data().to_vec();
            let empty = st.tensor(&format!("{}.mask", 4 * i)).map(|t| t.data().is_empty()).unwrap_or(false);
            if !empty {
                return Err(bad("'from-b' must be an empty A mask".into()));
            }
            let layout = PairLayout::new(&meta, i);
            let golomb = match layout.golomb_of(&encodings[2 * i + 1]).map_err(bad)? {
                true => Some(BitReader::new(&data).read(6).map_err(bad)? as u32),
                false => None,
            };
            let starts = layout.row_starts(&data, golomb).map_err(bad)?;
            pairs.push(PairStream { layout, bytes: data, golomb, starts });
        }
        Ok(Some(CompactStreams { recorded_digest: md.get(DIGEST_KEY).cloned(), meta, pairs }))
    }

    /// Walks every pair in order ([`PairVisitor`]) and, if `digest`,
    /// returns the weights digest of what it walked (docs/FORMAT.md), to
    /// compare with the recorded one.
    pub fn walk(&self, v: &mut impl PairVisitor, digest: bool) -> Result<Option<String>, String> {
        let mut fnv = digest.then(Fnv::new);
        for (i, PairStream { layout, bytes, golomb, starts }) in self.pairs.iter().enumerate() {
            let stream = StreamRows { bytes, golomb: *golomb, starts };
            // A keeps exactly the hidden channels some B edge uses: a first
            // pass decodes the rows only.
            let mut used = vec![false; layout.hidden()];
            let mut kept_b = 0u64;
            for start in (0..layout.rows()).step_by(ROW_BLOCK) {
                for (_, kept) in layout.read_rows(&stream, start..(start + ROW_BLOCK).min(layout.rows()))? {
                    kept.iter().for_each(|&h| used[h] = true);
                    kept_b += kept.len() as u64;
                }
            }
            let used: Vec<usize> = (0..layout.hidden()).filter(|&h| used[h]).collect();
            let a_idx = layout.a_indices(&used);
            let a = regenerate_layer(&self.meta, 2 * i, &a_idx);
            let mut a_weights = vec![0.0; layout.hidden()];
            for (&h, w) in used.iter().zip(weights_at(self.meta.seed, 2 * i as u64, &a_idx)) {
                a_weights[h] = f64::from(w as f32);
            }
            v.pair(i, &PairWalk { a: &a, a_weights: &a_weights, two_n: 2 * self.meta.pairs[i].n })?;
            digest_pair(fnv.as_mut(), &self.meta, i, layout, &stream, &a, kept_b, |block| v.rows(i, block))?;
            v.end(i)?;
        }
        Ok(fnv.map(|f| f.hex()))
    }
}

/// What [`CompactStreams::walk`] calls, pair by pair in order: `pair` with
/// its A layer, `rows` for each block of B rows in order, then `end`.
pub trait PairVisitor: Send {
    /// Pair i begins.
    fn pair(&mut self, i: usize, walk: &PairWalk<'_>) -> Result<(), String>;
    /// The next block of pair i's B rows.
    fn rows(&mut self, i: usize, block: &RowBlock<'_>);
    /// Pair i is done.
    fn end(&mut self, i: usize) -> Result<(), String>;
}
