//! A compact ticket of subset streams ([`CompactStreams`]) run on a batch
//! without holding its kept edges, and read whole when a caller needs the
//! edges themselves.
//!
//! [`CompactStreams::forward_batch`] walks the file once, pair by pair and
//! row block by row block (the blocks decoded and their weights
//! regenerated on all cores while the previous block runs), with the
//! batch's activations in memory: each output row of a pair's B is summed
//! over the batch from its kept edges ([`b_row`]), rows shared among the
//! cores. Memory: the batch's input and output of one pair and two blocks
//! of rows, whatever the number of kept edges.

use super::streams::{CompactStreams, PairVisitor, PairWalk, RowBlock};
use super::ticket_read::LoadedTicket;
use crate::ticket::pair_forward::{b_row, HiddenUnits};
use crate::ticket::{net_of, random_shapes, SparseLayer};
use rayon::prelude::*;

impl CompactStreams {
    /// Whether the network is dense (identity bases, one point, no
    /// pooling): the networks [`CompactStreams::forward_batch`] runs.
    pub fn is_dense(&self) -> bool {
        let m = &self.meta;
        m.points == 1 && m.pool_after.is_none() && (0..m.pairs.len()).all(|i| m.basis(i).is_identity())
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
        // Channel-major, then the constant channel of ones.
        let mut act = vec![1.0f32; (d + 1) * rows];
        for (r, row) in inputs.chunks_exact(d).enumerate() {
            for (c, &x) in row.iter().enumerate() {
                act[c * rows + r] = x;
            }
        }
        let mut run = Forward { b: rows, act, out: Vec::new(), units: None, last: self.meta.pairs.len() - 1 };
        self.walk(&mut run, false)?;
        let width = run.act.len() / rows - 1;
        let mut out = vec![0.0f32; rows * width];
        for (c, channel) in run.act.chunks_exact(rows).take(width).enumerate() {
            for (r, &y) in channel.iter().enumerate() {
                out[r * width + c] = y;
            }
        }
        Ok(out)
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
/// current pair (`act`, channel-major, ones last) and its output so far.
struct Forward {
    b: usize,
    act: Vec<f32>,
    out: Vec<f32>,
    units: Option<HiddenUnits>,
    last: usize,
}

impl PairVisitor for Forward {
    fn pair(&mut self, i: usize, walk: &PairWalk<'_>) -> Result<(), String> {
        let units = HiddenUnits::new(walk.a).map_err(|e| format!("pair {i}: {e}"))?;
        if self.act.len() != (units.d_in() + 1) * self.b {
            return Err(format!(
                "pair {i} reads {} channels, not the {} before it",
                units.d_in(),
                self.act.len() / self.b - 1
            ));
        }
        self.units = Some(units);
        self.out.clear();
        Ok(())
    }

    fn rows(&mut self, i: usize, block: &RowBlock<'_>) {
        let (b, relu) = (self.b, i < self.last);
        let (units, act) = (self.units.as_ref().expect("pair() came first"), &self.act);
        self.out.resize((block.start + block.len()) * b, 0.0);
        self.out[block.start * b..]
            .par_chunks_mut(b)
            .enumerate()
            .for_each(|(t, dst)| b_row(units, act, b, block.row(t), dst, relu));
    }

    fn end(&mut self, _: usize) -> Result<(), String> {
        self.act = std::mem::take(&mut self.out);
        self.act.resize(self.act.len() + self.b, 1.0);
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
