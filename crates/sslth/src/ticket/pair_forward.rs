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
                return Err(format!("hidden channel {h} of an A layer reads more than one input"));
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

/// One output row of a pair's B over a batch of `b` rows: `out[lane]` =
/// Σ_e w_e·ReLU(init_h + a_h·act[c(h)·b + lane]) over the row's kept
/// hidden channels `kept` (ascending) and weights `w`, summed in order from
/// 0, then ReLU if `relu`. `act` is the pair's input channel-major,
/// `(d_in + 1) × b`, its last channel all ones. 64 lanes at a time in
/// registers (hand-written for the reason [`super::sparse`]'s `accumulate`
/// is), compiled a second time with AVX2 (same operations, no fused
/// multiply-add).
pub fn b_row(units: &HiddenUnits, act: &[f32], b: usize, (kept, w): (&[usize], &[f32]), out: &mut [f32], relu: bool) {
    #[inline(always)]
    fn plain(u: &HiddenUnits, act: &[f32], b: usize, kept: &[usize], w: &[f32], out: &mut [f32], relu: bool) {
        const LANES: usize = 64;
        let mut lane = 0;
        while lane < b {
            let width = LANES.min(b - lane);
            let mut acc = [0.0f32; LANES];
            for (&h, &wt) in kept.iter().zip(w) {
                let (init, a) = (u.init[h], u.a[h]);
                let hidden = |x: f32| (init + a * x).max(0.0);
                let start = u.col[h] as usize * b + lane;
                if width == LANES {
                    let src: &[f32; LANES] = act[start..start + LANES].try_into().expect("64 lanes");
                    for (y, &x) in acc.iter_mut().zip(src) {
                        *y += wt * hidden(x);
                    }
                } else {
                    for (y, &x) in acc.iter_mut().zip(&act[start..start + width]) {
                        *y += wt * hidden(x);
                    }
                }
            }
            for (o, &y) in out[lane..lane + width].iter_mut().zip(&acc) {
                *o = if relu { y.max(0.0) } else { y };
            }
            lane += width;
        }
    }
    assert!(kept.len() == w.len() && out.len() == b && act.len() == (units.d_in + 1) * b);
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn wide(u: &HiddenUnits, act: &[f32], b: usize, kept: &[usize], w: &[f32], out: &mut [f32], relu: bool) {
            plain(u, act, b, kept, w, out, relu)
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { wide(units, act, b, kept, w, out, relu) };
        }
    }
    plain(units, act, b, kept, w, out, relu)
}
