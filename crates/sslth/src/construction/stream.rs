//! The build that holds no kept edge (for targets of 10⁸ weights): the
//! same engine, rows and repair as [`super::build()`], but each block of
//! rows is reduced as soon as it is built to what the ticket needs — its
//! instances' choices as a stream of numbers ([`PairChoices`], about
//! 20 bits per instance) and the rows of the error E⁺ = C − Ĉ⁺ (and E⁻
//! where a channel can be negative) — and each pair is certified
//! ([`certify_layer`]) before the next is built, so that memory holds the
//! target, the streams and one layer's errors, never the kept edges. The
//! file written from it is the one [`super::build()`]'s ticket gives, byte
//! for byte (tested).

use super::build::{next_n, pair_spec, repair_sequence, ticket_meta, Step, REPAIRS, ROWS_PER_CHECK};
use super::certificate::{certify_layer, finish_certificate, target_norm, Certificate, LayerCertificate};
use super::engine::{block_edges, build_rows, pair_blocks, random_edges, PairSize, PairSpec, RowResult};
use super::sizing::LayerPlan;
use crate::net::Network;
use crate::ticket::subsets::{largest_size, Binomials, BitWriter};
use crate::ticket::{sides, PairChoices, PairMeta, SubsetOrder, TicketMeta};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// One pair as the streamed build keeps it.
#[derive(Clone, Debug)]
pub struct StreamedPair {
    /// Sizes used (n raised by any repair).
    pub size: PairSize,
    /// Basis size, output and input channels of the target layer.
    pub basis: usize,
    /// Elements of A's basis.
    pub a_size: usize,
    /// Output channels.
    pub d_out: usize,
    /// Input channels.
    pub d_in: usize,
    /// The kept edges, as choices.
    pub choices: PairChoices,
    /// RFSS instances solved.
    pub instances: u64,
    /// Instances with no k-subset within tolerance.
    pub misses: u64,
    /// Largest |C − Ĉ±| over all coefficients and sides.
    pub max_weight_error: f64,
    /// The layer's certificate.
    pub certificate: LayerCertificate,
}

impl StreamedPair {
    /// What the ticket file records of the pair.
    pub fn meta(&self) -> PairMeta {
        let PairSize { n, k, scale, subsets } = self.size;
        PairMeta { n, k, scale, d_in: self.d_in, rows: self.basis * self.d_out, subsets }
    }
}

/// A ticket built by [`build_streamed`].
#[derive(Clone, Debug)]
pub struct StreamedTicket {
    /// Seed of the random network.
    pub seed: u64,
    /// Whether the first layer assumed x ≥ 0.
    pub nonneg_input: bool,
    /// The pairs, input first.
    pub pairs: Vec<StreamedPair>,
    /// The certified bound (the same as [`super::Ticket::certificate`]'s).
    pub certificate: Certificate,
    /// Time spent certifying, inside the build.
    pub certify_time: Duration,
}

impl StreamedTicket {
    /// Edges of the whole random network.
    pub fn random_edges(&self) -> u64 {
        self.pairs.iter().map(|p| random_edges(p.a_size, p.basis, 2 * p.size.n * p.d_in, p.d_in, p.d_out)).sum()
    }

    /// Edges kept.
    pub fn kept_edges(&self) -> u64 {
        self.pairs.iter().map(|p| p.choices.kept_a() + p.choices.kept_b).sum()
    }

    /// Edges of the pairs' blocks alone.
    pub fn block_edges(&self) -> u64 {
        self.pairs.iter().map(|p| block_edges(p.basis, 2 * p.size.n * p.d_in, p.d_out)).sum()
    }

    /// RFSS instances solved and those that missed their tolerance.
    pub fn instances(&self) -> (u64, u64) {
        (self.pairs.iter().map(|p| p.instances).sum(), self.pairs.iter().map(|p| p.misses).sum())
    }

    /// Density: kept / all edges of the random network.
    pub fn density(&self) -> f64 {
        self.kept_edges() as f64 / self.random_edges() as f64
    }

    /// What the ticket file records besides its weights, as
    /// [`super::Ticket::meta`] writes it.
    pub fn meta(&self, net: &Network, input_scale: Option<f64>) -> TicketMeta {
        let counts = (self.kept_edges(), self.random_edges(), self.instances().1);
        let pairs = self.pairs.iter().map(StreamedPair::meta).collect();
        ticket_meta(net, self.seed, self.nonneg_input, pairs, counts, self.certificate.bound, input_scale, None)
    }
}

/// Whether every pair of `plans`, at any n its repair could reach, has
/// sides whose choices a 64-bit number holds: Σ C(2n, s) over the sizes an
/// instance may use fits in u64 (a side holds at most the 2n neurons of
/// its block).
pub fn streamable(plans: &[LayerPlan]) -> bool {
    plans.iter().all(|p| {
        let mut n = p.size.n;
        if p.repair {
            (0..REPAIRS).for_each(|_| n = next_n(n));
        }
        let k = p.size.k;
        Binomials::new(2 * n, largest_size(k).min(2 * n)).choices(p.size.subsets, k, 2 * n).is_some()
    })
}

/// Builds and certifies the ticket of a planned target as
/// [`super::build()`] and [`super::Ticket::certificate`] do, keeping choices
/// instead of edges. `Ok(None)`: interrupted by `progress`; an error when a
/// side has more subsets than a 64-bit rank holds (such a ticket is built
/// whole, and its file keeps bit masks for that pair).
pub fn build_streamed(
    net: &Network,
    plans: &[LayerPlan],
    seed: u64,
    nonneg_input: bool,
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Option<StreamedTicket>, String> {
    net.structure()?;
    let mut pairs = Vec::with_capacity(plans.len());
    let mut certify_time = Duration::ZERO;
    for (i, p) in plans.iter().enumerate() {
        let mut spec = pair_spec(p, i, seed);
        // ‖C‖ first, while no error matrix is held.
        let t = Instant::now();
        let layer = p.target_layer();
        let norm = target_norm(&layer);
        certify_time += t.elapsed();
        // As in `build`: an attempt that one miss sends to the next n stops
        // at its first missed block of rows.
        let streamed = repair_sequence(p, |n, _, doomed| {
            spec.size.n = n;
            stream_attempt(&spec, doomed, progress).map(|step| match step {
                Step::Built(misses, rows) => Step::Built(misses, (spec.size, rows)),
                Step::Missed => Step::Missed,
                Step::Interrupted => Step::Interrupted,
            })
        })?;
        let Some((size, rows)) = streamed else { return Ok(None) };
        let t = Instant::now();
        let certificate = certify_layer(&layer, || norm, rows.e_pos, rows.e_neg);
        certify_time += t.elapsed();
        pairs.push(StreamedPair {
            size,
            basis: p.target.basis,
            a_size: p.target.a_size,
            d_out: p.target.d_out,
            d_in: p.target.d_in,
            choices: rows.choices,
            instances: rows.instances,
            misses: rows.misses,
            max_weight_error: rows.max_err,
            certificate,
        });
    }
    let layers = pairs.iter().map(|p| p.certificate.clone()).collect();
    let certificate = finish_certificate(net, nonneg_input, layers);
    Ok(Some(StreamedTicket { seed, nonneg_input, pairs, certificate, certify_time }))
}

/// A pair's rows reduced to what the ticket needs.
struct Reduced {
    choices: PairChoices,
    e_pos: Vec<f64>,
    e_neg: Vec<f64>,
    instances: u64,
    misses: u64,
    max_err: f64,
}

/// Builds the rows of `spec`'s pair block by block, reducing each block
/// to choices and errors; with `stop_on_miss`, stops after the first
/// block that holds a miss.
fn stream_attempt(
    spec: &PairSpec<'_>,
    stop_on_miss: bool,
    progress: &(dyn Fn() -> bool + Sync),
) -> Result<Step<Reduced>, String> {
    let c = spec.target;
    let k = spec.size.k;
    let two_n = 2 * spec.size.n;
    let blocks = pair_blocks(spec);
    // Where each hidden neuron sits in its side, and each side's size.
    let mut place = vec![(0u8, 0u32); two_n * c.d_in];
    let mut sizes = Vec::with_capacity(c.d_in);
    let largest = blocks.iter().flatten().map(Vec::len).max().unwrap_or(0);
    let binomials = Binomials::new(largest, largest_size(k).min(largest));
    for block in &blocks {
        for (s, side) in block.iter().enumerate() {
            for (pos, &(h, _)) in side.iter().enumerate() {
                place[h as usize] = (s as u8, pos as u32);
            }
            let m = side.len();
            binomials.choices(spec.size.subsets, k, m).ok_or_else(|| {
                format!("pair {}: the choices of a side of {m} are beyond a 64-bit number", spec.layer)
            })?;
        }
        sizes.push(block.each_ref().map(Vec::len));
    }
    let rows = c.rows();
    let negative = spec.nonneg.iter().any(|&nn| !nn);
    let mut out = Reduced {
        choices: PairChoices {
            ranks: Vec::new(),
            row_starts: Vec::with_capacity(rows + 1),
            used: vec![false; two_n * c.d_in],
            kept_b: 0,
        },
        e_pos: Vec::with_capacity(rows * c.d_in),
        e_neg: if negative { Vec::with_capacity(rows * c.d_in) } else { Vec::new() },
        instances: 0,
        misses: 0,
        max_err: 0.0,
    };
    let mut stream = BitWriter::default();
    // As many rows at a time as `build` checks for misses: their edges are
    // all that is held before they are reduced.
    let chunk = ROWS_PER_CHECK;
    for start in (0..rows).step_by(chunk) {
        let end = (start + chunk).min(rows);
        let Some(part) = build_rows(spec, &blocks, start..end, progress) else {
            return Ok(Step::Interrupted);
        };
        let codes: Vec<BitWriter> = part
            .par_iter()
            .map(|row| code_row(row, &place, &sizes, (k, spec.size.subsets, two_n), &spec.nonneg, &binomials))
            .collect();
        for (r, (row, code)) in (start..end).zip(part.iter().zip(&codes)) {
            out.choices.row_starts.push(stream.bits());
            stream.append(code);
            for &(h, _) in &row.kept {
                out.choices.used[h as usize] = true;
            }
            out.choices.kept_b += row.kept.len() as u64;
            // E± exactly as `TargetLayer::errors` computes them.
            let coefficients = &c.values[r * c.d_in..(r + 1) * c.d_in];
            out.e_pos.extend(coefficients.iter().zip(&row.pos).map(|(t, a)| t - a));
            if negative {
                let e = coefficients.iter().zip(&row.neg).enumerate();
                out.e_neg.extend(e.map(|(j, (t, a))| if spec.nonneg[j] { 0.0 } else { t - a }));
            }
            out.instances += row.instances;
            out.misses += row.misses;
            out.max_err = out.max_err.max(row.max_err);
        }
        if stop_on_miss && out.misses > 0 {
            return Ok(Step::Missed);
        }
    }
    out.choices.row_starts.push(stream.bits());
    out.choices.ranks = stream.finish();
    Ok(Step::Built(out.misses, out))
}

/// The codes of one row ([`PairChoices`]): per input channel j, per side
/// that exists, 0 for no choice or the number of the chosen positions in
/// the side + 1 (docs/FORMAT.md, "Subset ranks"), in the
/// exponential-Golomb code of order 0. `row.kept` ascends in h, so each
/// block's edges are one run and each side's positions ascend.
fn code_row(
    row: &RowResult,
    place: &[(u8, u32)],
    sizes: &[[usize; 2]],
    (k, order, two_n): (usize, SubsetOrder, usize),
    nonneg: &[bool],
    binomials: &Binomials,
) -> BitWriter {
    let mut w = BitWriter::default();
    let mut chosen: [Vec<usize>; 2] = Default::default();
    let mut at = 0;
    for (j, m) in sizes.iter().enumerate() {
        chosen.iter_mut().for_each(Vec::clear);
        while at < row.kept.len() && row.kept[at].0 as usize / two_n == j {
            let (s, pos) = place[row.kept[at].0 as usize];
            chosen[s as usize].push(pos as usize);
            at += 1;
        }
        for (s, positions) in chosen.iter().enumerate().take(sides(nonneg[j])) {
            let number = if positions.is_empty() {
                0
            } else {
                1 + binomials.number(order, k, m[s], positions).expect("a size the construction uses, numbered in u64")
            };
            w.write_exp_golomb(number, 0);
        }
    }
    w
}
