//! Spectral norms for the error certificate (docs/THEORY.md §3.3 and §6).
//!
//! Two functions: [`spectral_norm`], an estimate by power iteration (a
//! lower bound up to rounding, used for sizing), and
//! [`spectral_norm_upper`], an upper bound by construction (used by the
//! certificate). Hand-rolled rather than taken from a linear-algebra crate:
//! such crates return an SVD accurate to rounding, not a number that is
//! guaranteed never to fall below the true norm, which is what a
//! certificate needs.

use rayon::prelude::*;

/// Unit roundoff of f64.
const U: f64 = f64::EPSILON / 2.0;

/// γ_n = n·u / (1 − n·u), the classical bound on the relative error of a
/// dot product of length n computed in floating point.
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    nu / (1.0 - nu)
}

/// ‖M‖₂ of a row-major `rows × cols` matrix estimated by power iteration on
/// MᵀM, in f64, from a fixed start vector, until the estimate changes by
/// less than 1e-12 relative (at most 2,000 steps). Approaches ‖M‖₂ from
/// below; not a bound (see [`spectral_norm_upper`]).
pub fn spectral_norm(m: &[f64], rows: usize, cols: usize) -> f64 {
    assert_eq!(m.len(), rows * cols);
    if m.iter().all(|&v| v == 0.0) {
        return 0.0;
    }
    // A start vector with no special alignment.
    let mut v: Vec<f64> = (0..cols).map(|i| 1.0 + ((i * 7919) % 101) as f64 / 101.0).collect();
    let mut u = vec![0.0; rows];
    let mut est = 0.0f64;
    for _ in 0..2000 {
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        for (r, ur) in u.iter_mut().enumerate() {
            *ur = m[r * cols..(r + 1) * cols].iter().zip(&v).map(|(a, b)| a * b).sum();
        }
        let next = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x = 0.0);
        for (r, &ur) in u.iter().enumerate() {
            for (vc, &a) in v.iter_mut().zip(&m[r * cols..(r + 1) * cols]) {
                *vc += a * ur;
            }
        }
        let done = (next - est).abs() <= 1e-12 * next;
        est = next;
        if done {
            break;
        }
    }
    est
}

/// An upper bound on the Frobenius norm of `v` as computed in f64: the
/// computed √(Σ x²) times 1 + (len + 3)·u covers the rounding of the sum
/// (relative error ≤ γ_len) and of the square root.
fn frobenius_upper(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt() * (1.0 + (v.len() + 3) as f64 * U)
}

/// The exact power of two nearest above `x` (x > 0, finite): scaling by it
/// is exact in floating point.
fn pow2_above(x: f64) -> f64 {
    2f64.powi(x.log2().ceil() as i32)
}

/// The Gram matrix of `rows` (d vectors of one length): the symmetric d×d
/// matrix of their dot products, upper triangle computed (in parallel) and
/// mirrored so the result is exactly symmetric. For a symmetric H, the Gram
/// matrix of its rows is H·H.
fn gram(rows: &[&[f64]]) -> Vec<f64> {
    let d = rows.len();
    let upper: Vec<Vec<f64>> =
        (0..d).into_par_iter().map(|i| (i..d).map(|j| dot(rows[i], rows[j])).collect()).collect();
    let mut out = vec![0.0; d * d];
    for (i, r) in upper.iter().enumerate() {
        for (t, &v) in r.iter().enumerate() {
            out[i * d + i + t] = v;
            out[(i + t) * d + i] = v;
        }
    }
    out
}

/// Σ aᵢbᵢ in four interleaved lanes (a dot product in any order has the
/// same γ_n error bound).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f64>() + tail
}

/// An upper bound on ‖M‖₂ of a row-major `rows × cols` matrix that holds by
/// construction, floating-point rounding included (docs/THEORY.md §6):
///
/// 1. G = MᵀM or MMᵀ, whichever is smaller (d × d), computed in f64; its
///    rounding error E satisfies ‖E‖₂ ≤ γ_L·‖M‖_F² (L the long side), so
///    λ_max(MᵀM) ≤ λ_max(Ĝ) + γ_L‖M‖_F².
/// 2. H₀ = Ĝ/2^{a₀}, H_{i+1} = fl(H_i²)/2^{a_{i+1}} (exact power-of-two
///    scalings keep ‖H‖_F near 1). For symmetric H,
///    λ_max(H_i)² ≤ λ_max(H_i²) ≤ 2^{a_{i+1}}·λ_max(H_{i+1}) + γ_d‖H_i‖_F².
/// 3. λ_max(H_s) ≤ ‖H_s‖_F; running step 2 backwards from it bounds
///    λ_max(H₀), then step 1 bounds ‖M‖₂² = λ_max(MᵀM).
///
/// Each squaring halves the gap between the bound and the truth (at s
/// squarings the bound is within a factor rank^{1/2^{s+2}} of ‖M‖₂, and much
/// closer once the top singular value dominates); squaring stops when the
/// bound is within 1e-9 of the power-iteration estimate, stops improving,
/// or after 60 squarings. A final factor 1 + 1e-12 covers the rounding of
/// the bound's own O(s) scalar operations. Underflow is not modelled (every
/// entry is scaled to order 1 before squaring). The result is never below
/// [`spectral_norm`]'s estimate and never above the Frobenius norm bound.
pub fn spectral_norm_upper(m: &[f64], rows: usize, cols: usize) -> f64 {
    assert_eq!(m.len(), rows * cols);
    if m.iter().all(|&v| v == 0.0) {
        return 0.0;
    }
    let frob = frobenius_upper(m);
    let (d, long) = (rows.min(cols), rows.max(cols));
    // Ĝ: the Gram matrix of M's columns (MᵀM) or of its rows (MMᵀ).
    let columns: Vec<Vec<f64>>;
    let vecs: Vec<&[f64]> = if cols <= rows {
        columns = (0..cols).map(|j| (0..rows).map(|r| m[r * cols + j]).collect()).collect();
        columns.iter().map(Vec::as_slice).collect()
    } else {
        m.chunks_exact(cols).collect()
    };
    let mut h = gram(&vecs);
    let gram_err = gamma(long) * frob * frob;
    let estimate = spectral_norm(m, rows, cols);

    // scales[i] = 2^{a_i}; errs[i] = γ_d·‖H_i‖_F² (upper bounds).
    let s0 = pow2_above(frobenius_upper(&h).max(f64::MIN_POSITIVE));
    h.iter_mut().for_each(|v| *v /= s0);
    let mut scales = vec![s0];
    let mut errs: Vec<f64> = Vec::new();
    let bound_from = |scales: &[f64], errs: &[f64], last_frob: f64| -> f64 {
        // Backwards: U_s = ‖H_s‖_F; U_i = √(2^{a_{i+1}}·U_{i+1} + err_i).
        let mut u = last_frob;
        for i in (0..errs.len()).rev() {
            u = (scales[i + 1] * u + errs[i]).max(0.0).sqrt();
        }
        ((scales[0] * u + gram_err).sqrt() * (1.0 + 1e-12)).min(frob)
    };
    let mut best = bound_from(&scales, &errs, frobenius_upper(&h));
    for _ in 0..60 {
        if best <= estimate * (1.0 + 1e-9) {
            break;
        }
        let f = frobenius_upper(&h);
        errs.push(gamma(d) * f * f);
        let mut next = gram(&h.chunks_exact(d).collect::<Vec<_>>());
        let s = pow2_above(frobenius_upper(&next).max(f64::MIN_POSITIVE));
        next.iter_mut().for_each(|v| *v /= s);
        scales.push(s);
        h = next;
        let b = bound_from(&scales, &errs, frobenius_upper(&h));
        let improved = b < best * (1.0 - 1e-13);
        best = best.min(b);
        if !improved {
            break;
        }
    }
    best.max(estimate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_norms() {
        // diag(3, −2): ‖·‖₂ = 3.
        for f in [spectral_norm, spectral_norm_upper] {
            assert!((f(&[3.0, 0.0, 0.0, -2.0], 2, 2) - 3.0).abs() < 1e-9);
            // Rank one u vᵀ: ‖u‖·‖v‖ = √5 · √2.
            let m = [1.0, 1.0, 2.0, 2.0];
            assert!((f(&m, 2, 2) - (10f64).sqrt()).abs() < 1e-9);
            // [[1, 2], [3, 4]]: sqrt((30 + sqrt(884)) / 2).
            let exact = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
            assert!((f(&[1.0, 2.0, 3.0, 4.0], 2, 2) - exact).abs() < 1e-9);
            assert_eq!(f(&[0.0; 6], 2, 3), 0.0);
        }
        // The upper bound is never below the exact value, even by rounding.
        let exact = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
        assert!(spectral_norm_upper(&[1.0, 2.0, 3.0, 4.0], 2, 2) >= exact);
        assert!(spectral_norm_upper(&[3.0, 0.0, 0.0, -2.0], 2, 2) >= 3.0);
    }

    #[test]
    fn upper_bound_on_degenerate_top_and_flat_spectra() {
        // The identity (every singular value 1, the hardest case for
        // squaring) and diag(1, 1, 0.999…): bounds ≥ 1, within 1e-6.
        let d = 40;
        let mut eye = vec![0.0; d * d];
        (0..d).for_each(|i| eye[i * d + i] = 1.0);
        let b = spectral_norm_upper(&eye, d, d);
        assert!((1.0..1.0 + 1e-6).contains(&b), "{b}");
        let mut near = eye.clone();
        near[d * d - 1] = 0.999_999;
        let b = spectral_norm_upper(&near, d, d);
        assert!((1.0..1.0 + 1e-6).contains(&b), "{b}");
    }

    #[test]
    fn upper_bound_is_above_every_rayleigh_quotient_and_close_to_the_estimate() {
        for (rows, cols, seed) in [(7, 5, 3), (30, 60, 4), (61, 17, 5)] {
            let m: Vec<f64> = (0..rows * cols).map(|i| crate::weights::uniform_weight(seed, 0, i as u64)).collect();
            let up = spectral_norm_upper(&m, rows, cols);
            let est = spectral_norm(&m, rows, cols);
            assert!(up >= est && up <= est * (1.0 + 1e-8), "{rows}x{cols}: {up} vs {est}");
            for t in 0..200u64 {
                let x: Vec<f64> = (0..cols).map(|i| crate::weights::uniform_weight(seed + 1, t, i as u64)).collect();
                let mx: f64 = (0..rows).map(|r| (0..cols).map(|c| m[r * cols + c] * x[c]).sum::<f64>().powi(2)).sum();
                let xx: f64 = x.iter().map(|v| v * v).sum();
                assert!((mx / xx).sqrt() <= up);
            }
        }
    }
}
