//! A constructed pair of a dense ticket run without holding its hidden
//! layer, for tickets too large to hold whole (read row block by row block
//! from their subset streams).
//!
//! Hidden channel h of a pair reads one input channel c(h) with its A
//! weight a_h (or, in the first layer of a target with biases, only the
//! folded bias). [`SparseNet::forward_batch`](super::SparseNet) computes
//! it as init_h + a_h·x_c (init_h the bias, else 0), applies ReLU, then
//! sums B's kept edges w·(hidden) of an output row in edge order from 0.
//! [`b_row`] does the same operations in the same order per edge, so the
//! outputs have the same bits, with memory for the pair's input and output
//! only: the hidden layer is 2n times as wide as the input, and recomputing
//! a hidden value costs two operations more per edge than reading it.

use super::SparseLayer;

/// A pair's A layer per hidden channel: the input channel it reads (the
/// input's width, for a channel whose value is its bias alone: a constant
/// channel of ones), its weight, and the value it starts from (its bias,
/// or 0).
#[derive(Clone, Debug)]
pub struct HiddenUnits {
    col: Vec<u32>,
    a: Vec<f32>,
    init: Vec<f32>,
    d_in: usize,
}

impl HiddenUnits {
    /// The hidden channels of a pair's A layer `a` (dense, at most one edge
    /// per row, as the construction makes them).
    pub fn new(a: &SparseLayer) -> Result<HiddenUnits, String> {
        if !a.basis.is_identity() {
            return Err("a pair run by rows must be dense".into());
        }
        let hidden = a.d_out;
        let ones = a.d_in as u32;
        let mut units =
            HiddenUnits { col: vec![ones; hidden], a: vec![0.0; hidden], init: vec![0.0; hidden], d_in: a.d_in };
        if let Some(bias) = &a.bias {
            // A bias alone is the product bias·1 from the ones channel:
            // 0 + bias·1 = bias exactly.
            units.a.copy_from_slice(bias);
        }
        let mut seen = vec![false; hidden];
        for ((&r, &c), &w) in a.rows.iter().zip(&a.cols).zip(&a.vals) {
            let h = r as usize;
            if std::mem::replace(&mut seen[h], true) || c >= ones {
                return Err(format!("hidden channel {h}: two edges, or an input past the layer's, in an A layer"));
            }
            units.init[h] = units.a[h];
            units.col[h] = c;
            units.a[h] = w;
        }
        Ok(units)
    }

    /// Input channels, the ones channel not counted.
    pub fn d_in(&self) -> usize {
        self.d_in
    }
}

/// Batch rows per lane block of [`Lanes`].
pub const LANES: usize = 64;

/// A batch's activations by lane block: block L holds batch rows
/// 64L..64L + 63 (rows past the batch are zeros), channel after channel,
/// then a channel of ones. A block is what one output row's edges read,
/// so the rows of a pair read one block (a channel's 64 values contiguous)
/// while it stays in cache, instead of gathering from the whole batch.
#[derive(Clone, Debug)]
pub struct Lanes {
    channels: usize,
    data: Vec<f32>,
}

impl Lanes {
    /// `channels` channels of zeros (and the ones channel) for `rows` batch
    /// rows.
    pub fn zeros(rows: usize, channels: usize) -> Lanes {
        let mut data = vec![0.0f32; rows.div_ceil(LANES) * (channels + 1) * LANES];
        for block in data.chunks_exact_mut((channels + 1) * LANES) {
            block[channels * LANES..].fill(1.0);
        }
        Lanes { channels, data }
    }

    /// Row-major `rows × channels` inputs.
    pub fn from_rows(inputs: &[f32], rows: usize, channels: usize) -> Lanes {
        let mut l = Lanes::zeros(rows, channels);
        let span = (channels + 1) * LANES;
        for (r, row) in inputs.chunks_exact(channels.max(1)).enumerate() {
            let block = &mut l.data[r / LANES * span..];
            for (c, &x) in row.iter().enumerate() {
                block[c * LANES + r % LANES] = x;
            }
        }
        l
    }

    /// The first `rows` batch rows, row-major (the ones channel left out).
    pub fn to_rows(&self, rows: usize) -> Vec<f32> {
        let (c, span) = (self.channels, (self.channels + 1) * LANES);
        let mut out = vec![0.0f32; rows * c];
        for (r, row) in out.chunks_exact_mut(c.max(1)).enumerate().take(rows) {
            let block = &self.data[r / LANES * span..];
            for (ch, y) in row.iter_mut().enumerate() {
                *y = block[ch * LANES + r % LANES];
            }
        }
        out
    }

    /// Channels, the ones channel not counted.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The lane blocks, each `(channels + 1) × 64` values.
    pub fn blocks(&self) -> std::slice::ChunksExact<'_, f32> {
        self.data.chunks_exact((self.channels + 1) * LANES)
    }

    /// The lane blocks, mutable.
    pub fn blocks_mut(&mut self) -> std::slice::ChunksExactMut<'_, f32> {
        self.data.chunks_exact_mut((self.channels + 1) * LANES)
    }
}

/// One output row of a pair's B on one lane block: `out[lane]` =
/// Σ_e w_e·ReLU(init_h + a_h·x_{c(h)}\[lane\]) over the row's kept hidden
/// channels `kept` (ascending) and weights `w`, summed in order from 0,
/// then ReLU if `relu`. `block` is a lane block of the pair's input
/// ([`Lanes`]). The 64 sums are kept in registers (hand-written for the
/// reason `super::sparse`'s `accumulate` is), compiled a second time
/// with AVX2 (same operations, no fused multiply-add).
pub fn b_row(units: &HiddenUnits, block: &[f32], (kept, w): (&[usize], &[f32]), out: &mut [f32], relu: bool) {
    #[inline(always)]
    fn plain(u: &HiddenUnits, block: &[f32], kept: &[usize], w: &[f32], out: &mut [f32], relu: bool) {
        let mut acc = [0.0f32; LANES];
        for (&h, &wt) in kept.iter().zip(w) {
            let (init, a) = (u.init[h], u.a[h]);
            let start = u.col[h] as usize * LANES;
            let src: &[f32; LANES] = block[start..start + LANES].try_into().expect("64 lanes");
            for (y, &x) in acc.iter_mut().zip(src) {
                *y += wt * (init + a * x).max(0.0);
            }
        }
        for (o, &y) in out.iter_mut().zip(&acc) {
            *o = if relu { y.max(0.0) } else { y };
        }
    }
    assert!(kept.len() == w.len() && out.len() == LANES && block.len() == (units.d_in + 1) * LANES);
    crate::simd::avx2_or_plain!(
        fn(units: &HiddenUnits, block: &[f32], kept: &[usize], w: &[f32], out: &mut [f32], relu: bool) -> () {
            plain(units, block, kept, w, out, relu)
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_hold_the_rows_they_are_given_and_a_channel_of_ones() {
        for (rows, channels) in [(1, 3), (64, 2), (65, 5), (130, 1), (3, 0)] {
            let x: Vec<f32> = (0..rows * channels).map(|i| i as f32 - 7.5).collect();
            let l = Lanes::from_rows(&x, rows, channels);
            assert_eq!(l.to_rows(rows), x);
            assert_eq!(l.blocks().len(), rows.div_ceil(LANES));
            for block in l.blocks() {
                assert!(block[channels * LANES..].iter().all(|&v| v == 1.0));
            }
        }
    }
}
