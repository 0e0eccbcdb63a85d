//! The runnable form of a ticket: sparse equivariant layers with ReLU
//! between them (and a mean pooling where the target has one), as stored
//! in a full ticket file (docs/FORMAT.md).
//!
//! A layer over a basis {b_q} of |B| elements stores its kept edges in
//! stacked rows: row q·c_out + o, column j is the coefficient C_q[o, j],
//! and channel o of the output is Σ_q b_q(Σ_j C_q[o, j]·x_j) + bias[o].
//! Dense layers are the case |B| = 1 on one point.

use crate::net::{add_into, Basis, BasisSpec, FixedOp, Pool, Saved};
use rayon::prelude::*;

/// One sparse equivariant layer (see the module docs): the kept edges,
/// sorted by (row, col).
#[derive(Clone, Debug, PartialEq)]
pub struct SparseLayer {
    /// Stacked rows |B|·c_out (the output width of a dense layer).
    pub d_out: usize,
    /// Input channels.
    pub d_in: usize,
    /// Row of each kept edge.
    pub rows: Vec<u32>,
    /// Column of each kept edge.
    pub cols: Vec<u32>,
    /// Weight of each kept edge.
    pub vals: Vec<f32>,
    /// Bias per output channel (first layer of a ticket whose target has
    /// biases: the folded constant-1 input).
    pub bias: Option<Vec<f32>>,
    /// The basis the rows are stacked over.
    pub basis: BasisSpec,
}

impl SparseLayer {
    /// Kept edges, counting non-zero bias entries as edges from the
    /// constant input.
    pub fn kept(&self) -> usize {
        self.vals.len() + self.bias.as_ref().map_or(0, |b| b.iter().filter(|&&v| v != 0.0).count())
    }
}

/// Sparse layers applied in order, each followed by its fixed operations
/// (ReLU, pooling, flatten), on inputs of `d_in` channels × `points`
/// points (channel-major).
#[derive(Clone, Debug, PartialEq)]
pub struct SparseNet {
    /// The layers, input first.
    pub layers: Vec<SparseLayer>,
    /// Points per input channel (1 for dense networks).
    pub points: usize,
    /// The operations after layer l, in order (none after the last).
    pub ops: Vec<Vec<FixedOp>>,
    /// Whether the last channel of every layer's output but the last is
    /// the constant channel that carries a target's biases: a flatten
    /// keeps one value of it (docs/THEORY.md §4.4).
    pub carried: bool,
}

impl SparseNet {
    /// A dense network (one point, identity bases, ReLU between layers).
    pub fn dense(layers: Vec<SparseLayer>) -> SparseNet {
        let ops = (0..layers.len()).map(|l| if l + 1 < layers.len() { vec![FixedOp::Relu] } else { vec![] }).collect();
        SparseNet { layers, points: 1, ops, carried: false }
    }

    /// A constructed ticket's network: pairs of layers (A, B), a ReLU
    /// after each A, and `between[i]` after pair i's B (none after the
    /// last).
    pub fn of_pairs(layers: Vec<SparseLayer>, points: usize, between: &[Vec<FixedOp>], carried: bool) -> SparseNet {
        let ops = (0..layers.len())
            .map(|l| if l % 2 == 0 { vec![FixedOp::Relu] } else { between.get(l / 2).cloned().unwrap_or_default() })
            .collect();
        SparseNet { layers, points, ops, carried }
    }

    /// Values per input row: channels × points.
    pub fn d_in(&self) -> usize {
        self.layers[0].d_in * self.points
    }

    /// Output width.
    pub fn d_out(&self) -> usize {
        self.layers.last().map_or(0, |l| l.d_out / l.basis.size())
    }

    fn is_dense(&self) -> bool {
        let relu_between = self.ops.iter().enumerate().all(|(l, ops)| match ops[..] {
            [] => l + 1 == self.layers.len(),
            [FixedOp::Relu] => l + 1 < self.layers.len(),
            _ => false,
        });
        self.points == 1 && relu_between && self.layers.iter().all(|l| l.basis.is_identity())
    }

    /// The general forward pass, for any basis and pooling: per chunk of
    /// rows, activations are channel-major (`channel × row × point`); the
    /// edges of each stacked row (q, o) are summed pointwise into one map,
    /// which b_q then adds to output channel o (directly when b_q is the
    /// identity), so each kept edge costs one vectorised pass over the
    /// chunk and each basis element one application per row.
    fn forward_equivariant(&self, inputs: &[f32], rows: usize) -> Vec<f32> {
        let d0 = self.d_in();
        assert_eq!(inputs.len(), rows * d0, "inputs must be rows × d_in");
        let bases: Vec<_> = self.layers.iter().map(|l| l.basis.build().expect("a ticket's bases are valid")).collect();
        let grouped: Vec<RowEdges> = self.layers.iter().map(by_row).collect();
        // Each pooling's windows, laid out once for every chunk.
        let pools: Vec<Vec<Option<Pool>>> = self
            .ops
            .iter()
            .map(|ops| {
                ops.iter()
                    .map(|op| match op {
                        FixedOp::Pool(spec) => Some(Pool::new(*spec).expect("a ticket's poolings are valid")),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        // About 2,048 values per channel in a chunk (2 Fashion-MNIST images):
        // on a 1-8-16:10 CNN ticket, 10,000 images ran in 13.8 s against
        // 22.8 s with 8,192 (the activations a B edge reads stay in cache)
        // and 14.5 s with 4,096 or 1,024.
        let chunk = (2048 / self.points).max(1);
        inputs
            .par_chunks(chunk * d0)
            .flat_map_iter(|rows_in| {
                let b = rows_in.len() / d0;
                let mut points = self.points;
                // Values (and their points) set aside at residual forks.
                let mut saved = Saved::new();
                let mut act = regroup(rows_in, b, self.layers[0].d_in, points, true);
                for (i, (l, basis)) in self.layers.iter().zip(&bases).enumerate() {
                    let (mut out, out_points) = stacked_layer(l, basis.as_ref(), &grouped[i], &act, b, points);
                    points = out_points;
                    for (op, pool) in self.ops[i].iter().zip(&pools[i]) {
                        let carried = self.carried && i + 1 < self.layers.len();
                        (out, points) = apply_op(op, pool.as_ref(), (out, points), b, carried, &mut saved);
                    }
                    act = out;
                }
                regroup(&act, b, act.len() / (b * points), points, false)
            })
            .collect()
    }

    /// Runs a batch (row-major `rows × d_in`) on rayon's pool, in chunks of
    /// 128 rows. Inside a chunk activations are channel-major, so each edge
    /// is one vectorised loop over the rows, and each layer's edges are
    /// visited tile by tile of 64 input channels (rows in order within a
    /// tile), so the inputs an edge reads stay in the first-level cache (on
    /// the Fashion-MNIST 784-500-10 ticket of bench/stages.sh, medians of 5:
    /// 128/64 4.86 s, 128/128 5.12 s, 64/256 5.08 s, 128/512 6.42 s).
    /// Output row-major. Networks with other bases or pooling take
    /// `SparseNet::forward_equivariant`.
    pub fn forward_batch(&self, inputs: &[f32], rows: usize) -> Vec<f32> {
        if !self.is_dense() {
            return self.forward_equivariant(inputs, rows);
        }
        const CHUNK: usize = 128;
        let d0 = self.d_in();
        assert_eq!(inputs.len(), rows * d0, "inputs must be rows × d_in");
        let tiled: Vec<Tiled> = self.layers.iter().map(Tiled::new).collect();
        let last = self.layers.len() - 1;
        let chunks: Vec<Vec<f32>> = inputs
            .par_chunks(CHUNK * d0)
            .map(|chunk| {
                let b = chunk.len() / d0;
                let mut act = vec![0.0f32; d0 * b];
                for r in 0..b {
                    for c in 0..d0 {
                        act[c * b + r] = chunk[r * d0 + c];
                    }
                }
                for (i, (l, t)) in self.layers.iter().zip(&tiled).enumerate() {
                    let mut out = vec![0.0f32; l.d_out * b];
                    if let Some(bias) = &l.bias {
                        for (o, &v) in bias.iter().enumerate() {
                            out[o * b..(o + 1) * b].iter_mut().for_each(|y| *y = v);
                        }
                    }
                    accumulate(t, &act, &mut out, b);
                    if i < last {
                        out.iter_mut().for_each(|v| *v = v.max(0.0));
                    }
                    act = out;
                }
                let d = act.len() / b;
                let mut rowmajor = vec![0.0f32; b * d];
                for c in 0..d {
                    for r in 0..b {
                        rowmajor[r * d + c] = act[c * b + r];
                    }
                }
                rowmajor
            })
            .collect();
        chunks.concat()
    }
}

/// One fixed operation on a chunk's activations (channel-major: channel
/// × `b` rows × `points`; `pool` its windows when it is a pooling),
/// returning them and their points per channel.
/// With `carried` the last channel is the constant that carries biases, of
/// which a flatten keeps the first point; `saved` holds what residual
/// forks set aside.
fn apply_op(
    op: &FixedOp,
    pool: Option<&Pool>,
    (mut act, points): (Vec<f32>, usize),
    b: usize,
    carried: bool,
    saved: &mut Saved<(Vec<f32>, usize)>,
) -> (Vec<f32>, usize) {
    match op {
        FixedOp::Relu => {
            act.iter_mut().for_each(|v| *v = v.max(0.0));
            (act, points)
        }
        FixedOp::MeanPool => (act.chunks_exact(points).map(|c| c.iter().sum::<f32>() / points as f32).collect(), 1),
        FixedOp::Pool(_) => {
            let pool = pool.expect("laid out with the operation");
            (act.chunks_exact(points).flat_map(|c| pool.apply(c)).collect(), pool.out_points())
        }
        FixedOp::Flatten => {
            let channels = act.len() / (b * points);
            let kept = if carried { (channels - 1) * points + 1 } else { channels * points };
            let mut flat = vec![0.0f32; kept * b];
            for c in 0..channels {
                for p in 0..points {
                    let to = c * points + p;
                    if to < kept {
                        for r in 0..b {
                            flat[to * b + r] = act[(c * b + r) * points + p];
                        }
                    }
                }
            }
            (flat, 1)
        }
        FixedOp::Fork | FixedOp::Swap | FixedOp::Add => {
            let mut cur = (act, points);
            let branch = op.branch().expect("a branch");
            saved.run_checked(branch, &mut cur, |(v, _), (w, _)| add_into(v, &w));
            cur
        }
    }
}

/// out[r] += w·act[c] over the rows of a chunk (channel-major, `b` rows),
/// for each edge (r, c, w) in the tiled order. A run of edges into one row
/// r is summed in registers, 64 rows of the chunk at a time: each output
/// value still receives its edges' products one by one in edge order, so
/// the bits are those of a plain loop over the edges, with one load per
/// product where the plain loop has two loads and a store (hand-written:
/// the compiler does not keep a run's partial sums out of memory). On
/// x86-64 with AVX2 the same code is compiled a second time with AVX2
/// enabled and chosen at run time: the same operations in the same order
/// (no fused multiply-add), eight lanes instead of four.
fn accumulate(t: &Tiled, act: &[f32], out: &mut [f32], b: usize) {
    #[inline(always)]
    fn plain(t: &Tiled, act: &[f32], out: &mut [f32], b: usize) {
        const LANES: usize = 64;
        for run in t.runs.windows(2) {
            let ((r, from), (_, to)) = (run[0], run[1]);
            let (cols, vals) = (&t.cols[from as usize..to as usize], &t.vals[from as usize..to as usize]);
            let dst = &mut out[r as usize * b..(r as usize + 1) * b];
            let mut lane = 0;
            while lane + LANES <= b {
                let mut acc: [f32; LANES] = dst[lane..lane + LANES].try_into().expect("64 lanes");
                for (&c, &w) in cols.iter().zip(vals) {
                    let start = c as usize * b + lane;
                    let src: &[f32; LANES] = act[start..start + LANES].try_into().expect("64 lanes");
                    for (y, &s) in acc.iter_mut().zip(src) {
                        *y += w * s;
                    }
                }
                dst[lane..lane + LANES].copy_from_slice(&acc);
                lane += LANES;
            }
            if lane < b {
                for (&c, &w) in cols.iter().zip(vals) {
                    let src = &act[c as usize * b + lane..(c as usize + 1) * b];
                    for (y, &s) in dst[lane..].iter_mut().zip(src) {
                        *y += w * s;
                    }
                }
            }
        }
    }
    crate::simd::avx2_or_plain!(fn(t: &Tiled, act: &[f32], out: &mut [f32], b: usize) -> () { plain(t, act, out, b) })
}
/// Rows of `channels × points` values, `b` of them, between row-major
/// (`row × channel × point`) and channel-major (`channel × row × point`)
/// layouts: to channel-major if `to_channels`, back otherwise.
fn regroup(src: &[f32], b: usize, channels: usize, points: usize, to_channels: bool) -> Vec<f32> {
    let mut dst = vec![0.0f32; src.len()];
    for r in 0..b {
        for c in 0..channels {
            let (row_major, channel_major) = ((r * channels + c) * points, (c * b + r) * points);
            let (from, to) = if to_channels { (row_major, channel_major) } else { (channel_major, row_major) };
            dst[to..to + points].copy_from_slice(&src[from..from + points]);
        }
    }
    dst
}

/// One stacked layer on `b` channel-major rows of `points` points: its
/// bias, then each stacked row (q, o)'s edges summed pointwise into one
/// map that b_q adds to output channel o (directly when b_q is the
/// identity). Returns the output and its points per channel.
fn stacked_layer(
    l: &SparseLayer,
    basis: &dyn Basis,
    grouped: &RowEdges,
    act: &[f32],
    b: usize,
    points: usize,
) -> (Vec<f32>, usize) {
    let c_out = l.d_out / basis.size();
    let out_points = basis.out_points(points);
    let (span, out_span) = (b * points, b * out_points);
    let mut out = vec![0.0f32; c_out * out_span];
    if let Some(bias) = &l.bias {
        for (o, &v) in bias.iter().enumerate() {
            out[o * out_span..(o + 1) * out_span].iter_mut().for_each(|y| *y = v);
        }
    }
    let mut tmp = vec![0.0f32; span];
    for (row, edges) in grouped {
        let (q, o) = (*row as usize / c_out, *row as usize % c_out);
        let direct = Some(q) == basis.identity();
        let dst: &mut [f32] = if direct { &mut out[o * span..(o + 1) * span] } else { &mut tmp };
        if !direct {
            dst.iter_mut().for_each(|y| *y = 0.0);
        }
        for &(c, w) in edges {
            let src = &act[c as usize * span..(c as usize + 1) * span];
            dst.iter_mut().zip(src).for_each(|(y, &s)| *y += w * s);
        }
        if !direct {
            let dst = &mut out[o * out_span..(o + 1) * out_span];
            for (t, y) in tmp.chunks_exact(points).zip(dst.chunks_exact_mut(out_points)) {
                basis.apply_add(q, 1.0, t, y);
            }
        }
    }
    (out, out_points)
}

/// A layer's edges by stacked row: (row, [(column, weight)]), rows ascending.
type RowEdges = Vec<(u32, Vec<(u32, f32)>)>;

/// A layer's edges grouped by stacked row, rows ascending.
fn by_row(l: &SparseLayer) -> RowEdges {
    let mut edges: Vec<(u32, u32, f32)> =
        l.rows.iter().zip(&l.cols).zip(&l.vals).map(|((&r, &c), &w)| (r, c, w)).collect();
    edges.sort_by_key(|e| (e.0, e.1));
    let mut out: Vec<(u32, Vec<(u32, f32)>)> = Vec::new();
    for (r, c, w) in edges {
        match out.last_mut() {
            Some((row, list)) if *row == r => list.push((c, w)),
            _ => out.push((r, vec![(c, w)])),
        }
    }
    out
}

/// A layer's edges ordered tile by tile of input channels, by row within a
/// tile (a stable counting sort of the (row, column)-sorted edges), cut
/// into runs of one row.
struct Tiled {
    /// Column of each edge, in the tiled order.
    cols: Vec<u32>,
    /// Weight of each edge, in the tiled order.
    vals: Vec<f32>,
    /// (row, first edge) of each run, then (0, number of edges).
    runs: Vec<(u32, u32)>,
}

impl Tiled {
    const TILE: u32 = 64;

    fn new(l: &SparseLayer) -> Tiled {
        let tiles = (l.d_in as u32).div_ceil(Self::TILE) as usize;
        let mut start = vec![0usize; tiles + 1];
        for &c in &l.cols {
            start[(c / Self::TILE) as usize + 1] += 1;
        }
        for t in 0..tiles {
            start[t + 1] += start[t];
        }
        let mut rows = vec![0u32; l.vals.len()];
        let (mut cols, mut vals) = (vec![0u32; l.vals.len()], vec![0.0f32; l.vals.len()]);
        for ((&r, &c), &w) in l.rows.iter().zip(&l.cols).zip(&l.vals) {
            let slot = &mut start[(c / Self::TILE) as usize];
            (rows[*slot], cols[*slot], vals[*slot]) = (r, c, w);
            *slot += 1;
        }
        let mut runs: Vec<(u32, u32)> =
            (0..rows.len()).filter(|&e| e == 0 || rows[e] != rows[e - 1]).map(|e| (rows[e], e as u32)).collect();
        runs.push((0, rows.len() as u32));
        Tiled { cols, vals, runs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_network() {
        // Layer 0: h = relu([2x0 − x1 + 0.5, x1 − 1]); layer 1: y = 3h0 − h1.
        let net = SparseNet::dense(vec![
            SparseLayer {
                d_out: 2,
                d_in: 2,
                rows: vec![0, 0, 1],
                cols: vec![0, 1, 1],
                vals: vec![2.0, -1.0, 1.0],
                bias: Some(vec![0.5, -1.0]),
                basis: BasisSpec::Identity,
            },
            SparseLayer {
                d_out: 1,
                d_in: 2,
                rows: vec![0, 0],
                cols: vec![0, 1],
                vals: vec![3.0, -1.0],
                bias: None,
                basis: BasisSpec::Identity,
            },
        ]);
        let xs: Vec<f32> = (0..300).flat_map(|i| [(i as f32) * 0.01 - 1.0, 1.5 - (i as f32) * 0.007]).collect();
        let ys = net.forward_batch(&xs, 300);
        for i in 0..300 {
            let (x0, x1) = (xs[2 * i], xs[2 * i + 1]);
            let h0 = (2.0 * x0 - x1 + 0.5f32).max(0.0);
            let h1 = (x1 - 1.0f32).max(0.0);
            assert!((ys[i] - (3.0 * h0 - h1)).abs() < 1e-5, "row {i}");
        }
        assert_eq!(net.layers[0].kept(), 5);
    }

    /// A row-at-a-time oracle: each output value is its bias, then each of
    /// its edges' products added in ascending column, in f32 without fused
    /// multiply-add, ReLU between layers.
    fn naive(net: &SparseNet, x: &[f32]) -> Vec<f32> {
        let mut act = x.to_vec();
        for (i, l) in net.layers.iter().enumerate() {
            let mut edges: Vec<(u32, u32, f32)> =
                l.rows.iter().zip(&l.cols).zip(&l.vals).map(|((&r, &c), &w)| (r, c, w)).collect();
            edges.sort_by_key(|e| (e.0, e.1));
            let mut out: Vec<f32> = (0..l.d_out).map(|o| l.bias.as_ref().map_or(0.0, |b| b[o])).collect();
            for (r, c, w) in edges {
                out[r as usize] += w * act[c as usize];
            }
            if i + 1 < net.layers.len() {
                out.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            act = out;
        }
        act
    }

    #[test]
    fn batch_equals_the_row_at_a_time_oracle_bit_for_bit() {
        // Layers wider than a tile, rows with long runs of edges in a tile
        // and rows with none, a batch of 3 chunks whose last is not a
        // multiple of 64 rows.
        let w = |a: u64, b: u64| crate::weights::uniform_weight(7, a, b) as f32;
        let layer = |seed: u64, d_out: usize, d_in: usize, keep: f32, bias: bool| {
            let (mut rows, mut cols, mut vals) = (vec![], vec![], vec![]);
            for r in 0..d_out {
                for c in 0..d_in {
                    if w(seed, (r * d_in + c) as u64).abs() < keep && r % 7 != 3 {
                        rows.push(r as u32);
                        cols.push(c as u32);
                        vals.push(w(seed + 1, (r * d_in + c) as u64));
                    }
                }
            }
            let bias = bias.then(|| (0..d_out).map(|o| w(seed + 2, o as u64)).collect());
            SparseLayer { d_out, d_in, rows, cols, vals, bias, basis: BasisSpec::Identity }
        };
        let net = SparseNet::dense(vec![
            layer(0, 150, 70, 0.3, true),
            layer(10, 40, 150, 0.8, false),
            layer(20, 5, 40, 0.5, false),
        ]);
        let rows = 300;
        let x: Vec<f32> = (0..rows * 70).map(|i| w(99, i as u64)).collect();
        let got = net.forward_batch(&x, rows);
        for r in 0..rows {
            assert_eq!(got[r * 5..(r + 1) * 5], naive(&net, &x[r * 70..(r + 1) * 70])[..], "row {r}");
        }
    }
}
