//! A compact ticket of subset streams ([`CompactStreams`]) run on a batch
//! without holding its kept edges, and read whole when a caller needs the
//! edges themselves.
//!
//! [`CompactStreams::forward_batch`] walks the file once, pair by pair and
//! row block by row block (the blocks decoded and their weights
//! regenerated on all cores while the previous block runs), with the
//! batch's activations in memory by lane blocks of 64 batch rows
//! ([`Lanes`]): each output row of a pair's B is summed on a lane block
//! from its kept edges ([`b_row`]), (lane block, run of rows) tasks shared
//! among the cores. Memory: the batch's input and output of one pair and
//! two blocks of rows, whatever the number of kept edges.

use super::safetensors::{header_metadata, ModelError};
use super::streams::{CompactStreams, PairVisitor, PairWalk, RowBlock};
use super::ticket_read::LoadedTicket;
use crate::ticket::pair_forward::{b_row, HiddenUnits, Lanes, LANES};
use crate::ticket::{net_of, random_shapes, SparseLayer, TicketMeta};
use rayon::prelude::*;
use std::path::Path;

/// Whether a ticket's network is dense (identity bases, one point, no
/// pooling): the networks [`CompactStreams::forward_batch`] runs.
fn dense(m: &TicketMeta) -> bool {
    m.points == 1 && m.pool_after.is_none() && m.ops.is_empty() && (0..m.pairs.len()).all(|i| m.basis(i).is_identity())
}

impl CompactStreams {
    /// Whether the network is dense ([`CompactStreams::forward_batch`]
    /// runs only these).
    pub fn is_dense(&self) -> bool {
        dense(&self.meta)
    }

    /// [`CompactStreams::read`] of a dense ticket, `Ok(None)` for any other
    /// file: the header decides before the file is read.
    pub fn read_dense(path: &Path) -> Result<Option<CompactStreams>, ModelError> {
        let meta = header_metadata(path).and_then(|md| serde_json::from_str::<TicketMeta>(md.get("sslth")?).ok());
        if !meta.is_some_and(|m| dense(&m)) {
            return Ok(None);
        }
        Ok(CompactStreams::read(path)?.filter(CompactStreams::is_dense))
    }

    /// Input width.
    pub fn d_in(&self) -> usize {
        self.meta.target_widths.first().copied().unwrap_or(0) * self.meta.points
    }

    /// Outputs for a batch (row-major `rows × d_in`), row-major: the bits
    /// of [`crate::ticket::SparseNet::forward_batch`] on the ticket read
    /// whole, computed row block by row block (see the module docs).
    /// Errors on a network that is not dense, inputs of another width, and
    /// a stream that does not fit the metadata.
    pub fn forward_batch(&self, inputs: &[f32], rows: usize) -> Result<Vec<f32>, String> {
        if !self.is_dense() {
            return Err("only a dense ticket runs from its subset streams".into());
        }
        let d = self.d_in();
        if inputs.len() != rows * d {
            return Err(format!("{} inputs are not {rows} rows of {d}", inputs.len()));
        }
        if rows == 0 {
            return Ok(Vec::new());
        }
        let act = Lanes::from_rows(inputs, rows, d);
        let (shapes, last) = (random_shapes(&self.meta), self.meta.pairs.len() - 1);
        let mut run = Forward { rows, shapes, act, out: None, units: None, last };
        self.walk(&mut run, false)?;
        Ok(run.act.to_rows(rows))
    }

    /// The whole ticket, as [`super::read_ticket`] reads the file: every
    /// kept edge in memory (for callers that need the edges themselves).
    pub fn to_ticket(&self) -> Result<LoadedTicket, String> {
        let mut all = Collect { shapes: random_shapes(&self.meta), layers: Vec::new() };
        self.walk(&mut all, false)?;
        let net = net_of(&self.meta, all.layers);
        Ok(LoadedTicket { net, meta: self.meta.clone(), compact: true })
    }
}

/// The walk of [`CompactStreams::forward_batch`]: the batch's input to the
/// current pair and its output so far, by lane blocks ([`Lanes`]).
struct Forward {
    rows: usize,
    shapes: Vec<[usize; 2]>,
    act: Lanes,
    out: Option<Lanes>,
    units: Option<HiddenUnits>,
    last: usize,
}

/// Output rows per task of [`Forward`] (with one lane block of 64 batch
/// rows, 8 tasks per block of 256 rows of B).
const TASK_ROWS: usize = 32;

impl PairVisitor for Forward {
    fn pair(&mut self, i: usize, walk: &PairWalk<'_>) -> Result<(), String> {
        let units = HiddenUnits::new(walk.a).map_err(|e| format!("pair {i}: {e}"))?;
        if units.d_in() != self.act.channels() {
            return Err(format!("pair {i} reads {} channels, not the {} before it", units.d_in(), self.act.channels()));
        }
        self.units = Some(units);
        self.out = Some(Lanes::zeros(self.rows, self.shapes[2 * i + 1][0]));
        Ok(())
    }

    fn rows(&mut self, i: usize, block: &RowBlock<'_>) {
        let relu = i < self.last;
        let units = self.units.as_ref().expect("pair() came first");
        let out = self.out.as_mut().expect("pair() came first");
        let rows = block.start..block.start + block.len();
        // Tasks: (lane block, a run of rows of this block), each writing
        // its rows' values in its lane block of the output.
        let mut tasks = Vec::new();
        for (input, output) in self.act.blocks().zip(out.blocks_mut()) {
            let mine = &mut output[rows.start * LANES..rows.end * LANES];
            for (t, part) in mine.chunks_mut(TASK_ROWS * LANES).enumerate() {
                tasks.push((input, t * TASK_ROWS, part));
            }
        }
        tasks.into_par_iter().for_each(|(input, first, part)| {
            for (t, dst) in part.chunks_exact_mut(LANES).enumerate() {
                b_row(units, input, block.row(first + t), dst, relu);
            }
        });
    }

    fn end(&mut self, _: usize) -> Result<(), String> {
        self.act = self.out.take().expect("pair() came first");
        Ok(())
    }
}

/// The walk of [`CompactStreams::to_ticket`]: every layer's kept edges.
struct Collect {
    shapes: Vec<[usize; 2]>,
    layers: Vec<SparseLayer>,
}

impl PairVisitor for Collect {
    fn pair(&mut self, i: usize, walk: &PairWalk<'_>) -> Result<(), String> {
        let [d_out, d_in] = self.shapes[2 * i + 1];
        let basis = walk.a.basis;
        self.layers.push(walk.a.clone());
        self.layers.push(SparseLayer { d_out, d_in, rows: vec![], cols: vec![], vals: vec![], bias: None, basis });
        Ok(())
    }

    fn rows(&mut self, _: usize, block: &RowBlock<'_>) {
        let b = self.layers.last_mut().expect("pair() came first");
        for (r, kept, weights) in block.iter() {
            b.rows.extend(std::iter::repeat_n(r as u32, kept.len()));
            b.cols.extend(kept.iter().map(|&h| h as u32));
            b.vals.extend_from_slice(weights);
        }
    }

    fn end(&mut self, _: usize) -> Result<(), String> {
        Ok(())
    }
}
