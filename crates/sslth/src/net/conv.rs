//! Convolutions as PyTorch's `Conv2d` computes them, for any kernel, stride,
//! padding size and mode, and dilation (docs/THEORY.md §4.3): a basis of
//! one *selection map* per kernel offset.
//!
//! Offset (a, b) maps an H×W map x to the H'×W' map whose point (i, j)
//! reads x at (i·s_h + a·d_h − p_h, j·s_w + b·d_w − p_w), brought back into
//! the map by the padding mode (circular: modulo; reflect: mirrored without
//! repeating the edge; replicate: clamped) or read as 0 (zeros). Each
//! element is a matrix of zeros and ones with at most one 1 per row, so
//! it is linear with non-negative entries, and its ℓ2 operator norm is the
//! square root of the largest number of output points that read one input
//! point. The layer Σ_q b_q ⊗ C_q is then exactly `Conv2d` with weight
//! `w[o, j, a, b] = C_(a·k_w + b)[o, j]`.

use super::basis::{Basis, BasisSpec, Real};
use std::ops::Range;

/// How a convolution reads outside its map (PyTorch's `padding_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaddingMode {
    /// Zeros outside the map.
    Zeros,
    /// The map repeated (a torus).
    Circular,
    /// The map mirrored at its edges, the edge not repeated.
    Reflect,
    /// The nearest edge value.
    Replicate,
}

/// Everything that fixes a convolution's spatial action: PyTorch's
/// `Conv2d` arguments (`[height, width]` pairs) and the input map's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ConvGeometry {
    /// Kernel size `[k_h, k_w]`.
    pub kernel: [usize; 2],
    /// Stride `[s_h, s_w]`.
    pub stride: [usize; 2],
    /// Padding on each side `[p_h, p_w]`.
    pub padding: [usize; 2],
    /// Dilation `[d_h, d_w]`.
    pub dilation: [usize; 2],
    /// The padding mode.
    pub padding_mode: PaddingMode,
    /// Input map height H.
    pub height: usize,
    /// Input map width W.
    pub width: usize,
}

impl ConvGeometry {
    /// The output map's size `[H', W']`, or why there is none.
    pub fn output(&self) -> Result<[usize; 2], String> {
        let mut out = [0; 2];
        for (d, name) in [(0, "height"), (1, "width")] {
            let size = [self.height, self.width][d];
            let (k, s, p, dil) = (self.kernel[d], self.stride[d], self.padding[d], self.dilation[d]);
            if size == 0 || k == 0 || s == 0 || dil == 0 {
                return Err(format!("a convolution needs a non-empty map, kernel, stride and dilation ({name})"));
            }
            let span = dil * (k - 1) + 1;
            if size + 2 * p < span {
                return Err(format!(
                    "the {name} {size} padded by {p} is smaller than the kernel's span {span} (kernel {k}, dilation {dil})"
                ));
            }
            match self.padding_mode {
                PaddingMode::Reflect if p >= size => {
                    return Err(format!("reflect padding {p} needs a {name} above it, got {size}"))
                }
                PaddingMode::Circular if p > size => {
                    return Err(format!("circular padding {p} needs a {name} of at least it, got {size}"))
                }
                _ => {}
            }
            out[d] = (size + 2 * p - span) / s + 1;
        }
        Ok(out)
    }

    /// Where position `t` (in padded coordinates minus the padding, so
    /// possibly negative or past the end) reads in a line of `size`.
    fn read(&self, t: isize, size: usize) -> Option<usize> {
        let n = size as isize;
        if (0..n).contains(&t) {
            return Some(t as usize);
        }
        match self.padding_mode {
            PaddingMode::Zeros => None,
            PaddingMode::Circular => Some(t.rem_euclid(n) as usize),
            PaddingMode::Reflect => Some(if t < 0 { -t } else { 2 * (n - 1) - t } as usize),
            PaddingMode::Replicate => Some(t.clamp(0, n - 1) as usize),
        }
    }

    /// The pointwise (1×1, stride-1, unpadded) convolution on the same
    /// input map: a pair's odd layer A.
    pub fn pointwise(&self) -> ConvGeometry {
        ConvGeometry {
            kernel: [1, 1],
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            padding_mode: PaddingMode::Zeros,
            ..*self
        }
    }

    /// Whether this is a 1×1, stride-1, unpadded convolution: the identity
    /// on each channel.
    pub fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }
}

/// Marks an output point that reads padding (a zero).
const PAD: u32 = u32::MAX;

/// A convolution's basis: one selection map per kernel offset (see the
/// module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    geometry: ConvGeometry,
    out_points: usize,
    /// `taps[q·P' + t]`: the input point output point t reads for offset
    /// q, or [`PAD`].
    taps: Vec<u32>,
    /// ‖b_q‖₂ per offset.
    norms: Vec<f64>,
}

impl Conv {
    /// The basis of a geometry; refuses impossible ones (see
    /// [`ConvGeometry::output`]).
    pub fn new(geometry: ConvGeometry) -> Result<Conv, String> {
        let [ho, wo] = geometry.output()?;
        let (h, w) = (geometry.height, geometry.width);
        if h * w >= PAD as usize {
            return Err(format!("a {h}×{w} map is too large"));
        }
        let [kh, kw] = geometry.kernel;
        let mut taps = Vec::with_capacity(kh * kw * ho * wo);
        let mut norms = Vec::with_capacity(kh * kw);
        for q in 0..kh * kw {
            let (a, b) = (q / kw, q % kw);
            let mut reads = vec![0u32; h * w];
            for i in 0..ho {
                let r = (i * geometry.stride[0] + a * geometry.dilation[0]) as isize - geometry.padding[0] as isize;
                for j in 0..wo {
                    let c = (j * geometry.stride[1] + b * geometry.dilation[1]) as isize - geometry.padding[1] as isize;
                    let tap = match (geometry.read(r, h), geometry.read(c, w)) {
                        (Some(r), Some(c)) => {
                            reads[r * w + c] += 1;
                            (r * w + c) as u32
                        }
                        _ => PAD,
                    };
                    taps.push(tap);
                }
            }
            norms.push(f64::from(reads.iter().copied().max().unwrap_or(0)).sqrt());
        }
        Ok(Conv { geometry, out_points: ho * wo, taps, norms })
    }

    /// The geometry.
    pub fn geometry(&self) -> ConvGeometry {
        self.geometry
    }

    fn taps(&self, q: usize) -> &[u32] {
        &self.taps[q * self.out_points..(q + 1) * self.out_points]
    }

    fn act<T: Real>(&self, q: usize, c: T, x: &[T], out: &mut [T]) {
        for (y, &t) in out.iter_mut().zip(self.taps(q)) {
            if t != PAD {
                *y += c * x[t as usize];
            }
        }
    }

    /// `out += c · b_qᵀ(y)` for a `y` that is zero outside `nonzero`.
    fn act_transposed<T: Real>(&self, q: usize, c: T, y: &[T], nonzero: Range<usize>, out: &mut [T]) {
        for (&g, &t) in y[nonzero.clone()].iter().zip(&self.taps(q)[nonzero]) {
            if t != PAD {
                out[t as usize] += c * g;
            }
        }
    }
}

impl Basis for Conv {
    fn size(&self) -> usize {
        self.geometry.kernel[0] * self.geometry.kernel[1]
    }

    fn points(&self) -> Option<usize> {
        Some(self.geometry.height * self.geometry.width)
    }

    fn out_points(&self, _in_points: usize) -> usize {
        self.out_points
    }

    fn apply_add(&self, q: usize, c: f32, x: &[f32], out: &mut [f32]) {
        self.act(q, c, x, out);
    }

    fn apply_add_f64(&self, q: usize, c: f64, x: &[f64], out: &mut [f64]) {
        self.act(q, c, x, out);
    }

    fn apply_transpose_add(&self, q: usize, c: f32, y: &[f32], out: &mut [f32]) {
        self.act_transposed(q, c, y, 0..y.len(), out);
    }

    /// Scatters only the points in `nonzero` (the taps of the others would
    /// add zeros).
    fn apply_transpose_add_f64(&self, q: usize, c: f64, y: &[f64], nonzero: Range<usize>, out: &mut [f64]) {
        self.act_transposed(q, c, y, nonzero, out);
    }

    /// Σ_q ‖b_q‖, an upper bound on ‖Σ_q β_q b_q‖ over |β_q| ≤ 1 (equal
    /// to it when the offsets are permutations, as circular stride-1
    /// convolutions' are).
    fn norm(&self) -> f64 {
        self.norms.iter().sum()
    }

    fn element_norm(&self, q: usize) -> f64 {
        self.norms[q]
    }

    fn identity(&self) -> Option<usize> {
        self.geometry.is_pointwise().then_some(0)
    }

    /// The first offset that reads inside the map at every output point.
    fn constant_element(&self) -> Option<usize> {
        (0..self.size()).find(|&q| self.taps(q).iter().all(|&t| t != PAD))
    }

    fn spec(&self) -> BasisSpec {
        BasisSpec::Conv(self.geometry)
    }

    fn name(&self) -> String {
        let g = &self.geometry;
        let pair = |v: [usize; 2]| if v[0] == v[1] { v[0].to_string() } else { format!("{}×{}", v[0], v[1]) };
        format!(
            "conv2d {}×{} stride {} padding {} ({:?}) dilation {}",
            g.kernel[0],
            g.kernel[1],
            pair(g.stride),
            pair(g.padding),
            g.padding_mode,
            pair(g.dilation)
        )
        .replace("(Zeros)", "zeros")
        .replace("(Circular)", "circular")
        .replace("(Reflect)", "reflect")
        .replace("(Replicate)", "replicate")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::uniform_weight;

    fn map(len: usize, seed: u64) -> Vec<f32> {
        (0..len).map(|i| uniform_weight(seed, 0, i as u64) as f32).collect()
    }

    /// PyTorch's recipe written out: pad the map explicitly with the mode,
    /// then a strided, dilated valid cross-correlation.
    fn reference(x: &[f32], kernel: &[f32], g: &ConvGeometry) -> Vec<f32> {
        let (h, w) = (g.height as isize, g.width as isize);
        let [ph, pw] = [g.padding[0] as isize, g.padding[1] as isize];
        let fold = |t: isize, n: isize| -> Option<isize> {
            match g.padding_mode {
                _ if (0..n).contains(&t) => Some(t),
                PaddingMode::Zeros => None,
                PaddingMode::Circular => Some((t + n) % n),
                PaddingMode::Reflect => Some(if t < 0 { -t } else { 2 * n - 2 - t }),
                PaddingMode::Replicate => Some(t.max(0).min(n - 1)),
            }
        };
        let padded: Vec<f32> = (0..(h + 2 * ph) * (w + 2 * pw))
            .map(|u| {
                let (r, c) = (u / (w + 2 * pw) - ph, u % (w + 2 * pw) - pw);
                match (fold(r, h), fold(c, w)) {
                    (Some(r), Some(c)) => x[(r * w + c) as usize],
                    _ => 0.0,
                }
            })
            .collect();
        let [ho, wo] = g.output().unwrap();
        let [kh, kw] = g.kernel;
        let pwid = (w + 2 * pw) as usize;
        (0..ho * wo)
            .map(|t| {
                let (i, j) = (t / wo, t % wo);
                (0..kh * kw)
                    .map(|q| {
                        let r = i * g.stride[0] + (q / kw) * g.dilation[0];
                        let c = j * g.stride[1] + (q % kw) * g.dilation[1];
                        kernel[q] * padded[r * pwid + c]
                    })
                    .sum()
            })
            .collect()
    }

    fn geometry(
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
        dilation: usize,
        mode: PaddingMode,
    ) -> ConvGeometry {
        ConvGeometry {
            kernel,
            stride: [stride, stride],
            padding,
            dilation: [dilation, dilation],
            padding_mode: mode,
            height: 7,
            width: 6,
        }
    }

    #[test]
    fn every_mode_stride_and_dilation_matches_the_padded_reference() {
        use PaddingMode::*;
        for mode in [Zeros, Circular, Reflect, Replicate] {
            for (kernel, stride, padding, dilation) in [
                ([3, 3], 1, [1, 1], 1),
                ([2, 2], 1, [0, 0], 1),
                ([4, 2], 2, [1, 0], 1),
                ([3, 3], 2, [2, 2], 2),
                ([5, 3], 3, [2, 1], 1),
                ([1, 1], 1, [0, 0], 1),
            ] {
                let g = geometry(kernel, stride, padding, dilation, mode);
                let conv = Conv::new(g).unwrap();
                let x = map(42, 1);
                let k = map(kernel[0] * kernel[1], 2);
                let mut y = vec![0.0f32; conv.out_points(42)];
                for (q, &c) in k.iter().enumerate() {
                    conv.apply_add(q, c, &x, &mut y);
                }
                let r = reference(&x, &k, &g);
                assert_eq!(y.len(), r.len(), "{g:?}");
                assert!(y.iter().zip(&r).all(|(a, b)| (a - b).abs() < 1e-5), "{g:?}: {y:?} vs {r:?}");
                // Transpose: <b_q x, v> = <x, b_qᵀ v>, and the norms are the
                // selection maps' exact ones.
                for q in 0..conv.size() {
                    let v = map(y.len(), 3 + q as u64);
                    let mut bx = vec![0.0f32; y.len()];
                    conv.apply_add(q, 1.0, &x, &mut bx);
                    let mut btv = vec![0.0f32; 42];
                    conv.apply_transpose_add(q, 1.0, &v, &mut btv);
                    let (l, r): (f32, f32) =
                        (bx.iter().zip(&v).map(|(a, b)| a * b).sum(), x.iter().zip(&btv).map(|(a, b)| a * b).sum());
                    assert!((l - r).abs() < 1e-4, "{g:?} q {q}");
                    let v64: Vec<f64> = v.iter().map(|&a| f64::from(a)).collect();
                    let mut btv64 = vec![0.0f64; 42];
                    conv.apply_transpose_add_f64(q, 1.0, &v64, 0..v64.len(), &mut btv64);
                    assert!(btv.iter().zip(&btv64).all(|(a, b)| (f64::from(*a) - b).abs() < 1e-6), "{g:?} q {q}");
                    // Reading only the points where v is not zero gives the
                    // same sums, bit for bit.
                    for (from, to) in [(0, v.len()), (1, 3), (v.len() / 2, v.len() / 2 + 1), (v.len() - 2, v.len())] {
                        let patch: Vec<f64> =
                            (0..v.len()).map(|i| if (from..to).contains(&i) { v64[i] } else { 0.0 }).collect();
                        let (mut whole, mut within) = (vec![0.5f64; 42], vec![0.5f64; 42]);
                        conv.apply_transpose_add_f64(q, -1.5, &patch, 0..patch.len(), &mut whole);
                        conv.apply_transpose_add_f64(q, -1.5, &patch, from..to, &mut within);
                        assert_eq!(whole, within, "{g:?} q {q} points {from}..{to}");
                    }
                    let mut dense = vec![0.0f64; y.len() * 42];
                    for (t, &s) in conv.taps(q).iter().enumerate() {
                        if s != PAD {
                            dense[t * 42 + s as usize] = 1.0;
                        }
                    }
                    let n = crate::linalg::spectral_norm_upper(&dense, y.len(), 42);
                    assert!((n - conv.element_norm(q)).abs() < 1e-6, "{g:?} q {q}: {n}");
                }
                // The bias element maps the constant map to itself.
                if let Some(q) = conv.constant_element() {
                    let mut y = vec![0.0f32; conv.out_points(42)];
                    conv.apply_add(q, 1.0, &[1.0; 42], &mut y);
                    assert!(y.iter().all(|&v| v == 1.0), "{g:?}");
                } else {
                    assert!(mode == Zeros, "{g:?}");
                }
            }
        }
    }

    #[test]
    fn impossible_geometries_are_refused() {
        let g = geometry([9, 3], 1, [0, 0], 1, PaddingMode::Zeros);
        assert!(Conv::new(g).unwrap_err().contains("smaller than the kernel"));
        let g = geometry([3, 3], 1, [7, 1], 1, PaddingMode::Reflect);
        assert!(Conv::new(g).unwrap_err().contains("reflect padding 7"));
        let g = geometry([3, 3], 0, [1, 1], 1, PaddingMode::Zeros);
        assert!(Conv::new(g).unwrap_err().contains("non-empty"));
    }
}
