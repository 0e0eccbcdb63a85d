//! Bases of equivariant linear maps (docs/THEORY.md §4).
//!
//! An equivariant layer from c_in to c_out channels of feature maps is
//! Σ_q b_q ⊗ C_q: each basis element b_q acts on one channel's feature map,
//! and the coefficient matrices C_q mix channels. A [`Basis`] knows its size
//! |B|, how each element acts on a feature map and its norm ‖B‖; the
//! construction works on the coefficients C_q alone and never asks which
//! group a basis belongs to (as a rand `Distribution` never knows its
//! generator).
//!
//! Norms are ℓ2 operator norms on one channel's feature map:
//! ‖B‖ = max over |β_q| ≤ 1 of ‖Σ_q β_q b_q‖₂. The operator norm is convex
//! in β, so the maximum is reached at a vertex β ∈ {−1, 1}^|B|; the tests
//! check the closed forms below against that maximum computed numerically.

/// A basis of equivariant linear maps on one channel's feature map.
pub trait Basis: std::fmt::Debug + Send + Sync {
    /// |B|, the number of basis elements.
    fn size(&self) -> usize;

    /// Values per channel of the feature maps it acts on, if fixed (1 for
    /// dense layers, H·W for images); `None` for any length (sets).
    fn points(&self) -> Option<usize>;

    /// Values per channel of the output map for an input map of
    /// `in_points` (a strided convolution's is smaller; by default the
    /// same).
    fn out_points(&self, in_points: usize) -> usize {
        in_points
    }

    /// `out += c · b_q(x)` for one channel `x` (`out` of
    /// [`Basis::out_points`] values).
    fn apply_add(&self, q: usize, c: f32, x: &[f32], out: &mut [f32]);

    /// [`Basis::apply_add`] in f64 (the tight certificate's interval
    /// arithmetic). Every element here is a matrix of non-negative entries
    /// (a permutation, the mean map), so `c = |C_q[o, j]|` applied to a
    /// radius bounds |b_q ⊗ C_q| applied to it.
    fn apply_add_f64(&self, q: usize, c: f64, x: &[f64], out: &mut [f64]);

    /// `out += c · b_qᵀ(y)` for one channel of the output map `y` (`out`
    /// of the input map's size): backpropagation acts with it.
    fn apply_transpose_add(&self, q: usize, c: f32, y: &[f32], out: &mut [f32]);

    /// [`Basis::apply_transpose_add`] in f64: the tight certificate's
    /// back-substitution acts with it. `y` is zero outside the points
    /// `nonzero`, which a basis may read alone (a convolution's walk back
    /// from one neuron touches a small patch of each map).
    fn apply_transpose_add_f64(&self, q: usize, c: f64, y: &[f64], nonzero: Range<usize>, out: &mut [f64]);

    /// ‖B‖: the largest ℓ2 operator norm of Σ_q β_q b_q over |β_q| ≤ 1.
    fn norm(&self) -> f64;

    /// ‖b_q‖, the ℓ2 operator norm of one element (1 for every element of
    /// the bases here: permutations and the mean map). The certificate
    /// bounds ‖Σ_q b_q ⊗ E_q‖ by Σ_q ‖b_q‖·‖E_q‖ (docs/THEORY.md §6).
    fn element_norm(&self, q: usize) -> f64;

    /// The index of the identity element, if the basis has one (a
    /// pointwise map from a channel to itself).
    fn identity(&self) -> Option<usize>;

    /// An element that maps a constant map to the same constant at every
    /// output point, if any: biases enter through it from the constant
    /// channel (docs/THEORY.md §4). By default the identity.
    fn constant_element(&self) -> Option<usize> {
        self.identity()
    }

    /// What a file records to rebuild the basis.
    fn spec(&self) -> BasisSpec;

    /// A short description for reports.
    fn name(&self) -> String;
}

use super::conv::{Conv, ConvGeometry};
use std::ops::Range;

/// The two float types a basis acts on: one generic action per basis
/// serves the f32 forward pass and the f64 certificate alike.
pub(super) trait Real: Copy + std::ops::AddAssign + std::ops::Mul<Output = Self> {
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// A basis as files record it (`{"kind": "conv2d", "kernel": 3, …}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BasisSpec {
    /// [`Identity`]: dense layers.
    Identity,
    /// [`Conv2d`]: k×k circular convolutions on H×W maps.
    Conv2d {
        /// Kernel size k (odd).
        kernel: usize,
        /// Map height H.
        height: usize,
        /// Map width W.
        width: usize,
    },
    /// [`DeepSets`]: identity and mean on sets.
    Deepsets,
    /// [`Conv`]: any PyTorch `Conv2d` (kernel, stride, padding size and
    /// mode, dilation) on an H×W map.
    Conv(ConvGeometry),
}

impl BasisSpec {
    /// The basis itself; refuses impossible sizes.
    pub fn build(&self) -> Result<std::sync::Arc<dyn Basis>, String> {
        Ok(match *self {
            BasisSpec::Identity => std::sync::Arc::new(Identity),
            BasisSpec::Conv2d { kernel, height, width } => std::sync::Arc::new(Conv2d::new(kernel, height, width)?),
            BasisSpec::Deepsets => std::sync::Arc::new(DeepSets),
            BasisSpec::Conv(g) => std::sync::Arc::new(Conv::new(g)?),
        })
    }

    /// |B| without building the basis.
    pub fn size(&self) -> usize {
        match *self {
            BasisSpec::Identity => 1,
            BasisSpec::Conv2d { kernel, .. } => kernel * kernel,
            BasisSpec::Deepsets => 2,
            BasisSpec::Conv(g) => g.kernel[0] * g.kernel[1],
        }
    }

    /// The basis of the odd random layer A of a pair over this basis: its
    /// identity element is what A is pruned to (each hidden channel reads
    /// one input channel pointwise). The basis itself for the identity,
    /// circular convolutions and set layers (Theorem 4's random network of
    /// layers over one basis); the pointwise convolution on the input map
    /// for a general convolution, whose output map may differ from its
    /// input's (docs/THEORY.md §4.3).
    pub fn a_spec(&self) -> BasisSpec {
        match *self {
            BasisSpec::Conv(g) => BasisSpec::Conv(g.pointwise()),
            other => other,
        }
    }

    /// Whether this is the dense case.
    pub fn is_identity(&self) -> bool {
        *self == BasisSpec::Identity
    }
}

/// Dense layers: one element, the identity on a single value (the trivial
/// group). ‖B‖ = 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity;

impl Basis for Identity {
    fn size(&self) -> usize {
        1
    }

    fn points(&self) -> Option<usize> {
        Some(1)
    }

    fn apply_add(&self, q: usize, c: f32, x: &[f32], out: &mut [f32]) {
        debug_assert_eq!(q, 0);
        out[0] += c * x[0];
    }

    fn apply_add_f64(&self, q: usize, c: f64, x: &[f64], out: &mut [f64]) {
        debug_assert_eq!(q, 0);
        out[0] += c * x[0];
    }

    fn apply_transpose_add(&self, q: usize, c: f32, y: &[f32], out: &mut [f32]) {
        self.apply_add(q, c, y, out);
    }

    fn apply_transpose_add_f64(&self, q: usize, c: f64, y: &[f64], _: Range<usize>, out: &mut [f64]) {
        self.apply_add_f64(q, c, y, out);
    }

    fn norm(&self) -> f64 {
        1.0
    }

    fn element_norm(&self, _q: usize) -> f64 {
        1.0
    }

    fn identity(&self) -> Option<usize> {
        Some(0)
    }

    fn spec(&self) -> BasisSpec {
        BasisSpec::Identity
    }

    fn name(&self) -> String {
        "dense (identity)".into()
    }
}

/// Convolutions equivariant to circular translations of an H×W map
/// (G = Z_H × Z_W): one element per kernel offset (a, b), a < k, b < k,
/// row-major as in PyTorch's `[out, in, k, k]` weights, acting as
/// b_(a,b)(x)[i, j] = x[(i + a − p) mod H, (j + b − p) mod W] with
/// p = (k − 1)/2: PyTorch's cross-correlation with circular padding p and
/// stride 1, which keeps the map's size and makes translation equivariance
/// exact. Each element is a permutation; ‖B‖ = k² (all β = 1 at the
/// constant frequency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2d {
    k: usize,
    height: usize,
    width: usize,
}

impl Conv2d {
    /// A k×k kernel on H×W maps; k must be odd (so the padding is
    /// symmetric) and the maps non-empty.
    pub fn new(k: usize, height: usize, width: usize) -> Result<Conv2d, String> {
        if k == 0 || k % 2 == 0 {
            return Err(format!("convolution kernels must have an odd size (1, 3, 5, …), got {k}×{k}"));
        }
        if height == 0 || width == 0 {
            return Err(format!("feature maps must be non-empty, got {height}×{width}"));
        }
        Ok(Conv2d { k, height, width })
    }

    /// The kernel size k.
    pub fn kernel(&self) -> usize {
        self.k
    }

    /// `out += c · b_q(x)` in either float type.
    fn act<T: Real>(&self, q: usize, c: T, x: &[T], out: &mut [T]) {
        let (h, w, p) = (self.height, self.width, self.k / 2);
        let (a, b) = (q / self.k, q % self.k);
        // Row i of the output reads row (i + a − p) mod H, shifted by b − p.
        let (da, db) = ((a + h * self.k - p) % h, (b + w * self.k - p) % w);
        for i in 0..h {
            let src = &x[((i + da) % h) * w..((i + da) % h + 1) * w];
            let dst = &mut out[i * w..(i + 1) * w];
            // dst[j] += c·src[(j + db) mod W], as two contiguous runs.
            let (head, tail) = dst.split_at_mut(w - db);
            head.iter_mut().zip(&src[db..]).for_each(|(y, &v)| *y += c * v);
            tail.iter_mut().zip(&src[..db]).for_each(|(y, &v)| *y += c * v);
        }
    }
}

impl Basis for Conv2d {
    fn size(&self) -> usize {
        self.k * self.k
    }

    fn points(&self) -> Option<usize> {
        Some(self.height * self.width)
    }

    fn apply_add(&self, q: usize, c: f32, x: &[f32], out: &mut [f32]) {
        self.act(q, c, x, out);
    }

    fn apply_add_f64(&self, q: usize, c: f64, x: &[f64], out: &mut [f64]) {
        self.act(q, c, x, out);
    }

    /// Offset (a, b) reads x at (i + a − p, j + b − p); its transpose
    /// reads at (i − a + p, j − b + p): offset (k − 1 − a, k − 1 − b).
    fn apply_transpose_add(&self, q: usize, c: f32, y: &[f32], out: &mut [f32]) {
        self.act(self.k * self.k - 1 - q, c, y, out);
    }

    fn apply_transpose_add_f64(&self, q: usize, c: f64, y: &[f64], _: Range<usize>, out: &mut [f64]) {
        self.act(self.k * self.k - 1 - q, c, y, out);
    }

    fn norm(&self) -> f64 {
        (self.k * self.k) as f64
    }

    fn element_norm(&self, _q: usize) -> f64 {
        1.0
    }

    /// The centre offset (p, p).
    fn identity(&self) -> Option<usize> {
        Some((self.k / 2) * self.k + self.k / 2)
    }

    fn spec(&self) -> BasisSpec {
        BasisSpec::Conv2d { kernel: self.k, height: self.height, width: self.width }
    }

    fn name(&self) -> String {
        format!("conv2d {k}×{k} (circular)", k = self.k)
    }
}

/// Permutation-equivariant set layers (DeepSets, G = S_N): the identity and
/// the mean broadcast to every element, on sets of any size N ≥ 1.
/// ‖β₀·I + β₁·J/N‖₂ = max(|β₀|, |β₀ + β₁|), so ‖B‖ = 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeepSets;

impl DeepSets {
    /// `out += c · b_q(x)` in either float type.
    fn act<T: Real>(q: usize, c: T, x: &[T], out: &mut [T]) {
        match q {
            0 => out.iter_mut().zip(x).for_each(|(y, &v)| *y += c * v),
            _ => {
                let mean = x.iter().map(|&v| v.to_f64()).sum::<f64>() / x.len().max(1) as f64;
                let add = c * T::from_f64(mean);
                out.iter_mut().for_each(|y| *y += add);
            }
        }
    }
}

impl Basis for DeepSets {
    fn size(&self) -> usize {
        2
    }

    fn points(&self) -> Option<usize> {
        None
    }

    fn apply_add(&self, q: usize, c: f32, x: &[f32], out: &mut [f32]) {
        DeepSets::act(q, c, x, out);
    }

    fn apply_add_f64(&self, q: usize, c: f64, x: &[f64], out: &mut [f64]) {
        DeepSets::act(q, c, x, out);
    }

    /// Both elements are symmetric.
    fn apply_transpose_add(&self, q: usize, c: f32, y: &[f32], out: &mut [f32]) {
        self.apply_add(q, c, y, out);
    }

    fn apply_transpose_add_f64(&self, q: usize, c: f64, y: &[f64], _: Range<usize>, out: &mut [f64]) {
        self.apply_add_f64(q, c, y, out);
    }

    fn norm(&self) -> f64 {
        2.0
    }

    /// The identity and J/N both have norm 1.
    fn element_norm(&self, _q: usize) -> f64 {
        1.0
    }

    fn identity(&self) -> Option<usize> {
        Some(0)
    }

    fn spec(&self) -> BasisSpec {
        BasisSpec::Deepsets
    }

    fn name(&self) -> String {
        "deepsets (identity, mean)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::spectral_norm_upper;
    use crate::weights::uniform_weight;

    fn map(len: usize, seed: u64) -> Vec<f32> {
        (0..len).map(|i| uniform_weight(seed, 0, i as u64) as f32).collect()
    }

    /// Σ_q β_q b_q as an explicit matrix on `points` values.
    fn matrix(basis: &dyn Basis, beta: &[f32], points: usize) -> Vec<f64> {
        let mut m = vec![0.0; points * points];
        for col in 0..points {
            let mut e = vec![0.0f32; points];
            e[col] = 1.0;
            let mut y = vec![0.0f32; points];
            for (q, &b) in beta.iter().enumerate() {
                basis.apply_add(q, b, &e, &mut y);
            }
            for (row, &v) in y.iter().enumerate() {
                m[row * points + col] = f64::from(v);
            }
        }
        m
    }

    /// max over β ∈ {−1, 1}^|B| of ‖Σ β_q b_q‖₂: ‖B‖, computed.
    fn norm_by_vertices(basis: &dyn Basis, points: usize) -> f64 {
        let size = basis.size();
        (0..1u32 << size)
            .map(|bits| {
                let beta: Vec<f32> = (0..size).map(|q| if bits >> q & 1 == 1 { 1.0 } else { -1.0 }).collect();
                spectral_norm_upper(&matrix(basis, &beta, points), points, points)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn closed_form_norms_match_the_vertex_maximum() {
        assert!((norm_by_vertices(&Identity, 1) - Identity.norm()).abs() < 1e-9);
        for (k, h, w) in [(3, 5, 5), (3, 4, 6), (1, 3, 3)] {
            let c = Conv2d::new(k, h, w).unwrap();
            assert!((norm_by_vertices(&c, h * w) - c.norm()).abs() < 1e-6, "{k} {h}x{w}");
        }
        for n in [1, 2, 5] {
            assert!((norm_by_vertices(&DeepSets, n) - DeepSets.norm()).abs() < 1e-6, "N = {n}");
        }
    }

    /// A reference circular convolution written the other way round: pad
    /// the map circularly by p, then a valid cross-correlation.
    fn reference_conv(x: &[f32], kernel: &[f32], k: usize, h: usize, w: usize) -> Vec<f32> {
        let p = k / 2;
        let (ph, pw) = (h + 2 * p, w + 2 * p);
        let padded: Vec<f32> =
            (0..ph * pw).map(|t| x[((t / pw + h - p % h) % h) * w + (t % pw + w - p % w) % w]).collect();
        (0..h * w)
            .map(|t| {
                let (i, j) = (t / w, t % w);
                let mut s = 0.0f32;
                for q in 0..k * k {
                    s += kernel[q] * padded[(i + q / k) * pw + j + q % k];
                }
                s
            })
            .collect()
    }

    #[test]
    fn conv_matches_a_padded_reference_and_commutes_with_shifts() {
        let (k, h, w) = (3, 6, 7);
        let c = Conv2d::new(k, h, w).unwrap();
        let x = map(h * w, 1);
        let kernel = map(k * k, 2);
        let mut y = vec![0.0f32; h * w];
        for (q, &kq) in kernel.iter().enumerate() {
            c.apply_add(q, kq, &x, &mut y);
        }
        let r = reference_conv(&x, &kernel, k, h, w);
        assert!(y.iter().zip(&r).all(|(a, b)| (a - b).abs() < 1e-6), "{y:?} vs {r:?}");
        // Shift the input by (s, t): the output shifts by (s, t), exactly.
        let (s, t) = (2, 5);
        let shift =
            |v: &[f32]| -> Vec<f32> { (0..h * w).map(|u| v[((u / w + s) % h) * w + (u % w + t) % w]).collect() };
        let mut ys = vec![0.0f32; h * w];
        for (q, &kq) in kernel.iter().enumerate() {
            c.apply_add(q, kq, &shift(&x), &mut ys);
        }
        assert_eq!(ys, shift(&y));
    }

    #[test]
    fn deepsets_commutes_with_permutations() {
        let x = map(9, 3);
        let perm = [4usize, 0, 8, 2, 6, 1, 3, 7, 5];
        let run = |v: &[f32]| {
            let mut y = vec![0.0f32; v.len()];
            DeepSets.apply_add(0, 0.7, v, &mut y);
            DeepSets.apply_add(1, -1.3, v, &mut y);
            y
        };
        let px: Vec<f32> = perm.iter().map(|&i| x[i]).collect();
        let (y, py) = (run(&x), run(&px));
        for (a, &i) in py.iter().zip(&perm) {
            assert!((a - y[i]).abs() < 1e-6);
        }
    }

    #[test]
    fn element_norms_and_identities_hold() {
        let bases: Vec<(Box<dyn Basis>, usize)> =
            vec![(Box::new(Identity), 1), (Box::new(Conv2d::new(3, 4, 5).unwrap()), 20), (Box::new(DeepSets), 6)];
        for (b, points) in bases {
            let x = map(points, 9);
            let mut y = vec![0.0f32; points];
            b.apply_add(b.identity().unwrap(), 1.0, &x, &mut y);
            assert_eq!(y, x, "{}", b.name());
            let mut sum = 0.0;
            for q in 0..b.size() {
                let mut beta = vec![0.0f32; b.size()];
                beta[q] = 1.0;
                let m = matrix(&*b, &beta, points);
                // The tight certificate needs elements with non-negative entries.
                assert!(m.iter().all(|&v| v >= 0.0), "{} element {q}", b.name());
                // The f64 action is the f32 one.
                let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
                let (mut y32, mut y64) = (vec![0.25f32; points], vec![0.25f64; points]);
                b.apply_add(q, -0.75, &x, &mut y32);
                b.apply_add_f64(q, -0.75, &x64, &mut y64);
                assert!(
                    y32.iter().zip(&y64).all(|(a, b)| (f64::from(*a) - b).abs() < 1e-6),
                    "{} element {q}",
                    b.name()
                );
                // b_qᵀ acts as the transpose of b_q's matrix.
                for c in 0..points {
                    let mut e = vec![0.0f32; points];
                    e[c] = 1.0;
                    let mut col = vec![0.0f32; points];
                    b.apply_transpose_add(q, 1.0, &e, &mut col);
                    let e64: Vec<f64> = e.iter().map(|&v| f64::from(v)).collect();
                    let mut col64 = vec![0.0f64; points];
                    b.apply_transpose_add_f64(q, 1.0, &e64, 0..points, &mut col64);
                    for r in 0..points {
                        assert_eq!(m[c * points + r], f64::from(col[r]), "{} element {q}", b.name());
                        assert!((m[c * points + r] - col64[r]).abs() < 1e-7, "{} element {q} in f64", b.name());
                    }
                }
                let norm = spectral_norm_upper(&m, points, points);
                assert!((norm - b.element_norm(q)).abs() < 1e-6, "{} element {q}", b.name());
                sum += b.element_norm(q);
            }
            // Σ_q ‖b_q‖ = ‖B‖ for these bases, so the certificate's sum is ‖B‖·max_q.
            assert!((sum - b.norm()).abs() < 1e-12);
            assert_eq!(b.spec().build().unwrap().spec(), b.spec());
        }
    }

    #[test]
    fn even_kernels_and_empty_maps_are_refused() {
        assert!(Conv2d::new(2, 8, 8).unwrap_err().contains("odd"));
        assert!(Conv2d::new(3, 0, 8).unwrap_err().contains("non-empty"));
    }
}
